"""The 字 count of SPEC §2 (Word's 字数): ideographs and CJK punctuation 1 each, other runs 1, spaces 0."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.validate.sections import limit_offset
from pipeline.validate.textcount import count_zi, units

try:
    from .validate_support import RULES, clean_submission, findings_of
except ImportError:  # tests/ is not a package
    from validate_support import RULES, clean_submission, findings_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        (None, 0),
        ("   \n\t", 0),
        ("元宇宙", 3),
        ("5G", 1),
        ("AR/VR", 1),
        ("2023", 1),
        ("2023年", 2),  # a run is broken by an ideograph
        ("5G网络", 3),
        ("（5G）", 3),  # and by full-width punctuation
        ("AI，AR", 3),
        ("AI,AR", 1),  # half-width punctuation belongs to the run
        ("a b c", 3),  # whitespace separates runs and counts 0
        ("元宇宙 AR/VR，2023年", 7),
        ("\u3000中\u3000", 1),  # the ideographic space is whitespace
        ("“揭榜挂帅”", 6),
        ("‘a’", 3),
        ("……", 2),
        ("——", 2),
        ("数字·孪生", 5),
        ("ＡＢ１２", 4),  # full-width forms count one each
        ("㐀㐁", 2),  # CJK Extension A
        ("\uf900\ufa0a", 2),  # CJK compatibility ideographs
        ("\U00020000", 1),  # Extension B
        ("〇一二", 3),
        ("《元宇宙》", 5),
        ("100%", 1),
        ("e-mail:a@b.cn", 1),
        ("3.5亿元", 3),
    ],
)
def test_count_zi(text, expected):
    assert count_zi(text) == expected


def test_units_are_the_counted_pieces():
    text = "建设5G专网，AR/VR 终端"
    pieces = [text[a:b] for a, b in units(text)]
    assert pieces == ["建", "设", "5G", "专", "网", "，", "AR/VR", "终", "端"]
    assert len(pieces) == count_zi(text)


@given(st.text(alphabet=st.sampled_from(list("元宇宙AR5G/ ，。“”\n\u3000xyz-")), max_size=60))
def test_count_is_additive_over_whitespace(text):
    """Joining two texts with a space never merges their runs: counts add up."""
    assert count_zi(text + " " + text) == 2 * count_zi(text)


@given(st.text(max_size=80))
def test_count_never_exceeds_non_space_characters(text):
    assert 0 <= count_zi(text) <= sum(1 for ch in text if not ch.isspace())


def test_limit_offset_points_at_the_first_unit_past_the_limit():
    text = "一二三AR/VR四"
    assert limit_offset(text, 3) == 3  # 4th unit is "AR/VR"
    assert limit_offset(text, 4) == 8
    assert limit_offset(text, 5) is None


def _with_section(key: str, text: str):
    from pipeline.validate import validate_batch

    sub = clean_submission()
    sub.fields["sections"][key] = text
    validate_batch([sub], RULES, expectations=False)
    return sub


@pytest.mark.parametrize("key", [s.key for s in RULES.sections])
def test_section_at_limit_passes_and_one_more_fails(key):
    limit = RULES.section_limits[key]
    # mix ideographs, runs and punctuation so the boundary is reached with the real counting rule
    unit = "元宇宙5G，"  # 3 + 1 + 1 = 5 字
    body = unit * (limit // 5) + "数" * (limit % 5)
    assert count_zi(body) == limit

    at_limit = _with_section(key, body)
    assert at_limit.fields["section_lengths"][key] == limit
    assert not [f for f in findings_of(at_limit, "SECTION_TOO_LONG") if f.field == key]

    over = _with_section(key, body + "AR/VR")
    assert over.fields["section_lengths"][key] == limit + 1
    (finding,) = [f for f in findings_of(over, "SECTION_TOO_LONG") if f.field == key]
    assert finding.details["count"] == limit + 1 and finding.details["limit"] == limit
    assert f"共 {limit + 1} 字" in finding.message and f"上限 {limit} 字" in finding.message
    assert "AR/VR" in finding.evidence.excerpt  # the excerpt starts where the limit is crossed
