"""The error a format backend raises for a file it cannot read.

Its own module so that the backends and the dispatcher in `pipeline.extract` both import it from
below, without importing each other in a circle.
"""

from __future__ import annotations


class ExtractionError(Exception):
    """A file that cannot be read; `rule` is FILE_UNREADABLE, FILE_ENCRYPTED or OCR_UNAVAILABLE."""

    def __init__(self, rule: str, reason: str):
        super().__init__(reason)
        self.rule = rule
        self.reason = reason
