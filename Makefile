# SA-lotl-detections: build, vet and test the Splunk app.
#
#   make package   the app, built with UCC and vetted with AppInspect: dist/SA-lotl-detections-<version>.tar.gz
#   make test      lint and the whole test suite (builds the app first)
#   make bench     the speed and scan tables of docs/performance.md (not part of the tests)
#   make fuzz      a bounded coverage-guided fuzzing run over both parsers (not part of the tests)
#   make demo      what each detection would raise on the sample events and ../shared's real ones
#   make contentctl  the detections exported as a contentctl 5.x project (build/contentctl), validated
#
# Everything runs inside .venv, created from the pinned requirements on first use; contentctl runs in
# .venv-contentctl (its pins clash with the project's; it needs Python 3.11 to 3.13: CONTENTCTL_PYTHON).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell $(PYTHON) -c "import hashlib;print(hashlib.sha256(open('requirements/dev.txt','rb').read()).hexdigest()[:12])")
export PYTHONDONTWRITEBYTECODE := 1

# contentctl 5.6.2 needs Python 3.11 to 3.13: the first such interpreter on PATH, else $(PYTHON).
CONTENTCTL_PYTHON ?= $(shell for p in $(PYTHON) python3.11 python3.12 python3.13; do $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null && { echo $$p; break; }; done)
CC_VENV := .venv-contentctl
CC_STAMP := $(CC_VENV)/.installed-$(shell $(PYTHON) -c "import hashlib;print(hashlib.sha256(open('requirements/contentctl.txt','rb').read()).hexdigest()[:12])")

.PHONY: package build test lint bench fuzz demo contentctl clean

$(STAMP): requirements/dev.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

package: $(STAMP)
	$(BIN)/python tools/build.py

# The app without AppInspect: for a quick rebuild while developing.
build: $(STAMP)
	$(BIN)/python tools/build.py --no-vet

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/vermin --target=3.9- --no-tips --violations --eval-annotations package/bin

$(CC_STAMP): requirements/contentctl.txt
	rm -rf $(CC_VENV)
	@test -n "$(CONTENTCTL_PYTHON)" || { echo "contentctl needs Python 3.11 to 3.13: set CONTENTCTL_PYTHON" >&2; exit 1; }
	$(CONTENTCTL_PYTHON) -m venv $(CC_VENV)
	$(CC_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/contentctl.txt
	touch $@

# LOTL_REQUIRE_CONTENTCTL: the contentctl test fails, rather than skips, without .venv-contentctl.
test: package lint $(CC_STAMP)
	LOTL_REQUIRE_CONTENTCTL=1 $(BIN)/python -m pytest

# The export alone, validated (the test does the same, plus a check that validation can fail).
contentctl: $(STAMP) $(CC_STAMP)
	$(BIN)/python tools/contentctl_export.py
	cd build/contentctl && ../../$(CC_VENV)/bin/contentctl validate

bench: build
	$(BIN)/python tools/bench.py
	$(BIN)/python tools/spl.py scan

fuzz: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/fuzz.txt
	$(BIN)/python tools/fuzz.py --seconds $${FUZZ_SECONDS:-120}

demo: build
	$(BIN)/python -m detections.lab.demo

clean:
	rm -rf output dist build .pytest_cache .hypothesis
