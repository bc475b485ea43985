# SA-lotl-detections: build, vet and test the Splunk app.
#
#   make package   the app, built with UCC and vetted with AppInspect: dist/SA-lotl-detections-<version>.tar.gz
#   make test      lint and the whole test suite (builds the app first)
#   make bench     the speed table of docs/performance.md (not part of the tests)
#   make fuzz      a bounded coverage-guided fuzzing run over both parsers (not part of the tests)
#   make demo      what each detection would raise on the sample events and ../shared's real ones
#
# Everything runs inside .venv, created from the pinned requirements on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell $(PYTHON) -c "import hashlib;print(hashlib.sha256(open('requirements/dev.txt','rb').read()).hexdigest()[:12])")
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: package build test lint bench fuzz demo clean

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

test: package lint
	$(BIN)/python -m pytest

bench: build
	$(BIN)/python tools/bench.py

fuzz: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/fuzz.txt
	$(BIN)/python tools/fuzz.py --seconds $${FUZZ_SECONDS:-120}

demo: build
	$(BIN)/python -m detections.lab.demo

clean:
	rm -rf output dist build .pytest_cache .hypothesis
