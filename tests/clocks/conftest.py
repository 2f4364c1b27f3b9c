"""Unit-test setup: make the repository root importable without installing it."""

from __future__ import annotations

import sys
from pathlib import Path

# The app package is imported from the checkout; pytest's rootdir insertion only
# adds this test directory, not the repository root.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
