"""The app's code runs on Splunk's Pythons: 3.9 (Splunk 9) and 3.13 (Splunk 10).

vermin reads the code and fails on anything newer than 3.9; the commands are then actually run,
through the splunkd harness, under a real 3.9 and a real 3.13 where this machine has them.
"""
import os
import subprocess
import sys

import pytest

from tests import harness
from tests.interpreters import splunk_pythons

VERMIN = os.path.join(os.path.dirname(sys.executable), "vermin")
APP_CODE = os.path.join(harness.ROOT, "package", "bin")


def _vermin(path: str) -> subprocess.CompletedProcess:
    return subprocess.run([VERMIN, "--target=3.9-", "--no-tips", "--violations", "--eval-annotations", path],
                          capture_output=True, text=True)


def test_app_code_needs_nothing_newer_than_python_3_9():
    result = _vermin(APP_CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_fails_on_newer_code(tmp_path):
    newer = tmp_path / "newer.py"
    newer.write_text("def f(x):\n    match x:\n        case 1:\n            return 'one'\n")
    assert _vermin(str(newer)).returncode != 0


PYTHONS = splunk_pythons()


@pytest.mark.parametrize("version", sorted(PYTHONS))
@pytest.mark.parametrize("command,record,expected", [
    ("dtutilargs", {"CommandLine": r"dtutil /FILE \\fs01\ssis$\p.dtsx /COPY FILE;C:\Users\Public\p.dtsx"},
     {"dtutil_direction": "ingress", "dtutil_remote_host": "fs01"}),
    ("epochshare", {"CommandLine": r"cmd.exe /Q /c cd 1> \\127.0.0.1\ADMIN$\__1684944005.9400265 2>&1"},
     {"epoch_kind": "epoch_output", "epoch_time": "2023-05-24T16:00:05.940026Z"}),
])
def test_commands_run_under_splunks_python(version, command, record, expected):
    python = PYTHONS[version]
    if python is None:
        pytest.skip("no Python %s on this machine (looked on PATH and under pyenv)" % version)
    result = harness.run_command(command, [record], python=python)
    assert result.exit_code == 0, result.stderr
    assert result.errors() == []
    for name, value in expected.items():
        assert result.records[0][name] == value, (version, name)
