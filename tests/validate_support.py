"""Submissions built from the document model for validation tests (no extractor involved).

`clean_submission()` passes every rule; each test changes one thing and expects one rule. The
codes are real, publicly registered unified social credit codes re-used as well-formed examples,
or made with the GB formulas in `pipeline.validate.codes`.
"""

from __future__ import annotations

import copy
from typing import Any

from pipeline.config import load_rules
from pipeline.model import ExtractedDocument, FileProblem, Provenance, SourceFile, Submission
from pipeline.validate.codes import org_check_char, uscc_check_char

RULES = load_rules()
CLAUSES = list(RULES.raw["letter"]["clauses"])


def make_uscc(authority: str, division: str, org_body: str) -> str:
    """A valid 18-char code: authority (2) + division (6) + org body (8) + org check + check."""
    body = authority + division + org_body + org_check_char(org_body)
    return body + uscc_check_char(body)


def make_org(body: str) -> str:
    return body + org_check_char(body)


LEAD_CODE = make_uscc("91", "310115", "MA1FL0A1")
JOINT_CODE = make_uscc("91", "310104", "MA1GT7B2")

NARRATIVE: dict[str, str] = {
    "lead_unit_intro": (
        "上海臻图智造科技有限公司成立于2015年，是一家专注工业软件和数字孪生技术的高新技术企业，"
        "现有员工236人，其中研发人员142人，拥有发明专利31项、软件著作权67项。"
    ),
    "scenario_overview": (
        "一、建设背景：汽车白车身焊装产线换型频繁，焊点质量追溯难。\n"
        "二、总体目标：建成覆盖焊装产线全流程的数字孪生系统，实现虚实融合的生产运行监测。\n"
        "三、建设内容：建设产线三维建模与内容生产工具链，打通设备、质检和工艺数据流通渠道，"
        "部署5G专网和边缘计算节点，提供AR远程协作与人机交互终端。\n"
        "四、建设周期：2023年12月至2025年5月，共18个月。\n"
        "五、项目创新点：首次将工艺仿真与产线实时数据融合。\n"
        "六、预期成效：车型换型调试周期缩短30%，焊点缺陷率降低20%。\n"
        "七、拟合作单位：上海交联工业软件有限公司。"
    ),
    "existing_foundation": "公司已为三家整车工厂交付产线数字孪生项目，积累了焊装工艺模型库和设备接口。",
    "requirement_analysis": (
        "功能及性能需求：产线设备状态刷新延迟低于200毫秒；系统集成需求：对接MES与PLC；"
        "数据需求：采集焊点、工艺和质检数据；运行环境：工厂私有云；安全需求：等保三级。"
    ),
    "timeline": "2023年12月完成方案设计，2024年6月完成产线建模，2025年5月完成验收。",
    "stage_goals": "第一阶段完成数据采集，第二阶段完成数字孪生模型，第三阶段实现全产线推广。",
    "funding": "项目总投资2860万元，其中企业自筹2000万元，申请专项资金860万元。",
}


def form_fields() -> dict[str, Any]:
    return {
        "lead_unit_name": "上海臻图智造科技有限公司",
        "lead_unit_code": LEAD_CODE,
        "scenario_name": "白车身焊装产线数字孪生",
        "direction": "元宇宙+产线",
        "track": "工业",
        "address": "上海市嘉定区安亭镇墨玉南路888号",
        "leader_name": "陈立新", "leader_title": "总经理", "leader_phone": "021-34567890",
        "leader_mobile": "13812345678", "leader_fax": None, "leader_email": "chen.lixin@zhentu-tech.com",
        "contact_name": "王敏", "contact_title": "经理", "contact_phone": "(021)45678901",
        "contact_mobile": "+86 139 1234 5678", "contact_fax": None, "contact_email": "wangmin@zhentu-tech.com",
        "unit_nature": "民营企业",
        "unit_nature_other": None,
        "joint_units": [{"name": "上海交联工业软件有限公司", "nature": "民营企业", "strengths": "工业软件集成",
                         "code": JOINT_CODE}],
        "sections": dict(NARRATIVE),
    }


def letter_fields() -> dict[str, Any]:
    return {
        "letter_scenario_name": "白车身焊装产线数字孪生",
        "letter_clauses": list(CLAUSES),
        "letter_contact": "王敏",
        "letter_contact_phone": "13912345678",
        "letter_date": "2023-11-08",
        "letter_has_seal": True,
    }


def form_provenance() -> dict[str, Provenance]:
    f = "附件1-需求征集表.docx"
    prov = {
        "lead_unit_name": Provenance(f, table=0, row=0, col=1),
        "lead_unit_code": Provenance(f, table=0, row=1, col=1),
        "scenario_name": Provenance(f, table=0, row=2, col=1),
        "address": Provenance(f, table=0, row=4, col=1),
        "contact_email": Provenance(f, table=0, row=8, col=5),
        "joint_units": Provenance(f, table=0, row=12, col=0),
    }
    prov.update({k: Provenance(f, paragraph=20 + i) for i, k in enumerate(NARRATIVE)})
    return prov


def letter_provenance() -> dict[str, Provenance]:
    f = "附件2-建设承诺书.pdf"
    return {k: Provenance(f, page=1) for k in ("letter_scenario_name", "letter_clauses", "letter_date", "letter_has_seal")}


def clean_submission(sid: str = "s-clean", *, form: bool = True, letter: bool = True) -> Submission:
    sub = Submission(submission_id=sid, origin="folder", grouping="按文件夹归组")
    if form:
        doc = ExtractedDocument("form", "附件1-需求征集表.docx", form_fields(), form_provenance())
        sub.documents.append(doc)
        sub.files.append(SourceFile("附件1-需求征集表.docx", "docx", "form"))
        sub.fields.update(copy.deepcopy(doc.fields))
        sub.provenance.update(doc.provenance)
    if letter:
        doc = ExtractedDocument("letter", "附件2-建设承诺书.pdf", letter_fields(), letter_provenance())
        sub.documents.append(doc)
        sub.files.append(SourceFile("附件2-建设承诺书.pdf", "pdf", "letter", pages=1))
        sub.fields.update(copy.deepcopy(doc.fields))
        sub.provenance.update(doc.provenance)
    return sub


def with_problem(sub: Submission, rule: str, reason: str, file: str = "坏文件.docx", page: int | None = None) -> Submission:
    sub.file_problems.append(FileProblem(rule, reason, page=page, file=file))
    return sub


def rule_ids(sub: Submission) -> set[str]:
    return {f.rule for f in sub.findings}


def findings_of(sub: Submission, rule: str) -> list:
    return [f for f in sub.findings if f.rule == rule]
