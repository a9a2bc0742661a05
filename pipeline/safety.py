"""Limits applied before parsing, and names that are safe to use on disk."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_BIDI = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class Limits:
    """Defaults suit a 20-page form; all can be changed from the CLI."""

    max_file_mb: int = 100  # a single input file
    max_zip_members: int = 500
    max_zip_total_mb: int = 300  # uncompressed, all members of one submission zip
    max_zip_ratio: int = 200  # uncompressed/compressed of one member
    max_zip_depth: int = 3  # zip inside zip inside zip
    file_timeout_s: float = 120.0
    memory_mb: int = 2048  # address-space cap of a worker process
    max_docx_part_mb: int = 200  # uncompressed size of one part of a DOCX
    max_pdf_pages: int = 200


def sanitize_name(name: str, max_len: int = 80) -> str:
    """A submission id or file stem that is safe as one path component on any OS."""
    name = unicodedata.normalize("NFKC", name)
    name = _BIDI.sub("", name)
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if name in {"", ".", ".."}:
        name = "_"
    if len(name) > max_len:
        name = name[:max_len].rstrip(" .")
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3` … when already taken (case-insensitive, for Windows/macOS)."""
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate.casefold())
    return candidate
