"""The one atomic file writer: every file the checker writes in place goes through it.

Bytes go to a temp file beside the target, then a rename puts them in place, so a reader (or the
next run, after a crash) sees the old file or the new one, never half of one. Whole folders are
published by `pipeline.publish`, which stages them and swaps them in.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temp file beside it and a rename; raises OSError on failure,
    leaving the old file (if any) intact and no temp file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
