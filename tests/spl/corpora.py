"""Where the stand-in's tests find the real event corpora: ../shared/datasets (never copied into
this repository). Tests call `require_corpora()`, which skips, naming the folder, when absent."""
import os

from tests.datasets import SHARED

CORPUS_FOLDERS = [os.path.join(SHARED, "datasets", name) for name in ("windows-events", "windows-events-extra")]


def require_corpora() -> None:
    missing = [folder for folder in CORPUS_FOLDERS if not os.path.isfile(os.path.join(folder, "alerts.csv"))]
    if missing:
        import pytest

        pytest.skip("real event data not found at %s (../shared is absent)" % ", ".join(missing))
