"""Test-wide set-up: the app's pure modules (package/bin/lotl) import as `lotl`."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "package", "bin"))
sys.path.insert(0, ROOT)  # so tests can `from tests.datasets import ...`

# The built app must never ship __pycache__: keep test runs from writing any under package/.
sys.dont_write_bytecode = True
