"""Reading an evaluation corpus's JSON-lines file, with errors that name the file and line.

Both gold loaders (PolNeAR attributions, ECB+/NewsWCL50 documents) read the same way; malformed
corpora must fail loudly where the problem is, not as a silently lower score later.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def json_records(path: Path, what: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """`(where, record)` for each non-blank line of `path`; `where` is ``file:line`` for errors.

    A missing file raises FileNotFoundError naming `what` (e.g. "PolNeAR attributions file");
    invalid JSON or a line that is not an object raises ValueError.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{where}: invalid JSON: {error}") from error
            if not isinstance(record, dict):
                raise ValueError(f"{where}: expected a JSON object")
            yield where, record
