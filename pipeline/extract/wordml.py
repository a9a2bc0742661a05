"""WordprocessingML names and small tree helpers the DOCX backend reads python-docx's lxml tree with.

python-docx's objects hide what the checker needs (w:sym runs, content controls, legacy form
fields, merged cells), so `docx.py` walks `Document.element`; the tag names it compares against and
the few child lookups it repeats for every run and cell live here.
"""

from __future__ import annotations

import re

from lxml import etree

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


def w_tag(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


P, R, T, TBL, TR, TC = w_tag("p"), w_tag("r"), w_tag("t"), w_tag("tbl"), w_tag("tr"), w_tag("tc")
SDT, SDT_PR, SDT_CONTENT = w_tag("sdt"), w_tag("sdtPr"), w_tag("sdtContent")
TAB, PTAB, BR, CR, SYM = w_tag("tab"), w_tag("ptab"), w_tag("br"), w_tag("cr"), w_tag("sym")
FLD_CHAR, INSTR_TEXT, FLD_SIMPLE, FF_DATA = w_tag("fldChar"), w_tag("instrText"), w_tag("fldSimple"), w_tag("ffData")
DRAWING, PICT, OBJECT = w_tag("drawing"), w_tag("pict"), w_tag("object")
RPR, RFONTS, TC_PR, TR_PR = w_tag("rPr"), w_tag("rFonts"), w_tag("tcPr"), w_tag("trPr")
PPR, PSTYLE, OUTLINE_LVL, BOLD = w_tag("pPr"), w_tag("pStyle"), w_tag("outlineLvl"), w_tag("b")
NO_BREAK_HYPHEN = w_tag("noBreakHyphen")
ALT_CONTENT, MC_CHOICE, MC_FALLBACK = f"{{{MC_NS}}}AlternateContent", f"{{{MC_NS}}}Choice", f"{{{MC_NS}}}Fallback"
TXBX_CONTENT = w_tag("txbxContent")
W_VAL, W_FONT, W_CHAR = w_tag("val"), w_tag("font"), w_tag("char")
W14_CHECKBOX, W14_CHECKED, W14_VAL = f"{{{W14_NS}}}checkbox", f"{{{W14_NS}}}checked", f"{{{W14_NS}}}val"
SHOWING_PLACEHOLDER = w_tag("showingPlcHdr")
GRID_BEFORE, GRID_SPAN, V_MERGE, H_MERGE = w_tag("gridBefore"), w_tag("gridSpan"), w_tag("vMerge"), w_tag("hMerge")
FLD_CHAR_TYPE, FF_DATA_CHECKBOX = w_tag("fldCharType"), w_tag("checkBox")
FF_CHECKED, FF_DEFAULT = w_tag("checked"), w_tag("default")
CUSTOM_XML = w_tag("customXml")
FONT_ATTRS = tuple(w_tag(a) for a in ("ascii", "hAnsi", "eastAsia", "cs"))
R_EMBED, R_ID = f"{{{R_NS}}}embed", f"{{{R_NS}}}id"
M_T = f"{{{M_NS}}}t"
# Containers whose children are read as if they stood in their parent.
INLINE_WRAPPERS = frozenset(w_tag(t) for t in ("hyperlink", "smartTag", "ins", "fldSimple", "customXml", "bdo", "dir", "moveTo"))
BLOCK_WRAPPERS = frozenset(w_tag(t) for t in ("customXml", "ins", "moveTo"))
SKIPPED = frozenset(w_tag(t) for t in ("del", "moveFrom", "pPr", "rPr", "proofErr", "bookmarkStart", "bookmarkEnd"))



def alt_branch(alt: etree._Element) -> etree._Element | None:
    """The branch of an mc:AlternateContent to read: the first Choice, else the Fallback."""
    choice = first_child(alt, MC_CHOICE)
    return choice if choice is not None else first_child(alt, MC_FALLBACK)


def first_child(el: etree._Element, tag: str) -> etree._Element | None:
    """The first child with `tag`, as `el.find(tag)` gives it, without ElementPath's overhead
    (used for property elements, which come first among a handful of children)."""
    for child in el:
        if child.tag == tag:
            return child
    return None


def first_children(el: etree._Element | None, tags: tuple[str, ...]) -> tuple[etree._Element | None, ...]:
    """The first child of `el` with each of `tags` (None each when `el` is None), in one pass."""
    found: dict[str, etree._Element | None] = dict.fromkeys(tags)
    if el is not None:
        for child in el:
            tag = child.tag
            if tag in found and found[tag] is None:
                found[tag] = child
    return tuple(found[t] for t in tags)


def grid_before(tr: etree._Element) -> etree._Element | None:
    """`tr.find("w:trPr/w:gridBefore")`: the first gridBefore of the first trPr that has one."""
    for child in tr:
        if child.tag == TR_PR:
            before = first_child(child, GRID_BEFORE)
            if before is not None:
                return before
    return None


def unwrapped(parent: etree._Element, tags: tuple[str, ...]):
    """Children with one of `tags`, looking through content controls and custom-XML wrappers."""
    for child in parent:
        if child.tag in tags:
            yield child
        elif child.tag in (SDT, CUSTOM_XML):
            inner = first_child(child, SDT_CONTENT) if child.tag == SDT else child
            if inner is not None:
                yield from unwrapped(inner, tags)


def rows(tbl: etree._Element):
    return unwrapped(tbl, (TR,))


def cells(tr: etree._Element):
    return unwrapped(tr, (TC,))


def cell_content(tc: etree._Element):
    return unwrapped(tc, (P, TBL))


def int_val(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(W_VAL, default))
    except ValueError:
        return default


def symbol_font(rpr: etree._Element | None) -> str | None:
    """The symbol font named by a run's w:rFonts (any of ascii/hAnsi/eastAsia/cs), else ''."""
    fonts = first_child(rpr, RFONTS) if rpr is not None else None
    # Nearly every run names text fonts only: one look at all the attribute values rules it out.
    if fonts is not None and any(map(checkbox.font_key, fonts.values())):
        for attr in FONT_ATTRS:
            name = fonts.get(attr)
            if name and checkbox.is_symbol_font(name):
                return name
    return ""


_PUA = re.compile("[\uf000-\uf0ff]")


def has_pua(text: str) -> bool:
    return _PUA.search(text) is not None
