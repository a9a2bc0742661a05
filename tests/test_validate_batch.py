"""Rules across submissions: duplicate submissions and narratives reused between submissions."""

from __future__ import annotations

import difflib
import random
import time

from pipeline.model import ExtractedDocument, Submission
from pipeline.validate import batch as batch_rules
from pipeline.validate import validate_batch
from pipeline.validate.registry import Prepared

try:
    from .validate_support import LEAD_CODE, RULES, clean_submission, findings_of, make_uscc, rule_ids
except ImportError:  # tests/ is not a package
    from validate_support import LEAD_CODE, RULES, clean_submission, findings_of, make_uscc, rule_ids

OVERVIEW = (
    "一、建设背景：本市老城厢历史风貌区文化资源丰富，但展示手段单一、游客停留时间短、夜间消费场景不足，"
    "亟需通过元宇宙技术打造沉浸式数字文化体验空间。二、总体目标：建成覆盖老城厢核心街区的虚实融合体验空间，"
    "形成可复制推广的数字文化运营模式。三、建设内容：开展历史建筑三维建模和数字资产生产，建设数据共享平台，"
    "部署5G专网和云渲染节点，提供XR导览、数字人讲解和多人互动演艺。四、建设周期：自2023年12月起共15个月。"
    "五、项目创新点：首次将历史街区测绘数据与实时客流数据融合，实现内容按需生成。六、预期成效：游客平均停留"
    "时间延长至2小时以上，带动夜间消费增长30%。七、拟合作单位：上海光影叙事数字科技有限公司。"
)


def run(*subs):
    validate_batch(list(subs), RULES, expectations=False)
    return subs


def other_unit(sid: str, n: int, scenario: str) -> Submission:
    sub = clean_submission(sid)
    sub.fields.update(lead_unit_name=f"上海第{n}科技有限公司", lead_unit_code=make_uscc("91", "310104", f"MA1X{n:04d}"),
                      scenario_name=scenario, letter_scenario_name=scenario)
    return sub


def test_duplicate_submission_both_get_it_naming_the_other():
    a, b, c = clean_submission("a"), clean_submission("b"), other_unit("c", 1, "另一个场景")
    b.fields["scenario_name"] = "《白车身焊装产线 数字孪生》"  # same name ignoring 《》, spaces
    b.fields["letter_scenario_name"] = b.fields["scenario_name"]
    run(a, b, c)
    (fa,), (fb,) = findings_of(a, "DUPLICATE_SUBMISSION"), findings_of(b, "DUPLICATE_SUBMISSION")
    assert "「b」" in fa.message and "「a」" in fb.message
    assert fa.details == {"duplicates": ["b"]} and fa.severity == "error"
    assert not findings_of(c, "DUPLICATE_SUBMISSION")


def test_duplicate_recognises_the_same_unit_by_its_organisation_code():
    a, b = clean_submission("a"), clean_submission("b")
    org = LEAD_CODE[8:17]
    b.fields["lead_unit_code"] = f"{org[:8]}-{org[8]}"
    run(a, b)
    assert findings_of(a, "DUPLICATE_SUBMISSION") and findings_of(b, "DUPLICATE_SUBMISSION")


def test_same_unit_other_scenario_is_not_a_duplicate():
    a, b = clean_submission("a"), clean_submission("b")
    b.fields["scenario_name"] = b.fields["letter_scenario_name"] = "焊装车间能耗数字孪生"
    run(a, b)
    assert "DUPLICATE_SUBMISSION" not in rule_ids(a) | rule_ids(b)


def test_no_duplicate_without_a_form_or_a_code():
    a, b = clean_submission("a", form=False), clean_submission("b", form=False)
    c, d = clean_submission("c"), clean_submission("d")
    c.fields["lead_unit_code"] = d.fields["lead_unit_code"] = None
    run(a, b, c, d)
    assert not any(findings_of(s, "DUPLICATE_SUBMISSION") for s in (a, b, c, d))


def test_narrative_reused_between_different_units():
    a, b, c = other_unit("a", 1, "甲场景"), other_unit("b", 2, "乙场景"), other_unit("c", 3, "丙场景")
    a.fields["sections"]["scenario_overview"] = OVERVIEW
    b.fields["sections"]["scenario_overview"] = OVERVIEW.replace("15个月", "十八个月").replace("30%", "35%")
    run(a, b, c)
    (fa,) = findings_of(a, "NARRATIVE_REUSED")
    (fb,) = findings_of(b, "NARRATIVE_REUSED")
    assert fa.field == "scenario_overview" and fa.severity == "warning"
    assert "「b」" in fa.message and "场景建设概述" in fa.message
    assert fb.details["similar"] == ["a"]
    assert not findings_of(c, "NARRATIVE_REUSED")


def test_narrative_reuse_needs_enough_text_and_similarity():
    a, b = other_unit("a", 1, "甲场景"), other_unit("b", 2, "乙场景")
    a.fields["sections"]["scenario_overview"] = OVERVIEW
    half = len(OVERVIEW) // 2
    b.fields["sections"]["scenario_overview"] = OVERVIEW[:half] + "另起炉灶" * (half // 4)
    c, d = other_unit("c", 3, "丙场景"), other_unit("d", 4, "丁场景")
    short = OVERVIEW[:150]  # under min_chars
    c.fields["sections"]["existing_foundation"] = d.fields["sections"]["existing_foundation"] = short
    rng = random.Random(3)
    c.fields["sections"]["scenario_overview"] = _random_text(rng, 400)
    d.fields["sections"]["scenario_overview"] = _random_text(rng, 400)
    run(a, b, c, d)
    assert not any(findings_of(s, "NARRATIVE_REUSED") for s in (a, b, c, d))


def test_one_units_own_introduction_may_repeat_but_not_its_overview():
    intro = OVERVIEW[:300]
    a, b = clean_submission("a"), clean_submission("b")
    b.fields["scenario_name"] = b.fields["letter_scenario_name"] = "焊装车间能耗数字孪生"
    for s in (a, b):
        s.fields["sections"]["lead_unit_intro"] = intro
        s.fields["sections"]["scenario_overview"] = OVERVIEW
    run(a, b)
    assert [f.field for f in findings_of(a, "NARRATIVE_REUSED")] == ["scenario_overview"]


def test_a_duplicate_pair_is_not_also_narrative_reuse():
    a, b = clean_submission("a"), clean_submission("b")
    for s in (a, b):
        s.fields["sections"]["scenario_overview"] = OVERVIEW
    run(a, b)
    assert rule_ids(a) == {"DUPLICATE_SUBMISSION"} and rule_ids(b) == {"DUPLICATE_SUBMISSION"}


def _random_text(rng: random.Random, n: int) -> str:
    pool = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    return "".join(rng.choice(pool) for _ in range(n))


def _bare(sid: str, n: int, overview: str) -> Submission:
    sub = Submission(sid, "folder", "")
    sub.documents.append(ExtractedDocument("form", "f.docx"))
    sub.fields = {"lead_unit_name": f"单位{n}", "lead_unit_code": f"X{n}", "scenario_name": f"场景{n}",
                  "sections": {"scenario_overview": overview}}
    return sub


def test_reuse_detection_scales_without_comparing_every_pair(monkeypatch, tmp_path):
    """1500 texts, 500 of them near-copies of one text: difflib runs a bounded number of times
    per text (not once per pair), every copy is found, no unrelated text is. (With the default
    rules 500 alike texts are template wording; here the template threshold is raised past them.)"""
    from pipeline.config import DEFAULT_RULES, load_rules

    edited = tmp_path / "rules.toml"
    edited.write_text(DEFAULT_RULES.read_text("utf-8").replace("template_min_submissions = 5",
                                                               "template_min_submissions = 100000"), "utf-8")
    rules = load_rules(edited)
    rng = random.Random(7)
    base = _random_text(rng, 600)
    subs = []
    for i in range(1500):
        if i % 3 == 0:
            chars = list(base)
            for _ in range(5):
                chars[rng.randrange(len(chars))] = "变"
            text = "".join(chars)
        else:
            text = _random_text(rng, 600)
        subs.append(_bare(f"s{i:04d}", i, text))
    calls = {"n": 0}
    real = difflib.SequenceMatcher

    class Counting(real):
        def __init__(self, *a, **k):
            calls["n"] += 1
            super().__init__(*a, **k)

    monkeypatch.setattr(batch_rules.difflib, "SequenceMatcher", Counting)
    t0 = time.perf_counter()
    found = list(batch_rules.check_reused_narratives(subs, rules, Prepared(rules)))
    seconds = time.perf_counter() - t0
    flagged = {s.submission_id for s, _ in found}
    assert flagged == {f"s{i:04d}" for i in range(0, 1500, 3)}
    # not 1500² / 2: a few tries per text, and the texts shown beside each finding
    assert calls["n"] <= batch_rules.MAX_TRIES * len(subs) + batch_rules.PAIR_TEXTS * len(found)
    assert all(len(f.details["pairs"]) == batch_rules.PAIR_TEXTS for _, f in found)
    assert found[0][1].details["count"] == 499 and "等 499 份" in found[0][1].message
    assert seconds < 120, seconds
