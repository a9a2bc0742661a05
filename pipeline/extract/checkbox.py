"""Checkbox encodings → the canonical glyphs ☑ (checked) and ☐ (unchecked).

Shared by every format backend (DOCX runs, `<w:sym>`, PDF chars with their font name). The
knowledge is in the tables below, one row per glyph or symbol-font code point, so a new encoding
is one more row. The shared field logic downstream only ever sees ☑ and ☐, and ⍰ (UNSURE) where a
scan's box could not be called either way.
"""

from __future__ import annotations

import re
from functools import lru_cache

CHECKED = "☑"
UNCHECKED = "☐"
# A box a backend saw but could not call (a scan's faint or partial mark): neither ticked nor not, so
# the option reads as one whose state is unknown (the form reader reports it, never as unticked).
UNSURE = "⍰"
TICK = "√"  # a bare tick mark; becomes ☑ next to a box or in a block that has boxes

# Unicode glyphs as typed or pasted by applicants (and as PDF text layers give them).
BALLOT_GLYPHS = frozenset("☑☒▣⊠✅❎⌧🗹🗷🗵⮽")  # unmistakably a ticked/crossed box
CHECKED_GLYPHS = BALLOT_GLYPHS | frozenset("■◼⬛")  # filled squares: checked, but also bullets
UNCHECKED_GLYPHS = frozenset("☐□◻⬜▢❑❒🞐🞑🞒🞓")
TICK_GLYPHS = frozenset("√✓✔🗸")
BOX_GLYPHS = CHECKED_GLYPHS | UNCHECKED_GLYPHS

# Symbol fonts: code point (low byte; U+F0xx private-use forms are folded onto it) → meaning.
# Sources: the fonts' published Unicode correspondences (Wingdings, Wingdings 2, Symbol).
SYMBOL_FONTS: dict[str, dict[int, str]] = {
    "wingdings2": {
        0x50: TICK,  # ✓ light check mark
        0x51: CHECKED,  # 🗵 ballot box with script X
        0x52: CHECKED,  # ☑ ballot box with check
        0x53: CHECKED,  # ⮽ ballot box with light X
        0x54: CHECKED,  # ☒ ballot box with X
        0xA2: CHECKED,  # ■ black square
        0xA3: UNCHECKED,  # □ white square
        0xA4: UNCHECKED,  # 🞑 heavy white square
        0xA5: UNCHECKED,  # 🞒
        0xA6: UNCHECKED,  # 🞓
        0xA8: CHECKED,  # ▣ white square containing black small square
    },
    "wingdings": {
        0x6E: CHECKED,  # ■ black square
        0x6F: UNCHECKED,  # □ white square
        0x70: UNCHECKED,  # 🞐 bold white square
        0x71: UNCHECKED,  # ❑
        0x72: UNCHECKED,  # ❒
        0x78: CHECKED,  # ⌧ X in a rectangle box
        0xA8: UNCHECKED,  # ◻ white medium square
        0xFC: TICK,  # ✓ check mark
        0xFD: CHECKED,  # ☒ ballot box with X
        0xFE: CHECKED,  # ☑ ballot box with check
    },
    "symbol": {
        0xD6: TICK,  # √ radical sign, used as a tick in Chinese forms
    },
}
# Fonts whose characters are pictures, not text: a code point not in the table is undecidable.
OTHER_SYMBOL_FONTS = ("wingdings3", "webdings", "zapfdingbats", "dingbats", "marlett", "mtextra")

_SUBSET = re.compile(r"^[A-Z]{6}\+")
_FONT_NOISE = re.compile(r"[\s\-_,]|regular$|mt$|ps$|bold$|italic$", re.IGNORECASE)


@lru_cache(maxsize=256)
def font_key(font_name: str | None) -> str | None:
    """The table key of a symbol font (`Wingdings 2`, `ABCDEF+Wingdings2-Regular` → wingdings2)."""
    if not font_name:
        return None
    name = _SUBSET.sub("", font_name.strip())
    name = _FONT_NOISE.sub("", name.lower())
    name = _FONT_NOISE.sub("", name)
    for key in sorted((*SYMBOL_FONTS, *OTHER_SYMBOL_FONTS), key=len, reverse=True):
        if name.startswith(key):
            return key
    return None


def is_symbol_font(font_name: str | None) -> bool:
    return font_key(font_name) is not None


def _low_byte(code: int) -> int:
    return code - 0xF000 if 0xF000 <= code <= 0xF0FF else code


def decode_symbol(font_name: str | None, code: int | str) -> str | None:
    """Meaning of one symbol-font character: ☑, ☐, √ (tick), or None when undecidable.

    `code` is the character or its code point as stored (0x52 or 0xF052 alike). A private-use
    character with no symbol font named is read as Wingdings, the font Word inserts by default.
    """
    cp = ord(code) if isinstance(code, str) else int(code)
    key = font_key(font_name)
    if key is None and 0xF000 <= cp <= 0xF0FF:
        key = "wingdings"
    if key is None:
        return glyph_meaning(chr(cp))
    return SYMBOL_FONTS.get(key, {}).get(_low_byte(cp))


def glyph_meaning(ch: str) -> str | None:
    """☑ / ☐ / √ for a Unicode checkbox or tick glyph, else None."""
    if ch in CHECKED_GLYPHS:
        return CHECKED
    if ch in UNCHECKED_GLYPHS:
        return UNCHECKED
    if ch in TICK_GLYPHS:
        return TICK
    return None


def legacy_checkbox_state(checked_val: str | None, has_checked: bool, default_val: str | None) -> bool:
    """State of a FORMCHECKBOX: `w:checked` wins (no val / 1 / true → on), else `w:default`."""
    if has_checked:
        return (checked_val or "1").strip().lower() not in ("0", "false", "off")
    return (default_val or "0").strip().lower() in ("1", "true", "on")


def content_control_state(checked_val: str | None) -> bool:
    """State of a `w14:checkbox` content control from `w14:checked/@w14:val`."""
    return (checked_val or "0").strip().lower() in ("1", "true", "on")


_ANY_BOX = "".join(sorted(BOX_GLYPHS))
_TRIGGER = "".join(sorted(BALLOT_GLYPHS | UNCHECKED_GLYPHS))
_TICKS = "".join(sorted(TICK_GLYPHS))
# A tick written against a box (√□, □√, □ √) means the box is checked.
_TICK_BOX = re.compile(f"[{_TICKS}][{_ANY_BOX}]|[{_ANY_BOX}][ \u3000]?[{_TICKS}]")
# A tick after the label of a box on the same line (□方向1：元宇宙+产线√) checks that box; a tick
# written straight before text (☐事业单位 ✔社会团体) replaces the next option's box instead.
_BOX_LABEL_TICK = re.compile(f"[{_ANY_BOX}]([^{_ANY_BOX}{_TICKS}\n]*?)[ \u3000]*[{_TICKS}](?=$|\\s|[{_ANY_BOX}])")
_BOX_CHARS = re.compile(f"[{_ANY_BOX}]")
_TRIGGER_CHARS = re.compile(f"[{_TRIGGER}]")
_TICK_CHARS = re.compile(f"[{_TICKS}]")


def canonicalize(text: str) -> str:
    """Checkbox glyphs in one block → ☑/☐.

    Only a block that contains a real box (☐ □ ☑ ☒ …) is a checkbox block: there ticks, ■, ☒…
    become ☑ and □ becomes ☐. Elsewhere (narrative text, ■ used as a bullet) glyphs stay as written.
    """
    if not text or not _TRIGGER_CHARS.search(text):
        return text
    text = _TICK_BOX.sub(CHECKED, text)
    text = _BOX_LABEL_TICK.sub(lambda m: CHECKED + m.group(1), text)
    text = _BOX_CHARS.sub(lambda m: CHECKED if m.group() in CHECKED_GLYPHS else UNCHECKED, text)
    return _TICK_CHARS.sub(CHECKED, text)
