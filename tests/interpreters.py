"""Finding the Pythons Splunk runs app code on: 3.9 (Splunk 9) and 3.13 (Splunk 10)."""
import glob
import os
import shutil
import subprocess
from typing import Dict, Optional

SPLUNK_PYTHONS = ("3.9", "3.13")


def _runs(path: str, version: str) -> bool:
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def find_python(version: str) -> Optional[str]:
    """`python<version>` on PATH, else a pyenv installation of it (pyenv's shims only answer for
    the versions `pyenv global` names)."""
    candidates = [shutil.which("python" + version) or ""]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", version + ".*", "bin", "python" + version)),
                         reverse=True)
    for candidate in candidates:
        if candidate and _runs(candidate, version):
            return candidate
    return None


def splunk_pythons() -> Dict[str, Optional[str]]:
    return {version: find_python(version) for version in SPLUNK_PYTHONS}
