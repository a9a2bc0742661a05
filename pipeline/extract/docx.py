"""DOCX backend: a Word document → a `Layout` of blocks in reading order.

python-docx opens the package: parts, relationships, the styles part and the image parts. The body
is then walked on python-docx's own lxml tree (`Document.element`), because what matters here is
exactly what its paragraph and table objects hide: `<w:sym>` runs, content-control and legacy
form-field checkboxes, text boxes, fields, tracked changes, and merged cells (python-docx repeats a
merged cell at every grid position). Every checkbox leaves this module as ☑ or ☐.

A Strict Open XML document (ISO/IEC 29500 Strict) names the same elements and relationship types
in other namespaces, which python-docx does not know: its XML parts are renamed to the
transitional namespaces in memory before python-docx opens them.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from ..model import Block, ImageInfo, Layout, Note, Provenance
from ..safety import check_ooxml
from . import checkbox

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
V_NS = "urn:schemas-microsoft-com:vml"
M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
IMAGE_REL = "/image"
# ISO/IEC 29500 Strict (Word's "Strict Open XML Document") names the same elements and attributes
# in its own namespaces; a Strict main part is renamed to the transitional ones and read as usual.
STRICT_NAMESPACES = {
    "http://purl.oclc.org/ooxml/wordprocessingml/main": W_NS,
    "http://purl.oclc.org/ooxml/officeDocument/relationships": R_NS,
    "http://purl.oclc.org/ooxml/drawingml/main": A_NS,
    "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing":
        "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "http://purl.oclc.org/ooxml/drawingml/picture": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "http://purl.oclc.org/ooxml/officeDocument/math": M_NS,
}
# Relationship types (in .rels parts) of Strict packages, by their transitional names.
STRICT_RELATIONSHIPS = {
    "http://purl.oclc.org/ooxml/officeDocument/relationships/": "http://schemas.openxmlformats.org/officeDocument/2006/relationships/",
}


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


P, R, T, TBL, TR, TC = _w("p"), _w("r"), _w("t"), _w("tbl"), _w("tr"), _w("tc")
SDT, SDT_PR, SDT_CONTENT = _w("sdt"), _w("sdtPr"), _w("sdtContent")
TAB, PTAB, BR, CR, SYM = _w("tab"), _w("ptab"), _w("br"), _w("cr"), _w("sym")
FLD_CHAR, INSTR_TEXT, FLD_SIMPLE, FF_DATA = _w("fldChar"), _w("instrText"), _w("fldSimple"), _w("ffData")
DRAWING, PICT, OBJECT = _w("drawing"), _w("pict"), _w("object")
RPR, RFONTS, TC_PR, TR_PR = _w("rPr"), _w("rFonts"), _w("tcPr"), _w("trPr")
PPR, PSTYLE, OUTLINE_LVL, BOLD = _w("pPr"), _w("pStyle"), _w("outlineLvl"), _w("b")
NO_BREAK_HYPHEN = _w("noBreakHyphen")
ALT_CONTENT, MC_CHOICE, MC_FALLBACK = f"{{{MC_NS}}}AlternateContent", f"{{{MC_NS}}}Choice", f"{{{MC_NS}}}Fallback"
TXBX_CONTENT = _w("txbxContent")
W_VAL, W_FONT, W_CHAR = _w("val"), _w("font"), _w("char")
W14_CHECKBOX, W14_CHECKED, W14_VAL = f"{{{W14_NS}}}checkbox", f"{{{W14_NS}}}checked", f"{{{W14_NS}}}val"
SHOWING_PLACEHOLDER = _w("showingPlcHdr")
GRID_BEFORE, GRID_SPAN, V_MERGE, H_MERGE = _w("gridBefore"), _w("gridSpan"), _w("vMerge"), _w("hMerge")
FLD_CHAR_TYPE, FF_DATA_CHECKBOX = _w("fldCharType"), _w("checkBox")
FF_CHECKED, FF_DEFAULT = _w("checked"), _w("default")
CUSTOM_XML = _w("customXml")
FONT_ATTRS = tuple(_w(a) for a in ("ascii", "hAnsi", "eastAsia", "cs"))
R_EMBED, R_ID = f"{{{R_NS}}}embed", f"{{{R_NS}}}id"
M_T = f"{{{M_NS}}}t"
# Containers whose children are read as if they stood in their parent.
INLINE_WRAPPERS = frozenset(_w(t) for t in ("hyperlink", "smartTag", "ins", "fldSimple", "customXml", "bdo", "dir", "moveTo"))
BLOCK_WRAPPERS = frozenset(_w(t) for t in ("customXml", "ins", "moveTo"))
SKIPPED = frozenset(_w(t) for t in ("del", "moveFrom", "pPr", "rPr", "proofErr", "bookmarkStart", "bookmarkEnd"))

# Style names that make a heading when a style carries no outline level (Word's built-in names, as
# stored in styles.xml, and WPS's Chinese ones).
_HEADING_NAME = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_FALSE = frozenset({"0", "false", "off"})

# Images bigger than this (pixels) are not decoded for the seal check.
_MAX_IMAGE_PIXELS = 40_000_000
# Red share is measured on a copy no larger than this (px): a DOCX seal is a picture of the stamp.
_RATIO_SIDE = 256
# Report thumbnails only for pictures with some red (a seal candidate), to keep results small.
_THUMB_MIN_RED = 0.01


def read_docx(path: Path, display: str, options) -> Layout:
    """Read a .docx file; raises ExtractionError for files that are not readable Word documents.

    The package's part count, sizes and DTDs are checked first (`safety.check_ooxml`): python-docx
    reads every part into memory."""
    from .errors import ExtractionError

    problem = check_ooxml(path, options.limits)
    if problem is not None:
        raise ExtractionError(problem.rule, problem.reason)
    try:
        with zipfile.ZipFile(path) as zf:
            source = _transitional_copy(zf) if _is_strict(zf) else str(path)
        document = docx.Document(source)
        body = document.element.body
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error) as exc:
        raise ExtractionError("FILE_UNREADABLE", f"文件已损坏或不完整，无法作为 Word 文档（DOCX）打开（{type(exc).__name__}）") from exc
    except (PackageNotFoundError, KeyError) as exc:
        raise ExtractionError("FILE_UNREADABLE", "压缩包中没有 Word 正文部分（word/document.xml），不是 Word 文档（DOCX）") from exc
    except ValueError as exc:  # python-docx: the main part is a spreadsheet, a presentation, …
        raise ExtractionError("FILE_UNREADABLE", "压缩包的主体不是 Word 文档（可能是 Excel 或 PowerPoint 文件）") from exc
    except etree.XMLSyntaxError as exc:
        raise ExtractionError("FILE_UNREADABLE", f"DOCX 内部 XML 损坏，无法解析：{str(exc)[:120]}") from exc
    if body is None:
        raise ExtractionError("FILE_UNREADABLE", "DOCX 正文缺少 w:body，无法读取")
    walker = _Walker(display, _Package(document, options.limits.max_docx_part_mb * 2**20, options.seal))
    walker.body(body)
    # Pages stay unknown: a DOCX is not paginated until rendered (docProps/app.xml is often stale).
    return Layout(file=display, format="docx", pages=None, blocks=walker.blocks, images=walker.images, notes=walker.notes)


def _is_strict(zf: zipfile.ZipFile) -> bool:
    try:
        rels = zf.read("_rels/.rels")
    except KeyError:
        return False
    return any(ns.encode() in rels for ns in STRICT_RELATIONSHIPS)


def _transitional_copy(zf: zipfile.ZipFile) -> io.BytesIO:
    """The package with its XML parts' Strict namespaces and relationship types renamed."""
    renames = [(a.encode(), b.encode()) for a, b in (*STRICT_NAMESPACES.items(), *STRICT_RELATIONSHIPS.items())]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename.lower().endswith((".xml", ".rels")):
                for a, b in renames:
                    data = data.replace(a, b)
            dst.writestr(info.filename, data)
    out.seek(0)
    return out


class _Package:
    """The main part's images and paragraph styles, through python-docx, each read only once."""

    def __init__(self, document, limit: int, seal: tuple[float, int] | None):
        self.document = document
        self.part = document.part
        self.limit = limit
        self.seal = seal
        self._images: dict[str, tuple[int, int, float, bool, str | None] | None] = {}
        self._styles: _ParagraphStyles | None = None

    def image(self, rid: str) -> tuple[int, int, float, bool, str | None] | None:
        """(width, height, red share, looks like a seal, thumbnail) of an image part, or None.

        In a DOCX the seal is its own picture, so the whole picture's red share and size decide
        ([seal] min_red_ratio, min_size_px); no search for a stamp inside a page is needed.
        """
        rel = self.part.rels.get(rid)
        if rel is None or rel.is_external or not rel.reltype.endswith(IMAGE_REL):
            return None
        target = rel.target_part
        name = str(target.partname)
        if name not in self._images:
            self._images[name] = self._analyse(target.blob)
        return self._images[name]

    def styles(self) -> _ParagraphStyles:
        """Paragraph styles: `.get(style id)` → (outline level or None, bold)."""
        if self._styles is None:
            self._styles = _ParagraphStyles(self.document.styles.element)
        return self._styles

    def _analyse(self, blob: bytes) -> tuple[int, int, float, bool, str | None] | None:
        import numpy as np
        from PIL import Image

        from .seal import red_mask, to_rgb

        if len(blob) > self.limit:
            return None
        try:
            img = Image.open(io.BytesIO(blob))
            width, height = img.size
        except Exception:  # noqa: BLE001 - not a picture format Pillow knows: the document is still readable
            return None
        if width * height > _MAX_IMAGE_PIXELS:
            return width, height, 0.0, False, None
        try:
            img.draft("RGB", (_RATIO_SIDE, _RATIO_SIDE))  # JPEG: decode at a reduced scale, much faster
            img.thumbnail((_RATIO_SIDE, _RATIO_SIDE))
            small = to_rgb(img)
            ratio = float(red_mask(np.asarray(small)).mean())
        except Exception:  # noqa: BLE001 - EMF/WMF cannot be rendered here; size is still known
            return width, height, 0.0, False, None
        min_red, min_size = self.seal or _default_seal()
        seal = ratio >= min_red and min(width, height) >= min_size
        thumb = _thumbnail_b64(small) if seal or ratio >= _THUMB_MIN_RED else None
        return width, height, ratio, seal, thumb


class _ParagraphStyles:
    """(outline level, bold) of a paragraph style, inherited through `basedOn`, worked out once per
    style a paragraph uses. Read from python-docx's styles element (CT_Style: name, basedOn, pPr,
    rPr), since its `Style.base_style` looks every base up again by id."""

    def __init__(self, styles_element):
        self.by_id = {el.styleId: el for el in styles_element.style_lst
                      if el.type in (None, WD_STYLE_TYPE.PARAGRAPH) and el.styleId}
        self.resolved: dict[str, tuple[int | None, bool]] = {}

    def get(self, style_id: str) -> tuple[int | None, bool]:
        found = self.resolved.get(style_id)
        if found is None:
            found = self.resolved[style_id] = self._resolve(style_id)
        return found

    def _resolve(self, style_id: str) -> tuple[int | None, bool]:
        level, bold, seen, el = None, None, set(), self.by_id.get(style_id)
        while el is not None and el.styleId not in seen:
            seen.add(el.styleId)
            if level is None:
                level = _outline_level(el.pPr)
            if level is None:
                m = _HEADING_NAME.match((el.name_val or "").strip())
                level = int(m.group(1)) - 1 if m else None
            if bold is None:
                bold = _bold(el.rPr)
            el = self.by_id.get(el.basedOn_val) if el.basedOn_val else None
        return (level if level is not None and level < 9 else None), bool(bold)


def _outline_level(ppr: etree._Element | None) -> int | None:
    el = _child(ppr, OUTLINE_LVL) if ppr is not None else None
    return _int_val(el, 9) if el is not None else None


def _bold(rpr: etree._Element | None) -> bool | None:
    """A run or style's own bold setting: True, False, or None when it sets none."""
    el = _child(rpr, BOLD) if rpr is not None else None
    if el is None:
        return None
    return el.get(W_VAL, "true").lower() not in _FALSE


def _thumbnail_b64(img, max_side: int = 96) -> str:
    """A small PNG of a picture for the report (fast settings: it is only looked at)."""
    import base64

    thumb = img.copy()
    thumb.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    thumb.save(buf, format="PNG", compress_level=6)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _default_seal() -> tuple[float, int]:
    """[seal] thresholds of the packaged rules, for callers that did not pass their own."""
    from ..config import load_rules

    seal = load_rules().raw["seal"]
    return float(seal["min_red_ratio"]), int(seal["min_size_px"])


@dataclass
class _Inline:
    """What one paragraph (or a cell's paragraphs) yields besides its text."""

    parts: list[str] = field(default_factory=list)
    boxes: list[str] = field(default_factory=list)  # text-box paragraphs
    images: list[str] = field(default_factory=list)  # relationship ids
    unknown: list[str] = field(default_factory=list)  # undecodable symbol descriptions
    bold_default: bool = False  # the paragraph style's bold
    bold_chars: int = 0  # characters of text in bold runs, and in others
    plain_chars: int = 0


class _Walker:
    def __init__(self, display: str, pkg: _Package):
        self.display = display
        self.pkg = pkg
        self.blocks: list[Block] = []
        self.images: list[ImageInfo] = []
        self.notes: list[Note] = []
        self.n_tables = 0
        self.n_paragraphs = 0
        self.fields: list[dict] = []  # open complex fields (begin … end), innermost last

    # Block level -------------------------------------------------------------------------------

    def body(self, body: etree._Element) -> None:
        for child in body:
            self.block_level(child)

    def block_level(self, el: etree._Element) -> None:
        tag = el.tag
        if tag == P:
            self.body_paragraph(el)
        elif tag == TBL:
            self.table(el)
        elif tag == SDT:
            content = _child(el, SDT_CONTENT)
            if content is not None:
                for child in content:
                    self.block_level(child)
        elif tag in BLOCK_WRAPPERS:
            for child in el:
                self.block_level(child)
        elif tag == ALT_CONTENT:
            branch = _alt_branch(el)
            if branch is not None:
                for child in branch:
                    self.block_level(child)

    def paragraph(self, p: etree._Element, acc: _Inline) -> None:
        # A checkbox field never runs past its paragraph.
        if self.fields and any(f["hide"] for f in self.fields):
            self.fields = [f for f in self.fields if not f["hide"]]
        self.inline(p, acc)

    def body_paragraph(self, p: etree._Element) -> None:
        prov = Provenance(file=self.display, paragraph=self.n_paragraphs)
        self.n_paragraphs += 1
        ppr = _child(p, PPR)
        style, level = _first_children(ppr, (PSTYLE, OUTLINE_LVL))
        style_level, style_bold = self.pkg.styles().get(style.get(W_VAL, "") if style is not None else "Normal")
        level_own = _int_val(level, 9) if level is not None else None
        outline = level_own if level_own is not None else style_level
        acc = _Inline(bold_default=style_bold)
        self.paragraph(p, acc)
        text = checkbox.canonicalize("".join(acc.parts))
        if text.strip():
            block = Block(text, "paragraph", prov)
            if outline is not None and outline < 9:
                block.heading, block.outline_level = "style", outline
            elif acc.bold_chars and not acc.plain_chars:
                block.heading = "bold"
            self.blocks.append(block)
        for box in acc.boxes:
            box = checkbox.canonicalize(box)
            if box.strip():
                self.blocks.append(Block(box, "paragraph", prov))
        self.finish(acc, prov)

    def finish(self, acc: _Inline, prov: Provenance) -> None:
        for rid in acc.images:
            info = self.pkg.image(rid)
            if info is None:
                continue
            width, height, ratio, seal, thumb = info
            self.images.append(ImageInfo(prov=prov, width=width, height=height, red_ratio=ratio,
                                         looks_like_seal=seal, crop_png_b64=thumb))
        for what in dict.fromkeys(acc.unknown):
            self.notes.append(Note(f"无法识别的符号（{what}），可能是勾选框，请人工核对该处的勾选状态", prov))

    def table(self, tbl: etree._Element) -> None:
        t = self.n_tables
        self.n_tables += 1
        origin: dict[int, Block] = {}  # grid column → block of the cell that starts a vertical merge
        for r, tr in enumerate(_rows(tbl)):
            col = _int_val(_grid_before(tr), 0)
            first = True
            for tc in _cells(tr):
                pr = _child(tc, TC_PR)
                grid_span, vmerge, hmerge = _first_children(pr, (GRID_SPAN, V_MERGE, H_MERGE))
                span = max(1, _int_val(grid_span, 1))
                if hmerge is not None and hmerge.get(W_VAL, "continue") == "continue" and not first:
                    col += span
                    continue
                if vmerge is not None and vmerge.get(W_VAL, "continue") == "continue" and col in origin:
                    origin[col].row_span += 1
                    col += span
                    continue
                prov = Provenance(file=self.display, table=t, row=r, col=col)
                acc = _Inline()
                nested: list[etree._Element] = []
                lines: list[str] = []
                for child in _cell_content(tc):
                    if child.tag == P:
                        before = len(acc.parts)
                        self.paragraph(child, acc)
                        lines.append("".join(acc.parts[before:]))
                    elif child.tag == TBL:
                        nested.append(child)
                lines.extend(acc.boxes)
                block = Block(checkbox.canonicalize("\n".join(lines)), "cell", prov, new_row=first, col_span=span)
                self.blocks.append(block)
                first = False
                origin[col] = block
                self.finish(acc, prov)
                for inner in nested:
                    self.table(inner)
                col += span

    # Inline level ------------------------------------------------------------------------------

    def inline(self, el: etree._Element, acc: _Inline) -> None:
        for child in el:
            tag = child.tag
            if tag == R:
                self.run(child, acc)
            elif tag in INLINE_WRAPPERS:
                self.inline(child, acc)
            elif tag == SDT:
                self.inline_sdt(child, acc)
            elif tag == ALT_CONTENT:
                branch = _alt_branch(child)
                if branch is not None:
                    self.inline(branch, acc)
            elif tag in SKIPPED:
                continue
            elif isinstance(tag, str) and tag.startswith(f"{{{M_NS}}}"):
                acc.parts.extend(t.text or "" for t in child.iter(M_T))

    def inline_sdt(self, sdt: etree._Element, acc: _Inline) -> None:
        pr = _child(sdt, SDT_PR)
        if pr is not None:
            box = _child(pr, W14_CHECKBOX)
            if box is not None:
                checked = _child(box, W14_CHECKED)
                state = checkbox.content_control_state(checked.get(W14_VAL) if checked is not None else None)
                acc.parts.append(checkbox.CHECKED if state else checkbox.UNCHECKED)
                return
            if _child(pr, SHOWING_PLACEHOLDER) is not None:
                return  # the prompt text of an empty content control is not applicant text
        content = _child(sdt, SDT_CONTENT)
        if content is not None:
            self.inline(content, acc)

    def run(self, r: etree._Element, acc: _Inline) -> None:
        fonts = None
        bold = False
        rpr = None  # the run's first w:rPr, picked up on the way (it normally comes first)
        for child in r:
            tag = child.tag
            if tag == T:
                if self.fields and self.fields[-1]["hide"]:
                    continue
                text = child.text or ""
                if not text:
                    continue
                if fonts is None:
                    rpr = rpr if rpr is not None else _child(r, RPR)
                    fonts = _symbol_font(rpr)
                    bold = _bold(rpr)
                    bold = acc.bold_default if bold is None else bold
                acc.parts.append(self.decode_text(text, fonts or None, acc) if fonts or _has_pua(text) else text)
                n = len(text.strip())
                if bold:
                    acc.bold_chars += n
                else:
                    acc.plain_chars += n
            elif tag == RPR:
                if rpr is None:
                    rpr = child
            elif tag in (TAB, PTAB):
                acc.parts.append("\t")
            elif tag in (BR, CR):
                acc.parts.append("\n")
            elif tag == NO_BREAK_HYPHEN:
                acc.parts.append("-")
            elif tag == SYM:
                self.symbol(child, acc)
            elif tag == FLD_CHAR:
                self.field_char(child, acc)
            elif tag == INSTR_TEXT:
                if self.fields:
                    self.fields[-1]["instr"] += child.text or ""
            elif tag in (DRAWING, PICT, OBJECT):
                self.graphic(child, acc)
            elif tag == ALT_CONTENT:
                branch = _alt_branch(child)
                if branch is not None:
                    for g in branch:
                        if g.tag in (DRAWING, PICT, OBJECT):
                            self.graphic(g, acc)

    def decode_text(self, text: str, font: str | None, acc: _Inline) -> str:
        out = []
        for ch in text:
            cp = ord(ch)
            if ch.isspace() or (cp >= 0x100 and not 0xF000 <= cp <= 0xF0FF):
                out.append(ch)  # CJK text in a run that also names a symbol font
                continue
            meaning = checkbox.decode_symbol(font, cp)
            if meaning is None:
                if font is None:
                    out.append(ch)
                else:
                    acc.unknown.append(f"字体 {font}，字符 U+{cp:04X}")
            else:
                out.append(meaning)
        return "".join(out)

    def symbol(self, sym: etree._Element, acc: _Inline) -> None:
        font = sym.get(W_FONT)
        try:
            cp = int(sym.get(W_CHAR, ""), 16)
        except ValueError:
            acc.unknown.append(f"w:sym 字体 {font}，字符 {sym.get(W_CHAR)!r}")
            return
        meaning = checkbox.decode_symbol(font, cp)
        if meaning is None:
            if checkbox.is_symbol_font(font) or 0xF000 <= cp <= 0xF0FF:
                acc.unknown.append(f"w:sym 字体 {font}，字符 U+{cp:04X}")
            else:
                acc.parts.append(chr(cp))
        else:
            acc.parts.append(meaning)

    def field_char(self, fc: etree._Element, acc: _Inline) -> None:
        kind = fc.get(FLD_CHAR_TYPE)
        if kind == "begin":
            ff = _child(fc, FF_DATA)
            box = _child(ff, FF_DATA_CHECKBOX) if ff is not None else None
            fld = {"instr": "", "hide": False, "box": box is not None}
            if box is not None:
                checked, default = _first_children(box, (FF_CHECKED, FF_DEFAULT))
                state = checkbox.legacy_checkbox_state(
                    checked.get(W_VAL) if checked is not None else None, checked is not None,
                    default.get(W_VAL) if default is not None else None)
                acc.parts.append(checkbox.CHECKED if state else checkbox.UNCHECKED)
            if len(self.fields) < 64:
                self.fields.append(fld)
        elif kind == "separate" and self.fields:
            fld = self.fields[-1]
            if "FORMCHECKBOX" in fld["instr"].upper():
                fld["hide"] = True  # a checkbox's cached result is a picture of the box: already emitted
                if not fld["box"]:
                    acc.unknown.append("复选框域缺少勾选状态（w:ffData）")
        elif kind == "end" and self.fields:
            fld = self.fields.pop()
            if "FORMCHECKBOX" in fld["instr"].upper() and not fld["box"] and not fld["hide"]:
                acc.unknown.append("复选框域缺少勾选状态（w:ffData）")

    def graphic(self, g: etree._Element, acc: _Inline) -> None:
        seen = set()
        for el in g.iter(f"{{{A_NS}}}blip", f"{{{V_NS}}}imagedata"):
            rid = el.get(R_EMBED) or el.get(R_ID)
            if rid and rid not in seen:
                seen.add(rid)
                acc.images.append(rid)
        for content in g.iter(TXBX_CONTENT):
            for p in content.iter(P):
                sub = _Inline()
                self.inline(p, sub)
                acc.boxes.append("".join(sub.parts))
                acc.images.extend(sub.images)
                acc.unknown.extend(sub.unknown)


def _alt_branch(alt: etree._Element) -> etree._Element | None:
    """The branch of an mc:AlternateContent to read: the first Choice, else the Fallback."""
    choice = _child(alt, MC_CHOICE)
    return choice if choice is not None else _child(alt, MC_FALLBACK)


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    """The first child with `tag`, as `el.find(tag)` gives it, without ElementPath's overhead
    (used for property elements, which come first among a handful of children)."""
    for child in el:
        if child.tag == tag:
            return child
    return None


def _first_children(el: etree._Element | None, tags: tuple[str, ...]) -> tuple[etree._Element | None, ...]:
    """The first child of `el` with each of `tags` (None each when `el` is None), in one pass."""
    found: dict[str, etree._Element | None] = dict.fromkeys(tags)
    if el is not None:
        for child in el:
            tag = child.tag
            if tag in found and found[tag] is None:
                found[tag] = child
    return tuple(found[t] for t in tags)


def _grid_before(tr: etree._Element) -> etree._Element | None:
    """`tr.find("w:trPr/w:gridBefore")`: the first gridBefore of the first trPr that has one."""
    for child in tr:
        if child.tag == TR_PR:
            before = _child(child, GRID_BEFORE)
            if before is not None:
                return before
    return None


def _unwrapped(parent: etree._Element, tags: tuple[str, ...]):
    """Children with one of `tags`, looking through content controls and custom-XML wrappers."""
    for child in parent:
        if child.tag in tags:
            yield child
        elif child.tag in (SDT, CUSTOM_XML):
            inner = _child(child, SDT_CONTENT) if child.tag == SDT else child
            if inner is not None:
                yield from _unwrapped(inner, tags)


def _rows(tbl: etree._Element):
    return _unwrapped(tbl, (TR,))


def _cells(tr: etree._Element):
    return _unwrapped(tr, (TC,))


def _cell_content(tc: etree._Element):
    return _unwrapped(tc, (P, TBL))


def _int_val(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(W_VAL, default))
    except ValueError:
        return default


def _symbol_font(rpr: etree._Element | None) -> str | None:
    """The symbol font named by a run's w:rFonts (any of ascii/hAnsi/eastAsia/cs), else ''."""
    fonts = _child(rpr, RFONTS) if rpr is not None else None
    # Nearly every run names text fonts only: one look at all the attribute values rules it out.
    if fonts is not None and any(map(checkbox.font_key, fonts.values())):
        for attr in FONT_ATTRS:
            name = fonts.get(attr)
            if name and checkbox.is_symbol_font(name):
                return name
    return ""


_PUA = re.compile("[\uf000-\uf0ff]")


def _has_pua(text: str) -> bool:
    return _PUA.search(text) is not None
