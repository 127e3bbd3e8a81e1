"""tests/web reuses the API tests' helpers (`api_support`: real `claims serve` processes).

`tests/api` is not a package (a package there would shadow the real `api`), so its folder is put
on `sys.path` here, the way pytest does for the modules inside it.
"""

from __future__ import annotations

import sys
from pathlib import Path

API_TESTS = str(Path(__file__).resolve().parents[1] / "api")
if API_TESTS not in sys.path:
    sys.path.insert(0, API_TESTS)
