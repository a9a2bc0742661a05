"""PDF backend: text PDFs with pdfplumber, scanned pages with OCR, seals from page images.

One pass per page collects characters (with font names and positions), ruling lines and small
rectangles, and finds the form's table from the ruling lines once. Characters are then placed in
table cells or in the running text outside tables, grouped into lines, and lines into paragraphs
by geometry (a line ends a paragraph when the next line's first word would have fitted after it).
Tables that continue on the next page are chained, and a row split by the page break is merged
back into one row, so the shared field logic sees one cell per logical cell, as from a DOCX.
Page headers, footers and page numbers are dropped. Checkboxes (symbol-font glyphs, private-use
code points, boxes drawn as rectangles, form-field widgets) become ☑/☐ inline.

Pages with no text layer are rendered with pypdfium2 and read by OCR (see `ocr.py`); their seals
and the seals on images embedded in text pages are found by `seal.py`.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdftypes import resolve1
from pdfplumber.utils.exceptions import PdfminerException

from ...cache import ResultCache
from ...config import load_rules
from ...explain import explain
from ...model import FileProblem, ImageInfo, Layout, Note, Provenance
from ...workers import note_stage
from .. import ocr as ocr_mod
from ..base import ExtractionError, ExtractOptions
from ..seal import crop_png_b64, find_seals, image_info, to_rgb
from .flow import build_flow, layout_blocks
from .lines import (
    IMAGE_DPI,
    MAX_IMAGE_PIXELS,
    OCR_CHECKBOX_MIN_FILL,
    OCR_DPI,
    OCR_PAGE_KIND,
    PageData,
    body_edges,
)
from .page import read_page, strip_running_lines
from .render import Renderer, near_label, page_lines, read_scanned_page

log = logging.getLogger(__name__)


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def restart(self) -> None:
        self.end = time.monotonic() + self.seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise ExtractionError("FILE_UNREADABLE", f"PDF 解析超时（超过 {self.seconds:.0f} 秒），已放弃")


# ---------------------------------------------------------------------------------------------
# Opening


def _open(path: Path):
    """pdfplumber's PDF, trying the empty user password as viewers do; errors become problems."""

    fh = open(path, "rb")  # noqa: SIM115 - closed with the PDF
    try:
        pdf = pdfplumber.PDF(fh, path=path, password="")
    except PdfminerException as exc:
        fh.close()
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect):
            raise ExtractionError("FILE_ENCRYPTED", "PDF 已设置打开密码，无法读取内容") from None
        if isinstance(cause, PDFEncryptionError):
            raise ExtractionError("FILE_ENCRYPTED", f"PDF 使用了不支持的加密方式：{explain(cause, str(path))}") from None
        raise ExtractionError("FILE_UNREADABLE", f"PDF 文件已损坏或不完整：{explain(cause, str(path))}") from None
    except MemoryError:  # extract_file reports it as 内存超限, never cached
        fh.close()
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is an unreadable file
        fh.close()
        raise ExtractionError("FILE_UNREADABLE", f"PDF 文件已损坏或不完整：{explain(exc, str(path))}") from None
    pdf.stream_is_external = False
    return pdf


def _short(exc: BaseException) -> str:
    """The parser's failure in Chinese; its own words go to the run log."""
    return explain(exc, "PDF")


# ---------------------------------------------------------------------------------------------
# Entry point


def read_pdf(path: Path, display: str, options: ExtractOptions) -> Layout:
    """A PDF → Layout; ExtractionError for encrypted, unreadable, oversized or timed-out files."""

    deadline = _Deadline(options.limits.file_timeout_s)
    seal_ratio, seal_px, seal_labels = _seal_settings(options)
    layout = Layout(file=display, format="pdf")
    pdf = _open(path)
    renderer = Renderer(path)
    try:
        declared = _declared_pages(pdf)
        if declared is not None and declared > options.limits.max_pdf_pages:
            layout.pages = declared
            raise ExtractionError(
                "FILE_UNREADABLE", f"PDF 共 {declared} 页，超过上限 {options.limits.max_pdf_pages} 页，未读取"
            )
        try:
            page_objs = list(pdf.pages)
        except MemoryError:  # extract_file reports it as 内存超限, never cached
            raise
        except Exception as exc:  # noqa: BLE001 - a broken page tree
            raise ExtractionError("FILE_UNREADABLE", f"PDF 页面结构损坏：{_short(exc)}") from None
        n = len(page_objs)
        layout.pages = n
        if n == 0:
            raise ExtractionError("FILE_UNREADABLE", "PDF 没有任何页面")
        if n > options.limits.max_pdf_pages:
            raise ExtractionError(
                "FILE_UNREADABLE", f"PDF 共 {n} 页，超过上限 {options.limits.max_pdf_pages} 页，未读取"
            )
        pages: list[PageData] = []
        for i, page in enumerate(page_objs):
            deadline.check()
            try:
                pages.append(read_page(page, i + 1, layout.notes, display))
            except ExtractionError:
                raise
            except MemoryError:  # extract_file reports it as 内存超限, never cached
                raise
            except Exception as exc:  # noqa: BLE001 - one broken content stream spoils the file
                raise ExtractionError(
                    "FILE_UNREADABLE", f"PDF 第 {i + 1} 页无法解析：{_short(exc)}"
                ) from None
            finally:
                page.close()
        scanned = [p for p in pages if p.scanned]
        if scanned:
            can_ocr = options.ocr and ocr_mod.engine_available()
            if not can_ocr:
                if len(scanned) == len(pages):
                    raise ExtractionError(
                        "OCR_UNAVAILABLE", _no_ocr_reason(options, len(pages), all_pages=True)
                    )
                nums = "、".join(str(p.number) for p in scanned)
                layout.problems.append(
                    FileProblem(
                        "OCR_UNAVAILABLE",
                        f"第 {nums} 页没有文字层（扫描件），" + _no_ocr_reason(options, len(scanned)),
                    )
                )
            else:
                _ocr_pages(scanned, renderer, deadline, layout, display, (seal_ratio, seal_px, seal_labels),
                           _page_cache(options))
                confs = []
                for p in scanned:
                    if p.ocr_confidence is not None:
                        confs.append(p.ocr_confidence)
                    if p.ocr_failed:
                        continue
                    if not page_lines(p):
                        layout.notes.append(
                            Note(
                                f"第{p.number}页为扫描页，OCR 未识别出文字",
                                Provenance(display, page=p.number),
                            )
                        )
                layout.ocr = True
                layout.ocr_confidence = round(sum(confs) / len(confs), 3) if confs else None
        strip_running_lines(pages)
        for p in pages:
            if p.scanned:
                continue
            for bbox, src, stream in p.images:
                deadline.check()
                _embedded_image(
                    renderer, p, bbox, src, stream, seal_ratio, seal_px, seal_labels, layout, display
                )
        layout.blocks = layout_blocks(build_flow(pages), body_edges(pages), display, layout.notes)
        return layout
    finally:
        renderer.close()
        pdf.close()


def _seal_settings(options: ExtractOptions) -> tuple[float, int, tuple[str, ...]]:
    """[seal] thresholds as extract_file passes them, or the packaged rules' when called directly."""
    if options.seal is not None:
        return options.seal[0], options.seal[1], tuple(options.seal_labels)

    seal = load_rules().raw["seal"]
    return float(seal["min_red_ratio"]), int(seal["min_size_px"]), tuple(seal.get("near_labels", ()))


def _declared_pages(pdf) -> int | None:
    """/Count of the page tree, read before the tree is walked (a bomb may declare millions)."""

    try:
        count = resolve1(resolve1(pdf.doc.catalog.get("Pages")).get("Count"))
        return int(count) if isinstance(count, int) else None
    except Exception:  # noqa: BLE001 - walking the tree will tell
        return None


def _page_cache(options: ExtractOptions) -> ResultCache | None:
    """The run's ResultCache for OCR'd pages, or None (no cache for this run)."""
    if not options.page_cache:
        return None
    root, context = options.page_cache
    return ResultCache(Path(root), json.loads(context))


def _ocr_pages(scanned: list[PageData], renderer, deadline: _Deadline, layout: Layout, display: str,
               seal: tuple, cache=None) -> None:
    """OCR the scanned pages in place. The pages the engine fails on become one EXTRACTION_INCOMPLETE
    problem (severity review: a person reads them), with the traceback in the log, never in the
    message; the other pages are read as usual.

    The time limit counts afresh for each page's OCR (here and in the parent, see `note_stage`): the
    work on one page is bounded (its image is at most MAX_RENDER_SIDE pixels, the recogniser's input
    at most 2000), so a long scan is limited page by page, and a page past the limit ends the worker
    with the file reported as EXTRACTION_INCOMPLETE. Rendering a page is not OCR: it runs on the
    file's clock, and a page that cannot be rendered stays the file's failure (FILE_UNREADABLE)."""

    failed: dict[str, list[int]] = {}
    for p in scanned:
        deadline.check()
        note_stage("render")  # a page that cannot be rendered (a decompression bomb) is not an OCR failure
        page_img = renderer.page_image(p.number - 1, OCR_DPI)
        deadline.restart()
        note_stage("ocr", restart_clock=True)
        try:
            # A page read before (the same pixels, in this file or another) is taken from the cache:
            # its straightening is replayed from the recorded turn and angle, its reading reused.
            key = ocr_mod.page_key(page_img, OCR_CHECKBOX_MIN_FILL) if cache is not None else None
            hit = cache.get_value(OCR_PAGE_KIND, key) if key is not None else None
            if hit is not None:
                (turn, skew, by_rules), scan = hit
                fixed = ocr_mod.straightened_as(page_img, turn, skew, by_rules)
            else:
                fixed, scan = ocr_mod.straighten(page_img), None
            img = fixed.image
            del page_img
            if fixed.turn in (90, 270):  # read as the upright page: its width is the scan's height
                p.width, p.height = p.height, p.width
            note = fixed.note(p.number)
            if note:
                layout.notes.append(Note(note, Provenance(display, page=p.number)))
            scale = img.width / p.width if p.width else OCR_DPI / 72
            scan = read_scanned_page(img, p, scan)
            if key is not None and hit is None:
                cache.put_value(OCR_PAGE_KIND, key, ((fixed.turn, fixed.skew, fixed.by_rules), scan))
            _page_seals(img, p, scale, *seal, layout, display)
        except (ocr_mod.OcrError, MemoryError) as exc:
            p.ocr_failed = True
            p.lines, p.tables = [], []
            failed.setdefault("memory" if isinstance(exc, MemoryError) else "engine", []).append(p.number)
            log.error("%s: OCR of page %d failed", display, p.number, exc_info=exc)
        finally:
            ocr_mod.release_memory()
    note_stage("")
    why = {"engine": "文字识别失败（OCR 引擎出错）", "memory": "文字识别失败（内存不足）"}
    for cause, numbers in failed.items():
        pages = "、".join(map(str, numbers))
        layout.problems.append(FileProblem(
            "EXTRACTION_INCOMPLETE", f"第 {pages} 页（扫描页）{why[cause]}，请人工核对", page=numbers[0]))


def _no_ocr_reason(options, pages: int, all_pages: bool = False) -> str:
    why = "OCR 已关闭" if not options.ocr else "未安装 OCR 引擎（rapidocr-onnxruntime）"
    if all_pages:
        return f"PDF 共 {pages} 页均无文字层（扫描件），{why}，无法识别内容"
    return f"{why}，这些页的内容未能识别"


def _page_seals(
    img, p: PageData, scale: float, ratio: float, size_px: int, labels, layout: Layout, file: str
) -> None:

    for region in find_seals(img, ratio, size_px):
        x0, y0, x1, y1 = region.bbox
        bbox = (round(x0 / scale, 2), round(y0 / scale, 2), round(x1 / scale, 2), round(y1 / scale, 2))
        layout.images.append(
            ImageInfo(
                prov=Provenance(file, page=p.number, bbox=bbox),
                width=x1 - x0,
                height=y1 - y0,
                red_ratio=round(region.red_ratio, 4),
                near_seal_label=near_label(bbox, page_lines(p), labels),
                looks_like_seal=True,
                crop_png_b64=crop_png_b64(img, region.bbox),
            )
        )


def _embedded_image(
    renderer: Renderer,
    p: PageData,
    bbox,
    src,
    stream,
    ratio: float,
    size_px: int,
    labels,
    layout: Layout,
    file: str,
) -> None:
    """Judge a picture placed on a text page (a pasted seal) from its own pixels, as the DOCX
    backend does: a page clip (an inline picture in a line of exact height) must not hide it."""

    if src[0] * src[1] > MAX_IMAGE_PIXELS:
        layout.notes.append(
            Note(
                f"第{p.number}页的图片过大（{src[0]}×{src[1]} 像素），未解码检查印章",
                Provenance(file, page=p.number, bbox=bbox),
            )
        )
        return
    try:
        img = renderer.image_pixels(p.number - 1, bbox, stream)
        if img is None:
            img = renderer.page_image(p.number - 1, IMAGE_DPI, bbox)
    except MemoryError:  # extract_file reports it as 内存超限, never cached
        raise
    except Exception as exc:  # noqa: BLE001 - an image that cannot be decoded is noted, not fatal
        layout.notes.append(
            Note(f"第{p.number}页的图片无法解码：{_short(exc)}", Provenance(file, page=p.number, bbox=bbox))
        )
        return
    rgb = to_rgb(img)  # once: the seal test and the thumbnail both work on the flattened picture
    red, seal = image_info(rgb, ratio, size_px)
    near = near_label(bbox, page_lines(p), labels)
    layout.images.append(
        ImageInfo(
            prov=Provenance(file, page=p.number, bbox=bbox),
            width=src[0] or img.width,
            height=src[1] or img.height,
            red_ratio=round(red, 4),
            near_seal_label=near,
            looks_like_seal=seal,
            crop_png_b64=crop_png_b64(rgb) if (seal or near) else None,
        )
    )
