"""What every extraction backend shares: its options and the one error it raises.

A leaf of the `extract` package, so the backends (docx, pdf, doc) and the package's dispatcher
import it at the top without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..model import Layout
from ..safety import Limits


class ExtractionError(Exception):
    """A file that cannot be read; `rule` is FILE_UNREADABLE, FILE_ENCRYPTED or OCR_UNAVAILABLE."""

    def __init__(self, rule: str, reason: str):
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True)
class ExtractOptions:
    limits: Limits = Limits()
    ocr: bool = True  # False behaves as if no OCR engine were installed
    soffice: str | None = None  # path to LibreOffice; None: look on PATH
    seal: tuple[float, int] | None = None  # rules [seal] (min_red_ratio, min_size_px); set by extract_file
    seal_labels: tuple[str, ...] = ()  # rules [seal] near_labels (盖章, 公章…); set by extract_file
    # The run's result cache (root, context as JSON) for scanned pages' OCR, keyed by the page image's
    # hash (`ResultCache.get_value("ocr-page", …)`); None: every page is read.
    page_cache: tuple[str, str] | None = None


# A backend: (file to read, name shown to reviewers, options) → its Layout; raises ExtractionError.
Reader = Callable[[Path, str, ExtractOptions], Layout]
