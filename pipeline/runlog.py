"""The run's log: OUT/logs/run.log, for what a reviewer's message must not carry.

Findings say in a Chinese sentence what could not be read; the details for whoever maintains the
checker (a worker's traceback, the stack of a crashed OCR engine, a worker killed for its time or
memory) are logged by the `pipeline` loggers, and a run writes them here. The file is made only when
something is logged, so a clean run leaves no `logs/` folder, and each run starts it afresh.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

LOG_NAME = Path("logs") / "run.log"


class _LazyFileHandler(logging.FileHandler):
    """A FileHandler that makes its folder with the first record (FileHandler's `delay` opens the file
    then, but never makes the folder)."""

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


@contextlib.contextmanager
def run_log(out_dir: Path, level: int = logging.WARNING) -> Iterator[Path]:
    """Log the `pipeline` loggers' records at `level` and above to OUT/logs/run.log while the block runs."""
    path = out_dir / LOG_NAME
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a previous run's log would tell of failures this run may not have
    handler = _LazyFileHandler(path, mode="w", encoding="utf-8", delay=True)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("pipeline")
    logger.addHandler(handler)
    old_level = logger.level
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()
