"""consolidated.xlsx: one workbook a reviewer can filter, sort and read back with pandas.

Sheets: 汇总 (one row per submission), 联合单位, 问题清单, 文件, 赛道方向 (counts by status per
track × direction), 覆盖 (matched terms per submission × element / overview topic), 说明. Headers are Chinese (field
names from pipeline/labels.py, shared with the HTML and the findings), row 1 only, so
`pandas.read_excel(path, sheet_name=None)` needs no cleanup. Counts are numbers, the letter date is
a date, everything else is text.

Written with XlsxWriter, which keeps plain cell records and one shared format per style and
writes the XML in one pass; openpyxl (still what pandas.read_excel uses to read it back) built a
styled object per cell and took seconds on a 1,000-submission batch. Every cell is written with an
explicit typed call (write_string / write_number / write_datetime / write_url, never the guessing
`write()`), and the workbook's own conversions (strings to formulas, numbers, URLs) are off, so no
text is ever interpreted. The workbook is built in memory (no temp files) and written atomically;
its creation date is the run's start, so the same results give the same bytes.

Formula safety: any text starting with = + - @, a tab or a carriage return is stored with a
leading apostrophe (') as part of the string, in a string-typed cell. Excel and LibreOffice show
it as text (the apostrophe visible), openpyxl reads a string (data_type 's'), and pandas returns
exactly the visible text, e.g. `'=HYPERLINK("http://x","y")`. A zero-width space would hide the
marker but make read_excel return text that differs invisibly from what is shown; an Excel
quote-prefix style alone would keep `=...` in the value, so a pandas → CSV/xlsx round trip would
turn it back into a live formula. The apostrophe survives all of these as plain text.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.url import Url
from xlsxwriter.workbook import Workbook

from ..atomic import atomic_write_bytes
from ..cells import safe_text
from ..config import Rules
from ..decisions import ACTION_HEADER, ACTION_LABELS, NOTE_HEADER, counts
from ..labels import FIELD_LABELS, JOINT_UNIT_LABELS, field_label, section_labels
from .html import BEIJING, MULTIPLE, NOT_CHOSEN, href_path, report_files
from .labels import (
    FILE_KIND_LABELS,
    ORIGIN_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    STATUSES,
    YES_NO,
    display_value,
    scalar_field_keys,
)
from .markup import coverage_flags

MAX_ROWS = 1_048_576  # Excel's rows per sheet, header included
MAX_URLS = 65_530  # Excel's hyperlinks per sheet; later links are written as plain text
MAX_URL_CHARS = 2079  # Excel's limit for a link target
MAX_EXACT_INT = 2**53  # larger integers lose digits as Excel numbers (doubles); written as text
FIT_SAMPLE_ROWS = 300  # column widths fit the header and this many data rows
DIGIT_PIXELS = 7  # width of one character unit in Calibri 11, as XlsxWriter counts it
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                    "in_memory": True}
NO_RUN_DATE = datetime(1980, 1, 1)  # the zip epoch: a fixed creation date when the run has none

HEADER_STYLE = {"bg_color": "#E9EDF2", "pattern": 1, "bold": True, "font_color": "#1F2328",
                "bottom": 1, "bottom_color": "#8C959F", "valign": "vcenter", "text_wrap": True}
LINK_STYLE = {"font_color": "#0563C1", "underline": 1}
LONG_STYLE = {"valign": "top"}
CELL_STYLE = {  # status / severity key → fill and font; Excel's built-in good / neutral / bad colours
    "pass": {"bg_color": "#C6EFCE", "pattern": 1, "font_color": "#006100", "bold": True},
    "warn": {"bg_color": "#FFEB9C", "pattern": 1, "font_color": "#9C5700", "bold": True},
    "fail": {"bg_color": "#FFC7CE", "pattern": 1, "font_color": "#9C0006", "bold": True},
    # review (status and severity): lavender, apart from the warning's yellow and the error's red
    "review": {"bg_color": "#E4DFEC", "pattern": 1, "font_color": "#5B2C9F", "bold": True},
    "info": {"bg_color": "#DDEBF7", "pattern": 1, "font_color": "#1F4E78", "bold": True},
}
CELL_STYLE.update(error=CELL_STYLE["fail"], warning=CELL_STYLE["warn"])


def safe_cell(value: Any) -> Any:
    """Any value → what goes into a cell: numbers and dates as such, booleans 是/否, text made safe."""
    if isinstance(value, str):  # most cells
        return safe_text(value) if value != "" else None
    if value is None or isinstance(value, (int, float, date)) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return YES_NO[value]
    value = display_value(value)
    return safe_text(value) if value else None


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[Any], Any]
    note: str
    kind: str = "text"  # text | long | link | status | date | number
    width: int | None = None
    style: Callable[[Any], str | None] | None = None  # status/severity key that colours the cell


class _RelativeLink(Url):
    """A link to a file beside the workbook whose target keeps its forward slashes.

    XlsxWriter stores "external:" paths the way Excel does on Windows, "/" turned into "\\"; openpyxl
    (and whoever reads the links with it) would then get `reports\\x.html`, unlike the HTML index.
    Only the relationship target is changed back; the link type, length check and escaping stay
    XlsxWriter's. Paths come from `href_path`, which percent-encodes any backslash of a name.
    """

    def __init__(self, path: str) -> None:
        super().__init__("external:" + path)
        self.text = path

    def _target(self) -> str:
        return super()._target().replace("\\", "/")


class _Book:
    """The workbook and what its sheets share: one Format per style, one link object per target.

    A link object can serve every cell linking to its target: XlsxWriter only reads it when writing
    the sheet (it would mark it an "object link" only under a cell that is not a string, and every
    link cell here is the link's own text), so the report link on each finding row costs one
    parse and escape per submission, not per cell.
    """

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.header = wb.add_format(HEADER_STYLE)
        self._formats: dict[tuple[str | None, bool, bool, str | None], Format | None] = {}
        self._links: dict[str, _RelativeLink] = {}

    def format(self, num_format: str | None, link: bool, long: bool, colour: str | None) -> Format | None:
        """The Format for a number format, link, long text and colour; made the first time it is used."""
        key = (num_format, link, long, colour)
        if key not in self._formats:
            props: dict[str, Any] = {}
            if num_format:
                props["num_format"] = num_format
            if link:
                props.update(LINK_STYLE)
            if colour in CELL_STYLE:
                props.update(CELL_STYLE[colour])  # a coloured cell's font replaces the link font
            if long:
                props.update(LONG_STYLE)
            self._formats[key] = self.wb.add_format(props) if props else None
        return self._formats[key]

    def link(self, path: str) -> _RelativeLink:
        if path not in self._links:
            self._links[path] = _RelativeLink(path)
        return self._links[path]


class _CellFormats(dict[str | None, Format | None]):
    """Colour → Format for one kind of cell in one column, looked up per cell without building a key."""

    def __init__(self, book: _Book, num_format: str | None, link: bool, long: bool) -> None:
        super().__init__()
        self.book = book
        self.kind = (num_format, link, long)

    def __missing__(self, colour: str | None) -> Format | None:
        made = self[colour] = self.book.format(*self.kind, colour)
        return made


def _sheet(book: _Book, title: str, columns: list[Column], rows: list[Any], freeze: tuple[int, int] = (1, 0)) -> Any:
    """One sheet: bold header row, typed cells, frozen header, filter, widths fit to the first rows."""
    ws = book.wb.add_worksheet(title)
    rows = rows[: MAX_ROWS - 1]
    widths = []
    for ci, col in enumerate(columns):
        header = safe_text(col.header)
        ws.write_string(0, ci, header, book.header)
        widths.append(_text_width(header) + 2)
    # What each column's cells share: getters, kind, formats of text, link and date cells; a fixed
    # width needs no measuring.
    plan = []
    for ci, col in enumerate(columns):
        long = col.kind == "long"
        plan.append((ci, col.get, col.kind == "date", col.kind == "link", col.style, col.width is None,
                     *(_CellFormats(book, num_format, link, long) for num_format, link in
                       ((None, False), (None, True), (DATE_FORMAT, False), (DATETIME_FORMAT, False)))))
    urls = 0
    for r, item in enumerate(rows, start=1):
        fit = r <= FIT_SAMPLE_ROWS
        for ci, get, is_date, is_link, style, measure, plain, linked, dated, timed in plan:
            value = get(item)
            if value is None:
                continue
            value = safe_cell(_as_date(value) if is_date else value)
            if value is None:
                continue
            colour = style(item) if style is not None else None
            if isinstance(value, str):
                if is_link and urls < MAX_URLS and len(value) <= MAX_URL_CHARS:
                    urls += 1
                    ws.write_url(r, ci, book.link(value), linked[colour])
                else:
                    ws.write_string(r, ci, value, plain[colour])
            elif isinstance(value, date):  # datetime is a date too
                ws.write_datetime(r, ci, value, (timed if isinstance(value, datetime) else dated)[colour])
            elif _exact_number(value):
                ws.write_number(r, ci, value, plain[colour])
            else:  # NaN, infinity or a huge integer from a hand-edited results.json: Excel would alter it
                value = str(value)
                ws.write_string(r, ci, value, plain[colour])
            if fit and measure:
                widths[ci] = max(widths[ci], _value_width(value))
    ws.freeze_panes(*freeze)
    ws.autofilter(0, 0, max(0, len(rows)), len(columns) - 1)
    for ci, col in enumerate(columns):
        width = col.width or min(50, max(6, widths[ci] + 2))
        ws.set_column_pixels(ci, ci, width * DIGIT_PIXELS)
    return ws


def _exact_number(value: int | float) -> bool:
    return math.isfinite(value) if isinstance(value, float) else abs(value) <= MAX_EXACT_INT


def _value_width(value: Any) -> int:
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 11
    return _text_width(str(value))


class _CharWidths(dict[str, int]):
    """Character → columns it takes: 2 for East Asian wide and fullwidth ones, else 1; looked up once each."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


CHAR_WIDTHS = _CharWidths()


def _text_width(text: str) -> int:
    line = max(text.split("\n"), key=len) if "\n" in text else text
    if line.isascii():
        return len(line)
    return sum(map(CHAR_WIDTHS.__getitem__, line))


def _summary_columns(data: dict[str, Any], rules: Rules, links: dict[str, str]) -> list[Column]:
    subs = data.get("submissions") or []
    sec_labels = section_labels(rules)

    def f(key: str) -> Callable[[dict], Any]:
        return lambda s: (s.get("fields") or {}).get(key)

    def count(sev: str) -> Callable[[dict], int]:
        return lambda s: sum(1 for x in s.get("findings") or [] if x.get("severity") == sev and counts(x))

    cols = [
        Column("提交编号", lambda s: s.get("submission_id"), "申报的编号：批次中的文件夹或压缩包名称；散放文件按内容归组后生成"),
        Column("状态", lambda s: STATUS_LABELS.get(s.get("status"), s.get("status")),
               "通过：无错误、无待核对、无警告；有警告：无错误、无待核对，但有警告；待人工核对：无错误，但有程序未能读取、需人工核对原件的部分；"
               "不通过：至少一个错误", style=lambda s: s.get("status")),
        Column("报告", lambda s: links.get(str(s.get("submission_id"))), "该申报的 HTML 检查报告（相对路径，点击打开）", "link"),
        Column("错误数", count("error"), "严重程度为“错误”的问题条数", "number"),
        Column("待核对数", count("review"), "严重程度为“待核对”的问题条数：程序未能读取（未定位到栏目、OCR 失败或把握不足、"
               "勾选状态无法识别）、需人工核对原件的部分", "number"),
        Column("警告数", count("warning"), "严重程度为“警告”的问题条数", "number"),
        Column("提示数", count("info"), "严重程度为“提示”的问题条数", "number"),
        Column("来源", lambda s: ORIGIN_LABELS.get(s.get("origin"), s.get("origin")), "文件夹、压缩包或批次顶层的散放文件"),
        Column("归组说明", lambda s: s.get("grouping"), "文件如何被归为这一份申报"),
    ]
    scalar = set(scalar_field_keys(subs))
    for key in [*FIELD_LABELS, *sorted(scalar - set(FIELD_LABELS))]:
        if key == "joint_units":
            cols.append(Column("联合申报单位数", lambda s: len((s.get("fields") or {}).get("joint_units") or [])
                               if has_form(s) else None,
                               "附件1 联合申报单位的家数（空行不计），明细见“联合单位”表；没有可读取的需求征集表时为空", "number"))
            cols.append(Column("联合申报单位名称", lambda s: display_value(
                [u.get("name") for u in (s.get("fields") or {}).get("joint_units") or [] if isinstance(u, dict)]),
                "联合申报单位名称，以“、”分隔"))
        elif key == "section_lengths":
            for spec in rules.sections:
                cols.append(Column(f"{sec_labels[spec.key]}（字数）",
                                   lambda s, k=spec.key: _as_int(((s.get("fields") or {}).get("section_lengths") or {}).get(k)),
                                   f"附件1 二、具体内容「{sec_labels[spec.key]}」的字数（按 Word 字数规则，不含提示语），上限 {spec.limit} 字", "number"))
        elif key == "letter_clauses":
            cols.append(Column("承诺条款", lambda s: "\n".join(
                f"{i}. {c}" for i, c in enumerate((s.get("fields") or {}).get("letter_clauses") or [], 1)) or None,
                "附件2 承诺书中识别到的承诺条款，每条一行，按顺序编号", "long", 40))
        elif key == "letter_date":
            cols.append(Column(FIELD_LABELS[key], f(key), "附件2 承诺书落款日期", "date"))
        elif key == "sections":
            continue
        elif key in scalar:
            note = _field_note(key)
            cols.append(Column(FIELD_LABELS.get(key, key), f(key), note))
    for element in rules.raw.get("coverage", {}).get("tech_elements", {}):
        cols.append(Column(f"技术要素：{element}", lambda s, e=element: _covered_cell(s, e),
                           f"正文是否涉及技术要素“{element}”（关键词见规则文件）；空白表示未做判断"))
    for spec in rules.sections:
        cols.append(Column(f"{sec_labels[spec.key]}（正文）",
                           lambda s, k=spec.key: ((s.get("fields") or {}).get("sections") or {}).get(k) or None,
                           f"附件1 二、具体内容「{sec_labels[spec.key]}」的申报文本（已去除预印提示语）", "long", 40))
    return cols


def has_form(sub: dict[str, Any]) -> bool:
    """Whether a form (附件1) was read: without one, its counts are unknown (blank), not 0."""
    return any(isinstance(f, dict) and f.get("kind") in ("form", "both") for f in sub.get("files") or [])


UNREAD = "未识别（无需求征集表）"


def _track_direction_rows(subs: list[dict[str, Any]], rules: Rules) -> list[dict[str, Any]]:
    """One row per track × direction of the call (and 未选择 / 多选 / 未识别 where they occur):
    how many submissions, and how many of each status."""
    def bucket(value: Any) -> str:
        items = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v]
        return NOT_CHOSEN if not items else items[0] if len(items) == 1 else MULTIPLE

    counts: dict[tuple[str, str], dict[str, int]] = {}
    for track, directions in rules.directions.items():
        for d in directions:
            counts[(track, d)] = {}
    for s in subs:
        fields = s.get("fields") or {}
        key = (bucket(fields.get("track")), bucket(fields.get("direction"))) if has_form(s) else (UNREAD, UNREAD)
        row = counts.setdefault(key, {})
        status = s.get("status")
        row[status] = row.get(status, 0) + 1
    return [{"track": k[0], "direction": k[1], **v} for k, v in counts.items()]


def _coverage_rows(subs: list[dict[str, Any]], rules: Rules) -> list[dict[str, Any]]:
    """One row per submission × technical element / overview topic: covered, how often, the terms
    matched and the sections they are in. Submissions whose narrative was not read have no rows."""
    sec_labels = section_labels(rules)
    groups = (("tech_elements", "技术要素"), ("overview_topics", "概述要点"), ("key_technologies", "关键技术"))
    rows = []
    for s in subs:
        coverage = s.get("coverage") if isinstance(s.get("coverage"), dict) else {}
        for group, label in groups:
            entries = coverage.get(group)
            if not isinstance(entries, dict):
                continue
            names = list((rules.raw.get("coverage") or {}).get(group) or {})
            names += [n for n in entries if n not in names]
            for name in names:
                hits = [h for h in entries.get(name) or [] if isinstance(h, dict)]
                terms = list(dict.fromkeys(str(h.get("term")) for h in hits if h.get("term")))
                where = list(dict.fromkeys(sec_labels.get(h.get("section"), str(h.get("section"))) for h in hits
                                           if h.get("section")))
                rows.append({"sub": s, "group": label, "name": name, "covered": bool(hits), "count": len(hits),
                             "terms": "、".join(terms) or None, "sections": "、".join(where) or None})
    return rows


def _covered_cell(sub: dict[str, Any], element: str) -> str | None:
    flags = coverage_flags(sub, "tech_elements")
    return None if flags is None else YES_NO[flags.get(element, False)]


def _field_note(key: str) -> str:
    if key.startswith("letter_"):
        return f"附件2 建设承诺书：{FIELD_LABELS.get(key, key)}"
    if key in ("direction", "track", "unit_nature"):
        return f"附件1 一、基本信息：{FIELD_LABELS[key]}（勾选多项时以“、”分隔，未勾选为空）"
    if key in FIELD_LABELS:
        return f"附件1 一、基本信息：{FIELD_LABELS[key]}"
    return f"提取到的字段 {key}"


def write_xlsx(data: dict[str, Any], out_dir: Path, rules: Rules) -> Path:
    """Write OUT/consolidated.xlsx from the results dict."""
    subs = [s for s in data.get("submissions") or [] if isinstance(s, dict)]
    names = report_files(subs)
    links = {sid: "reports/" + href_path(name) for sid, name in names.items()}
    run = data.get("run") or {}
    buf = io.BytesIO()
    wb = Workbook(buf, WORKBOOK_OPTIONS)
    book = _Book(wb)
    sheets: list[tuple[str, list[Column]]] = []

    summary = _summary_columns(data, rules, links)
    _sheet(book, "汇总", summary, subs, freeze=(1, 1))
    sheets.append(("汇总", summary))

    joint_rows = [(s, i, u) for s in subs for i, u in enumerate((s.get("fields") or {}).get("joint_units") or [], 1)
                  if isinstance(u, dict)]
    joint = [
        Column("提交编号", lambda r: r[0].get("submission_id"), "所属申报的编号（与“汇总”表一致）"),
        Column("牵头单位名称", lambda r: (r[0].get("fields") or {}).get("lead_unit_name"), "所属申报的牵头单位"),
        Column("序号", lambda r: r[1], "在需求征集表中的顺序（第几家联合单位）", "number"),
        *[Column(lbl, lambda r, k=k: r[2].get(k), f"联合申报单位的{lbl}") for k, lbl in JOINT_UNIT_LABELS.items()],
        Column("报告", lambda r: links.get(str(r[0].get("submission_id"))), "所属申报的 HTML 检查报告", "link"),
    ]
    _sheet(book, "联合单位", joint, joint_rows)
    sheets.append(("联合单位", joint))

    finding_rows = [(s, f) for s in subs for f in s.get("findings") or [] if isinstance(f, dict)]

    def ev(key: str) -> Callable[[tuple], Any]:
        return lambda r: (r[1].get("evidence") or {}).get(key)

    problems = [
        Column("提交编号", lambda r: r[0].get("submission_id"), "所属申报的编号"),
        Column("申报状态", lambda r: STATUS_LABELS.get(r[0].get("status"), r[0].get("status")), "所属申报的整体状态",
               style=lambda r: r[0].get("status")),
        Column("级别", lambda r: SEVERITY_LABELS.get(r[1].get("severity"), r[1].get("severity")),
               "错误：须补正；待核对：程序未能读取，需人工核对原件；警告：需人工复核；提示：供参考",
               style=lambda r: r[1].get("severity")),
        Column("规则", lambda r: r[1].get("rule"), "规则编号（见 pipeline rules 命令或 README 的规则表）"),
        Column("字段", lambda r: r[1].get("field"), "涉及的字段键（如 lead_unit_code、joint_units[1].code）；空白表示整份申报"),
        Column("字段名称", lambda r: field_label(r[1].get("field"), rules) or None, "字段的中文名称"),
        Column("问题说明", lambda r: r[1].get("message"), "给审核人员的说明", "text", 60),
        Column("文件", ev("file"), "依据所在的文件"),
        Column("页码", lambda r: _as_int((r[1].get("evidence") or {}).get("page")), "依据所在的页码（PDF/扫描件）", "number"),
        Column("位置", ev("location"), "依据在文件中的位置（表格单元格、段落）"),
        Column("摘录", ev("excerpt"), "原文摘录", "long", 40),
        Column("报告", lambda r: links.get(str(r[0].get("submission_id"))), "所属申报的 HTML 检查报告", "link"),
        # Reviewers fill these in; `pipeline run … --decisions consolidated.xlsx` reads them back.
        Column(ACTION_HEADER, lambda r: _decision(r[1], "action"),
               "审核人员的处理意见：驳回（该问题不成立或已核实无误，不再计入状态）或 确认（问题成立）；"
               "填写后用 pipeline run … --decisions consolidated.xlsx 重新运行即生效", width=8),
        Column(NOTE_HEADER, lambda r: _decision(r[1], "note"), "处理意见的说明，如“已电话核实，邮箱可用”", "text", 30),
    ]
    ws = _sheet(book, "问题清单", problems, finding_rows)
    col = len(problems) - 2
    ws.data_validation(1, col, max(1, len(finding_rows)), col, {
        "validate": "list", "source": list(ACTION_LABELS.values()), "ignore_blank": True,
        "error_title": "处理意见", "error_message": "请选择 驳回 或 确认，或留空"})
    sheets.append(("问题清单", problems))

    file_rows = [(s, f) for s in subs for f in s.get("files") or [] if isinstance(f, dict)]
    files = [
        Column("提交编号", lambda r: r[0].get("submission_id"), "所属申报的编号"),
        Column("文件", lambda r: r[1].get("path"), "文件在申报文件夹或压缩包内的路径"),
        Column("识别为", lambda r: FILE_KIND_LABELS.get(r[1].get("kind"), r[1].get("kind")), "按文件内容识别的附件类型"),
        Column("格式", lambda r: (r[1].get("format") or "").upper() or None, "文件格式（按文件内容识别，据此读取）"),
        Column("扩展名", lambda r: r[1].get("extension") or None, "文件名的扩展名；与格式不符时已按内容读取（FILE_TYPE_MISMATCH）"),
        Column("页数", lambda r: _as_int(r[1].get("pages")), "页数（DOCX 无固定分页时为空）", "number"),
        Column("使用OCR", lambda r: YES_NO[bool(r[1].get("ocr"))], "是否对扫描页做了文字识别（OCR）"),
        Column("大小（字节）", lambda r: _as_int(r[1].get("size")), "文件大小，字节", "number"),
        Column("SHA-256", lambda r: r[1].get("sha256"), "文件内容的 SHA-256 校验值"),
    ]
    _sheet(book, "文件", files, file_rows)
    sheets.append(("文件", files))

    by_status = [
        Column("赛道", lambda r: r["track"], "赛道（按勾选的方向）；未识别：没有可读取的需求征集表"),
        Column("申报方向", lambda r: r["direction"], "申报场景方向；未选择、多选：勾选不是恰好一项"),
        Column("申报数", lambda r: sum(r.get(k, 0) for k in STATUSES), "该方向的申报份数", "number"),
        *[Column(STATUS_LABELS[k], lambda r, k=k: r.get(k, 0), f"状态为“{STATUS_LABELS[k]}”的份数", "number",
                 style=lambda r, k=k: k if r.get(k) else None) for k in ("pass", "warn", "review", "fail")],
    ]
    _sheet(book, "赛道方向", by_status, _track_direction_rows(subs, rules))
    sheets.append(("赛道方向", by_status))

    coverage = [
        Column("提交编号", lambda r: r["sub"].get("submission_id"), "所属申报的编号"),
        Column("赛道", lambda r: display_value((r["sub"].get("fields") or {}).get("track")), "所属申报勾选的赛道"),
        Column("类别", lambda r: r["group"], "技术要素：通知要求的五类技术要素；概述要点：场景建设概述填写提示要求的七项；关键技术：参考"),
        Column("名称", lambda r: r["name"], "技术要素或概述要点的名称"),
        Column("是否涉及", lambda r: YES_NO[r["covered"]], "正文中是否出现该项的关键词（关键词见规则文件）"),
        Column("匹配次数", lambda r: r["count"], "关键词在正文中出现的次数", "number"),
        Column("匹配词", lambda r: r["terms"], "正文中匹配到的关键词，以“、”分隔"),
        Column("所在栏目", lambda r: r["sections"], "匹配到的关键词所在的具体内容栏目"),
    ]
    _sheet(book, "覆盖", coverage, _coverage_rows(subs, rules))
    sheets.append(("覆盖", coverage))

    _explain(book, run, sheets)
    wb.set_properties({"author": "pipeline", "title": "申报材料检查汇总", "created": _created(run)})
    wb.close()
    path = out_dir / "consolidated.xlsx"
    atomic_write_bytes(path, buf.getvalue())
    return path


def _decision(finding: dict[str, Any], key: str) -> str | None:
    """A decision already applied to the finding, shown so that the workbook read back keeps it."""
    d = finding.get("decision")
    if not isinstance(d, dict) or d.get("action") not in ACTION_LABELS:
        return None
    return ACTION_LABELS[d["action"]] if key == "action" else (d.get("note") or None)


def _created(run: dict[str, Any]) -> datetime:
    """The workbook's creation date (UTC, as the file stores it): the run's start, else a fixed date."""
    try:
        dt = datetime.fromisoformat(run["started"])
    except (KeyError, TypeError, ValueError):
        return NO_RUN_DATE
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _started(run: dict[str, Any]) -> Any:
    try:
        dt = datetime.fromisoformat(run["started"])
    except (KeyError, TypeError, ValueError):
        return run.get("started")
    return dt.astimezone(BEIJING).replace(tzinfo=None) if dt.tzinfo else dt


STARTED_LABEL, SECONDS_LABEL = "开始时间（北京时间）", "用时（秒）"


def _run_info(run: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """The 说明 sheet's first rows (after its header): what the run was."""
    counts = run.get("counts") or {}
    return [
        ("运行信息", "工具版本", run.get("version")),
        ("运行信息", "规则文件版本", run.get("rules_version")),
        ("运行信息", "规则文件", run.get("rules_source")),
        ("运行信息", "规则文件 SHA-256", run.get("rules_sha256")),
        ("运行信息", STARTED_LABEL, _started(run)),
        ("运行信息", SECONDS_LABEL, run.get("seconds")),
        ("运行信息", "文件数", run.get("files")),
        ("运行信息", "申报数", run.get("submissions")),
        *[("运行信息", f"{STATUS_LABELS[k]}（份）", counts.get(k)) for k in STATUSES],
    ]


def _explain(book: _Book, run: dict[str, Any], sheets: list[tuple[str, list[Column]]]) -> None:
    info: list[tuple[str, str, Any]] = [
        *_run_info(run),
        ("阅读说明", "公式防护", "以 = + - @、制表符或回车开头的文本前加了英文单引号 '，以文本保存，任何单元格都不会作为公式执行"),
        ("阅读说明", "空白单元格", "空白表示申报材料中未填写或未能识别"),
        ("阅读说明", "用 pandas 读取", "pandas.read_excel(路径, sheet_name=None, dtype=object) 保留每个单元格的原始类型；"
         "不指定 dtype 时 pandas 会把纯数字的文本列（如手机号码、全数字代码）转为数字，可能丢失前导零"),
        ("阅读说明", "链接", "“报告”列链接到与本文件同目录下 reports/ 中的 HTML 报告，需保持目录结构"),
    ]
    for sheet, columns in sheets:
        info.extend((sheet, c.header, c.note) for c in columns)
    cols = [
        Column("类别", lambda r: r[0], "运行信息、阅读说明，或该列所在的工作表"),
        Column("名称", lambda r: r[1], "项目或列名"),
        Column("内容", lambda r: r[2], "取值或含义", "text", 90),
    ]
    _sheet(book, "说明", cols, info)
