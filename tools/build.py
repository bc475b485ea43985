"""`make package`: build the app with UCC, pack the tarball users upload, vet it with AppInspect.

Steps (each fails loudly):
1. `ucc-gen build` from `package/` into `output/SA-lotl-detections/` with the version from
   globalConfig.json (the one place it lives) and the splunk-sdk vendored into lib/ by
   additional_packaging.py;
2. `ucc-gen package` into `dist/SA-lotl-detections-<version>.tar.gz`;
3. `splunk-appinspect inspect` in precert mode with the Splunk Cloud tags; the JSON report goes to
   `dist/appinspect.json`, the summary and every warning are printed, and the build fails when
   error + failure + future_failure is not 0.
"""
import json
import os
import shutil
import subprocess
import sys
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_ID = "SA-lotl-detections"
OUTPUT_DIR = os.path.join(ROOT, "output")
APP_DIR = os.path.join(OUTPUT_DIR, APP_ID)
DIST_DIR = os.path.join(ROOT, "dist")
REPORT = os.path.join(DIST_DIR, "appinspect.json")
# Splunk Cloud's vetting (cloud), Victoria stacks (private_victoria) and the checks that become
# failures in the next AppInspect release (future).
APPINSPECT_TAGS = ("cloud", "private_victoria", "future")
BLOCKING = ("error", "failure", "future_failure")
BIN = os.path.dirname(sys.executable)


def app_version() -> str:
    with open(os.path.join(ROOT, "globalConfig.json"), encoding="utf-8") as handle:
        return json.load(handle)["meta"]["version"]


def tarball_path(version: str) -> str:
    return os.path.join(DIST_DIR, "%s-%s.tar.gz" % (APP_ID, version))


def run(arguments: List[str]) -> None:
    print("+ " + " ".join(arguments), flush=True)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    # UCC upgrades pip in whatever python3 comes first on PATH: make that the venv's.
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    subprocess.run(arguments, cwd=ROOT, env=env, check=True)


def build(version: str) -> str:
    shutil.rmtree(OUTPUT_DIR, ignore_errors=True)
    # --pip-version: with pip 26 `ucc-gen build` fails (`pip show --version` is gone).
    run([os.path.join(BIN, "ucc-gen"), "build", "--source", "package", "--config", "globalConfig.json",
         "--ta-version", version, "--pip-version", "25.3", "--output", OUTPUT_DIR])
    os.makedirs(DIST_DIR, exist_ok=True)
    tarball = tarball_path(version)
    if os.path.exists(tarball):
        os.remove(tarball)
    run([os.path.join(BIN, "ucc-gen"), "package", "--path", APP_DIR, "--output", DIST_DIR])
    if not os.path.isfile(tarball):
        raise SystemExit("ucc-gen package did not write %s" % tarball)
    return tarball


def vet(tarball: str) -> Dict[str, int]:
    command = [os.path.join(BIN, "splunk-appinspect"), "inspect", tarball, "--mode", "precert",
               "--skip-trusted-libraries-update", "--data-format", "json", "--output-file", REPORT]
    for tag in APPINSPECT_TAGS:
        command += ["--included-tags", tag]
    # AppInspect exits 0 even when checks fail: the JSON summary is what counts.
    run(command)
    with open(REPORT, encoding="utf-8") as handle:
        report = json.load(handle)
    summary = report["summary"]
    print("AppInspect summary: " + ", ".join("%s=%s" % item for item in sorted(summary.items())))
    for level in ("warning",) + BLOCKING:
        for name, messages in findings(report, level):
            print("  %s %s" % (level.upper(), name))
            for message in messages:
                print("      " + message)
    return summary


def findings(report: dict, level: str):
    """(check name, messages) for every check of the report whose result is `level`."""
    for app_report in report.get("reports", []):
        for group in app_report.get("groups", []):
            for check in group.get("checks", []):
                if check.get("result") == level:
                    messages = [m.get("message", "") for m in check.get("messages", [])]
                    yield check.get("name", "?"), messages


def main() -> int:
    tarball = build(app_version())
    if "--no-vet" in sys.argv[1:]:
        return 0
    summary = vet(tarball)
    blocking = sum(int(summary.get(key, 0)) for key in BLOCKING)
    print("Built %s" % os.path.relpath(tarball, ROOT))
    if blocking:
        print("AppInspect: %d blocking result(s); see %s" % (blocking, os.path.relpath(REPORT, ROOT)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
