"""Narrative sections in the layouts applicants really use, and honesty where none can be found.

The locator is a function of plain blocks, so most cases are built by hand; the end-to-end cases
re-lay a committed sample form with python-docx (not our sample generator) and run the real CLI.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from PIL import Image

from pipeline.cli import main
from pipeline.extract import extract_file
from pipeline.extract.sections import section_locator
from pipeline.model import Block, Provenance

from .conftest import SAMPLE_BATCH

SAMPLE = SAMPLE_BATCH / "上海臻图智造科技有限公司-白车身焊装产线数字孪生"
SECTION_LABELS = ["牵头单位基本情况介绍", "场景建设概述", "已有基础", "需求分析", "时间进度", "阶段性目标", "资金投入"]


def para(text: str, i: int = 0, heading: str | None = None) -> Block:
    return Block(text, "paragraph", Provenance("f.docx", paragraph=i), heading=heading)


def located(rules, texts: list[str | Block]) -> dict[int, tuple[str, int, str]]:
    blocks = [t if isinstance(t, Block) else para(t, i) for i, t in enumerate(texts)]
    return {i: (h.key, h.span, h.rest) for i, h in section_locator(rules).locate(blocks).items()}


@pytest.mark.parametrize(("text", "key", "rest"), [
    ("（一）牵头单位基本情况介绍", "lead_unit_intro", ""),
    ("(一) 牵头单位基本情况介绍", "lead_unit_intro", ""),
    ("一、场景建设概述", "scenario_overview", ""),
    ("1.已有基础", "existing_foundation", ""),
    ("2、需求分析", "requirement_analysis", ""),
    ("第五部分 时间进度", "timeline", ""),
    ("■ 阶段性目标", "stage_goals", ""),
    ("资 金 投 入", "funding", ""),
    ("四、需求分析（目前场景建设中的主要需求分析，如功能及性能需求、系统集成需求、数据需求、运行环境、安全需求、其他需求等，不超过1000字）",
     "requirement_analysis", ""),
    ("已有基础（请简要阐述本单位在元宇宙应用场景建设方面已有的基础，不超过500字）\n公司已建成实验室。",
     "existing_foundation", "公司已建成实验室。"),
    ("时间进度：项目建设总周期为18个月。", "timeline", "项目建设总周期为18个月。"),
    ("（五）时间进度: 18个月", "timeline", "18个月"),
    ("牵头单位\n基本情况介绍", "lead_unit_intro", ""),
])
def test_a_heading_is_found_in_every_written_form(rules, text, key, rest):
    assert located(rules, [text]) == {0: (key, 1, rest)}


@pytest.mark.parametrize("text", [
    "1.建设背景：当前，制造业正加快转型。",  # a numbered item inside a section
    "（一）功能及性能需求：针对焊点质量追溯难的问题。",
    "已有基础方面，公司建成了实验室。",  # the label word runs on into a sentence
    "第一阶段（截至2024年2月）：完成需求调研。",
    "2023年完成需求分析",
    "1.5万元用于资金投入",
])
def test_text_that_only_mentions_a_label_is_not_a_heading(rules, text):
    assert located(rules, [text]) == {}


def test_a_label_split_over_two_paragraphs_is_one_heading(rules):
    assert located(rules, ["1.牵头单位", "基本情况介绍", "公司成立于2015年。"]) == {0: ("lead_unit_intro", 2, "")}
    # 牵头单位 alone is the unit-name label: followed by anything else it is no section heading
    assert located(rules, ["牵头单位", "上海某某科技有限公司"]) == {}


def test_a_sub_item_written_like_a_label_loses_to_the_real_heading(rules):
    texts = ["（二）场景建设概述", "建设周期：18个月。", "时间进度：分三期建设。", "（五）时间进度", "2024年启动。"]
    assert located(rules, texts) == {0: ("scenario_overview", 1, ""), 3: ("timeline", 1, "")}


def test_a_styled_heading_beats_label_and_text_in_plain_paragraphs(rules):
    texts = ["场景建设概述", "需求分析：见下文。", para("需求分析：功能需求如下。", 2, heading="style")]
    assert located(rules, texts) == {0: ("scenario_overview", 1, ""), 2: ("requirement_analysis", 1, "功能需求如下。")}


# Real files ---------------------------------------------------------------------------------------

def _sections_as_paragraphs(src: Path, dst: Path, heading) -> None:
    """Move the seven section rows out of the form's table into paragraphs after it; `heading(i,
    label, paragraph)` writes each heading (python-docx, not our generator)."""
    doc = Document(str(src))
    table = doc.tables[0]
    bodies = []
    for row in list(table.rows):
        label = row.cells[0].text.strip()
        if label in SECTION_LABELS:
            bodies.append((label, row.cells[1].text))
            row._tr.getparent().remove(row._tr)
        elif label in ("二、具体内容", "真实性承诺"):
            row._tr.getparent().remove(row._tr)
    anchor = table._tbl
    for i, (label, body) in enumerate(bodies):
        p = doc.add_paragraph()
        heading(i, label, p)
        anchor.addnext(p._p)
        anchor = p._p
        for line in body.split("\n"):
            q = doc.add_paragraph(line)
            anchor.addnext(q._p)
            anchor = q._p
    doc.save(str(dst))


def _picture() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (240, 40), (40, 40, 40)).save(buf, format="PNG")
    buf.seek(0)
    return buf


def test_bold_numbered_headings_read_as_the_table_layout(rules, tmp_path):
    src = SAMPLE / "附件1-需求征集表.docx"
    dst = tmp_path / "bold.docx"
    _sections_as_paragraphs(src, dst, lambda i, label, p: setattr(p.add_run(f"（{'一二三四五六七'[i]}）{label}"), "bold", True))
    want = extract_file(src, src.name, rules).documents[0]
    got = extract_file(dst, dst.name, rules).documents[0]
    assert got.fields == want.fields and not got.gaps


def test_a_form_whose_headings_are_pictures_needs_review_not_rejection(rules, tmp_path):
    """No recognisable heading: one EXTRACTION_INCOMPLETE, status review, no SECTION_EMPTY, no error."""
    batch = tmp_path / "batch"
    sub = batch / "上海臻图智造科技有限公司-白车身焊装产线数字孪生"
    sub.mkdir(parents=True)
    shutil.copy(SAMPLE / "附件2-建设承诺书.pdf" if (SAMPLE / "附件2-建设承诺书.pdf").exists()
                else SAMPLE / "附件2-建设承诺书.docx", sub)
    _sections_as_paragraphs(SAMPLE / "附件1-需求征集表.docx", sub / "附件1-需求征集表.docx",
                            lambda i, label, p: p.add_run().add_picture(_picture()))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(batch), "--out", str(out), "--workers", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    (record,) = json.loads((out / "results.json").read_text("utf-8"))["submissions"]
    rules_found = [f["rule"] for f in record["findings"]]
    assert record["status"] == "review", rules_found
    assert rules_found.count("EXTRACTION_INCOMPLETE") == 1
    assert "SECTION_EMPTY" not in rules_found
    assert not [f for f in record["findings"] if f["severity"] == "error"]
    (gap,) = [f for f in record["findings"] if f["rule"] == "EXTRACTION_INCOMPLETE"]
    assert "具体内容" in gap["message"] and gap["evidence"]["file"] == "附件1-需求征集表.docx"
    assert set(record["fields"]["sections"].values()) == {None}
    assert set(record["fields"]["section_lengths"].values()) == {None}


def test_an_unsure_scanned_box_beside_a_tick_is_a_review_item(rules):
    """☑ one direction, ⍰ another (a faint mark on a scan): the second choice cannot be ruled out."""
    from pipeline.extract.form import read_form

    blocks = [para("上海市元宇宙重大应用场景需求征集表", 0), para("牵头单位名称：上海某某科技有限公司", 1),
              para("申报场景方向：☑元宇宙+产线 ⍰元宇宙+工厂 ☐元宇宙+工业园区", 2)]
    read = read_form(blocks, rules)
    assert read.fields["direction"] == "元宇宙+产线"
    (gap,) = [g for g in read.gaps if "direction" in g.fields]
    assert "元宇宙+工厂" in gap.reason and "元宇宙+产线" in gap.reason
