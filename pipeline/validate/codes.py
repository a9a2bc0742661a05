"""Unit codes: the 18-char unified social credit code (GB 32100-2015) and the 9-char organisation
code (GB 11714-1997), with their check characters, so a mistyped code is caught before a reviewer
has to look it up.

The 18-char code's characters 9–17 are the unit's organisation code; real codes satisfy its own
GB 11714 check too, so by default (`codes.require_embedded_org_check` in the rules file) a code
whose embedded organisation code fails that check is invalid even when the outer check passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..normalise import code_key

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 3^(i-1) mod 31 for i = 1..17
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_BODY = re.compile(r"^[0-9A-Z]{8}$")



def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_check_char(body: str) -> str:
    """GB 11714 check character of an 8-char body: 11 − Σ mod 11, 10 → X, 11 → 0."""
    check = 11 - sum(_org_value(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(body: str) -> str:
    """GB 32100 check character of the first 17 chars: (31 − Σ mod 31) mod 31 in the code's charset."""
    total = sum(USCC_VALUE[c] * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class CodeCheck:
    """The verdict on one code: `kind` is "uscc" or "org" when valid, `reason` (Chinese) otherwise."""

    code: str  # normalised
    valid: bool
    kind: str | None = None
    reason: str | None = None

    @property
    def authority(self) -> str | None:
        """Registration authority + unit category (chars 1–2) of a valid 18-char code."""
        return self.code[:2] if self.valid and self.kind == "uscc" else None

    @property
    def division(self) -> str | None:
        """Administrative division code (chars 3–8) of a valid 18-char code."""
        return self.code[2:8] if self.valid and self.kind == "uscc" else None

    @property
    def org_code(self) -> str | None:
        """The organisation code a valid code stands for (an 18-char code's chars 9–17)."""
        if not self.valid:
            return None
        return self.code[8:17] if self.kind == "uscc" else self.code


def _check_org(code: str) -> str | None:
    """None when `code` is a valid 9-char organisation code, else the reason."""
    if not ORG_BODY.match(code[:8]) or not re.match(r"^[0-9X]$", code[8]):
        bad = next((c for c in code[:8] if not re.match(r"[0-9A-Z]", c)), None) or code[8]
        return f"含有不允许的字符「{bad}」"
    expected = org_check_char(code[:8])
    if code[8] != expected:
        return f"校验位应为「{expected}」，实为「{code[8]}」"
    return None


def _check_uscc(code: str, require_embedded_org_check: bool) -> str | None:
    bad = [c for c in code if c not in USCC_VALUE]
    if bad:
        extra = "（统一社会信用代码不使用 I、O、S、V、Z）" if set(bad) & set("IOSVZ") else ""
        return f"含有不允许的字符「{bad[0]}」{extra}"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"校验位（第18位）应为「{expected}」，实为「{code[17]}」"
    if require_embedded_org_check:
        org = code[8:17]
        inner = org_check_char(org[:8])
        if org[8] != inner:
            return f"第9–17位的组织机构代码「{org}」校验位应为「{inner}」，实为「{org[8]}」"
    return None


def check_code(raw: str | None, require_embedded_org_check: bool = True) -> CodeCheck:
    """Validate a code as written (normalised first); blank codes are invalid with a reason."""
    code = code_key(raw)
    if not code:
        return CodeCheck(code, False, reason="未填写")
    if len(code) == 18:
        reason = _check_uscc(code, require_embedded_org_check)
        return CodeCheck(code, reason is None, "uscc" if reason is None else None, reason)
    if len(code) == 9:
        reason = _check_org(code)
        return CodeCheck(code, reason is None, "org" if reason is None else None, reason)
    return CodeCheck(code, False, reason=f"共 {len(code)} 位，应为18位统一社会信用代码或9位组织机构代码")


def natures_for_authority(code: str, prefixes: dict[str, list[str]]) -> tuple[str, list[str]] | None:
    """The (prefix, natures) of the longest `prefixes` key that `code` starts with, if any."""
    best = max((p for p in prefixes if code.startswith(p)), key=len, default=None)
    return (best, list(prefixes[best])) if best is not None else None
