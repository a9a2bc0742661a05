"""File-level rules: what could not be read, and which attachment is missing altogether."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Evidence, Finding
from .registry import REGISTRY, Context, rule

FILE_RULE_IDS = ("FILE_UNREADABLE", "FILE_ENCRYPTED", "FILE_UNSUPPORTED", "OCR_UNAVAILABLE")


@rule(id="FILE_UNREADABLE", severity="error", scope="file", field=None,
      title="文件损坏、截断、为空或内容与扩展名不符，无法读取",
      message="文件「{file}」无法读取：{reason}")
@rule(id="FILE_ENCRYPTED", severity="error", scope="file", field=None,
      title="文件设有密码保护，无法读取",
      message="文件「{file}」设有密码保护，无法读取：{reason}")
@rule(id="FILE_UNSUPPORTED", severity="warning", scope="file", field=None,
      title="不是 docx/pdf/doc/zip 文件，已列出并忽略",
      message="文件「{file}」未检查：{reason}")
@rule(id="OCR_UNAVAILABLE", severity="error", scope="file", field=None,
      title="扫描页没有文字层，且未安装 OCR 引擎",
      message="文件「{file}」{pages}无法识别文字：{reason}")
def check_file_problems(c: Context) -> Iterator[Finding]:
    """One finding per (rule, file); the pages of a file's OCR problems are listed together."""
    grouped: dict[tuple[str, str], list] = {}
    for p in c.sub.file_problems:
        if p.rule == "EXTRACTION_INCOMPLETE":
            continue  # a review item, reported with the other unread parts (gaps.py)
        rid = p.rule if p.rule in FILE_RULE_IDS else "FILE_UNREADABLE"
        grouped.setdefault((rid, p.file or ""), []).append(p)
    for (rid, file), problems in grouped.items():
        pages = sorted({p.page for p in problems if p.page is not None})
        reasons = list(dict.fromkeys(p.reason for p in problems if p.reason))
        page_text = f"第{'、'.join(map(str, pages))}页" if pages else ""
        yield c.finding(
            rid, None,
            evidence=Evidence(file=file or None, page=pages[0] if pages else None, location=page_text or None),
            details={"pages": pages} if pages else {},
            file=file or "（未知文件）", reason="；".join(reasons) or REGISTRY[rid].title, pages=page_text,
        )


def _unreadable_note(c: Context) -> str:
    bad = sorted({p.file for p in c.sub.file_problems
                  if p.file and p.rule in ("FILE_UNREADABLE", "FILE_ENCRYPTED", "OCR_UNAVAILABLE")})
    return f"（未能读取：{'、'.join(bad)}）" if bad else ""


@rule(id="FORM_MISSING", severity="error", scope="submission", field=None, reads=("form",), absence=True,
      title="申报材料中没有附件1《需求征集表》",
      message="缺少附件1《上海市元宇宙重大应用场景需求征集表》{note}")
@rule(id="LETTER_MISSING", severity="error", scope="submission", field=None, reads=("letter",), absence=True,
      title="申报材料中没有附件2《建设承诺书》",
      message="缺少附件2《上海市元宇宙重大应用场景建设承诺书》{note}")
def check_documents_present(c: Context) -> Iterator[Finding]:
    """The evidence lists the files the submission does hold, so the reviewer sees what came in."""
    names = [f.path for f in c.sub.files]
    held = f"提交的文件：{'、'.join(names)}" if names else "未提交任何文件"
    for kind, rid in (("form", "FORM_MISSING"), ("letter", "LETTER_MISSING")):
        if not c.has_document(kind):
            yield c.finding(rid, None, evidence=Evidence(excerpt=held), note=_unreadable_note(c),
                            details={"files": names})
