"""Text normalisation shared by the rules: blank tests, width folding, name and clause comparison."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

# Quote-like brackets and marks ignored when names are compared (《》“” and their relatives).
# Whitespace, punctuation and symbols: everything that is not a letter, digit or ideograph.
_NOT_WORD = re.compile(r"[\W_]+")
_LEADING_NUMBER = re.compile(r"^\s*(?:[（(]?\d{1,2}[)）.、．:：]|[（(][一二三四五六七八九十][)）]|[一二三四五六七八九十][、.．])\s*")


def is_blank(value: Any) -> bool:
    """None, empty or whitespace-only strings, and empty containers are blank."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict, set)):
        return len(value) == 0
    return False


def as_text(value: Any) -> str:
    """A field value as one string (lists joined with 、), "" when blank."""
    if is_blank(value):
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value if not is_blank(v))
    return str(value).strip()


def as_list(value: Any) -> list[str]:
    """A checkbox field (string, list or None) as the list of its checked labels."""
    if is_blank(value):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if not is_blank(v)]
    return [str(value).strip()]


_FOLD_TABLE: dict[int, str] | None = None
# Blocks whose characters NFKC-fold to one other character we care about (Latin, digits,
# full-width forms, compatibility ideographs, circled and math letters).
_FOLD_BLOCKS = ((0x0041, 0x024F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x2000, 0x33FF), (0xF900, 0xFAFF),
                (0xFE30, 0xFFEF), (0x1D400, 0x1D7FF), (0x2F800, 0x2FA1F))


def _fold_table() -> dict[int, str]:
    global _FOLD_TABLE
    if _FOLD_TABLE is None:
        table = {}
        for lo, hi in _FOLD_BLOCKS:
            for cp in range(lo, hi + 1):
                ch = chr(cp)
                n = unicodedata.normalize("NFKC", ch).lower()
                if n != ch and len(n) == 1:
                    table[cp] = n
        _FOLD_TABLE = table
    return _FOLD_TABLE


def fold(text: str) -> str:
    """Per character NFKC + lower case where that keeps one character, so offsets stay valid."""
    return text.translate(_fold_table())


def normalise_clause(text: Any) -> str:
    """A commitment clause compared ignoring width, punctuation, spaces and its leading number."""
    if is_blank(text):
        return ""
    t = _LEADING_NUMBER.sub("", unicodedata.normalize("NFKC", str(text)))
    return _NOT_WORD.sub("", t)


def normalise_for_similarity(text: Any) -> str:
    """Narrative text compared between submissions: width-folded, without spaces or punctuation."""
    if is_blank(text):
        return ""
    return _similarity_form(str(text))


@lru_cache(maxsize=16384)
def _similarity_form(text: str) -> str:
    """Memoised: the engine computes it per submission as files are read, the batch rule again at the end."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def excerpt(text: Any, limit: int = 80) -> str | None:
    """A short one-line excerpt of a value for evidence."""
    t = as_text(text)
    if not t:
        return None
    t = re.sub(r"\s+", " ", t)
    return t if len(t) <= limit else t[: limit - 1] + "…"
