"""Unified social credit codes (GB 32100-2015) and organisation codes (GB 11714-1997)."""

from __future__ import annotations

import random

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_BODY_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_check_char(body: str) -> str:
    """Check character of an 8-char organisation code body."""
    check = 11 - sum(_org_value(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(body: str) -> str:
    """Check character of the first 17 chars of a unified social credit code."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    return len(code) == 18 and all(c in USCC_CHARSET for c in code) and uscc_check_char(code[:17]) == code[17]


def is_valid_org_code(code: str) -> bool:
    return len(code) == 9 and code[:8].isalnum() and org_check_char(code[:8]) == code[8]


def make_org_code(rng: random.Random, prefix: str = "") -> str:
    """A valid 9-char organisation code; `prefix` fixes its first characters (e.g. "MA1")."""
    body = prefix + "".join(rng.choice("0123456789") for _ in range(8 - len(prefix)))
    return body + org_check_char(body)


def make_uscc(rng: random.Random, authority: str, division: str, org_prefix: str = "") -> str:
    """A valid 18-char code: registration authority + type (e.g. "91"), division, org code, check."""
    while True:
        org = make_org_code(rng, org_prefix)
        if all(c in USCC_CHARSET for c in org):
            body = authority + division + org
            return body + uscc_check_char(body)


def break_check_char(code: str) -> str:
    """The same code with a wrong (but well-formed) last character."""
    charset = USCC_CHARSET if len(code) == 18 else "0123456789X"
    wrong = charset[(charset.index(code[-1]) + 7) % len(charset)]
    return code[:-1] + wrong
