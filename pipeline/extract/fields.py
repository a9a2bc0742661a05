"""Shared field logic: a `Layout` (from any backend) → `ExtractedDocument`s (form and/or letter).

A document's kind comes from its title ([documents] in the rules); a file holding both
attachments is split at the second title. With no title at all, both readers are tried and a
document is kept only when its key fields were found.
"""

from __future__ import annotations

from ..config import Rules
from ..model import Block, ExtractedDocument, ImageInfo, Layout, Note
from .form import read_form
from .labels import norm
from .letter import read_letter

# A title block is short: the title plus at most this many other characters (附件2：上海市…).
_TITLE_SLACK = 24
_TITLE_MAX_CHARS = 80  # before normalising: titles are sometimes spaced out (上 海 市 …)


def find_titles(blocks: list[Block], rules: Rules) -> dict[str, int]:
    """Index of the first title block of each document kind found."""
    titles = {
        "letter": [norm(t) for t in rules.raw["documents"]["letter_titles"]],
        "form": [norm(t) for t in rules.raw["documents"]["form_titles"]],
    }
    found: dict[str, int] = {}
    for i, b in enumerate(blocks):
        if len(found) == 2:
            break
        text = b.text
        if len(text) > _TITLE_MAX_CHARS:
            continue
        n = norm(text)
        for kind, names in titles.items():
            if kind not in found and any(t in n and len(n) <= len(t) + _TITLE_SLACK for t in names):
                found[kind] = i
                break
    return found


def _position(img: ImageInfo, blocks: list[Block], where: dict) -> int:
    """Index of the block an image belongs to (same provenance, else the block just before it)."""
    p = img.prov
    if p in where:
        return where[p]
    if p.page is not None:
        y = p.bbox[1] if p.bbox else 0.0
        best = 0
        for i, b in enumerate(blocks):
            bp = b.prov
            if bp.page is None or bp.page < p.page or (
                    bp.page == p.page and (bp.bbox is None or bp.bbox[1] <= y)):
                best = i
            elif bp.page > p.page:
                break
        return best
    return 0


def _mark_near_seal_labels(images: list[tuple[int, ImageInfo]], blocks: list[Block], rules: Rules) -> None:
    words = [norm(w) for w in rules.raw["seal"].get("near_labels", [])]
    for i, img in images:
        around = "".join(norm(b.text) for b in blocks[max(0, i - 2): i + 3])
        if any(w and w in around for w in words):
            img.near_seal_label = True


def documents_from_layout(layout: Layout, rules: Rules) -> list[ExtractedDocument]:
    blocks = layout.blocks
    where = {}
    for i, b in enumerate(blocks):
        where.setdefault(b.prov, i)
    placed = [(_position(img, blocks, where), img) for img in layout.images]
    _mark_near_seal_labels(placed, blocks, rules)

    titles = find_titles(blocks, rules)
    ranges: list[tuple[str, int, int, bool]] = []  # kind, start, end, titled
    if len(titles) == 2:
        (k1, i1), (k2, i2) = sorted(titles.items(), key=lambda kv: kv[1])
        ranges = [(k1, 0, i2, True), (k2, i2, len(blocks), True)]
    elif titles:
        kind = next(iter(titles))
        ranges = [(kind, 0, len(blocks), True)]
        other = "form" if kind == "letter" else "letter"
        ranges.append((other, 0, len(blocks), False))
    else:
        ranges = [("form", 0, len(blocks), False), ("letter", 0, len(blocks), False)]

    docs = []
    for kind, start, end, titled in ranges:
        part = blocks[start:end]
        images = [img for i, img in placed if start <= i < end]
        gaps = []
        if kind == "form":
            fields, prov, notes, found, gaps = read_form(part, rules, only_if_found=not titled)
        else:
            fields, prov, notes, found, gaps = read_letter(part, rules, images, only_if_found=not titled)
        if not (titled or found):
            continue
        if not titled:
            notes = [Note("文档中没有找到标题，按内容识别为" + ("需求征集表" if kind == "form" else "建设承诺书"))] + notes
        docs.append(ExtractedDocument(kind=kind, file=layout.file, fields=fields, provenance=prov,
                                      notes=notes, images=images, gaps=gaps))
    docs.sort(key=lambda d: 0 if d.kind == "form" else 1)
    return docs
