"""Narrative sections: lengths in 字, empty sections, and keyword coverage of their content."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from ..config import Rules
from ..model import Finding, Submission
from .coverage import compute_coverage
from .registry import Context, Prepared, rule
from .text import as_list, fold
from .textcount import count_zi, units


@lru_cache(maxsize=64)
def _hint_pattern(hint: str) -> re.Pattern | None:
    chars = [ch for ch in fold(hint) if not ch.isspace()]
    if not chars:
        return None
    return re.compile(r"\s*".join(re.escape(ch) for ch in chars))


def applicant_text(text: Any, hint: str) -> str:
    """The section text with a printed hint left in place blanked out (same length, so offsets hold).

    The extractor strips hints; this is a second guard, because a hint left in the overview lists
    all seven topics and would hide a missing one.
    """
    if not isinstance(text, str) or not text:
        return ""
    pat = _hint_pattern(hint)
    if pat is None:
        return text
    m = pat.search(fold(text))
    if not m:
        return text
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]


def section_texts(sub: Submission, rules: Rules) -> dict[str, str]:
    sections = sub.fields.get("sections")
    sections = sections if isinstance(sections, dict) else {}
    return {s.key: applicant_text(sections.get(s.key), s.hint) for s in rules.sections}


def prepare(sub: Submission, rules: Rules, prep: Prepared, form_read: bool) -> None:
    """Set section_lengths for every section key, and the coverage record when a form was read."""
    texts = section_texts(sub, rules)
    raw = sub.fields.get("sections")
    raw = raw if isinstance(raw, dict) else {}
    # A section that was not read (no form, or no heading found) has no length: unknown, not 0.
    sub.fields["section_lengths"] = {k: count_zi(v) if isinstance(raw.get(k), str) else None
                                     for k, v in texts.items()}
    sub.coverage = compute_coverage(texts, rules, prep) if form_read else {}


def limit_offset(text: str, limit: int) -> int | None:
    """Offset of the first character that takes the count past `limit` (None if it never does)."""
    spans = units(text)
    return spans[limit][0] if len(spans) > limit else None


BEFORE_LIMIT = 24  # characters shown before the place the limit falls
OVER_SHOWN = 160  # characters of the text past the limit in the excerpt
OVER_TEXT_MAX = 4000  # … and in details.over_text


def past_limit(text: str, cut: int, limit: int) -> str:
    """Where the limit falls and the text past it, for a reviewer to see what to cut:
    `第400字止于「…前文」，之后超出的部分：「超出的文字…」`."""
    before = re.sub(r"\s+", " ", text[:cut]).strip()
    after = re.sub(r"\s+", " ", text[cut:]).strip()
    before = ("…" if len(before) > BEFORE_LIMIT else "") + before[-BEFORE_LIMIT:]
    shown = after[:OVER_SHOWN] + ("…" if len(after) > OVER_SHOWN else "")
    return f"第{limit}字止于「{before}」，之后超出的部分：「{shown}」"


@rule(id="SECTION_EMPTY", absence=True, severity="error", scope="form", field="（各具体内容栏目）",
      title="具体内容栏目没有申报单位填写的内容（仅有填写提示或空白）",
      message="「{label}」没有填写内容")
@rule(id="SECTION_TOO_LONG", severity="error", scope="form", field="（各具体内容栏目）",
      title="具体内容栏目超过字数上限（按 Word 字数规则计）",
      message="「{label}」共 {count} 字，超过上限 {limit} 字（多 {over} 字）")
def check_sections(c: Context) -> Iterator[Finding]:
    lengths = c.fields.get("section_lengths") or {}
    texts = section_texts(c.sub, c.rules)
    for spec in c.rules.sections:
        n = lengths.get(spec.key)
        if n is None:
            continue  # not read: EXTRACTION_INCOMPLETE says so
        if n == 0:
            yield c.finding("SECTION_EMPTY", spec.key)
        elif n > spec.limit:
            text = texts[spec.key]
            cut = limit_offset(text, spec.limit)
            ev = c.evidence(spec.key)
            ev.excerpt = past_limit(text, cut, spec.limit) if cut is not None else None
            yield c.finding("SECTION_TOO_LONG", spec.key, evidence=ev,
                            count=n, limit=spec.limit, over=n - spec.limit,
                            details={"count": n, "limit": spec.limit, "over": n - spec.limit, "limit_offset": cut,
                                     "over_text": text[cut:].strip()[:OVER_TEXT_MAX] if cut is not None else None})


@rule(id="TECH_ELEMENTS_MISSING", absence=True, reads=("sections",), severity="warning", scope="form", field=None,
      title="具体内容未涉及五类技术要素之一（数据流通、内容生产、数字孪生、感知交互、网络与计算）",
      message="具体内容未涉及技术要素：{missing}（通知要求建设内容包含{all}等方向的技术要素）")
def check_tech_elements(c: Context) -> Iterator[Finding]:
    """One finding listing every missing element (not one per element): it is one gap in the text."""
    cov = c.sub.coverage
    if not cov or not cov.get("sections_read"):
        return  # no narrative at all: SECTION_EMPTY says so
    missing = cov.get("missing_tech_elements") or []
    if missing:
        found = [k for k in cov["tech_elements"] if k not in missing]
        yield c.finding("TECH_ELEMENTS_MISSING", None, excerpt=f"已涉及：{'、'.join(found) or '无'}",
                        missing="、".join(missing), all="、".join(cov["tech_elements"]),
                        details={"missing": missing, "found": found})


@rule(id="OVERVIEW_TOPICS_MISSING", absence=True, severity="warning", scope="form", field="scenario_overview",
      title="场景建设概述缺少填写提示要求的七项内容之一",
      message="「{label}」未写到：{missing}（填写提示要求包括{all}）")
def check_overview_topics(c: Context) -> Iterator[Finding]:
    cov = c.sub.coverage
    if not cov or not (c.fields.get("section_lengths") or {}).get("scenario_overview"):
        return
    missing = cov.get("missing_overview_topics") or []
    if missing:
        found = [k for k in cov["overview_topics"] if k not in missing]
        yield c.finding("OVERVIEW_TOPICS_MISSING", "scenario_overview", excerpt=f"已写到：{'、'.join(found) or '无'}",
                        missing="、".join(missing), all="、".join(cov["overview_topics"]),
                        details={"missing": missing, "found": found})


@rule(id="DIRECTION_CONTENT_MISMATCH", reads=("sections",), severity="warning", scope="form", field="direction",
      title="申报内容明显属于另一个赛道，与勾选的方向不符",
      message="勾选的方向「{direction}」属于{track}赛道，但具体内容更像{other}赛道"
              "（{other}赛道词汇 {other_hits} 次，如{examples}；{track}赛道词汇 {own_hits} 次）")
def check_direction_content(c: Context) -> Iterator[Finding]:
    values = as_list(c.fields.get("direction"))
    cov = c.sub.coverage
    if len(values) != 1 or values[0] not in c.rules.direction_track or not cov:
        return
    track = c.rules.direction_track[values[0]]
    expected = {track, *c.rules.raw["coverage"].get("direction_also_reads_like", {}).get(values[0], [])}
    scores = cov.get("track_scores") or {}
    own = scores.get(track, 0)
    others = [(t, n) for t, n in scores.items() if t not in expected]
    if not others:
        return
    other, hits = max(others, key=lambda tn: tn[1])
    ratio = float(c.rules.raw["coverage"].get("mismatch_ratio", 2.0))
    min_hits = int(c.rules.raw["coverage"].get("mismatch_min_hits", 6))
    if hits >= min_hits and hits >= ratio * own:
        examples = "、".join(list((cov.get("track_terms") or {}).get(other, {}))[:5])
        yield c.finding("DIRECTION_CONTENT_MISMATCH", "direction", excerpt=values[0], direction=values[0],
                        track=track, other=other, other_hits=hits, own_hits=own, examples=examples,
                        details={"track": track, "guess": other, "scores": scores})
