"""Unit codes: GB 32100-2015 (18 chars) and GB 11714 (9 chars) check characters, and what the
rules read from a valid code (Shanghai division, registration authority)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.normalise import code_key as normalise_code
from pipeline.validate.codes import (
    USCC_CHARSET,
    check_code,
    natures_for_authority,
    org_check_char,
    uscc_check_char,
)

# Publicly registered unified social credit codes of well-known companies (from their business
# licences as published), used only as known-valid examples of the standard.
PUBLISHED = json.loads((Path(__file__).parent / "fixtures" / "published_codes.json").read_text("utf-8"))
REAL_USCC = PUBLISHED["uscc"]
ORG_BODIES = ["12345678", "MA1FL0A1", "0000000A", "31415926"]


def valid_org_codes() -> list[str]:
    return [b + org_check_char(b) for b in ORG_BODIES]


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_codes_are_valid_including_their_embedded_organisation_code(code):
    res = check_code(code)
    assert res.valid and res.kind == "uscc" and res.reason is None
    assert org_check_char(code[8:16]) == code[16]  # what require_embedded_org_check relies on
    assert res.org_code == code[8:17]


def test_worked_example_of_the_check_formulas():
    # GB 11714: 12345678 → Σ = 1·3+2·7+3·9+4·10+5·5+6·8+7·4+8·2 = 201, 201 mod 11 = 3, 11 − 3 = 8
    assert org_check_char("12345678") == "8"
    assert org_check_char("00000000") == "0"  # 11 − 0 = 11 → 0
    # a body whose sum ≡ 1 (mod 11) gives 10 → X
    body = next(f"{n:08d}" for n in range(1000) if org_check_char(f"{n:08d}") == "X")
    assert sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11 == 1
    # GB 32100: the check of 17 zeros is 0; weights are 3^(i-1) mod 31
    assert uscc_check_char("0" * 17) == "0"
    assert uscc_check_char("1" + "0" * 16) == USCC_CHARSET[(31 - 1) % 31]
    assert uscc_check_char("01" + "0" * 15) == USCC_CHARSET[(31 - 3) % 31]


@pytest.mark.parametrize("code", REAL_USCC[:3])
def test_every_single_character_change_of_an_18_char_code_is_caught(code):
    """Exhaustive over positions × the whole charset (plus the excluded letters I O S V Z)."""
    alphabet = USCC_CHARSET + "IOSVZ"
    tried = 0
    for pos in range(18):
        for ch in alphabet:
            if ch == code[pos]:
                continue
            mutated = code[:pos] + ch + code[pos + 1:]
            assert not check_code(mutated).valid, mutated
            # the outer check alone (embedded check off) catches it too
            assert not check_code(mutated, require_embedded_org_check=False).valid, mutated
            tried += 1
    assert tried == 18 * (len(alphabet) - 1)


def _value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


@pytest.mark.parametrize("code", valid_org_codes())
def test_single_character_changes_of_a_9_char_code(code):
    """Exhaustive over the 8 body places × 0-9A-Z and the check place × 0-9X. The weights are
    non-zero mod 11, so a change is caught unless the two characters' values (0-9, A=10 … Z=35)
    differ by a multiple of 11 (0↔B↔M↔X, 1↔C↔N↔Y, …), which GB 11714 cannot see by design;
    so between digits, and in the check place, every change is caught."""
    assert check_code(code).valid and check_code(code).kind == "org"
    for pos in range(8):
        for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if ch == code[pos]:
                continue
            mutated = code[:pos] + ch + code[pos + 1:]
            invisible = (_value(ch) - _value(code[pos])) % 11 == 0
            assert check_code(mutated).valid == invisible, mutated
            if ch.isdigit() and code[pos].isdigit():
                assert not check_code(mutated).valid, mutated
    for ch in "0123456789X":
        if ch != code[8]:
            assert not check_code(code[:8] + ch).valid


def test_embedded_organisation_code_check_is_required_by_default():
    body = "91310115" + "MA1FL0A1"
    wrong_inner = "0" if org_check_char("MA1FL0A1") != "0" else "1"
    outer_ok = body + wrong_inner
    code = outer_ok + uscc_check_char(outer_ok)
    assert check_code(code, require_embedded_org_check=False).valid
    res = check_code(code)
    assert not res.valid and "第9–17位" in res.reason


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("12345678-8", "123456788"),
        (" 9131 0000 1321 4923 7g ", "91310000132149237G"),
        ("９１３１００００１３２１４９２３７Ｇ", "91310000132149237G"),  # full width
        ("91310000－132149237G", "91310000132149237G"),
        (None, ""),
    ],
)
def test_normalise_code(raw, normalised):
    assert normalise_code(raw) == normalised


def test_hyphenated_organisation_code_is_valid():
    assert check_code("12345678-8").valid
    assert not check_code("12345678-9").valid


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "未填写"),
        ("1234567", "共 7 位"),
        ("91310000132149237O", "I、O、S、V、Z"),
        ("91310000132149237H", "校验位（第18位）应为「G」"),
        ("1234567*8", "不允许的字符"),
    ],
)
def test_invalid_codes_say_why(raw, fragment):
    res = check_code(raw)
    assert not res.valid and fragment in res.reason


def test_division_and_authority_of_a_valid_code():
    res = check_code("91310000132149237G")
    assert res.authority == "91" and res.division == "310000"
    assert check_code("914403001922038216").division == "440300"
    assert check_code("123456788").division is None  # a 9-char code has no division


def test_longest_prefix_wins():
    prefixes = {"1": ["A"], "12": ["B"], "9": ["C"]}
    assert natures_for_authority("12310000X", prefixes) == ("12", ["B"])
    assert natures_for_authority("11310000X", prefixes) == ("1", ["A"])
    assert natures_for_authority("51310000X", prefixes) is None
