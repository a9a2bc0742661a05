"""A small real batch for the report tests: DOCX forms and letters made with python-docx, checked by
the real pipeline (engine + write_outputs) once per test session.

Five submissions: a clean one (folder); one full of hostile applicant text, an over-long section and
a bad joint-unit code (folder); one in a zip with warnings only; a broken one (zero-byte PDF, stray file);
one whose form's 二、具体内容 has no recognisable section headings, so the checker cannot tell the seven
sections apart (status review, one EXTRACTION_INCOMPLETE finding).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.shared import Cm
from PIL import Image, ImageDraw

from pipeline.config import load_rules

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_FORMULA = '=HYPERLINK("http://x","y")'

# The official commitments, as the rules file has them (one source for tests and pipeline).
CLAUSES = list(load_rules().raw["letter"]["clauses"])
DIRECTIONS = {
    "工业赛道": ["元宇宙+产线", "元宇宙+工厂", "元宇宙+工业园区"],
    "文旅赛道": ["元宇宙+数字文化", "元宇宙+智慧旅游", "元宇宙+在线演艺", "元宇宙+数字艺术品", "元宇宙+内容创作"],
    "医疗赛道": ["元宇宙+医疗数字人", "元宇宙+远程医疗", "元宇宙+临床诊疗", "元宇宙+健康管理", "元宇宙+医学教育",
                "元宇宙+智慧医院", "元宇宙+公共卫生", "元宇宙+其他方向"],
    "教育赛道": ["元宇宙+直播教学", "元宇宙+虚拟智慧课堂", "元宇宙+个性化自适应学习", "元宇宙+虚拟仿真实训", "元宇宙+学情评价"],
}
NATURES = ["国家机关", "事业单位", "社会团体", "国有企业", "民营企业", "外资企业"]
SECTION_ROWS = [
    ("牵头单位基本情况介绍", "(包括公司基本情况、研发力量等，不超过400字)", "intro"),
    ("场景建设概述", "(围绕拟建、在建的具体应用场景，请逐条描述，包括但不限于建设背景、总体目标、建设内容、建设周期、项目创新点、项目建成后的预期成效、拟合作单位等，不超过2000字)", "overview"),
    ("已有基础", "(请简要阐述本单位在元宇宙应用场景建设方面已有的基础，不超过500字)", "foundation"),
    ("需求分析", "(目前场景建设中的主要需求分析，如功能及性能需求、系统集成需求、数据需求、运行环境、安全需求、其他需求等，不超过1000字)", "requirements"),
    ("时间进度", "(包括场景建设总周期以及实施进度详细计划，不超过500字)", "timeline"),
    ("阶段性目标", "(根据时间进度安排拟出阶段性目标，不超过500字)", "goals"),
    ("资金投入", "(包括场景建设总投入资金及资金来源与落实情况介绍，不超过500字)", "funding"),
]


def _narrative(obj: str, site: str) -> dict[str, str]:
    return {
        "intro": f"公司成立于2016年，位于{site}，现有员工180人，其中研发人员90人，拥有发明专利26项。公司长期深耕工业软件与三维可视化。",
        "overview": (f"一、建设背景：{obj}面临工艺调试周期长、远程协同难的问题。\n"
                     f"二、总体目标：建成覆盖{obj}全流程的数字孪生平台，实现虚实映射与沉浸式远程协同。\n"
                     "三、建设内容：打通设备数据共享与数据治理链路，基于5G专网和边缘计算构建低时延网络，建设三维建模与AIGC内容生产工具，"
                     "提供手势识别与人机交互能力。\n四、建设周期：18个月。\n五、项目创新点：多源数据融合驱动的实时孪生。\n"
                     "六、预期成效：调试周期缩短30%。\n七、拟合作单位：上海交通大学。"),
        "foundation": "已建成企业级数据中台和三维模型库，完成两条产线的数字化改造。",
        "requirements": "功能需求：实时孪生与远程协作；数据需求：设备数据交换与汇聚；运行环境：工业5G专网与算力平台；安全需求：等保三级。",
        "timeline": "2023年12月启动，2024年6月完成平台建设，2025年5月完成验收。",
        "goals": "第一阶段完成建模与数据接入；第二阶段完成孪生平台上线；第三阶段推广应用。",
        "funding": "总投资3000万元，其中企业自筹2400万元，申请补助600万元。",
    }


def _checks(options: list[str], chosen: list[str], numbered: bool = True) -> str:
    return " ".join(f"{'☑' if o in chosen else '□'}{f'方向{i}：' if numbered else ''}{o}"
                    for i, o in enumerate(options, 1))


def _merge_row(table, label: str, value: str) -> None:
    cells = table.add_row().cells
    cells[0].text = label
    merged = cells[1].merge(cells[4])
    merged.text = value


def build_form(path: Path, f: dict[str, Any], section_rows: list[tuple[str, str, str]] = SECTION_ROWS) -> None:
    """附件1 as the notice prints it: one bordered table for 基本信息, one for 具体内容."""
    doc = Document()
    doc.add_paragraph("附件1")
    doc.add_paragraph("上海市元宇宙重大应用场景需求征集表")
    doc.add_paragraph("一、基本信息")
    t = doc.add_table(rows=0, cols=5)
    t.style = "Table Grid"
    _merge_row(t, "牵头单位名称", f["lead_unit_name"])
    _merge_row(t, "组织机构代码/三证合一码", f["lead_unit_code"])
    _merge_row(t, "场景名称", f["scenario_name"])
    cells = t.add_row().cells
    cells[0].text = "申报场景方向"
    cell = cells[1].merge(cells[4])
    cell.text = ""
    first = True
    for track, options in DIRECTIONS.items():
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        p.add_run(track)
        cell.add_paragraph(_checks(options, [f["direction"]]))
    _merge_row(t, "场景所在地址", f["address"])
    for label, person in (("负责人", f["leader"]), ("联系人", f["contact"])):
        rows = [t.add_row().cells for _ in range(3)]
        rows[0][0].merge(rows[2][0]).text = label
        for r, (a, b) in zip(rows, (("姓名", "电话"), ("职务", "手机"), ("传真", "E-mail")), strict=True):
            r[1].text, r[2].text, r[3].text, r[4].text = a, person.get(a, ""), b, person.get(b, "")
    cells = t.add_row().cells
    cells[0].text = "单位性质"
    cells[1].merge(cells[4]).text = _checks(NATURES, [f["nature"]], numbered=False) + " □其他(请注明):"
    joint = f.get("joint_units", [])
    rows = [t.add_row().cells for _ in range(4)]
    rows[0][0].merge(rows[3][0]).text = "联合申报单位（如有）"
    for c, h in zip(rows[0][1:], ("单位名称", "单位性质", "单位特色、优势", "组织机构代码/三证合一码"), strict=True):
        c.text = h
    for r, unit in zip(rows[1:], joint, strict=False):
        for c, v in zip(r[1:], unit, strict=True):
            c.text = v
    doc.add_paragraph("二、具体内容")
    t2 = doc.add_table(rows=0, cols=2)
    t2.style = "Table Grid"
    for label, hint, key in section_rows:
        cells = t2.add_row().cells
        cells[0].text = label
        cells[1].text = hint
        for para in f["sections"][key].split("\n"):
            cells[1].add_paragraph(para)
    doc.add_paragraph("真实性承诺：我单位申报的所有材料，均真实、完整，如有不实，愿承担相应的责任。")
    doc.add_paragraph("负责人签字（章）：              公章：              年    月    日")
    doc.save(path)


def seal_png() -> bytes:
    img = Image.new("RGB", (240, 240), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((8, 8, 232, 232), outline=(215, 25, 32), width=12)
    d.regular_polygon((120, 120, 40), 5, fill=(215, 25, 32), rotation=0)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def build_letter(path: Path, scenario: str, clauses: list[str], contact: str, phone: str, date: str,
                 seal: bool) -> None:
    doc = Document()
    doc.add_paragraph("附件2")
    doc.add_paragraph("上海市元宇宙重大应用场景建设承诺书")
    doc.add_paragraph("根据《市经济信息化委 市文化旅游局 市卫生健康委 市教委关于征集本市元宇宙重大应用场景需求"
                      f"“揭榜挂帅”的通知》要求，我单位提交了《{scenario}》参评，并郑重承诺：")
    for i, clause in enumerate(clauses, 1):
        doc.add_paragraph(f"{i}.{clause}")
    doc.add_paragraph("本单位自愿遵守以上规定，如有违反，愿承担相关后果及法律责任，并列入诚信失信记录。")
    doc.add_paragraph(f"联系人：{contact}    联系电话：{phone}")
    p = doc.add_paragraph("单位（盖章）：")
    if seal:
        p.add_run().add_picture(io.BytesIO(seal_png()), width=Cm(3.5))
    doc.add_paragraph("法定代表人签字：")
    doc.add_paragraph(date)
    doc.save(path)


def _person(name: str, phone: str, title: str, mobile: str, email: str) -> dict[str, str]:
    return {"姓名": name, "电话": phone, "职务": title, "手机": mobile, "传真": "", "E-mail": email}


def build_batch(root: Path) -> Path:
    """Write the batch folder; returns it."""
    batch = root / "batch"
    batch.mkdir(parents=True)

    a = batch / "A-白车身焊装产线"
    a.mkdir()
    name_a = "白车身焊装产线数字孪生应用"
    build_form(a / "附件1 需求征集表.docx", {
        "lead_unit_name": "上海安亭智造科技有限公司", "lead_unit_code": "91310114MA1GT3XXX8",
        "scenario_name": name_a, "direction": "元宇宙+产线", "address": "上海市嘉定区安亭镇墨玉路888号",
        "leader": _person("张伟", "021-69581234", "总经理", "13812345678", "zhangwei@example.com"),
        "contact": _person("李娜", "021-69581235", "项目经理", "13912345678", "lina@example.com"),
        "nature": "民营企业",
        "joint_units": [("上海交通大学", "事业单位", "智能制造与数字孪生研究", "12100000425010386K")],
        "sections": _narrative("白车身焊装产线", "嘉定区安亭镇"),
    })
    build_letter(a / "附件2 建设承诺书.docx", name_a, CLAUSES, "李娜", "13912345678", "2023年11月10日", seal=True)

    b = batch / "B-hostile"
    b.mkdir()
    name_b = HOSTILE_SCRIPT + "虚拟展厅"
    sections_b = _narrative("虚拟展厅" + HOSTILE_SCRIPT, "徐汇区")
    sections_b["funding"] = HOSTILE_FORMULA
    sections_b["intro"] = "公司专注文旅数字内容与沉浸式体验。" * 40
    build_form(b / "form.docx", {
        "lead_unit_name": HOSTILE_FORMULA, "lead_unit_code": "@SUM(1+1)", "scenario_name": name_b,
        "direction": "元宇宙+数字文化", "address": "+cmd|' /C calc'!A0",
        "leader": _person(HOSTILE_SCRIPT, "-2+3", "<b>总监</b>", "13812345678", "x@example.com"),
        "contact": _person("王五", "", "经理", "13900001111", HOSTILE_FORMULA),
        "nature": "国有企业", "joint_units": [("<img src=x onerror=alert(2)>", "民营企业", "=1+1", "91310000MA1FL0007C"),
                                            ("上海某某数字科技有限公司", "民营企业", "XR 内容制作", "12345")],
        "sections": sections_b,
    })
    altered = list(CLAUSES)
    altered[5] = "主动接受监督。" + HOSTILE_SCRIPT
    build_letter(b / "letter.docx", name_b, altered, HOSTILE_FORMULA, "13900001111", "2023年9月1日", seal=False)

    c_dir = root / "c-src"
    c_dir.mkdir()
    name_c = "外滩历史风貌区沉浸式游览"
    sections_c = _narrative("外滩历史风貌区游览线路", "黄浦区")
    build_form(c_dir / "需求征集表.docx", {
        "lead_unit_name": "上海外滩文旅发展有限公司", "lead_unit_code": "91310101MA1FPX121X",
        "scenario_name": name_c, "direction": "元宇宙+智慧旅游", "address": "上海市黄浦区中山东一路1号",
        "leader": _person("赵敏", "021-63211234", "董事长", "13611112222", "zhaomin@example.com"),
        "contact": _person("钱程", "", "主管", "1361111", "qiancheng@example"),
        "nature": "国有企业",
        "joint_units": [("上海某某网络有限公司", "民营企业", "5G 专网", "91310115MA1K3YJ15R")],
        "sections": sections_c,
    })
    build_letter(c_dir / "承诺书.docx", name_c, CLAUSES, "钱程", "13611112222", "二〇二三年十一月十日", seal=True)
    with zipfile.ZipFile(batch / "C-外滩文旅.zip", "w") as z:
        for p in sorted(c_dir.iterdir()):
            z.write(p, f"C-外滩文旅/{p.name}")

    d = batch / "D-损坏材料"
    d.mkdir()
    (d / "附件1.pdf").write_bytes(b"")
    (d / "说明.txt").write_text("材料稍后补交", encoding="utf-8")

    e = batch / UNREAD_ID
    e.mkdir()
    name_e = "智慧医院数字孪生运维平台"
    build_form(e / "附件1 需求征集表.docx", {
        "lead_unit_name": "上海申康智慧医疗科技有限公司", "lead_unit_code": "91310104MA1FR0TL67",
        "scenario_name": name_e, "direction": "元宇宙+智慧医院", "address": "上海市徐汇区宜山路1000号",
        "leader": _person("周敏", "021-64381234", "总经理", "13712345678", "zhoumin@example.com"),
        "contact": _person("吴刚", "021-64381235", "项目经理", "13712345679", "wugang@example.com"),
        "nature": "民营企业", "joint_units": [],
        "sections": _narrative("医院楼宇运维", "徐汇区"),
    }, section_rows=[(f"（{i}）", "", key) for i, (_, _, key) in enumerate(SECTION_ROWS, 1)])
    build_letter(e / "附件2 建设承诺书.docx", name_e, CLAUSES, "吴刚", "13712345679", "2023年11月8日", seal=True)
    return batch


# The submission whose sections cannot be told apart (its EXTRACTION_INCOMPLETE comes from the extractor).
UNREAD_ID = "E-栏目未定位"


_RUNS: dict[str, tuple[dict[str, Any], Path]] = {}


def report_run(tmp_path_factory) -> tuple[dict[str, Any], Path]:
    """(results.json as a dict, OUT folder) of one pipeline run over the batch, shared by the tests."""
    if "run" not in _RUNS:
        from pipeline.config import load_rules
        from pipeline.engine import RunOptions, run_batch
        from pipeline.report import write_outputs

        root = tmp_path_factory.mktemp("report-batch")
        batch = build_batch(root)
        rules = load_rules()
        out = root / "out"
        write_outputs(run_batch(batch, rules, RunOptions(workers=1)), out, rules)
        _RUNS["run"] = (json.loads((out / "results.json").read_text("utf-8")), out)
    return _RUNS["run"]
