"""What the checker could not read: one review finding per unread part, and silence on what it hides.

SPEC §4: errors are the applicant's, never the checker's. A part of a document that could not be
read (no section headings located, a checkbox group whose ticks cannot be told, a page OCR could
not read) becomes a `Gap` during extraction, or a file problem with the rule EXTRACTION_INCOMPLETE.
Here each becomes one EXTRACTION_INCOMPLETE finding (severity review), and `hide_unseen` drops the
findings of rules that would judge the unseen values, so a blind spot never reads as the
applicant's error.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Rules
from ..model import Evidence, Finding, Gap, Submission
from .registry import REGISTRY, Context, Prepared, rule

RULE = "EXTRACTION_INCOMPLETE"
DOCUMENT_MARKS = ("form", "letter")  # a gap field naming a whole document: everything in it is unseen


def file_gaps(sub: Submission) -> list[Gap]:
    """File problems with rule EXTRACTION_INCOMPLETE (OCR crashed, a time limit) as gaps on the
    documents the file held, or on both kinds when the file's kind is not known."""
    kinds = {f.path: f.kind for f in sub.files}
    out = []
    for p in sub.file_problems:
        if p.rule != RULE:
            continue
        kind = kinds.get(p.file or "", "unknown")
        marks = {"form": ("form",), "letter": ("letter",)}.get(kind, DOCUMENT_MARKS)
        where = f"第{p.page}页" if p.page is not None else ""
        out.append(Gap(part=f"文件「{p.file or '（未知文件）'}」{where}", reason=p.reason, fields=marks))
    return out


def all_gaps(sub: Submission) -> list[Gap]:
    return [*sub.gaps, *file_gaps(sub)]


@rule(id=RULE, severity="review", scope="submission", field=None,
      title="程序未能完整读取某一部分（未定位到栏目、OCR 失败或把握不足、勾选状态无法识别），需人工核对；"
            "依赖这部分内容的规则不作判断",
      message="{part}未能读取：{reason}")
def check_gaps(c: Context) -> Iterator[Finding]:
    for gap in all_gaps(c.sub):
        field = gap.fields[0] if len(gap.fields) == 1 and gap.fields[0] not in DOCUMENT_MARKS else None
        prov = gap.prov
        evidence = (Evidence(file=prov.file, page=prov.page, location=prov.describe() or None)
                    if prov is not None else Evidence())
        yield c.finding(RULE, field, evidence=evidence, part=gap.part, reason=gap.reason,
                        details={"fields": list(gap.fields)})


def settle(sub: Submission, rules: Rules) -> None:
    """After the checks: silence what judges unseen values, and doubt errors on unsure OCR reads."""
    hide_unseen(sub, tuple(s.key for s in rules.sections))
    doubt_unsure_reads(sub, rules)


def doubt_unsure_reads(sub: Submission, rules: Rules) -> None:
    """An error about a value OCR read with low confidence may be the OCR's: a review item instead.

    The clause comparison weighs OCR confidence itself (letter_clauses are left to it)."""
    floor = float(rules.raw.get("ocr", {}).get("min_confidence", 0.9))
    c = Context(sub, rules, Prepared(rules))
    out = []
    for f in sub.findings:
        prov = c.provenance(f.field) if f.severity == "error" and f.field else None
        if (prov is None or not prov.ocr or prov.confidence is None or prov.confidence >= floor
                or _root(f.field or "") == "letter_clauses"):
            out.append(f)
            continue
        label = c.label(f.field or "")
        out.append(c.finding(
            RULE, f.field, evidence=f.evidence, part=f"扫描件中的「{label}」",
            reason=f"文字识别（OCR）置信度仅 {prov.confidence:.2f}，按识别结果会判为“{f.message}”，"
                   "但这可能是识别错误；请对照原件人工核对",
            details={"doubted": {"rule": f.rule, "message": f.message}, "confidence": prov.confidence}))
    sub.findings = out


def _root(field: str) -> str:
    """`joint_units[1].code` → joint_units; `sections.funding` → funding."""
    if field.startswith("sections."):
        return field.split(".", 1)[1]
    return field.split("[", 1)[0].split(".", 1)[0]


def unseen(sub: Submission, section_keys: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """(unseen field keys and paths, documents read only in part)."""
    fields: set[str] = set()
    docs: set[str] = set()
    for gap in all_gaps(sub):
        for f in gap.fields:
            (docs if f in DOCUMENT_MARKS else fields).add(f)
    if fields & set(section_keys):
        fields.add("sections")
    return fields, docs


def _document(field: str | None) -> str | None:
    if not field:
        return None
    return "letter" if field.startswith("letter_") else "form"


def hide_unseen(sub: Submission, section_keys: tuple[str, ...]) -> None:
    """Drop findings that judge what the checker could not see (the review finding says so instead)."""
    fields, docs = unseen(sub, section_keys)
    if not fields and not docs:
        return

    def hidden(f: Finding) -> bool:
        if f.rule == RULE:
            return False
        spec = REGISTRY.get(f.rule)
        reads = spec.reads if spec is not None else ()
        if f.field and (f.field in fields or _root(f.field) in fields):
            return True
        if any(r in fields for r in reads):
            return True
        if docs and spec is not None and spec.absence:
            touched = {_document(f.field), *(r for r in reads if r in DOCUMENT_MARKS)}
            if f.field is None and not touched - {None}:
                touched = set(DOCUMENT_MARKS)
            if touched & docs:
                return True
        return False

    sub.findings = [f for f in sub.findings if not hidden(f)]
