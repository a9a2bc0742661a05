"""Correction notices (补正通知): OUT/notices/<submission>.docx, one per submission to correct.

A submission gets a notice when it has an error or review finding that is not dismissed
(pipeline/decisions.py). The notice names the unit and the scenario, lists the problems to correct
in a numbered table (问题, 位置: file, page, place, section or field, 处理要求), then any warnings not
dismissed in a second table for the applicant to check, and ends with the reply-by date, the
contact placeholders and the closing text from the rules file's `[notice]` table.

Only results.json's content is read; the file names are the reports' (sanitised, unique), with
.docx. A run makes them with its other outputs (`report.write_outputs`: planned here, a share
rendered by the output processes) in its staging folder, swapped into OUT with the reports, so a
run never leaves a mix of old and new notices.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import shutil
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ..cache import ResultCache
from ..config import DEFAULT_RULES, Rules, compiled
from ..decisions import counts
from ..labels import field_label
from .html import report_files
from .labels import display_value

FOLDER = "notices"
MUST_FIX = ("error", "review")
PROBLEM_HEADERS = ("序号", "问题", "位置", "处理要求")
COLUMN_CM = (1.2, 6.3, 4.5, 4.5)  # within the page's 16.5 cm between margins
_DIFF = re.compile(r"\[[-+]")


NOTICE_KIND = "notice"  # the result cache's kind for notices (pipeline/cache.py)


def notice_settings(rules: Rules) -> dict[str, Any]:
    """The rules file's [notice] table over the packaged one's, made once per rules file."""
    return compiled(rules, "notice", _notice_settings)


def _notice_settings(rules: Rules) -> dict[str, Any]:
    """The rules file's [notice] table over the packaged one's (an older rules file may have none)."""
    base = tomllib.loads(DEFAULT_RULES.read_text("utf-8"))["notice"]
    own = rules.raw.get("notice") or {}
    merged = {**base, **own}
    merged["actions"] = {**base.get("actions", {}), **own.get("actions", {})}
    return merged


def problems_of(sub: dict[str, Any], severities: tuple[str, ...] = MUST_FIX) -> list[dict[str, Any]]:
    """The findings a notice lists, in results.json order: of these severities, not dismissed."""
    return [f for f in sub.get("findings") or [] if isinstance(f, dict)
            and f.get("severity") in severities and counts(f)]


def needs_notice(sub: dict[str, Any]) -> bool:
    return bool(problems_of(sub))


def problem_text(finding: dict[str, Any]) -> str:
    """The finding's message for the applicant: a clause diff ([-…-][+…+]) is left to the report."""
    message = str(finding.get("message") or "")
    if _DIFF.search(message):
        message = re.split(r"[（(：:]", message, maxsplit=1)[0]
    return message


def where_text(finding: dict[str, Any], rules: Rules) -> str:
    """Where the problem is: file, page, place in the file, and the section or field."""
    ev = finding.get("evidence") if isinstance(finding.get("evidence"), dict) else {}
    parts = []
    if ev.get("file"):
        parts.append(f"文件「{ev['file']}」")
    location = ev.get("location") or ""
    if ev.get("page") and f"第{ev['page']}页" not in location:
        parts.append(f"第{ev['page']}页")
    if location:
        parts.append(location)
    label = field_label(finding.get("field"), rules)
    if label:
        parts.append(f"“{label}”")
    return "，".join(parts) or "整份申报材料"


def action_text(finding: dict[str, Any], settings: dict[str, Any]) -> str:
    return settings["actions"].get(finding.get("rule") or "", settings.get("default_action") or "")


def _run_date(run: dict[str, Any]) -> date:
    try:
        return datetime.fromisoformat(run["started"]).date()
    except (KeyError, TypeError, ValueError):
        return date.today()


# The styles a notice uses (and those they are based on); python-docx's default document has 164
# and a 350 KB styles part, which every notice would parse and write again.
NOTICE_STYLES = frozenset({"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid"})


@functools.cache
def notice_template() -> bytes:
    """python-docx's default document with only `NOTICE_STYLES` (no latent styles), its body text
    宋体 11 pt: what every notice starts from, made once per process."""
    doc = Document()
    styles = doc.styles.element
    for el in list(styles):
        if el.tag == qn("w:latentStyles") or (el.tag == qn("w:style") and el.get(qn("w:styleId")) not in NOTICE_STYLES):
            styles.remove(el)
    normal = doc.styles["Normal"]
    normal.font.name = "宋体"
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def render_notice(sub: dict[str, Any], rules: Rules, run: dict[str, Any]) -> bytes:
    """One notice as DOCX bytes."""
    settings = notice_settings(rules)
    fields = sub.get("fields") or {}
    unit = display_value(fields.get("lead_unit_name")) or "申报单位"
    scenario = display_value(fields.get("scenario_name")) or "（未识别场景名称）"
    sid = str(sub.get("submission_id") or "")
    issued = _run_date(run)  # the document's creation date; the dates on the page are for staff to fill in

    doc = Document(io.BytesIO(notice_template()))
    props = doc.core_properties
    props.title, props.author, props.subject = settings["title"], settings.get("sender") or "", sid
    props.created = props.modified = datetime(issued.year, issued.month, issued.day)
    props.last_modified_by = settings.get("sender") or ""

    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run_ = head.add_run(settings["title"])
    run_.bold = True
    run_.font.size = Pt(16)
    doc.add_paragraph(f"{unit}：")
    doc.add_paragraph(f"申报场景：{scenario}")
    doc.add_paragraph(f"提交编号：{sid}")
    if settings.get("intro"):
        doc.add_paragraph(settings["intro"])

    must = problems_of(sub)
    doc.add_paragraph().add_run(f"须补正的问题（共 {len(must)} 项）").bold = True
    _table(doc, [(problem_text(f), where_text(f, rules), action_text(f, settings)) for f in must])
    warnings = problems_of(sub, ("warning",))
    if warnings:
        doc.add_paragraph()
        doc.add_paragraph().add_run(settings.get("warnings_intro") or "请一并核对：").bold = True
        _table(doc, [(problem_text(f), where_text(f, rules), action_text(f, settings)) for f in warnings])

    doc.add_paragraph()
    doc.add_paragraph(f"回复期限：请于收到本通知之日起 {settings.get('reply_days')} 日内"
                      f"（即 ____年__月__日 前）补正并重新提交。")
    if settings.get("contact"):
        doc.add_paragraph(settings["contact"])
    if settings.get("closing"):
        doc.add_paragraph(settings["closing"])
    for text in (settings.get("sender") or "", "____年__月__日"):
        p = doc.add_paragraph(text)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _table(doc: Any, rows: list[tuple[str, str, str]]) -> None:
    table = doc.add_table(rows=1, cols=len(PROBLEM_HEADERS))
    table.style = "Table Grid"
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, PROBLEM_HEADERS, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for n, (problem, where, action) in enumerate(rows, 1):
        cells = table.add_row().cells
        for cell, text in zip(cells, (str(n), problem, where, action), strict=True):
            cell.text = _docx_safe(text)
    for column, width in zip(table.columns, COLUMN_CM, strict=True):
        for cell in column.cells:  # Word reads the cells' widths, LibreOffice the grid's
            cell.width = Cm(width)
        column.width = Cm(width)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _docx_safe(text: str) -> str:
    """Applicant text may carry characters XML cannot hold; they are dropped."""
    return _XML_ILLEGAL.sub("", text)


def notice_files(data: dict[str, Any]) -> dict[str, str]:
    """Submission id → notice file name: the report's sanitised, unique name with .docx."""
    names = report_files([s for s in data.get("submissions") or [] if isinstance(s, dict)])
    return {sid: name[: -len(".html")] + ".docx" for sid, name in names.items()}


@dataclass
class NoticePlan:
    """One submission's notice: its file name, the key of what it is made from, and the notice
    once known (taken from the cache or rendered); `written`: an output process wrote it."""

    sid: str
    name: str
    sub: dict[str, Any]
    key: str
    doc: bytes | None = None
    written: bool = False


def plan_notices(data: dict[str, Any], rules: Rules, cache: ResultCache | None = None) -> list[NoticePlan]:
    """A plan for every submission that needs a notice, with the notice where the run's cache has
    one made from the same submission record, file name, date and rules file."""
    names = notice_files(data)
    day = str(_run_date(data.get("run") or {}))
    plans = []
    for sub in data.get("submissions") or []:
        if not isinstance(sub, dict) or not needs_notice(sub):
            continue
        name = names[str(sub.get("submission_id", ""))]
        key = hashlib.sha256(json.dumps([sub, name, day, rules.sha256], sort_keys=True, ensure_ascii=False,
                                        default=str).encode()).hexdigest()
        doc = cache.get_value(NOTICE_KIND, key) if cache is not None else None
        plans.append(NoticePlan(str(sub.get("submission_id", "")), name, sub, key,
                                doc if isinstance(doc, bytes) else None))
    return plans


def render_notice_plans(plans: list[NoticePlan], rules: Rules, run: dict[str, Any],
                        cache: ResultCache | None = None) -> None:
    for plan in plans:
        if plan.doc is None and not plan.written:
            plan.doc = render_notice(plan.sub, rules, run)
            if cache is not None:
                cache.put_value(NOTICE_KIND, plan.key, plan.doc)


def write_notice_plans(plans: list[NoticePlan], out_dir: Path) -> Path:
    """Write OUT/notices/<name> for every plan not yet written (`out_dir` is a staging folder)."""
    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for plan in plans:
        if not plan.written:
            assert plan.doc is not None
            (folder / plan.name).write_bytes(plan.doc)
    return folder


def remove_notices(out_dir: Path) -> None:
    folder = out_dir / FOLDER
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)
    elif folder.is_symlink() or folder.exists():
        folder.unlink()
