"""Limits applied before parsing, checks that enforce them, and names that are safe to use on disk.

Everything here runs before a parser sees a byte of the file, so a hostile input is refused with a
reason a reviewer can read instead of being handed to python-docx, lxml or pdfminer.
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .model import FileProblem

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_BIDI = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Characters that must never reach a reviewer's screen raw: C0/C1 controls and bidi overrides
# (a U+202E in a file name makes "gpj.exe" read as "exe.jpg").
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}

MB = 2**20


@dataclass(frozen=True)
class Limits:
    """Defaults suit a 20-page form (tens of pages, a few photos); all can be changed from the CLI."""

    max_file_mb: int = 100  # a single input file, checked before it is read
    max_zip_members: int = 500  # files in one submission (all its zips together)
    max_zip_total_mb: int = 300  # uncompressed, all members of one submission's zips together
    max_zip_ratio: int = 200  # uncompressed/compressed of one member (zip or DOCX part) …
    ratio_floor_mb: int = 8  # … checked from this uncompressed size up (smaller ones are harmless)
    max_zip_depth: int = 2  # a submission zip may hold zips, but not zips inside those
    max_folder_depth: int = 8
    file_timeout_s: float = 120.0  # wall time to extract one file (a scanned PDF: each page's OCR)
    memory_mb: int = 2048  # resident memory of a worker process and its children (workers.IsolatedPool)
    max_docx_members: int = 1000  # parts inside one DOCX
    max_docx_part_mb: int = 64  # uncompressed size of one part of a DOCX
    max_docx_total_mb: int = 256  # uncompressed size of all parts of a DOCX
    max_pdf_pages: int = 200


def sanitize_name(name: str, max_len: int = 80) -> str:
    """A submission id or file stem that is safe as one path component on any OS.

    The applicant's characters are kept as they are (full-width brackets stay full-width, so the id
    is the folder or zip name); only separators, control and bidi characters are replaced or removed.
    """
    name = unicodedata.normalize("NFC", name)
    name = _BIDI.sub("", name)
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if name in {"", ".", ".."}:
        name = "_"
    if len(name) > max_len:
        name = name[:max_len].rstrip(" .") or "_"
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3` … when already taken (case-insensitive, for Windows/macOS)."""
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate.casefold())
    return candidate


def visible(text: str) -> str:
    """`text` with control and bidi-override characters shown as `\\u202e`-style escapes."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fs_name(name: str) -> str:
    """A name read from disk as text: bytes that were not UTF-8 (a GBK folder copied from Windows) are
    decoded as GB18030 instead of being carried along as surrogates that cannot be written back out."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    for enc in ("gb18030", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")  # unreachable: latin-1 decodes every byte


# ---------------------------------------------------------------------------------------------
# OOXML (DOCX) pre-parse check. A DOCX is a zip; python-docx reads every part into memory and lxml
# parses the XML ones, so sizes, ratios and DTDs are checked from the central directory and the
# first bytes of each XML part before either library opens the file.

_XML_HEAD = 4096
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _xml_head(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as fh:
        head = fh.read(_XML_HEAD)
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(enc, "replace").encode("utf-8")
    return head


def bomb_ratio(info: zipfile.ZipInfo, limits: Limits) -> float | None:
    """The compression ratio of a zip member (or DOCX part) when it is bomb-like, else None."""
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_floor_mb * MB and ratio > limits.max_zip_ratio:
        return ratio
    return None


def check_ooxml(path: Path, limits: Limits) -> FileProblem | None:
    """Refuse a DOCX whose parts break the limits or whose XML declares a DTD; None when it may be parsed.

    Python's zipfile never inflates a member beyond the size its central directory declares, so
    checking declared sizes bounds what python-docx will hold in memory. Word never writes a DTD
    into a part (OPC forbids them); a DOCTYPE there is an XXE or entity-expansion attempt. A zip the
    check cannot read at all is left to the extractor, which reports it as unreadable.
    """
    try:
        zf = zipfile.ZipFile(path)
    except Exception:  # noqa: BLE001 - structural damage is the extractor's finding to report
        return None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_docx_members:
            return FileProblem("FILE_UNREADABLE", f"文档内部部件 {len(infos)} 个，超过上限 {limits.max_docx_members} 个，疑似恶意构造，未解析")
        total = 0
        for info in infos:
            total += info.file_size
            if (ratio := bomb_ratio(info, limits)) is not None:
                return FileProblem("FILE_UNREADABLE", f"文档部件 {visible(info.filename)[:80]} 解压后 {info.file_size / MB:.0f} MB，"
                                   f"压缩比 {ratio:.0f}:1 异常（上限 {limits.max_zip_ratio}:1），疑似压缩炸弹，未解析")
            if info.file_size > limits.max_docx_part_mb * MB:
                return FileProblem("FILE_UNREADABLE", f"文档部件 {visible(info.filename)[:80]} 解压后 {info.file_size / MB:.0f} MB，"
                                   f"超过上限 {limits.max_docx_part_mb} MB，未解析")
        if total > limits.max_docx_total_mb * MB:
            return FileProblem("FILE_UNREADABLE", f"文档解压后共 {total / MB:.0f} MB，超过上限 {limits.max_docx_total_mb} MB，未解析")
        for info in infos:
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                head = _xml_head(zf, info)
            except Exception:  # noqa: BLE001 - a damaged part is reported by the extractor
                continue
            if _DTD.search(head):
                return FileProblem("FILE_UNREADABLE", f"文档部件 {visible(info.filename)[:80]} 含 DTD/实体声明"
                                   "（Word 从不写入，疑似 XXE 或实体膨胀攻击），为安全起见未解析")
    return None


def check_size(size: int, limits: Limits) -> FileProblem | None:
    """A file larger than the limit is refused before it is hashed or read."""
    if size > limits.max_file_mb * MB:
        return FileProblem("FILE_UNREADABLE", f"文件大小 {size / MB:.0f} MB 超过上限 {limits.max_file_mb} MB，未读取")
    return None
