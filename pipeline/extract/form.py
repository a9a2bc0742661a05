"""附件1 需求征集表: field values from layout blocks, found by label, not by position.

Works on `Block`s only (DOCX cells and paragraphs, PDF cells and lines), so every backend shares
it. The blocks are read as one stream: a label opens a field, the text that follows (the rest of
the label's block, then following blocks) is its value until the next label. Context decides
ambiguous labels: after 负责人/联系人 the sub-labels 姓名 电话 … belong to that person; after
联合申报单位 the header 单位名称 | 单位性质 | … maps the columns of the joint-unit rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ..config import Rules
from ..labels import field_label
from ..model import Block, Gap, Note, Provenance
from . import checkbox
from .labels import LabelIndex, label_index
from .sections import NUMBER, Heading, SectionLocator, section_locator
from .text import (
    clean_value,
    find_options,
    join_inline,
    normalise_code,
    one_or_many,
    paragraphs,
    read_options,
    strip_hint,
)

PERSON_KEYS = ("leader", "contact")  # label keys of the two 3×4 person sub-grids
PERSON_FIELDS = ("name", "phone", "title", "mobile", "fax", "email")
JOINT_FIELDS = ("name", "nature", "strengths", "code")
SIMPLE_KEYS = ("lead_unit_name", "lead_unit_code", "scenario_name", "address")
FOUND_KEYS = ("lead_unit_name", "lead_unit_code", "scenario_name")  # one of them makes blocks a form
# A heading row such as 一、基本信息 / 二、具体内容 ends whatever field was open.
HEADING = re.compile(r"^\s*[一二三四五六七八九十]{1,3}\s*[、.．]\s*\S{2,12}\s*$")
# The printed 请注明 hint after 其他, also when a line break cut it short ("其他(请" | "注明):").
_OTHER_TEXT = re.compile(r"^[\s(（]*(?:请(?:\s*注(?:\s*明)?)?)?[\s)）]*[:：]?")


# A checkbox group's text and where it was found.
_Region = tuple[str, Provenance | None]


@dataclass
class Piece:
    text: str
    prov: Provenance


@dataclass
class _Joint:
    """The joint-unit table being read: header columns, then one dict of pieces per row."""

    label_prov: Provenance
    header: dict[str, tuple[float, float]] = field(default_factory=dict)  # field → column extent
    rows: list[dict[str, list[Piece]]] = field(default_factory=list)
    row_provs: list[Provenance] = field(default_factory=list)
    row_key: object = None

    def ends_before(self, block: Block) -> bool:
        """A joint-unit table read from cells ends with its table: what follows is no unit."""
        table = self.label_prov.table
        return table is not None and (block.kind != "cell" or block.prov.table != table)

    def add_header(self, key: str, block: Block) -> None:
        self.header.setdefault(key, _extent(block))

    def add(self, block: Block, text: str) -> None:
        p = block.prov
        key = (p.table, p.row) if block.kind == "cell" else ("line", id(block))
        if key != self.row_key:
            self.row_key = key
            self.rows.append({})
            self.row_provs.append(p)
        row = self.rows[-1]
        if block.kind == "cell":
            col = self._column(block) or JOINT_FIELDS[min(len(row), len(JOINT_FIELDS) - 1)]
            row.setdefault(col, []).append(Piece(text, p))
        else:
            cols = [c for c in re.split(r"\s{2,}|\t|\|", text.strip()) if c.strip()]
            for name, value in zip(JOINT_FIELDS, cols, strict=False):
                row.setdefault(name, []).append(Piece(value, p))

    def _column(self, block: Block) -> str | None:
        if not self.header:
            return None
        lo, hi = _extent(block)
        best, overlap = None, 0.0
        for key, (a, b) in self.header.items():
            ov = min(hi, b) - max(lo, a)
            if ov > overlap:
                best, overlap = key, ov
        return best


def _extent(block: Block) -> tuple[float, float]:
    if block.prov.col is not None:
        return float(block.prov.col), float(block.prov.col + block.col_span)
    if block.prov.bbox is not None:
        return block.prov.bbox[0], block.prov.bbox[2]
    return 0.0, 0.0


class FormReader:
    """One pass over the blocks of a form; `result()` gives fields, provenance and notes."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.ix: LabelIndex = label_index(rules)
        self.locator: SectionLocator = section_locator(rules)
        self.section_keys = self.ix.section_keys
        self.headings: dict[int, Heading] = {}
        self.values: dict[str, list[Piece]] = {}
        self.label_prov: dict[str, Provenance] = {}
        self.notes: list[Note] = []
        self.current: str | None = None
        self.person: str | None = None
        self.joint: _Joint | None = None  # open while its rows are being read
        self.joint_table: _Joint | None = None  # kept after it closes
        self._regions: dict[str, _Region] = {}  # checkbox group → its text, looked up once
        self.gaps: list[Gap] = []  # what could not be read (EXTRACTION_INCOMPLETE)

    # Reading ------------------------------------------------------------------------------------

    def read(self, blocks: list[Block]) -> None:
        self.headings = self.locator.locate(blocks)
        skip = -1
        for i, block in enumerate(blocks):
            if i <= skip:
                continue
            head = self.headings.get(i)
            if head is not None:
                self.section_heading(head, blocks[i + head.span - 1])
                skip = i + head.span - 1
                continue
            if self.joint is not None and self.joint.ends_before(block):
                self.close()
            text = block.text
            if not text.strip():
                if self.current and not self.joint:
                    self.values.setdefault(self.current, []).append(Piece("", block.prov))
                continue
            if self.current in self.section_keys:
                if not self._ends_section(text):
                    self.text(block, text)  # inside a section, only the next heading ends it
                    continue
                self.close()
            if HEADING.match(text):
                self.close()
                continue
            groups = ("joint", "form") if self.joint else ("person", "form") if self.person else ("form", "person")
            for seg in self.ix.split(text, groups, anywhere=True):
                if seg.key is None or seg.key in self.section_keys:
                    self.text(block, seg.text)  # a section label that is no heading (the locator decides)
                elif seg.group == "form":
                    self.form_label(seg.key, block, seg.text, text[seg.label_start:])
                elif seg.group == "person":
                    self.person_label(seg.key, block, seg.text, text[seg.label_start:])
                elif seg.group == "joint" and self.joint is not None:
                    self.joint.add_header(seg.key, block)
                    if seg.text.strip():
                        self.text(block, seg.text)

    def section_heading(self, head: Heading, last: Block) -> None:
        self.close()
        self.label_prov[head.key] = last.prov
        self.current = head.key
        if head.rest.strip():
            self.values.setdefault(head.key, []).append(Piece(head.rest, last.prov))

    def _ends_section(self, text: str) -> bool:
        """The form's end (真实性承诺, numbered or not) closes the last section."""
        body = text[m.end():] if (m := NUMBER.match(text)) else text
        seg = self.ix.match_start(body, ("form",))
        return seg is not None and seg.key == "form_end"

    def close(self) -> None:
        self.current = None
        self.person = None
        self.joint = None

    def text(self, block: Block, text: str) -> None:
        if self.joint is not None:
            if text.strip():
                self.joint.add(block, text)
        elif self.current is not None:
            self.values.setdefault(self.current, []).append(Piece(text, block.prov))

    def form_label(self, key: str, block: Block, rest: str, whole: str) -> None:
        if key in self.label_prov or key in self.values:
            self.text(block, whole)  # a label word repeated inside a value is just text
            return
        self.close()
        self.label_prov[key] = block.prov
        if key in PERSON_KEYS:
            self.person = key
        elif key == "joint_units":
            self.joint = self.joint_table = _Joint(block.prov)
        elif key != "form_end":  # 真实性承诺: the signature block after it is not applicant data
            self.current = key
            if rest.strip():
                self.values.setdefault(key, []).append(Piece(rest, block.prov))

    def person_label(self, sub: str, block: Block, rest: str, whole: str) -> None:
        if self.person is None:
            self.current = None  # a sub-label with no 负责人/联系人 before it: its value is unattributable
            return
        key = f"{self.person}_{sub}"
        if key in self.label_prov:
            self.text(block, whole)
            return
        self.current = key
        self.label_prov[key] = block.prov
        if rest.strip():
            self.values.setdefault(key, []).append(Piece(rest, block.prov))

    # Results ------------------------------------------------------------------------------------

    def _prov(self, key: str) -> Provenance | None:
        pieces = self.values.get(key) or []
        for p in pieces:
            if p.text.strip():
                return p.prov
        return pieces[0].prov if pieces else self.label_prov.get(key)

    def _texts(self, key: str) -> list[str]:
        return [p.text for p in self.values.get(key, [])]

    def result(self, blocks: list[Block]) -> tuple[dict, dict[str, Provenance], list[Note]]:
        fields: dict = {}
        prov: dict[str, Provenance] = {}

        def put(key: str, value, where: Provenance | None) -> None:
            fields[key] = value
            if where is not None:
                prov[key] = where

        for key in SIMPLE_KEYS:
            put(key, self._simple(key), self._prov(key))
        self._direction(blocks, put)
        for person in PERSON_KEYS:
            for sub in PERSON_FIELDS:
                key = f"{person}_{sub}"
                put(key, clean_value(join_inline(self._texts(key))), self._prov(key))
        self._unit_nature(blocks, put)
        self._joint_units(put, prov)
        sections: dict[str, str | None] = {}
        for spec in self.rules.sections:
            if spec.key not in self.label_prov:
                sections[spec.key] = None  # no heading found: unknown, not empty (section_gaps)
                continue
            lines = strip_hint(paragraphs(self._texts(spec.key)), spec.hint)
            sections[spec.key] = "\n".join(lines)
            where = self._prov(spec.key)
            if where is not None:
                prov[f"sections.{spec.key}"] = where
        fields["sections"] = sections
        first = next((prov[f"sections.{s.key}"] for s in self.rules.sections if f"sections.{s.key}" in prov), None)
        if first is not None:
            prov["sections"] = first
        return fields, prov, self.notes

    def section_gaps(self, blocks: list[Block]) -> list[Gap]:
        """One gap for the sections whose heading was not found (a blank section has one: SECTION_EMPTY)."""
        missing = [s for s in self.rules.sections if s.key not in self.label_prov]
        if not missing:
            return []
        where = Provenance(file=blocks[0].prov.file) if blocks else None
        keys = tuple(s.key for s in missing)
        if len(missing) == len(self.rules.sections):
            return [Gap("附件1“二、具体内容”", "没有找到任何栏目标题（如“牵头单位基本情况介绍”“场景建设概述”），"
                        "无法判断各栏目是否填写、字数是否超限、是否涉及技术要素；请人工查看该部分", keys, where)]
        names = "、".join(f"「{s.labels[0]}」" for s in missing)
        return [Gap(f"附件1具体内容栏目{names}", "没有找到这些栏目的标题（可能标题写法与表格不同，或栏目被删去），"
                    "无法判断是否填写、字数是否超限；请人工核对", keys, where)]

    def label_gaps(self, blocks: list[Block]) -> list[Gap]:
        """One gap for the required fields whose printed label was not found at all: a blank value
        behind a label is the applicant's (FIELD_MISSING); no label is a blind spot of ours."""
        spec = self.rules.raw["fields"]
        wanted = [(k,) for k in spec["required"]] + [tuple(g) for g in spec["required_any"] if g]
        lost = [g for g in wanted if not any(k in self.label_prov or self.values.get(k) for k in g)]
        if not lost:
            return []
        names = "、".join(f"「{field_label(g[0], self.rules)}」" for g in lost)
        where = Provenance(file=blocks[0].prov.file) if blocks else None
        return [Gap(f"附件1基本信息中的{names}", "没有找到这些栏目的标题（表格版式可能与模板不同），"
                    "无法判断是否填写；请人工核对", tuple(k for g in lost for k in g), where)]

    def _simple(self, key: str) -> str | None:
        value = clean_value(join_inline(self._texts(key)))
        return normalise_code(value) if key == "lead_unit_code" else value

    def found(self) -> bool:
        """Whether any key field (unit name or code, scenario name) has a value, as `result` gives it."""
        return any(self._simple(k) for k in FOUND_KEYS)

    def _region(self, key: str, blocks: list[Block], options: list[str]) -> _Region:
        """The text holding a checkbox group: its label's value, else blocks naming ≥3 of its options."""
        if key not in self._regions:
            self._regions[key] = self._find_region(key, blocks, options)
        return self._regions[key]

    def _find_region(self, key: str, blocks: list[Block], options: list[str]) -> _Region:
        if key in self.values or key in self.label_prov:
            return "\n".join(self._texts(key)), self._prov(key)
        picked = [b for b in blocks if sum(o in b.text for o in options) >= 3 or (
            any(o[-2:] in b.text for o in options) and len(_names(b.text, options)) >= 3)]
        if picked:
            return "\n".join(b.text for b in picked), picked[0].prov
        return "", None

    def _options(self, key: str, what: str, blocks: list[Block], options: list[str],
                 fields: tuple[str, ...]) -> tuple[list[str], Provenance | None]:
        text, where = self._region(key, blocks, options)
        checked, unchecked, missing = read_options(text, options)
        if missing and (checked or unchecked):
            self.notes.append(Note(f"{what}选项“{'、'.join(missing)}”前后没有识别到勾选框，无法判断是否勾选，请人工核对", where))
        elif missing and not checked and not unchecked:
            if len(missing) == 1 and len(_names(text, options)) == 1:
                checked = missing  # only the chosen option was kept in the form
                self.notes.append(Note(f"{what}只写了“{missing[0]}”而没有勾选框，按已选择处理，请人工核对", where))
            elif text.strip():
                self.gaps.append(Gap(what, "没有识别到任何勾选框（可能是程序无法识别的勾选方式），无法判断勾选了哪一项；"
                                           "请人工查看原件中该栏的勾选情况", fields, where))
            else:
                self.gaps.append(Gap(what, "没有找到这一栏（栏目标题和选项都未识别到）；请人工查看原件", fields, where))
        if missing and not checked and unchecked:
            # Every readable box is unticked and some cannot be read: the tick may be among those.
            self.gaps.append(Gap(what, f"选项“{'、'.join(missing)}”的勾选状态无法识别，其余选项均未勾选，"
                                       "无法判断是否漏选；请人工核对", fields, where))
        elif missing and checked and checkbox.UNSURE in text:
            # A scanned box with some ink but less than a tick: it may be a second choice.
            self.gaps.append(Gap(what, f"已勾选“{'、'.join(checked)}”，但选项“{'、'.join(missing)}”的勾选框看不清"
                                       "（扫描件上有少量笔迹），无法确定是否也被勾选；请人工核对", fields, where))
        return checked, where

    def _direction(self, blocks: list[Block], put) -> None:
        options = [d for ds in self.rules.directions.values() for d in ds]
        checked, where = self._options("direction", "申报场景方向", blocks, options, ("direction", "track"))
        tracks = list(dict.fromkeys(self.rules.direction_track[d] for d in checked))
        put("direction", one_or_many(checked), where)
        put("track", one_or_many(tracks), where)

    def _unit_nature(self, blocks: list[Block], put) -> None:
        options = self.rules.unit_natures
        checked, where = self._options("unit_nature", "单位性质", blocks, options, ("unit_nature", "unit_nature_other"))
        put("unit_nature", one_or_many(checked), where)
        other_label = self.rules.raw["unit_natures"].get("other", "其他")
        text, _ = self._region("unit_nature", blocks, options)
        put("unit_nature_other", other_text(text, other_label), where)

    def _joint_units(self, put, prov: dict[str, Provenance]) -> None:
        units = []
        joint = self.joint_table
        if joint is None:
            put("joint_units", [], None)
            return
        for row, rprov in zip(joint.rows, joint.row_provs, strict=True):
            unit = {}
            for name in JOINT_FIELDS:
                pieces = row.get(name, [])
                if name == "strengths":
                    value = "\n".join(paragraphs([p.text for p in pieces])) or None
                else:
                    value = clean_value(join_inline([p.text for p in pieces]))
                if name == "code":
                    value = normalise_code(value)
                elif name == "nature" and value:
                    ticked, _, _ = read_options(value, self.rules.unit_natures)
                    value = "、".join(ticked) if ticked and any(c in value for c in "☑☐") else value
                unit[name] = value
            if any(v for v in unit.values()):
                i = len(units)
                units.append(unit)
                prov[f"joint_units[{i}]"] = rprov
                for name in JOINT_FIELDS:
                    if row.get(name):
                        prov[f"joint_units[{i}].{name}"] = row[name][0].prov
        put("joint_units", units, joint.label_prov)


def _names(text: str, options: list[str]) -> set[str]:
    return {o for _, _, o in find_options(text, options)}


def other_text(text: str, other_label: str) -> str | None:
    """The 请注明 text after 其他 in a unit-nature group, or None when left blank."""
    spans = [s for s in find_options(text, [other_label]) if s[2] == other_label]
    if not spans:
        return None
    rest = text[spans[-1][1]:].split("\n", 1)[0]
    rest = _OTHER_TEXT.sub("", rest)
    rest = re.sub(r"[☑☐□■√✓✔]", "", rest)
    return clean_value(rest)


class FormRead(NamedTuple):
    fields: dict
    prov: dict[str, Provenance]
    notes: list[Note]
    found: bool  # whether any of the key fields (unit name or code, scenario name) was found
    gaps: list[Gap]


def read_form(blocks: list[Block], rules: Rules, only_if_found: bool = False) -> FormRead:
    """Fields of a form, with what could not be read.

    `only_if_found`: the caller drops the form unless a key field is found (blocks without a form
    title), so when none is, nothing else is worked out and the fields come back empty.
    """
    reader = FormReader(rules)
    reader.read(blocks)
    if only_if_found and not reader.found():
        return FormRead({}, {}, [], False, [])
    fields, prov, notes = reader.result(blocks)
    found = any(fields.get(k) for k in FOUND_KEYS)
    return FormRead(fields, prov, notes, found, reader.label_gaps(blocks) + reader.section_gaps(blocks) + reader.gaps)
