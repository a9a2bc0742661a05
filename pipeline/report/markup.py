"""Marked-up fragments of a report page: matched keywords highlighted, letter clauses diffed.

Each piece of applicant text is escaped with markupsafe before it is joined with the tags made
here, so the fragments can go into the templates as they are.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any

from markupsafe import Markup, escape

# ---------------------------------------------------------------- keyword highlighting


def _hit_list(value: Any) -> list[dict[str, Any]]:
    """Hits of one coverage entry: a list of hit dicts, or a dict holding them under `hits`."""
    if isinstance(value, dict):
        value = value.get("hits", [])
    return [h for h in value if isinstance(h, dict)] if isinstance(value, list) else []


def _covered(value: Any) -> bool:
    if isinstance(value, dict) and "covered" in value:
        return bool(value["covered"])
    if isinstance(value, dict):
        return bool(value.get("hits"))
    return bool(value)


def coverage_flags(sub: dict[str, Any], group: str) -> dict[str, bool] | None:
    """Name → covered, for one coverage group of a submission; None when the group was not computed."""
    coverage = sub.get("coverage")
    entries = coverage.get(group) if isinstance(coverage, dict) else None
    return {str(k): _covered(v) for k, v in entries.items()} if isinstance(entries, dict) else None


def _coverage_group(coverage: dict[str, Any], group: str, names: list[str], css_prefix: str) -> list[dict[str, Any]]:
    """One legend/summary entry per name (rules order, then extras from coverage)."""
    entries = coverage.get(group)
    known = isinstance(entries, dict)
    entries = entries if known else {}
    names = list(names) + [n for n in entries if n not in names]
    out = []
    for i, name in enumerate(names):
        value = entries.get(name)
        hits = _hit_list(value)
        terms = sorted({str(h.get("term")) for h in hits if h.get("term")})
        out.append({
            "name": name,
            "css": f"{css_prefix}{i % 8}",
            "known": known,
            "covered": _covered(value) if known else None,
            "count": len(hits),
            "terms": terms,
            "hits": hits,
        })
    return out


def _concat(parts: list[Markup]) -> Markup:
    """Join pieces that are each escaped already. (`Markup("").join` escapes every piece again: a
    no-op for Markup that made up most of `highlight`'s time.)"""
    return Markup("".join(parts))


@functools.lru_cache(maxsize=1024)
def _mark_open(css: str, title: str) -> Markup:
    """A <mark> start tag. The same few (css, title) pairs, from the coverage names, recur on every page."""
    return Markup(f'<mark class="{escape(css)}" title="{escape(title)}">')


_MARK_CLOSE = Markup("</mark>")


def highlight(text: str, spans: list[tuple[int, int, str, str]]) -> Markup:
    """`text` with <mark> around non-overlapping spans (start, end, css, title); all text escaped.

    Spans come from coverage offsets; one that does not fit the text is ignored, and where spans
    overlap the longer (then earlier) wins, so marks never nest.
    """
    chosen: list[tuple[int, int, str, str]] = []
    taken = bytearray(len(text))  # 1 where a chosen span covers the character
    for start, end, css, title in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if not (0 <= start < end <= len(text)) or any(taken[start:end]):
            continue
        chosen.append((start, end, css, title))
        taken[start:end] = b"\1" * (end - start)
    out: list[Markup] = []
    pos = 0
    for start, end, css, title in sorted(chosen):
        out += (escape(text[pos:start]), _mark_open(css, title), escape(text[start:end]), _MARK_CLOSE)
        pos = end
    out.append(escape(text[pos:]))
    return _concat(out)


def _hits_by_section(groups: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, list[tuple[int, int, str, str, Any]]]:
    """Coverage hits with integer offsets, by section: (start, end, css, title, term), in group order."""
    out: dict[str, list[tuple[int, int, str, str, Any]]] = {}
    for kind, entries in groups:
        for e in entries:
            title = f"{kind}：{e['name']}"
            for h in e["hits"]:
                key, start, end = h.get("section"), h.get("start"), h.get("end")
                if isinstance(key, str) and isinstance(start, int) and isinstance(end, int):
                    out.setdefault(key, []).append((start, end, e["css"], title, h.get("term")))
    return out


def _section_spans(text: str, hits: list[tuple[int, int, str, str, Any]]) -> list[tuple[int, int, str, str]]:
    # Offsets that do not point at their term are left out: do not guess.
    return [(start, end, css, title) for start, end, css, title, term in hits if not term or text[start:end] == term]


# ---------------------------------------------------------------- letter clauses


def diff_markup(official: str, actual: str) -> Markup:
    """Character diff of a clause: text missing from the official wording in <del>, additions in <ins>."""
    sm = difflib.SequenceMatcher(None, official, actual, autojunk=False)
    out: list[Markup] = []
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal":
            out.append(escape(official[a0:a1]))
            continue
        if op in ("delete", "replace"):
            out.append(Markup(f"<del>{escape(official[a0:a1])}</del>"))
        if op in ("insert", "replace"):
            out.append(Markup(f"<ins>{escape(actual[b0:b1])}</ins>"))
    return _concat(out)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def pair_clauses(official: list[str], actual: list[str]) -> list[dict[str, Any]]:
    """Each official clause with the applicant's version (same position when counts agree, else best match)."""
    rows: list[dict[str, Any]] = []
    if len(actual) == len(official):
        pairs = list(enumerate(range(len(actual))))
        extra: list[int] = []
    else:
        used: set[int] = set()
        pairs = []
        for i, off in enumerate(official):
            best = max((j for j in range(len(actual)) if j not in used), key=lambda j: _ratio(off, actual[j]), default=None)
            if best is not None and _ratio(off, actual[best]) >= 0.5:
                used.add(best)
                pairs.append((i, best))
            else:
                pairs.append((i, None))
        extra = [j for j in range(len(actual)) if j not in used]
    for i, j in pairs:
        off = official[i]
        if j is None:
            rows.append({"n": i + 1, "index": None, "status": "missing", "ratio": None,
                         "markup": Markup(f"<del>{escape(off)}</del>")})
            continue
        act = actual[j]
        same = act == off
        rows.append({"n": i + 1, "index": j, "status": "same" if same else "changed",
                     "ratio": f"{(1.0 if same else _ratio(off, act)) * 100:.0f}%",
                     "markup": escape(off) if same else diff_markup(off, act)})
    for j in extra:
        rows.append({"n": None, "index": j, "status": "extra", "ratio": None,
                     "markup": Markup(f"<ins>{escape(actual[j])}</ins>")})
    return rows
