"""Extraction: one backend per format produces a `Layout`; shared logic turns it into documents.

`extract_file` never raises for a bad file: problems come back as `FileProblem`s.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..config import Rules
from ..model import FileProblem, FileResult, Layout, SourceFile
from ..safety import Limits
from .errors import ExtractionError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractOptions:
    limits: Limits = Limits()
    ocr: bool = True  # False behaves as if no OCR engine were installed
    soffice: str | None = None  # path to LibreOffice; None: look on PATH
    seal: tuple[float, int] | None = None  # rules [seal] (min_red_ratio, min_size_px); set by extract_file
    seal_labels: tuple[str, ...] = ()  # rules [seal] near_labels (盖章, 公章…); set by extract_file


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_format(path: Path) -> str:
    """The container by the first bytes: zip, pdf, ole, empty, or unknown (see `detect_format`)."""
    with open(path, "rb") as fh:
        head = fh.read(2048)
    return _family(head)


def _family(head: bytes) -> str:
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(OLE_MAGIC):
        return "ole"
    return "unknown"


def detect_format(path: Path, extension: str = "", deep: bool = True) -> str:
    """The format by content, one of the names in `pipeline.formats` (docx, pdf, doc, encrypted-ooxml,
    zip, ooxml, odf, ole, empty, unknown).

    `deep` looks inside: a zip's member names (a Word package or a plain archive), an OLE file's
    streams (a .doc or an encrypted Office package). Without it (a file refused unread, perhaps
    hostile) only the first bytes are looked at. Where the content cannot tell (a damaged zip or OLE
    file), the extension decides between the formats of that container.
    """
    with open(path, "rb") as fh:
        head = fh.read(2048)
    family = _family(head)
    ext = extension.lower().lstrip(".")
    if family == "zip":
        names = _zip_names(path) if deep else None
        if names is not None:
            if any(n.startswith("word/") for n in names) and ("[Content_Types].xml" in names or "word/document.xml" in names):
                return "docx"
            if "[Content_Types].xml" in names:
                return "ooxml"
            if "mimetype" in names and "content.xml" in names:
                return "odf"
            return "zip"
        if b"word/" in head or ext == "docx":
            return "docx"
        return "zip"
    if family == "ole":
        streams = _ole_streams(path) if deep else None
        if streams is not None:
            if streams & {"EncryptionInfo", "EncryptedPackage"}:
                return "encrypted-ooxml"
            return "doc" if "WordDocument" in streams else "ole"
        return "encrypted-ooxml" if ext == "docx" else "doc"
    return family


def _zip_names(path: Path) -> set[str] | None:
    """A zip's member names from its central directory; None when it cannot be opened."""
    try:
        with zipfile.ZipFile(path) as zf:
            return set(zf.namelist())
    except Exception:  # noqa: BLE001 - a damaged zip: the reader reports it
        return None


def _ole_streams(path: Path) -> set[str] | None:
    """An OLE file's stream paths; None when olefile is missing or cannot parse it."""
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            return {"/".join(s) for s in ole.listdir(streams=True, storages=False)}
    except Exception:  # noqa: BLE001 - a damaged OLE file: the reader reports it
        return None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# What a content the checker does not read as a document is, and what to do (FILE_UNREADABLE).
_NOT_A_DOCUMENT = {
    "zip": "内容是 ZIP 压缩包，不是 Word 文档，其中的文件未检查；请将压缩包改用 .zip 扩展名，或直接提交其中的文件",
    "ooxml": "内容是 Excel、PowerPoint 等其他 Office 文档，不是 Word 或 PDF 文档；请提交 .docx 或 .pdf 文件",
    "odf": "内容是 OpenDocument 文档（odt 等），不是 Word 或 PDF 文档；请另存为 .docx 或 .pdf 后提交",
    "ole": "内容是旧版 Excel、PowerPoint 等其他 Office 文档，不是 Word 文档；请提交 .docx 或 .pdf 文件",
}


def read_layouts(path: Path, display: str, ext: str, options: ExtractOptions, fmt: str | None = None) -> list[Layout]:
    """Dispatch to the backend the content calls for (`fmt`, from `detect_format`); raises ExtractionError."""
    fmt = fmt or detect_format(path, ext)
    if fmt == "empty":
        raise ExtractionError("FILE_UNREADABLE", "文件为空（0 字节）")
    if fmt == "docx":
        from .docx import read_docx

        return [read_docx(path, display, options)]
    if fmt == "pdf":
        from .pdf import read_pdf

        return [read_pdf(path, display, options)]
    if fmt in ("doc", "encrypted-ooxml"):
        from .doc import read_ole

        return [read_ole(path, display, options)]
    if fmt in _NOT_A_DOCUMENT:
        raise ExtractionError("FILE_UNREADABLE", _NOT_A_DOCUMENT[fmt])
    raise ExtractionError("FILE_UNREADABLE", f"文件内容无法识别为 Word 或 PDF 文档（不是 .{ext} 文件应有的内容）")


def extension_of(display: str, path: Path | None = None) -> str:
    """A file name's extension, lower-case, without the dot ("" when it has none): the name the
    applicant gave (`display`), else the path read."""
    name = display.rsplit("/", 1)[-1]
    if "." in name.lstrip("."):
        return name.rsplit(".", 1)[-1].lower()
    return path.suffix.lower().lstrip(".") if path is not None else ""


def extract_file(path: Path, display: str, rules: Rules, options: ExtractOptions | None = None,
                 sha256: str | None = None) -> FileResult:
    """Read one file into documents; every failure becomes a FileProblem on the result.

    `sha256`: the content hash when the caller already has it (the engine hashes once, for its cache).
    """
    from .fields import documents_from_layout

    options = options or ExtractOptions()
    if options.seal is None:
        seal = rules.raw["seal"]
        options = dataclasses.replace(
            options,
            seal=(float(seal["min_red_ratio"]), int(seal["min_size_px"])),
            seal_labels=tuple(seal.get("near_labels", ())),
        )
    started = time.perf_counter()
    ext = extension_of(display, path)
    src = SourceFile(path=display, format=ext, size=path.stat().st_size, extension=ext)
    result = FileResult(source=src)
    try:
        src.sha256 = sha256 or sha256_of(path)
        if src.size > options.limits.max_file_mb * 2**20:
            src.format = detect_format(path, ext, deep=False)
            raise ExtractionError("FILE_UNREADABLE", f"文件大小 {src.size / 2**20:.0f} MB 超过上限 {options.limits.max_file_mb} MB，未读取")
        src.format = detect_format(path, ext)
        layouts = read_layouts(path, display, ext, options, src.format)
        for layout in layouts:
            src.pages = layout.pages
            src.ocr = src.ocr or layout.ocr
            result.notes.extend(layout.notes)
            result.problems.extend(layout.problems)
            result.documents.extend(documents_from_layout(layout, rules))
    except ExtractionError as exc:
        result.problems.append(FileProblem(exc.rule, exc.reason))
    except MemoryError:
        result.problems.append(FileProblem("FILE_UNREADABLE", "读取时内存超限"))
    except RecursionError:
        result.problems.append(FileProblem("FILE_UNREADABLE", "文档结构嵌套过深，无法解析"))
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the batch
        # The parser's own words (English, a traceback) are for the log, not for the reviewer.
        log.exception("unexpected error reading %s", display)
        result.problems.append(FileProblem("FILE_UNREADABLE", f"文件内容不合规范，解析时出错（{type(exc).__name__}），"
                                                              "请核对文件能否用 Word 或 PDF 阅读器正常打开"))
    kinds = {d.kind for d in result.documents}
    src.kind = "both" if kinds == {"form", "letter"} else (kinds.pop() if kinds else "unknown")
    result.seconds = time.perf_counter() - started
    return result
