"""Rules on 附件2 the commitment letter. They run only when a letter was read."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import date

from .. import clauses as clausematch
from ..model import Evidence, Finding
from ..normalise import name_key
from .registry import Context, rule
from .text import as_text, is_blank


@rule(id="SCENARIO_NAME_MISMATCH", reads=("scenario_name",), severity="error", scope="letter", field="letter_scenario_name",
      title="承诺书中的场景名称与需求征集表不一致（忽略空格、《》“”和全半角）",
      message="承诺书中的场景名称{problem}，需求征集表中为「{form_name}」")
def check_scenario_name(c: Context) -> Iterator[Finding]:
    form_name = c.fields.get("scenario_name")
    if not c.has_document("form") or is_blank(form_name):
        return
    letter_name = c.fields.get("letter_scenario_name")
    if is_blank(letter_name):
        yield c.finding("SCENARIO_NAME_MISMATCH", "letter_scenario_name", problem="未填写",
                        form_name=as_text(form_name))
    elif name_key(letter_name) != name_key(form_name):
        yield c.finding("SCENARIO_NAME_MISMATCH", "letter_scenario_name", excerpt=letter_name,
                        problem=f"为「{as_text(letter_name)}」", form_name=as_text(form_name),
                        details={"letter": as_text(letter_name), "form": as_text(form_name)})


def _window(c: Context) -> tuple[date, date]:
    lo, hi = c.rules.raw["letter"]["date_window"]
    return date.fromisoformat(lo), date.fromisoformat(hi)


@rule(id="LETTER_DATE_MISSING", absence=True, severity="warning", scope="letter", field="letter_date",
      title="承诺书未填写日期",
      message="承诺书{problem}")
@rule(id="LETTER_DATE_OUT_OF_WINDOW", severity="error", scope="letter", field="letter_date",
      title="承诺书日期不在申报期内",
      message="承诺书日期为 {value}，不在申报期 {start} 至 {end} 之内")
def check_letter_date(c: Context) -> Iterator[Finding]:
    raw = c.fields.get("letter_date")
    if is_blank(raw):
        yield c.finding("LETTER_DATE_MISSING", "letter_date", problem="未填写日期（“年 月 日”处空白）")
        return
    try:
        when = date.fromisoformat(as_text(raw))
    except ValueError:
        yield c.finding("LETTER_DATE_MISSING", "letter_date", excerpt=raw, problem=f"日期「{as_text(raw)}」无法识别")
        return
    lo, hi = _window(c)
    if not lo <= when <= hi:
        yield c.finding("LETTER_DATE_OUT_OF_WINDOW", "letter_date", excerpt=raw, value=when.isoformat(),
                        start=lo.isoformat(), end=hi.isoformat(),
                        details={"date": when.isoformat(), "window": [lo.isoformat(), hi.isoformat()]})


def clause_diff(official: str, actual: str) -> str:
    """The wording changes between two clauses: [-删去-] and [+增加+] marks, in the texts' own
    characters, aligned as compared (clauses.fold: punctuation, width and OCR confusions aside)."""
    a, wa = clausematch.fold(official)
    b, wb = clausematch.fold(actual)

    def span(text: str, where: list[int], i0: int, i1: int) -> str:
        return text[where[i0]: where[i1 - 1] + 1] if i1 > i0 else ""

    out = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            seg = span(official, wa, a0, a1)
            out.append(seg if len(seg) <= 12 else f"{seg[:5]}…{seg[-5:]}")
        if op in ("delete", "replace"):
            out.append(f"[-{span(official, wa, a0, a1)}-]")
        if op in ("insert", "replace"):
            out.append(f"[+{span(actual, wb, b0, b1)}+]")
    return "".join(out)


similarity = clausematch.similarity


@rule(id="LETTER_CLAUSES_ALTERED", absence=True, severity="error", scope="letter", field="letter_clauses[i]",
      title="承诺书的承诺条款缺失或被实质性改写（与通知原文相差较大）",
      message="承诺书{problem}")
def check_clauses(c: Context) -> Iterator[Finding]:
    """Each official clause paired with the letter's (clauses.pair: same place, else best match) and
    compared ignoring width, punctuation and characters OCR confuses. A clause a scan does not show
    clearly is a gap of the letter reader (EXTRACTION_INCOMPLETE), which silences this rule for it.
    Evidence quotes the applicant's clause as read, where it was read; the official text goes in the
    message and in details, labelled as the notice's."""
    spec = c.rules.raw["letter"]
    official = [str(t) for t in spec["clauses"]]
    threshold = float(spec["clause_similarity_min"])
    raw_clauses = c.fields.get("letter_clauses")
    actual = [as_text(t) for t in raw_clauses] if isinstance(raw_clauses, list) else []
    if not any(clausematch.folded(t) for t in actual):
        yield c.finding("LETTER_CLAUSES_ALTERED", "letter_clauses",
                        problem=f"中未识别到任何承诺条款（应有 {len(official)} 条）",
                        details={"expected": len(official), "found": 0})
        return
    for i, j, score, close in clausematch.pair(official, actual, threshold):
        if close:
            continue
        number = i + 1
        if j is None:
            yield c.finding("LETTER_CLAUSES_ALTERED", f"letter_clauses[{i}]", evidence=_missing_evidence(c, i, actual, official, threshold),
                            problem=f"缺少第{number}条承诺（通知原文第{number}条：「{official[i]}」）",
                            details={"clause": number, "ratio": round(score, 3), "official": official[i],
                                     "actual": None})
            continue
        diff = clause_diff(official[i], actual[j])
        yield c.finding("LETTER_CLAUSES_ALTERED", f"letter_clauses[{i}]", evidence=c.evidence(f"letter_clauses[{j}]", actual[j]),
                        problem=f"第{number}条承诺与通知原文不一致（相似度 {score:.2f}，低于 {threshold:.2f}）：{diff}",
                        details={"clause": number, "ratio": round(score, 3), "official": official[i],
                                 "actual": actual[j], "actual_index": j, "diff": diff})


def _missing_evidence(c: Context, i: int, actual: list[str], official: list[str], threshold: float) -> Evidence:
    """Where a missing clause should stand: after the letter's clause matching the one before it.
    Never the official text (that is in the message) nor another clause's place as if it were this one."""
    before = None
    for k in range(i - 1, -1, -1):
        scores = [similarity(official[k], a) for a in actual]
        if scores and max(scores) >= threshold:
            before = max(range(len(actual)), key=scores.__getitem__)
            break
    prov = c.provenance(f"letter_clauses[{before}]") if before is not None else c.provenance("letter_clauses")
    ev = c.evidence("letter_clauses")
    if prov is not None:
        ev = Evidence(file=prov.file, page=prov.page)
    ev.location = (f"承诺书第{before + 1}条之后（{prov.describe()}）未见第{i + 1}条" if before is not None and prov is not None
                   else f"承诺书中未见第{i + 1}条")
    return ev


@rule(id="SEAL_MISSING", absence=True, severity="warning", scope="letter", field="letter_has_seal",
      title="承诺书未检测到单位公章",
      message="承诺书上未检测到单位公章（应由法定代表人签字并加盖单位公章）")
def check_seal(c: Context) -> Iterator[Finding]:
    if not c.fields.get("letter_has_seal"):
        yield c.finding("SEAL_MISSING", "letter_has_seal")

