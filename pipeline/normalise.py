"""One normaliser per concept: how names and codes are compared everywhere in the pipeline.

Loose-file grouping (assemble), SCENARIO_NAME_MISMATCH, duplicate detection and the GX suites all
compare names and codes; they must agree on what "the same" means, so each concept has one function
here. A leaf module: it imports nothing from the pipeline.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Spaces of every width, and the quote- and bracket-like marks applicants put around names.
_NAME_NOISE = re.compile(r"[\s《》〈〉<>“”\"'‘’「」『』【】()（）]")
# Separators applicants put inside codes: spaces of all widths and dash-like characters.
_CODE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−－_.·•]")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def name_key(value: Any) -> str:
    """A scenario or unit name as compared: width-folded, case-folded, without spaces or quote marks."""
    text = _text(value)
    if not text.strip():
        return ""
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def code_key(value: Any) -> str:
    """An organisation / credit code as compared: half-width, upper case, no spaces or hyphens.

    `12345678-9` becomes `123456789`; "" when there is no code.
    """
    text = _text(value)
    if not text:
        return ""
    return _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
