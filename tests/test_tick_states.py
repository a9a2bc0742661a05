"""Tick states on scans: ticked / unticked / unsure per box from its pixels; the report draws an
unsure box as unsure, never as unticked; clause findings label the applicant's and the notice's text."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pipeline.config import load_rules
from pipeline.extract import ocr
from pipeline.extract.checkbox import UNSURE
from pipeline.extract.text import read_options
from pipeline.report.html import render_report

RULES = load_rules()
LABELS = ["国家机关", "事业单位", "国有企业"]


def _row(marks: list[str]) -> tuple[np.ndarray, list[ocr.OcrChar]]:
    """Boxes drawn on a white strip: "tick" a full tick, "dot" a small faint mark, "" nothing."""
    img = Image.new("RGB", (900, 110), "white")
    d = ImageDraw.Draw(img)
    chars, x = [], 40
    for i, (label, mark) in enumerate(zip(LABELS, marks, strict=True)):
        d.rectangle((x, 42, x + 28, 70), outline=(20, 20, 20), width=2)
        if mark == "tick":
            d.line((x + 5, 56, x + 12, 65, x + 24, 46), fill=(20, 20, 20), width=3)
        elif mark == "dot":
            d.rectangle((x + 13, 55, x + 15, 57), fill=(20, 20, 20))
        chars.append(ocr.OcrChar("口", (x, 38, x + 30, 76), 0.9, i))
        x += 36
        for ch in label:
            chars.append(ocr.OcrChar(ch, (x, 38, x + 30, 76), 0.9, i))
            x += 32
        x += 70
    return np.asarray(img.convert("L")) < 140, chars


def _read(marks: list[str]) -> str:
    dark, chars = _row(marks)
    out = ocr.mark_checkboxes(chars, ocr.find_boxes(dark, (40, 38, 860, 76)), 0.06)
    return "".join(c.text for c in sorted(out, key=lambda c: c.bbox[0]))


def test_box_states_from_pixels():
    box = ocr.DrawnBox((0, 0, 20, 20), fill=0.0, gap=20)
    assert box.state(0.06) == "☐"
    assert ocr.DrawnBox((0, 0, 20, 20), 0.04, 20).state(0.06) == UNSURE  # some ink, short of a tick
    assert ocr.DrawnBox((0, 0, 20, 20), 0.2, 20).state(0.06) == "☑"


@pytest.mark.parametrize(("marks", "expect"), [
    (["", "tick", ""], "☐国家机关☑事业单位☐国有企业"),
    (["", "dot", ""], f"☐国家机关{UNSURE}事业单位☐国有企业"),
])
def test_a_faint_mark_is_unsure_not_unticked(marks, expect):
    text = _read(marks)
    assert text == expect
    checked, unchecked, unknown = read_options(text, LABELS)
    if UNSURE in text:
        assert unknown == ["事业单位"] and checked == [] and unchecked == ["国家机关", "国有企业"]


def _sub(findings: list[dict], **fields) -> dict:
    return {"submission_id": "x", "status": "review", "fields": fields, "findings": findings,
            "files": [{"path": "附件2.pdf", "kind": "letter"}]}


def test_report_draws_boxes_of_an_unread_group_as_unsure():
    unread = {"rule": "EXTRACTION_INCOMPLETE", "severity": "review", "field": None, "message": "申报场景方向未能读取",
              "evidence": {}, "details": {"fields": ["direction", "track"]}}
    page = render_report(_sub([unread], direction=None, unit_nature="民营企业"), RULES, {})
    n_dirs = sum(len(ds) for ds in RULES.directions.values())
    assert page.count('class="opt unsure"') == n_dirs  # none of them drawn as cleanly unticked
    clean = render_report(_sub([], direction="元宇宙+产线", unit_nature="民营企业"), RULES, {})
    assert 'class="opt unsure"' not in clean


def test_report_labels_clause_texts_and_marks_unread_clauses():
    off = RULES.raw["letter"]["clauses"]
    findings = [
        {"rule": "EXTRACTION_INCOMPLETE", "severity": "review", "field": "letter_clauses[3]", "message": "第4条未能读取",
         "evidence": {}, "details": {"fields": ["letter_clauses[3]"]}},
        {"rule": "LETTER_CLAUSES_ALTERED", "severity": "error", "field": "letter_clauses[4]", "message": "第5条不一致",
         "evidence": {"file": "附件2.pdf", "page": 1, "location": "第1页 第8段", "excerpt": "承诺部分配合"},
         "details": {"official": off[4], "actual": "承诺部分配合"}},
    ]
    clauses = off[:3] + [off[3][45:], "承诺部分配合", off[5]]
    page = render_report(_sub(findings, letter_clauses=clauses), RULES, {})
    assert "承诺书中的文字：</span>承诺部分配合" in page
    assert f"通知原文：</span>{off[4][:20]}" in page
    assert page.count("未能识别，待核对") == 1 and "tag-error\">缺少" not in page
