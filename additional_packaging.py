"""UCC build hook: vendors the pinned splunk-sdk into the app's lib/ and leaves the output clean.

UCC (`ucc-gen build`) imports this file from the project root and calls
`cleanup_output_files(output_path, ta_name)` after copying `package/` to the output. UCC's own
library install needs `package/lib/requirements.txt`, and with that file present UCC 6.6 insists
on splunktaucclib (it assumes a UI); this app has no UI, so it vendors splunk-sdk here instead.
"""
import os
import shutil
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
APP_REQUIREMENTS = os.path.join(ROOT, "requirements", "app.txt")


def _vendor_libraries(lib_dir: str) -> None:
    # --no-deps: splunklib.searchcommands needs only the standard library (its one dependency,
    # `deprecation`, is imported by splunklib.results, which the commands never load).
    # --no-compile: Splunk Cloud vetting rejects shipped .pyc files.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-compile", "--target", lib_dir, "-r", APP_REQUIREMENTS],
        check=True,
    )


def _remove_build_debris(app_dir: str) -> None:
    """Removes what vetting rejects: bytecode caches, a local/ folder, local.meta."""
    for path in (os.path.join(app_dir, "local"), os.path.join(app_dir, "metadata", "local.meta")):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    for folder, subfolders, files in os.walk(app_dir):
        for name in list(subfolders):
            if name == "__pycache__":
                shutil.rmtree(os.path.join(folder, name))
                subfolders.remove(name)
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                os.remove(os.path.join(folder, name))
    # UCC leaves an empty appserver/static/js/build tree behind even without a UI.
    for folder, _subfolders, _files in os.walk(os.path.join(app_dir, "appserver"), topdown=False):
        if not os.listdir(folder):
            os.rmdir(folder)


def _clear_execute_bits(folder: str) -> None:
    """Files under lib/ are imported, never run: vetting fails executable files there."""
    no_exec = ~(stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    for parent, _subfolders, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            os.chmod(path, os.stat(path).st_mode & no_exec)


def cleanup_output_files(output_path: str, ta_name: str) -> None:
    app_dir = os.path.join(output_path, ta_name)
    lib_dir = os.path.join(app_dir, "lib")
    _vendor_libraries(lib_dir)
    _remove_build_debris(app_dir)
    _clear_execute_bits(lib_dir)
