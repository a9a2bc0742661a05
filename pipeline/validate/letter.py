"""Rules on 附件2 the commitment letter. They run only when a letter was read."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import date

from ..model import Finding
from .registry import Context, rule
from .text import as_text, is_blank, normalise_clause, normalise_name


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
    elif normalise_name(letter_name) != normalise_name(form_name):
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
    """The wording changes between two normalised clauses: [-删去-] and [+增加+] marks."""
    out = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, official, actual, autojunk=False).get_opcodes():
        if op == "equal":
            seg = official[a0:a1]
            out.append(seg if len(seg) <= 12 else f"{seg[:5]}…{seg[-5:]}")
        if op in ("delete", "replace"):
            out.append(f"[-{official[a0:a1]}-]")
        if op in ("insert", "replace"):
            out.append(f"[+{actual[b0:b1]}+]")
    return "".join(out)


def similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@rule(id="LETTER_CLAUSES_ALTERED", absence=True, severity="error", scope="letter", field="letter_clauses[i]",
      title="承诺书的承诺条款缺失或被实质性改写（与通知原文相似度低于规则文件 clause_similarity_min）",
      message="承诺书{problem}")
def check_clauses(c: Context) -> Iterator[Finding]:
    """Clause i is compared with the letter's clause i and, failing that, with its best match among
    all clauses (an inserted or dropped clause shifts the numbering). A clause that matches nothing
    counts as missing only when the letter has fewer clauses than the notice; otherwise it is the
    letter's clause in the same place, reworded, and the finding shows the difference."""
    spec = c.rules.raw["letter"]
    official = [normalise_clause(t) for t in spec["clauses"]]
    threshold = float(spec["clause_similarity_min"])
    raw_clauses = c.fields.get("letter_clauses")
    actual_raw = [as_text(t) for t in raw_clauses] if isinstance(raw_clauses, list) else []
    actual = [normalise_clause(t) for t in actual_raw]
    if not any(actual):
        yield c.finding("LETTER_CLAUSES_ALTERED", "letter_clauses",
                        problem=f"中未识别到任何承诺条款（应有 {len(official)} 条）",
                        details={"expected": len(official), "found": 0})
        return
    for i, off in enumerate(official):
        if i < len(actual) and similarity(off, actual[i]) >= threshold:
            continue  # the clause in its place is close enough: whatever else matches better, it passes
        scores = [similarity(off, a) for a in actual]
        best = max(range(len(actual)), key=lambda k: (scores[k], k == i))
        if scores[best] >= threshold:
            continue
        number = i + 1
        positional = i if i < len(actual) else None
        j = best if positional is None or scores[best] > scores[positional] + 0.1 else positional
        if len(actual) < len(official) and scores[j] < 0.5:
            yield c.finding("LETTER_CLAUSES_ALTERED", f"letter_clauses[{i}]", excerpt=spec["clauses"][i],
                            problem=f"缺少第{number}条承诺：「{spec['clauses'][i]}」",
                            details={"clause": number, "ratio": round(scores[j], 3), "official": spec["clauses"][i],
                                     "actual": None})
            continue
        diff = clause_diff(off, actual[j])
        yield c.finding("LETTER_CLAUSES_ALTERED", f"letter_clauses[{i}]", excerpt=actual_raw[j],
                        problem=f"第{number}条承诺与通知原文不一致（相似度 {scores[j]:.2f}，低于 {threshold:.2f}）：{diff}",
                        details={"clause": number, "ratio": round(scores[j], 3), "official": spec["clauses"][i],
                                 "actual": actual_raw[j], "diff": diff})


@rule(id="SEAL_MISSING", absence=True, severity="warning", scope="letter", field="letter_has_seal",
      title="承诺书未检测到单位公章",
      message="承诺书上未检测到单位公章（应由法定代表人签字并加盖单位公章）")
def check_seal(c: Context) -> Iterator[Finding]:
    if not c.fields.get("letter_has_seal"):
        yield c.finding("SEAL_MISSING", "letter_has_seal")

