"""The tarball users upload: what it holds, what it must not, and AppInspect's verdict on it.

`make test` runs `make package` first, which builds the tarball and writes dist/appinspect.json;
these tests read both, and fail when either is missing or stale.
"""
import json
import os
import stat
import tarfile

import pytest

from tests.harness import APP_ID, ROOT

DIST = os.path.join(ROOT, "dist")
REPORT = os.path.join(DIST, "appinspect.json")


def _version() -> str:
    with open(os.path.join(ROOT, "globalConfig.json"), encoding="utf-8") as handle:
        return json.load(handle)["meta"]["version"]


@pytest.fixture(scope="module")
def tarball() -> str:
    path = os.path.join(DIST, "%s-%s.tar.gz" % (APP_ID, _version()))
    if not os.path.isfile(path):
        pytest.fail("%s is missing: run `make package` (make test does)" % path)
    return path


@pytest.fixture(scope="module")
def members(tarball):
    with tarfile.open(tarball) as archive:
        return {member.name: member for member in archive.getmembers()}


def _read(tarball: str, name: str) -> str:
    with tarfile.open(tarball) as archive:
        handle = archive.extractfile("%s/%s" % (APP_ID, name))
        assert handle is not None, name
        return handle.read().decode("utf-8")


def test_untars_into_one_folder_named_after_the_app(members):
    assert {name.split("/")[0] for name in members} == {APP_ID}


def test_holds_what_splunk_needs(members):
    for name in ("app.manifest", "default/app.conf", "default/commands.conf",
                 "default/searchbnf.conf", "metadata/default.meta", "lib/splunklib/__init__.py",
                 "lib/splunklib/searchcommands/__init__.py", "bin/dtutilargs.py",
                 "bin/epochshare.py", "README.txt", "LICENSES/LICENSE.txt"):
        assert "%s/%s" % (APP_ID, name) in members, name


def test_app_id_and_version_flow_from_global_config(tarball):
    version = _version()
    assert os.path.basename(tarball) == "%s-%s.tar.gz" % (APP_ID, version)
    app_conf = _read(tarball, "default/app.conf")
    assert "id = %s" % APP_ID in app_conf
    assert app_conf.count("version = %s" % version) == 2  # [launcher] and [id]
    manifest = json.loads(_read(tarball, "app.manifest"))
    assert manifest["info"]["id"] == {"group": None, "name": APP_ID, "version": version}
    # the source manifest is overwritten by the build; keep it from telling a different story
    with open(os.path.join(ROOT, "package", "app.manifest"), encoding="utf-8") as handle:
        assert json.load(handle)["info"]["id"]["version"] == version


def test_nothing_vetting_rejects(members):
    for name, member in members.items():
        parts = name.split("/")
        assert "__pycache__" not in parts and not name.endswith((".pyc", ".pyo")), name
        assert parts[1:2] != ["local"], name
        assert not name.endswith("local.meta"), name
        if parts[1:2] == ["lib"] and member.isfile():
            assert not member.mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH), name


def test_no_test_code_ships(members):
    assert not [name for name in members if "passthrough" in name or "/tests/" in name]


def test_appinspect_finds_no_error_failure_or_future_failure(tarball):
    if not os.path.isfile(REPORT):
        pytest.fail("%s is missing: run `make package`" % REPORT)
    assert os.path.getmtime(REPORT) >= os.path.getmtime(tarball), "appinspect.json is older than the tarball"
    with open(REPORT, encoding="utf-8") as handle:
        report = json.load(handle)
    summary = report["summary"]
    assert summary["error"] == 0 and summary["failure"] == 0 and summary["future_failure"] == 0, summary
    assert summary["success"] > 0, summary


def test_appinspect_ran_on_this_version_with_the_splunk_cloud_tags():
    with open(REPORT, encoding="utf-8") as handle:
        report = json.load(handle)["reports"][0]
    assert report["app_package_id"] == APP_ID
    assert report["app_version"] == _version()
    assert set(report["run_parameters"]["included_tags"]) >= {"cloud", "private_victoria", "future"}


# The warnings that stay, each explained in the README's build section.
EXPLAINED_WARNINGS = {"check_python_sdk_version", "check_for_python_script_existence"}


def test_every_appinspect_warning_is_one_the_readme_explains():
    with open(REPORT, encoding="utf-8") as handle:
        report = json.load(handle)
    warned = {check["name"] for group in report["reports"][0]["groups"] for check in group["checks"]
              if check["result"] == "warning"}
    assert warned <= EXPLAINED_WARNINGS, warned - EXPLAINED_WARNINGS
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert all(name in readme for name in EXPLAINED_WARNINGS)
