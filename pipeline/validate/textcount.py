"""The 字 count of SPEC §2, as Microsoft Word's 字数 counts a Chinese text.

Each CJK ideograph counts 1; each full-width or CJK punctuation mark / symbol counts 1; every
maximal run of other non-whitespace characters counts 1 (`5G`, `AR/VR`, `2023`); whitespace 0.
The section limits of the call are written in these units, so this is the one place they are counted.
"""

from __future__ import annotations

import re

# Code point ranges counted one per character (inclusive bounds).
SINGLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x323AF),  # CJK Unified Ideographs Extensions B–H
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
    (0x3000, 0x303F),  # CJK Symbols and Punctuation (U+3000 itself is whitespace)
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
)
# Punctuation outside those blocks that Chinese text uses and Word counts as a character.
SINGLE_CHARS = frozenset("“”‘’…—·")


def _class(ranges: tuple[tuple[int, int], ...], chars: frozenset[str]) -> str:
    parts = [f"{chr(lo)}-{chr(hi)}" for lo, hi in ranges] + sorted(chars)
    return "".join(re.escape(p) if len(p) == 1 else p for p in parts)


_SINGLE = _class(SINGLE_RANGES, SINGLE_CHARS)
# One match per counted unit: a character counted alone, or a maximal run of anything else
# that is neither whitespace nor such a character (U+3000, the ideographic space, is whitespace).
UNIT = re.compile(f"(?!\\s)[{_SINGLE}]|[^\\s{_SINGLE}]+")


def counts_alone(ch: str) -> bool:
    """True for a character that counts 1 by itself and breaks a run of other characters."""
    if ch in SINGLE_CHARS:
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in SINGLE_RANGES)


def count_zi(text: str | None) -> int:
    """Length of `text` in 字 (SPEC §2)."""
    if not text:
        return 0
    return len(UNIT.findall(text))


def units(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every counted unit, in order (the k-th one is where 字 number k is)."""
    return [m.span() for m in UNIT.finditer(text or "")]
