"""Shared field logic: a `Layout` (from any backend) → `ExtractedDocument`s. Stub until the DOCX issue."""

from __future__ import annotations

from ..config import Rules
from ..model import ExtractedDocument, Layout


def documents_from_layout(layout: Layout, rules: Rules) -> list[ExtractedDocument]:
    return []
