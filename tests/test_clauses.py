"""Clause comparison that tolerates OCR: confusions, dropped punctuation, split and lost lines."""

from __future__ import annotations

from pipeline.clauses import ReadClause, folded, judge, pair, similarity
from pipeline.config import load_rules
from pipeline.extract.letter import read_letter
from pipeline.model import Block, Provenance
from pipeline.validate.gaps import hide_unseen

RULES = load_rules()
OFFICIAL = list(RULES.raw["letter"]["clauses"])
THRESHOLD = float(RULES.raw["letter"]["clause_similarity_min"])
FLOOR = float(RULES.raw["ocr"]["min_confidence"])


def ocr(text: str, conf: float = 0.98, **kw) -> ReadClause:
    return ReadClause(text, [conf] * len(text), **kw)


def states(read: list[ReadClause], official: list[str] = OFFICIAL) -> list[str]:
    return [v.state for v in judge(official, read, THRESHOLD, FLOOR)]


# --- the strings -------------------------------------------------------------------------------


def test_ocr_confusions_are_not_alterations():
    assert folded("本单位己完成") == folded("本单位已完成")
    assert folded("2O23年") == folded("2023年") == folded("二〇二三年".replace("二", "2").replace("三", "3"))
    assert folded("Ｉ类") == folded("1类")
    short = "主动接受监督，并按要求对产生问题进行整改。"
    assert similarity(short, "主动接受监督并按要求对产生问题进行整改") == 1.0  # punctuation dropped
    assert similarity("已按要求整改完毕，0差错。", "己按要求整改完毕,O差错") == 1.0


def test_a_line_split_is_not_an_alteration():
    head, tail = OFFICIAL[3][:40], OFFICIAL[3][40:]
    assert states([ocr(c) for c in OFFICIAL[:3]] + [ocr(head + "\n" + tail, breaks=(40,))]
                  + [ocr(c) for c in OFFICIAL[4:]]) == ["same"] * 6


def test_a_clear_rewording_on_a_scan_is_certain():
    changed = "承诺根据自身情况为项目提供部分资金支持，择机推动应用。"
    read = [ocr(c) for c in OFFICIAL]
    read[3] = ocr(changed)
    verdicts = judge(OFFICIAL, read, THRESHOLD, FLOOR)
    assert [v.state for v in verdicts] == ["same"] * 3 + ["altered"] + ["same"] * 2


def test_a_deletion_inside_a_well_read_line_is_certain():
    text = OFFICIAL[4].replace("明确知识产权归属，按时限要求完成各项工作任务，", "")
    read = [ocr(c) for c in OFFICIAL]
    read[4] = ocr(text)
    assert states(read)[4] == "altered"


def test_a_lost_first_line_is_unsure_not_missing():
    read = [ocr(c, number=n + 1) for n, c in enumerate(OFFICIAL)]
    read[3] = ocr(OFFICIAL[3][45:], head_seen=False, number=4)
    (v,) = [v for v in judge(OFFICIAL, read, THRESHOLD, FLOOR) if v.state != "same"]
    assert v.index == 3 and v.state == "unsure" and "开头" in v.reason


def test_text_missing_where_two_lines_meet_is_unsure():
    text = OFFICIAL[3][:30] + OFFICIAL[3][60:]
    read = [ocr(c) for c in OFFICIAL]
    read[3] = ocr(text, breaks=(30,))
    assert states(read)[3] == "unsure"
    read[3] = ocr(text)  # the same gap inside one recognised line: the scan shows it
    assert states(read)[3] == "altered"


def test_a_low_confidence_change_is_unsure():
    text = OFFICIAL[1].replace("无科研诚信失信行为", "曾有科研失信记录在案")
    read = [ocr(c) for c in OFFICIAL]
    read[1] = ReadClause(text, [0.98] * 18 + [0.6] * (len(text) - 18))
    v = judge(OFFICIAL, read, THRESHOLD, FLOOR)[1]
    assert v.state == "unsure" and v.weak and "置信度" in v.reason
    read[1] = ocr(text, conf=0.99)
    assert judge(OFFICIAL, read, THRESHOLD, FLOOR)[1].state == "altered"


def test_a_missing_clause_on_a_scan_is_certain_only_when_renumbered():
    renumbered = [ocr(c, number=n + 1) for n, c in enumerate(OFFICIAL[:3] + OFFICIAL[4:])]
    assert states(renumbered) == ["same"] * 3 + ["missing"] + ["same"] * 2
    skipped = [ocr(c, number=n) for n, c in zip((1, 2, 3, 5, 6), OFFICIAL[:3] + OFFICIAL[4:], strict=True)]
    assert states(skipped) == ["same"] * 3 + ["unsure"] + ["same"] * 2
    typed = [ReadClause(c, number=n) for n, c in zip((1, 2, 3, 5, 6), OFFICIAL[:3] + OFFICIAL[4:], strict=True)]
    assert states(typed)[3] == "missing"  # a text layer shows what is there


def test_pairing_follows_the_clause_that_moved():
    moved = OFFICIAL[:2] + [OFFICIAL[3], OFFICIAL[2]] + OFFICIAL[4:]
    assert all(close for *_, close in pair(OFFICIAL, moved, THRESHOLD))


# --- read from OCR blocks ------------------------------------------------------------------------


def _blocks(paras: list[str], conf: float = 0.98, lines: dict[int, tuple[tuple[int, float], ...]] | None = None):
    head = ["上海市元宇宙重大应用场景建设承诺书", "我单位提交了《白车身焊装产线数字孪生》参评，现承诺如下："]
    out = []
    for i, text in enumerate(head + paras):
        p = Provenance("scan.pdf", page=1, paragraph=i, bbox=(90.0, 100.0 + 20 * i, 500.0, 112.0 + 20 * i),
                       ocr=True, confidence=conf)
        ocr_lines = (lines or {}).get(i - len(head), ((len(text), conf),))
        out.append(Block(text, "paragraph", p, ocr_lines=ocr_lines))
    return out


def test_a_scanned_letter_missing_the_first_line_of_clause_4_is_a_gap_for_that_clause():
    paras = [f"{n + 1}.{c}" for n, c in enumerate(OFFICIAL)]
    paras[3] = OFFICIAL[3][45:]  # the line with "4." was not read: the rest stands alone
    read = read_letter(_blocks(paras), RULES, [])
    assert len(read.fields["letter_clauses"]) == 6
    assert read.fields["letter_clauses"][3] == OFFICIAL[3][45:]
    (gap,) = read.gaps
    assert gap.fields == ("letter_clauses[3]",)
    assert OFFICIAL[3][45:] in gap.reason and "通知原文第4条" in gap.reason
    assert gap.prov is not None and gap.prov.paragraph == 5  # where the applicant's text was read


def test_a_scanned_clause_split_into_two_paragraphs_is_joined():
    paras = [f"{n + 1}.{c}" for n, c in enumerate(OFFICIAL)]
    paras[3:4] = [f"4.{OFFICIAL[3][:50]}", OFFICIAL[3][50:]]  # a line gap split the paragraph
    read = read_letter(_blocks(paras), RULES, [])
    assert read.fields["letter_clauses"] == OFFICIAL and read.gaps == []


def test_letter_confusions_read_from_ocr_blocks_raise_nothing():
    paras = [f"{n + 1}.{c}" for n, c in enumerate(OFFICIAL)]
    paras[5] = "6.主动接受监督并按要求对产生问题进行整改"  # punctuation lost
    paras[0] = paras[0].replace("，", ",")
    read = read_letter(_blocks(paras), RULES, [])
    assert read.gaps == []


def test_a_low_confidence_line_inside_a_changed_clause_is_a_gap():
    paras = [f"{n + 1}.{c}" for n, c in enumerate(OFFICIAL)]
    changed = "2.本单位恪守法律法规具备良好的社会信用，曾有科研失信记录在案，符合申报条件。"
    paras[1] = changed
    lines = {1: ((20, 0.99), (len(changed), 0.62))}
    read = read_letter(_blocks(paras, lines=lines), RULES, [])
    (gap,) = read.gaps
    assert gap.fields == ("letter_clauses[1]",) and "0.62" in gap.reason


def test_the_gap_silences_the_clause_rule_for_that_clause_only():
    from pipeline.model import Finding, Gap, Submission

    sub = Submission("s", "folder", "")
    sub.gaps = [Gap("承诺书第4条承诺（扫描件）", "…", ("letter_clauses[3]",))]
    sub.findings = [Finding("LETTER_CLAUSES_ALTERED", "error", "letter_clauses[3]", "x"),
                    Finding("LETTER_CLAUSES_ALTERED", "error", "letter_clauses[4]", "y")]
    hide_unseen(sub, ())
    assert [f.field for f in sub.findings] == ["letter_clauses[4]"]
