"""Low-level WordprocessingML helpers: runs with East Asian fonts, checkbox encodings, pictures."""

from __future__ import annotations

import io
import itertools
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
NSDECL = (
    f'xmlns:w="{W_NS}" xmlns:w14="{W14_NS}" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)

BODY_FONT = "宋体"
LATIN_FONT = "Times New Roman"

# The namespaces Word 2016 declares on w:document; mc:Ignorable lists the ones older readers may skip.
WORD_NSMAP = {
    "wpc": "http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "o": "urn:schemas-microsoft-com:office:office",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "v": "urn:schemas-microsoft-com:vml",
    "wp14": "http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "w10": "urn:schemas-microsoft-com:office:word",
    "w": W_NS,
    "w14": W14_NS,
    "w15": "http://schemas.microsoft.com/office/word/2012/wordml",
    "wpg": "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
    "wpi": "http://schemas.microsoft.com/office/word/2010/wordprocessingInk",
    "wne": "http://schemas.microsoft.com/office/word/2006/wordml",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
}
MC_IGNORABLE = "w14 w15 wp14"


def rpr_xml(
    east: str | None = BODY_FONT,
    ascii_font: str | None = LATIN_FONT,
    size_pt: float | None = None,
    bold: bool = False,
    underline: bool = False,
    color: str | None = None,
) -> str:
    parts = []
    if east or ascii_font:
        attrs = []
        if ascii_font:
            attrs += [f'w:ascii="{ascii_font}"', f'w:hAnsi="{ascii_font}"']
        if east:
            attrs += [f'w:eastAsia="{east}"']
        if east and ascii_font == east:
            attrs += ['w:hint="eastAsia"']
        parts.append(f"<w:rFonts {' '.join(attrs)}/>")
    if bold:
        parts.append("<w:b/><w:bCs/>")
    if color:
        parts.append(f'<w:color w:val="{color}"/>')
    if size_pt:
        half = int(round(size_pt * 2))
        parts.append(f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>')
    if underline:
        parts.append('<w:u w:val="single"/>')
    return f"<w:rPr>{''.join(parts)}</w:rPr>" if parts else ""


def run_xml(text: str, **fmt) -> str:
    return f'<w:r>{rpr_xml(**fmt)}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def el(xml: str):
    """Parse a fragment (one element) with the namespaces this module uses."""
    root = parse_xml(f"<w:frag {NSDECL}>{xml}</w:frag>")
    return list(root)


# --- checkbox encodings --------------------------------------------------------------------------
# Each encoding turns (checked?) into WordprocessingML placed before the option label, plus an
# optional suffix placed after it. The names are used in expected.json descriptions and tests.
CHECKBOX_ENCODINGS = {
    "glyph": "plain text ☑ / □ in the body font",
    "glyph_square": "plain text ■ (checked) replacing □",
    "glyph_tick_after": "□ kept and a √ typed after the label",
    "glyph_tick_in_box": "□ kept and a √ typed right after the box",
    "wingdings2": 'run "R" (checked) / "£" (unchecked) in font Wingdings 2',
    "wingdings2_s": 'run "S" (checked, boxed cross) / "£" in font Wingdings 2',
    "sym": "<w:sym w:font=Wingdings> F0FE (checked) / F0A8 (unchecked)",
    "sym_x": "<w:sym w:font=Wingdings> F078 ☒ (checked) / F0A8 (unchecked)",
    "sdt": "w14:checkbox content control (☒/☐ in MS Gothic)",
    "formfield": "legacy FORMCHECKBOX field, state in w:ffData/w:checkBox/w:checked",
    "formfield_default": "legacy FORMCHECKBOX field, checked via w:default w:val=1 without w:checked",
    "msgothic": "☒ / ☐ glyphs in MS Gothic runs",
    "segoe": "✔ / ☐ glyphs in Segoe UI Symbol runs",
    "wingdings_char": 'Wingdings run "þ" (0xFE, checked) / "¨" (0xA8, unchecked)',
}


class CheckboxFactory:
    """Makes checkbox markup; keeps the counters Word keeps (field names, content-control ids)."""

    def __init__(self) -> None:
        self._field_no = itertools.count(1)
        self._sdt_id = itertools.count(1_203_114_911, 7_919)

    def before(self, encoding: str, checked: bool, size_pt: float | None = None) -> str:
        sym_rpr = rpr_xml(east=None, ascii_font=None, size_pt=size_pt)
        if encoding in ("glyph", "glyph_square", "glyph_tick_after", "glyph_tick_in_box"):
            glyph = "□"
            if checked and encoding == "glyph":
                glyph = "☑"
            elif checked and encoding == "glyph_square":
                glyph = "■"
            elif checked and encoding == "glyph_tick_in_box":
                glyph = "□√"
            return run_xml(glyph, size_pt=size_pt)
        if encoding in ("wingdings2", "wingdings2_s"):
            char = ("R" if encoding == "wingdings2" else "S") if checked else "£"
            fonts = '<w:rFonts w:ascii="Wingdings 2" w:hAnsi="Wingdings 2"/>'
            return f"<w:r><w:rPr>{fonts}{_size(size_pt)}</w:rPr><w:t>{char}</w:t></w:r>"
        if encoding in ("sym", "sym_x"):
            char = ("F0FE" if encoding == "sym" else "F078") if checked else "F0A8"
            return f'<w:r>{sym_rpr}<w:sym w:font="Wingdings" w:char="{char}"/></w:r>'
        if encoding == "sdt":
            return self._sdt(checked, size_pt)
        if encoding in ("formfield", "formfield_default"):
            return self._formfield(checked, encoding == "formfield_default", size_pt)
        if encoding in ("msgothic", "segoe"):
            font = "MS Gothic" if encoding == "msgothic" else "Segoe UI Symbol"
            glyph = ("☒" if encoding == "msgothic" else "✔") if checked else "☐"
            fonts = f'<w:rFonts w:ascii="{font}" w:eastAsia="{font}" w:hAnsi="{font}" w:hint="eastAsia"/>'
            return f"<w:r><w:rPr>{fonts}{_size(size_pt)}</w:rPr><w:t>{glyph}</w:t></w:r>"
        if encoding == "wingdings_char":
            fonts = '<w:rFonts w:ascii="Wingdings" w:hAnsi="Wingdings"/>'
            glyph = "\u00fe" if checked else "\u00a8"
            return f"<w:r><w:rPr>{fonts}{_size(size_pt)}</w:rPr><w:t>{glyph}</w:t></w:r>"
        raise ValueError(encoding)

    def after(self, encoding: str, checked: bool, size_pt: float | None = None) -> str:
        if encoding == "glyph_tick_after" and checked:
            return run_xml("√", size_pt=size_pt)
        return ""

    def _sdt(self, checked: bool, size_pt: float | None) -> str:
        fonts = '<w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" w:hint="eastAsia"/>'
        rpr = f"<w:rPr>{fonts}{_size(size_pt)}</w:rPr>"
        return (
            f'<w:sdt><w:sdtPr>{rpr}<w:id w:val="{next(self._sdt_id) % 2_147_483_647}"/>'
            f'<w14:checkbox><w14:checked w14:val="{1 if checked else 0}"/>'
            '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
            '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
            f"<w:sdtContent><w:r>{rpr}<w:t>{'☒' if checked else '☐'}</w:t></w:r></w:sdtContent></w:sdt>"
        )

    def _formfield(self, checked: bool, via_default: bool, size_pt: float | None) -> str:
        no = next(self._field_no)
        if via_default:
            state = f'<w:default w:val="{1 if checked else 0}"/>'
        else:
            state = '<w:default w:val="0"/>' + ("<w:checked/>" if checked else '<w:checked w:val="0"/>')
        rpr = rpr_xml(east=None, ascii_font=None, size_pt=size_pt)
        return (
            f'<w:bookmarkStart w:id="{no}" w:name="Check{no}"/>'
            f'<w:r>{rpr}<w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check{no}"/><w:enabled/>'
            f'<w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>{state}</w:checkBox></w:ffData></w:fldChar></w:r>'
            f'<w:r>{rpr}<w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
            f'<w:r>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r>{rpr}<w:fldChar w:fldCharType="end"/></w:r>'
            f'<w:bookmarkEnd w:id="{no}"/>'
        )


def _size(size_pt: float | None) -> str:
    if not size_pt:
        return ""
    half = int(round(size_pt * 2))
    return f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>'


def anchor_picture(inline_drawing, offset_x_emu: int, offset_y_emu: int) -> None:
    """Turn a python-docx inline picture (<wp:inline>) into a floating one in front of the text."""
    wp = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
    inline = inline_drawing.find(f"{{{wp}}}inline")
    extent = inline.find(f"{{{wp}}}extent")
    doc_pr = inline.find(f"{{{wp}}}docPr")
    graphic = inline.find("{http://schemas.openxmlformats.org/drawingml/2006/main}graphic")
    anchor = el(
        '<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="251659264" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="column"><wp:posOffset>{offset_x_emu}</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>{offset_y_emu}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{extent.get("cx")}" cy="{extent.get("cy")}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        "<wp:wrapNone/></wp:anchor>"
    )[0]
    anchor.append(doc_pr)
    anchor.append(el("<wp:cNvGraphicFramePr/>")[0])
    anchor.append(graphic)
    inline_drawing.replace(inline, anchor)


def finalize_docx(path: Path) -> None:
    """Declare Word's namespaces once on the root, as Word does, and mark w14/w15/wp14 ignorable."""
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "word/document.xml":
                data = _normalise_document_xml(data)
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(out.getvalue())


def _normalise_document_xml(data: bytes) -> bytes:
    root = etree.fromstring(data)
    new_root = etree.Element(root.tag, nsmap=WORD_NSMAP)
    for key, value in root.attrib.items():
        new_root.set(key, value)
    new_root.set(f"{{{WORD_NSMAP['mc']}}}Ignorable", MC_IGNORABLE)
    for child in list(root):
        new_root.append(child)
    etree.cleanup_namespaces(new_root, top_nsmap=WORD_NSMAP, keep_ns_prefixes=list(WORD_NSMAP))
    return etree.tostring(new_root, xml_declaration=True, encoding="UTF-8", standalone=True)
