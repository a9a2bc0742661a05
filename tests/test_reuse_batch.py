"""Issue #19 item 3: reuse that shows what is shared, on a batch built from the samples.

Sample submissions are copied and their forms edited with python-docx: six write 需求分析 after one
template (figures differ), two share one 场景建设概述, and one unit submits the same scenario again
under another code. The console script checks the batch; the template is listed once in results.json
and index.html with who uses it (no warnings for it), the copied overview is a warning on both with
the two texts side by side, and the resubmission is a DUPLICATE_SUBMISSION that says so."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import docx
import pytest

from .conftest import SAMPLE_BATCH, run_console
from .validate_support import make_uscc

REPO = Path(__file__).resolve().parent.parent
PIPELINE = Path(sys.executable).parent / "pipeline"
FORM = "附件1-需求征集表.docx"
TEMPLATE_USERS = [
    "上海云游天下旅游发展有限公司-一江一河虚实融合智慧游览线路",
    "上海启明星教育科技有限公司-初中数学个性化自适应学习元宇宙课堂",
    "上海市西郊康复医院-康复患者远程健康管理元宇宙服务",
    "上海智愈数字科技有限公司-智慧病房数字孪生管理平台",
    "上海江南海工装备有限公司-船舶分段制造工厂元宇宙协同平台",
    "上海申江职业技术学院-城市轨道交通运营虚拟仿真实训基地",
]
COPIED_FROM = "上海卫数信息技术有限公司-传染病监测预警元宇宙可视化平台"
COPIER = "上海幻境互娱文化传媒有限公司-沉浸式互动影视内容创作平台"
RESUBMITTED = "上海瑞影医疗科技有限公司-智能分诊医疗数字人"
RESUBMISSION = RESUBMITTED + "（第二次提交）"
OTHER_CODE = make_uscc("91", "310115", "MA1XY9Q7")


def template(i: int) -> str:
    """One adviser's 需求分析, the figures filled in per applicant."""
    return (f"（一）功能及性能需求：系统需支持不少于{200 + 50 * i}名用户同时在线访问，页面平均响应时间不超过{2 + i % 3}秒，"
            f"关键业务全年可用性不低于99.{9 - i % 2}%。（二）系统集成需求：平台需与本单位现有的业务管理系统、统一身份认证系统"
            f"和数据中台完成对接，开放接口数量不少于{10 + i}个。（三）数据需求：需汇聚业务运行、设备状态和用户行为等多源数据，"
            f"历史数据存储不少于{3 + i % 4}年，并建立数据分级分类管理制度。（四）运行环境：采用云边协同架构，部署不少于{4 + i}台"
            f"图形渲染服务器，网络带宽不低于{1 + i % 2}Gbps。（五）安全需求：落实网络安全等级保护三级要求，"
            f"对个人信息和敏感数据进行脱敏处理和加密存储。")


def _row(document, label: str):
    for table in document.tables:
        for row in table.rows:
            if label in row.cells[0].text:
                return row
    raise AssertionError(f"no row {label!r}")


def _set_cell(cell, text: str) -> None:
    for p in cell.paragraphs[1:]:
        p._p.getparent().remove(p._p)
    cell.paragraphs[0].text = text


def _edit(form: Path, **cells: str) -> None:
    document = docx.Document(str(form))
    for label, text in cells.items():
        _set_cell(_row(document, label).cells[-1], text)
    document.save(str(form))


def _cell(form: Path, label: str) -> str:
    return _row(docx.Document(str(form)), label).cells[-1].text


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = tmp_path_factory.mktemp("reuse")
    batch = root / "batch"
    for sid in [*TEMPLATE_USERS, COPIED_FROM, COPIER, RESUBMITTED]:
        shutil.copytree(SAMPLE_BATCH / sid, batch / sid)
    shutil.copytree(SAMPLE_BATCH / RESUBMITTED, batch / RESUBMISSION)
    for i, sid in enumerate(TEMPLATE_USERS):
        own = _cell(batch / sid / FORM, "需求分析")
        _edit(batch / sid / FORM, 需求分析=template(i) + "（六）其他需求：" + own[:60])
    overview = _cell(batch / COPIED_FROM / FORM, "场景建设概述")
    _edit(batch / COPIER / FORM, 场景建设概述=overview.replace("传染病", "沉浸式影视").replace("疫情", "内容"))
    _edit(batch / RESUBMISSION / FORM, 组织机构代码=OTHER_CODE)
    out = root / "out"
    data = run_console(batch, out)
    return out, data, {s["submission_id"]: s for s in data["submissions"]}


def _findings(sub: dict, rule: str, field: str | None = None) -> list[dict]:
    return [f for f in sub["findings"] if f["rule"] == rule and (field is None or f["field"] == field)]


def test_template_wording_is_one_batch_item_not_a_warning_each(checked):
    out, data, subs = checked
    shared = [p for p in data["run"]["shared_passages"] if p["section"] == "requirement_analysis"]
    assert shared, data["run"]["shared_passages"]
    assert any(sorted(p["submissions"]) == sorted(TEMPLATE_USERS) for p in shared)
    assert any("统一身份认证系统" in p["passage"] for p in shared)
    for sid in TEMPLATE_USERS:
        assert not _findings(subs[sid], "NARRATIVE_REUSED", "requirement_analysis"), sid
    index = (out / "index.html").read_text("utf-8")
    section = index[index.index('id="shared"'):]
    section = section[:section.index("</section>")]
    assert "统一身份认证系统" in section and "需求分析" in section
    for sid in TEMPLATE_USERS:
        assert sid in section


def test_reuse_among_a_few_shows_both_texts_side_by_side(checked):
    out, _, subs = checked
    for me, other in ((COPIER, COPIED_FROM), (COPIED_FROM, COPIER)):
        (f,) = _findings(subs[me], "NARRATIVE_REUSED", "scenario_overview")
        assert f["severity"] == "warning" and f"「{other}」" in f["message"]
        (pair,) = f["details"]["pairs"]
        assert pair["other"] == other and pair["own_spans"] and pair["other_spans"]
        page = (out / "reports" / f"{me}.html").read_text("utf-8")
        block = page[page.index('class="pair"'):]
        block = block[:block.index("</li>")]
        assert f'href="{other}.html"' in block  # a link to the other report
        marked = re.findall(r'<mark class="shared"[^>]*>([^<]*)</mark>', block)
        assert len(marked) >= 2 and sum(map(len, marked)) > 200  # shared runs marked in both texts
        assert "沉浸式影视" in block and "传染病" in block  # each side shows its own wording


def test_resubmission_under_another_code_is_a_duplicate(checked):
    _, _, subs = checked
    for me, other in ((RESUBMISSION, RESUBMITTED), (RESUBMITTED, RESUBMISSION)):
        (f,) = _findings(subs[me], "DUPLICATE_SUBMISSION")
        assert f"「{other}」" in f["message"] and "重新提交" in f["message"] and OTHER_CODE in f["message"]
        assert f["details"]["resubmission"] == [other]
        assert not _findings(subs[me], "NARRATIVE_REUSED")  # one cause, one finding


def test_no_warning_left_from_the_template_alone(checked):
    _, _, subs = checked
    reused = {sid for sid, s in subs.items() if _findings(s, "NARRATIVE_REUSED")}
    assert reused == {COPIER, COPIED_FROM}
