"""Extraction: one backend per format produces a `Layout`; shared logic turns it into documents.

`extract_file` never raises for a bad file: problems come back as `FileProblem`s.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import Rules
from ..model import FileProblem, FileResult, Layout, SourceFile
from ..safety import Limits


class ExtractionError(Exception):
    """A file that cannot be read; `rule` is FILE_UNREADABLE, FILE_ENCRYPTED or OCR_UNAVAILABLE."""

    def __init__(self, rule: str, reason: str):
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True)
class ExtractOptions:
    limits: Limits = Limits()
    ocr: bool = True  # False behaves as if no OCR engine were installed
    soffice: str | None = None  # path to LibreOffice; None: look on PATH
    seal: tuple[float, int] | None = None  # rules [seal] (min_red_ratio, min_size_px); set by extract_file
    seal_labels: tuple[str, ...] = ()  # rules [seal] near_labels (盖章, 公章…); set by extract_file


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_format(path: Path) -> str:
    """The format by content: docx, pdf, ole (legacy .doc or encrypted OOXML), empty, or unknown."""
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(OLE_MAGIC):
        return "ole"
    return "unknown"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_layouts(path: Path, display: str, ext: str, options: ExtractOptions) -> list[Layout]:
    """Dispatch to the backend the content calls for; raises ExtractionError."""
    fmt = sniff_format(path)
    if fmt == "empty":
        raise ExtractionError("FILE_UNREADABLE", "文件为空（0 字节）")
    if fmt == "zip":
        from .docx import read_docx

        return [read_docx(path, display, options)]
    if fmt == "pdf":
        from .pdf import read_pdf

        return [read_pdf(path, display, options)]
    if fmt == "ole":
        from .doc import read_ole

        return [read_ole(path, display, options)]
    raise ExtractionError("FILE_UNREADABLE", f"文件内容与扩展名 .{ext} 不符，无法识别为 Word 或 PDF 文档")


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
    ext = path.suffix.lower().lstrip(".") or display.rsplit(".", 1)[-1].lower()
    src = SourceFile(path=display, format=ext, size=path.stat().st_size)
    result = FileResult(source=src)
    try:
        src.sha256 = sha256 or sha256_of(path)
        if src.size > options.limits.max_file_mb * 2**20:
            raise ExtractionError("FILE_UNREADABLE", f"文件大小 {src.size / 2**20:.0f} MB 超过上限 {options.limits.max_file_mb} MB，未读取")
        layouts = read_layouts(path, display, ext, options)
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
        result.problems.append(FileProblem("FILE_UNREADABLE", f"无法解析文件: {type(exc).__name__}: {str(exc)[:200]}"))
    kinds = {d.kind for d in result.documents}
    src.kind = "both" if kinds == {"form", "letter"} else (kinds.pop() if kinds else "unknown")
    result.seconds = time.perf_counter() - started
    return result
