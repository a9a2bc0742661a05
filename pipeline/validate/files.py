"""File-level rules: what could not be read, what was read by a content its name did not say, and which
attachment is missing altogether."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from ..formats import format_label, type_mismatch
from ..model import Evidence, Finding
from .gaps import unseen
from .registry import REGISTRY, Context, rule

FILE_RULE_IDS = ("FILE_UNREADABLE", "FILE_ENCRYPTED", "FILE_UNSUPPORTED", "OCR_UNAVAILABLE")


# Problems that leave a file unread: when such a file gave no document, it may have been the
# submission's missing form or letter (one cause, one finding: its finding says so).
FATAL_RULES = ("FILE_UNREADABLE", "FILE_ENCRYPTED", "OCR_UNAVAILABLE")
DOCUMENT_NAMES = {"form": "附件1《上海市元宇宙重大应用场景需求征集表》", "letter": "附件2《上海市元宇宙重大应用场景建设承诺书》"}
# Words in a file name that say which attachment it was meant to be (rules [documents]
# form_file_names / letter_file_names; these when an older rules file has none).
DEFAULT_FILE_NAMES = {"form": ("附件1", "附件一", "需求征集表", "征集表"), "letter": ("附件2", "附件二", "承诺书")}


@rule(id="FILE_UNREADABLE", severity="error", scope="file", field=None,
      title="文件损坏、截断、为空，或内容不是可读取的格式，无法读取",
      message="文件「{file}」无法读取：{reason}{missing}")
@rule(id="FILE_ENCRYPTED", severity="error", scope="file", field=None,
      title="文件设有密码保护，无法读取",
      message="文件「{file}」设有密码保护，无法读取：{reason}{missing}")
@rule(id="FILE_UNSUPPORTED", severity="warning", scope="file", field=None,
      title="不是 docx/pdf/doc/zip 文件，已列出并忽略",
      message="文件「{file}」未检查：{reason}")
@rule(id="OCR_UNAVAILABLE", severity="error", scope="file", field=None,
      title="扫描页没有文字层，且未安装 OCR 引擎",
      message="文件「{file}」{pages}无法识别文字：{reason}{missing}")
def check_file_problems(c: Context) -> Iterator[Finding]:
    """One finding per (rule, file); the pages of a file's OCR problems are listed together.

    A file left unread that stood in for the missing form or letter (`stand_ins`) says so in its
    own finding, and FORM_MISSING / LETTER_MISSING are not reported for it. A file whose content
    is another document format than its extension names says that too (it is not also a
    FILE_TYPE_MISMATCH: it was not read)."""
    grouped: dict[tuple[str, str], list] = {}
    for p in c.sub.file_problems:
        if p.rule == "EXTRACTION_INCOMPLETE":
            continue  # a review item, reported with the other unread parts (gaps.py)
        rid = p.rule if p.rule in FILE_RULE_IDS else "FILE_UNREADABLE"
        grouped.setdefault((rid, p.file or ""), []).append(p)
    stands_in = stand_ins(c)
    told: set[str] = set()  # a file with two fatal problems says what is missing once
    sources = {f.path: f for f in c.sub.files}
    for (rid, file), problems in grouped.items():
        pages = sorted({p.page for p in problems if p.page is not None})
        reasons = list(dict.fromkeys(p.reason for p in problems if p.reason))
        reason = "；".join(reasons) or REGISTRY[rid].title
        src = sources.get(file)
        if rid in FATAL_RULES and src is not None and type_mismatch(src.format, src.extension):
            reason += f"（扩展名为 .{src.extension}，但内容是{format_label(src.format)}）"
        page_text = f"第{'、'.join(map(str, pages))}页" if pages else ""
        missing = stands_in.get(file, ()) if rid in FATAL_RULES and file not in told else ()
        if missing:
            told.add(file)
        details: dict = {"pages": pages} if pages else {}
        if missing:
            details["missing"] = list(missing)
        yield c.finding(
            rid, None,
            evidence=Evidence(file=file or None, page=pages[0] if pages else None, location=page_text or None),
            details=details,
            file=file or "（未知文件）", reason=reason, pages=page_text, missing=_missing_text(missing),
        )


def _missing_text(kinds: tuple[str, ...] | list[str]) -> str:
    if not kinds:
        return ""
    return "；因此本申报缺少可读取的" + "和".join(DOCUMENT_NAMES[k] for k in kinds)


def _name_patterns(c: Context) -> dict[str, re.Pattern]:
    docs = c.rules.raw.get("documents", {})
    out = {}
    for kind in ("form", "letter"):
        words = docs.get(f"{kind}_file_names") or DEFAULT_FILE_NAMES[kind]
        # 附件1 must not match 附件10
        alts = [re.escape(w) + (r"(?!\d)" if w[-1:].isdigit() else "") for w in words if w]
        out[kind] = re.compile("|".join(alts)) if alts else re.compile(r"(?!)")
    return out


def named_kinds(path: str, patterns: dict[str, re.Pattern]) -> set[str]:
    """The attachments a file's name says it holds (附件1…需求征集表 → form), by its last part."""
    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", path.rsplit("/", 1)[-1]))
    return {kind for kind, pat in patterns.items() if pat.search(name)}


def stand_ins(c: Context) -> dict[str, tuple[str, ...]]:
    """File → the missing documents ("form", "letter") it stands in for.

    A candidate is a file left unread (FATAL_RULES) that gave no document. For each document the
    submission lacks (and that no gap leaves in doubt), the candidates whose name says they were
    that document stand in for it (附件1, 需求征集表 → the form; 附件2, 承诺书 → the letter; a
    name may say both); when none does, the candidates whose name says neither do. A name that
    says only the other document never stands in: the submission then gets FORM_MISSING (or
    LETTER_MISSING) as well, since that file was not the missing one. So two unread files named
    附件1 and 附件2 each say their own, and one unread file with a neutral name says both.
    """
    kinds = {f.path: f.kind for f in c.sub.files}
    unread = list(dict.fromkeys(p.file for p in c.sub.file_problems
                                if p.rule in FATAL_RULES and p.file and kinds.get(p.file, "unknown") == "unknown"))
    if not unread:
        return {}
    _, partly_read = unseen(c.sub, tuple(s.key for s in c.rules.sections))
    patterns = _name_patterns(c)
    names = {f: named_kinds(f, patterns) for f in unread}
    out: dict[str, tuple[str, ...]] = {}
    for kind in ("form", "letter"):
        if c.has_document(kind) or kind in partly_read:
            continue
        named = [f for f in unread if kind in names[f]]
        for f in named or [f for f in unread if not names[f]]:
            out[f] = (*out.get(f, ()), kind)
    return out


@rule(id="FILE_TYPE_MISMATCH", severity="warning", scope="file", field=None,
      title="文件内容是另一种支持的格式，与扩展名不符（已按内容读取）",
      message="文件「{file}」的扩展名为 .{extension}，但内容是{actual}，已按实际格式读取")
def check_file_types(c: Context) -> Iterator[Finding]:
    """A file read by its content although its extension names another format (a DOCX named .pdf).
    A file left unread says it in its FILE_UNREADABLE / FILE_ENCRYPTED finding instead."""
    unread = {p.file for p in c.sub.file_problems if p.rule in ("FILE_UNREADABLE", "FILE_ENCRYPTED")}
    for f in c.sub.files:
        if f.path in unread or not type_mismatch(f.format, f.extension):
            continue
        yield c.finding("FILE_TYPE_MISMATCH", None, evidence=Evidence(file=f.path),
                        details={"format": f.format, "extension": f.extension},
                        file=f.path, extension=f.extension or "", actual=format_label(f.format))


@rule(id="FORM_MISSING", severity="error", scope="submission", field=None, reads=("form",), absence=True,
      title="申报材料中没有附件1《需求征集表》",
      message="缺少附件1《上海市元宇宙重大应用场景需求征集表》")
@rule(id="LETTER_MISSING", severity="error", scope="submission", field=None, reads=("letter",), absence=True,
      title="申报材料中没有附件2《建设承诺书》",
      message="缺少附件2《上海市元宇宙重大应用场景建设承诺书》")
def check_documents_present(c: Context) -> Iterator[Finding]:
    """The evidence lists the files the submission does hold, so the reviewer sees what came in.
    A document an unread file stood in for is reported by that file's finding (`stand_ins`)."""
    names = [f.path for f in c.sub.files]
    held = f"提交的文件：{'、'.join(names)}" if names else "未提交任何文件"
    told = {k for kinds in stand_ins(c).values() for k in kinds}
    for kind, rid in (("form", "FORM_MISSING"), ("letter", "LETTER_MISSING")):
        if not c.has_document(kind) and kind not in told:
            yield c.finding(rid, None, evidence=Evidence(excerpt=held), details={"files": names})
