"""Text written into spreadsheet cells: what no spreadsheet will run or choke on.

Applicant text is untrusted: a cell starting with = + - @ would be a formula in Excel, and XML 1.0
cannot carry most control characters. The workbook writer and the reader of reviewers' decisions
(which must recognise the text as the workbook showed it) share these rules.
"""

from __future__ import annotations

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
# Characters XML 1.0 cannot carry (C0 controls but tab/newline/CR, lone surrogates, U+FFFE/U+FFFF).
ILLEGAL_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Anything safe_text changes inside a text: the illegal characters above plus CR (\x0d), \x0b and \x0c.
NEEDS_CLEANING_RE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_CELL_CHARS = 32767  # Excel's limit for one cell


def safe_text(value: str) -> str:
    """Text that no spreadsheet will run: XML-illegal controls removed, formula starts neutralised.

    Carriage returns become line feeds (after the formula check, so a leading one is still
    neutralised): XlsxWriter stores CR as Excel's `_x000D_` escape, which openpyxl and so
    pandas.read_excel return literally; a cell shows either as a line break.
    """
    # Most text needs nothing. isprintable() is False for every character NEEDS_CLEANING_RE matches
    # (controls, surrogates, noncharacters) and scans faster; the regex decides for text with line breaks.
    if len(value) <= MAX_CELL_CHARS and not value.startswith(FORMULA_PREFIXES) and (
            value.isprintable() or not NEEDS_CLEANING_RE.search(value)):
        return value
    value = value.replace("\x0b", "\n").replace("\x0c", "\n")
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_PREFIXES):
        value = NEUTRALISER + value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - 1] + "…"
    return value
