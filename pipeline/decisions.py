"""Reviewers' decisions on findings: parse → match → apply.

A reviewer who has checked a finding records a decision: *dismiss* (驳回: the finding is wrong or
settled; it stays in results.json with its decision but no longer counts toward the status) or
*confirm* (确认: it stands and keeps counting, with the decision shown). Decisions come from

- a TOML file of `[[decision]]` tables (`submission`, `rule`, optional `field`, `action`, `note`,
  `by`; optional `file_role` as `pipeline compare` writes it), or
- a run's own consolidated.xlsx, whose 问题清单 sheet has a 处理 (驳回/确认) and a 备注 column.
  A row names one finding by submission, rule, field, file and message exactly as the workbook
  shows them.

A decision that matches no finding is *stale* (the file or the rules changed since it was made): it
is listed in the run's record and on index.html, never dropped silently.

The same finding across two runs (`same_finding`): the same rule, on the same field (for the
narrative sections the field is the section key), in a file of the same role (附件1 form, 附件2
letter, both, or no file). File names, pages and message wording may change between runs; these
three do not when the problem is the same one. `pipeline compare` pairs findings by this key and
carries decisions over by it.

Everything here is pure: the only file read is the decisions file; results come back as new
objects, the inputs are left as they were.
"""

from __future__ import annotations

import dataclasses
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from .cells import FORMULA_PREFIXES, NEUTRALISER, safe_text
from .explain import explain

ACTIONS = {"dismiss": "dismiss", "confirm": "confirm", "驳回": "dismiss", "确认": "confirm"}
ACTION_LABELS = {"dismiss": "驳回", "confirm": "确认"}
SHEET = "问题清单"
ACTION_HEADER, NOTE_HEADER = "处理", "备注"
# The 问题清单 columns a workbook decision is matched by.
SID_HEADER, RULE_HEADER, FIELD_HEADER, FILE_HEADER, MESSAGE_HEADER = "提交编号", "规则", "字段", "文件", "问题说明"
TOML_KEYS = {"submission", "rule", "field", "action", "note", "by", "file_role"}
ROLES = ("form", "letter", "both", "unknown", "none")


class DecisionError(Exception):
    """The decisions file cannot be read or has a bad entry (exit status 2); the message is Chinese."""


@dataclass(frozen=True)
class Decision:
    """One reviewer decision and what it applies to. A criterion not given matches any value."""

    submission: str
    rule: str
    action: str  # dismiss | confirm
    note: str = ""
    by: str | None = None
    source: str = ""  # where it was written: 「decisions.toml 第2条」, 「consolidated.xlsx 问题清单第5行」
    field: str | None = None
    match_field: bool = False
    file: str | None = None
    match_file: bool = False
    message: str | None = None  # the finding's message as the workbook shows it (workbook rows only)
    file_role: str | None = None  # form | letter | both | unknown | none (no file)
    match_role: bool = False

    def record(self) -> dict[str, Any]:
        """What a decided finding carries in results.json."""
        return {"action": self.action, "note": self.note, "by": self.by, "source": self.source}

    def describe(self) -> dict[str, Any]:
        """A stale decision as the run's record lists it."""
        return {"submission": self.submission, "rule": self.rule, "field": self.field if self.match_field else None,
                "action": self.action, "note": self.note, "by": self.by, "source": self.source}


@dataclass(frozen=True)
class FindingKey:
    """What a decision can be matched against: a finding as results.json shows it, plus its file's role."""

    rule: str
    field: str | None
    file: str | None
    message: str
    role: str  # the kind of the evidence file (form/letter/both/unknown), or "none"

    @property
    def same(self) -> tuple[str, str | None, str]:
        """The same-finding key across runs: rule + field/section + file role."""
        return same_finding(self.rule, self.field, self.role)


def same_finding(rule: str, field: str | None, role: str) -> tuple[str, str | None, str]:
    if field and field.startswith("sections."):
        field = field[len("sections."):]
    return rule, field, role


# ---------------------------------------------------------------- parse


def load_decisions(path: Path) -> list[Decision]:
    """Decisions from a TOML file or a consolidated.xlsx (by content: an xlsx is a zip)."""
    try:
        head = path.read_bytes()[:4]
    except OSError as exc:
        raise DecisionError(f"无法读取处理意见文件 {path}: {exc.strerror or exc}") from exc
    if head.startswith(b"PK"):
        return read_workbook(path)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DecisionError(f"处理意见文件 {path} 不是 UTF-8 文本或 xlsx 工作簿: {exc}") from exc
    return parse_toml(text, path.name)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_toml(text: str, source: str = "decisions.toml") -> list[Decision]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DecisionError(f"处理意见文件 {source} 不是有效的 TOML: {exc}") from exc
    entries = data.get("decision", [])
    if not isinstance(entries, list) or any(not isinstance(e, dict) for e in entries):
        raise DecisionError(f"处理意见文件 {source} 有误: 每条处理意见应写成 [[decision]] 表")
    extra = sorted(set(data) - {"decision"})
    if extra:
        raise DecisionError(f"处理意见文件 {source} 有误: 不认识的键 {'、'.join(extra)}（应为 [[decision]]）")
    out = []
    for n, e in enumerate(entries, 1):
        where = f"{source} 第{n}条"
        unknown = sorted(set(e) - TOML_KEYS)
        if unknown:
            raise DecisionError(f"处理意见 {where} 有误: 不认识的键 {'、'.join(unknown)}")
        for key in ("submission", "rule", "action"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                raise DecisionError(f"处理意见 {where} 有误: 缺少 {key}")
        for key in ("field", "note", "by", "file_role"):
            if key in e and not isinstance(e[key], str):
                raise DecisionError(f"处理意见 {where} 有误: {key} 应为文本")
        action = ACTIONS.get(e["action"].strip())
        if action is None:
            raise DecisionError(f"处理意见 {where} 有误: action 应为 dismiss（驳回）或 confirm（确认），实为「{e['action']}」")
        role = _text(e.get("file_role"))
        if role is not None and role not in ROLES:
            raise DecisionError(f"处理意见 {where} 有误: file_role 应为 {'、'.join(ROLES)} 之一")
        out.append(Decision(submission=e["submission"].strip(), rule=e["rule"].strip(), action=action,
                            note=(e.get("note") or "").strip(), by=_text(e.get("by")), source=where,
                            field=_text(e.get("field")), match_field="field" in e and _text(e.get("field")) is not None,
                            file_role=role, match_role=role is not None))
    return out


def read_workbook(path: Path) -> list[Decision]:
    """Decisions from the 处理 / 备注 columns of a consolidated.xlsx's 问题清单 sheet."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DecisionError(f"无法读取工作簿 {path.name}：{explain(exc, str(path))}") from exc
    try:
        if SHEET not in wb.sheetnames:
            raise DecisionError(f"工作簿 {path.name} 中没有“{SHEET}”工作表")
        by = _text(wb.properties.lastModifiedBy)
        by = None if by in (None, "pipeline") else by
        rows = wb[SHEET].iter_rows(values_only=True)
        header = [_text(h) for h in next(rows, ())]
        col = {h: i for i, h in enumerate(header) if h}
        missing = [h for h in (SID_HEADER, RULE_HEADER, FIELD_HEADER, FILE_HEADER, MESSAGE_HEADER, ACTION_HEADER)
                   if h not in col]
        if missing:
            raise DecisionError(f"工作簿 {path.name} 的“{SHEET}”工作表缺少列: {'、'.join(missing)}")
        out = []
        for r, row in enumerate(rows, 2):
            def cell(h: str, row: tuple = row) -> str | None:
                i = col.get(h)
                return _text(row[i]) if i is not None and i < len(row) else None

            raw = cell(ACTION_HEADER)
            if raw is None:
                continue
            where = f"{path.name} {SHEET}第{r}行"
            action = ACTIONS.get(raw)
            if action is None:
                raise DecisionError(f"处理意见 {where} 有误: “{ACTION_HEADER}”应为 驳回 或 确认，实为「{raw}」")
            sid, rule = cell(SID_HEADER), cell(RULE_HEADER)
            if sid is None or rule is None:
                raise DecisionError(f"处理意见 {where} 有误: 缺少{SID_HEADER}或{RULE_HEADER}")
            out.append(Decision(submission=sid, rule=rule, action=action, note=_unneutralised(cell(NOTE_HEADER)), by=by,
                                source=where, field=cell(FIELD_HEADER), match_field=True, file=cell(FILE_HEADER),
                                match_file=True, message=cell(MESSAGE_HEADER)))
        return out
    finally:
        wb.close()


def _unneutralised(note: str | None) -> str:
    """A note as the reviewer meant it: the apostrophe the workbook puts before = + - @ is dropped
    (the next workbook puts it back), so reading a workbook back does not add one each time."""
    if not note:
        return ""
    if note.startswith(NEUTRALISER) and note[1:].startswith(FORMULA_PREFIXES):
        return note[1:]
    return note


# ---------------------------------------------------------------- match


def _shown(value: str | None) -> str | None:
    """A value as the workbook shows it (formula prefixes neutralised, controls removed)."""
    if value is None or value == "":
        return None
    return _text(safe_text(value))


def _matches(d: Decision, k: FindingKey) -> bool:
    if d.rule != k.rule:
        return False
    if d.match_field and d.field != k.field and _shown(k.field) != d.field:
        return False
    if d.match_role and d.file_role != k.role:
        return False
    if d.match_file and d.file != _shown(k.file):
        return False
    return d.message is None or d.message == _shown(k.message)


def match(decisions: Iterable[Decision], keys: Mapping[str, list[FindingKey]],
          ) -> tuple[dict[tuple[str, int], Decision], list[tuple[Decision, str]]]:
    """Which decision applies to which finding ((submission id, finding index) → decision; a later
    decision on the same finding wins), and the decisions that match nothing, each with the reason."""
    assigned: dict[tuple[str, int], Decision] = {}
    stale: list[tuple[Decision, str]] = []
    for d in decisions:
        found = keys.get(d.submission)
        if found is None:
            stale.append((d, f"批次中没有编号为「{d.submission}」的申报"))
            continue
        hits = [i for i, k in enumerate(found) if _matches(d, k)]
        if not hits:
            what = f"规则 {d.rule}" + (f"、字段 {d.field}" if d.match_field and d.field else "")
            stale.append((d, f"该申报中已没有相符的问题（{what}）：文件或规则可能已有变化"))
        for i in hits:
            assigned[(d.submission, i)] = d
    return assigned, stale


# ---------------------------------------------------------------- apply


def keys_of_submission(sub: Any) -> list[FindingKey]:
    """FindingKeys of a `model.Submission` or of a results.json submission dict, in finding order."""
    if isinstance(sub, dict):
        roles = {f.get("path"): f.get("kind") or "unknown" for f in sub.get("files") or [] if isinstance(f, dict)}
        out = []
        for f in sub.get("findings") or []:
            ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
            file = ev.get("file")
            out.append(FindingKey(f.get("rule") or "", f.get("field"), file, f.get("message") or "",
                                  roles.get(file, "unknown") if file else "none"))
        return out
    roles = {f.path: f.kind for f in sub.files}
    return [FindingKey(f.rule, f.field, f.evidence.file, f.message,
                       roles.get(f.evidence.file, "unknown") if f.evidence.file else "none") for f in sub.findings]


def summary(decisions: list[Decision], assigned: dict[tuple[str, int], Decision],
            stale: list[tuple[Decision, str]], source: str) -> dict[str, Any]:
    """The run record's `decisions`: what was given, what applied, and the stale ones."""
    applied = set(assigned.values())
    return {
        "source": source,
        "given": len(decisions),
        "applied": len(applied),
        "dismissed": sum(1 for d in assigned.values() if d.action == "dismiss"),
        "confirmed": sum(1 for d in assigned.values() if d.action == "confirm"),
        "stale": [{**d.describe(), "reason": reason} for d, reason in stale],
    }


def apply_decisions(result: Any, decisions: list[Decision], source: str) -> Any:
    """A new `model.BatchResult` with each decided finding carrying its decision, statuses and the
    run's counts recomputed (dismissed findings do not count), and the run's record of the decisions
    (`run.decisions`: counts and stale ones). `result` is not changed; a submission no decision
    touches is the same object in both."""
    keys = {s.submission_id: keys_of_submission(s) for s in result.submissions}
    assigned, stale = match(decisions, keys)
    subs = []
    for s in result.submissions:
        mine = {i: d for (sid, i), d in assigned.items() if sid == s.submission_id}
        if not mine:
            subs.append(s)
            continue
        findings = [dataclasses.replace(f, decision=mine[i].record()) if i in mine else f
                    for i, f in enumerate(s.findings)]
        new = dataclasses.replace(s, findings=findings)
        new.compute_status()
        subs.append(new)
    run = dict(result.run)
    run["counts"] = {st: sum(1 for x in subs if x.status == st) for st in ("pass", "warn", "review", "fail")}
    run["decisions"] = summary(decisions, assigned, stale, source)
    return dataclasses.replace(result, run=run, submissions=subs)


def counts(finding: Mapping[str, Any]) -> bool:
    """Whether a results.json finding counts toward its submission's status (not dismissed)."""
    d = finding.get("decision")
    return not (isinstance(d, Mapping) and d.get("action") == "dismiss")
