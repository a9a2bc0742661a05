"""Backend stub (docx); replaced by its extraction issue."""

from __future__ import annotations

from pathlib import Path

from ..model import Layout


def read_docx(path: Path, display: str, options) -> Layout:
    from . import ExtractionError

    raise ExtractionError("FILE_UNREADABLE", "尚未支持此格式")
