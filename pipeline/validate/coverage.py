"""Keyword coverage of the narrative over jieba tokens: technical elements, key technologies,
the overview's topics, and which track the text reads like.

A synonym matches where the (width- and case-folded) text holds it exactly and it begins and ends
on token boundaries, i.e. it is one token or the concatenation of consecutive tokens. So `AI`
counts in `AI赋能` but not inside `AIGC`, and `孪生` does not count again inside `数字孪生`.
Offsets are into the section's text as stored in `fields["sections"]`, for highlighting.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from typing import Any

from ..config import Rules
from .registry import Prepared
from .segment import HAN_BLOCK, block_cuts, tokenizer
from .text import fold


def _synonyms(rules: Rules) -> dict[str, dict[str, list[str]]]:
    cov = rules.raw["coverage"]
    return {k: cov[k] for k in ("tech_elements", "key_technologies", "overview_topics", "track_vocabulary")}


def rules_tokenizer(rules: Rules, prep: Prepared | None = None):
    """The tokenizer with the rules' domain terms (and every synonym cut out whole)."""

    def build():
        terms = tuple(rules.raw["segmentation"]["user_terms"])
        extra = tuple(sorted({fold(s) for group in _synonyms(rules).values() for ss in group.values() for s in ss
                              if not s.isascii()}))
        return tokenizer(terms, extra)

    return prep.get("tokenizer", build) if prep is not None else build()


class SectionText:
    """One section's text, folded, with its token boundaries.

    jieba cuts a text block by block: a block is a run of `HAN_BLOCK` characters (Han, ASCII letters
    and digits, a few symbols), every other character is a token of its own, and whitespace is
    dropped. A block's tokens do not depend on the text around it, so only the blocks a synonym
    occurrence touches are segmented, and the boundaries are exactly those of segmenting the whole
    text (tests/test_validate_segmentation.py checks this on the samples).
    """

    def __init__(self, key: str, text: str, tk) -> None:
        self.key = key
        self.text = text
        self.folded = fold(text)
        self._tk = tk
        self._spans = [m.span() for m in HAN_BLOCK.finditer(self.folded)]
        self._span_starts = [a for a, _ in self._spans]
        self._cut: dict[int, tuple[set[int], set[int]]] = {}  # block index → (token starts, token ends)

    def _block(self, pos: int) -> int | None:
        """The block holding the character at `pos`, if any."""
        i = bisect_right(self._span_starts, pos) - 1
        return i if i >= 0 and pos < self._spans[i][1] else None

    def _boundaries(self, i: int) -> tuple[set[int], set[int]]:
        got = self._cut.get(i)
        if got is None:
            a, b = self._spans[i]
            cuts = block_cuts(self.folded[a:b], self._tk)  # the block's segment() tokens, as offsets
            got = self._cut[i] = ({a + c for c in cuts[:-1]}, {a + c for c in cuts[1:]})
        return got

    def starts_token(self, pos: int) -> bool:
        if pos >= len(self.folded):
            return False
        i = self._block(pos)
        return pos in self._boundaries(i)[0] if i is not None else not self.folded[pos].isspace()

    def ends_token(self, end: int) -> bool:
        if end <= 0:
            return False
        i = self._block(end - 1)
        return end in self._boundaries(i)[1] if i is not None else not self.folded[end - 1].isspace()

    def find(self, needle: str) -> list[tuple[int, int]]:
        """Spans where the folded synonym `needle` occurs on token boundaries."""
        spans: list[tuple[int, int]] = []
        if not needle:
            return spans
        pos = self.folded.find(needle)
        while pos >= 0:
            end = pos + len(needle)
            if self.starts_token(pos) and self.ends_token(end):
                spans.append((pos, end))
            pos = self.folded.find(needle, pos + 1)
        return spans


@lru_cache(maxsize=4096)
def _folded(synonym: str) -> str:
    return fold(synonym)


def match_groups(texts: list[SectionText], groups: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    """For each group (element, topic, track), every synonym hit: section, term, start, end."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, synonyms in groups.items():
        hits = []
        for st in texts:
            seen: set[tuple[int, int]] = set()
            for syn in synonyms:
                for start, end in st.find(_folded(syn)):
                    if (start, end) not in seen:
                        seen.add((start, end))
                        hits.append({"section": st.key, "term": st.text[start:end], "start": start, "end": end})
        order = {st.key: i for i, st in enumerate(texts)}
        hits.sort(key=lambda h: (order[h["section"]], h["start"], h["end"]))
        out[name] = hits
    return out


def compute_coverage(sections: dict[str, Any], rules: Rules, prep: Prepared | None = None) -> dict[str, Any]:
    """The coverage record of one submission (stored in `Submission.coverage`)."""
    tk = rules_tokenizer(rules, prep)
    cov = rules.raw["coverage"]
    syn = _synonyms(rules)
    narrative = [SectionText(k, sections.get(k) or "", tk) for k in cov["narrative_sections"]
                 if isinstance(sections.get(k), str) and sections.get(k).strip()]
    overview_key = "scenario_overview"
    overview = [st for st in narrative if st.key == overview_key]
    if not overview and isinstance(sections.get(overview_key), str) and sections[overview_key].strip():
        overview = [SectionText(overview_key, sections[overview_key], tk)]
    tech = match_groups(narrative, syn["tech_elements"])
    keytech = match_groups(narrative, syn["key_technologies"])
    topics = match_groups(overview, syn["overview_topics"])
    tracks = match_groups(narrative, syn["track_vocabulary"])
    track_scores = {t: len(h) for t, h in tracks.items()}
    track_terms = {t: _term_counts(h) for t, h in tracks.items()}
    best = max(track_scores.items(), key=lambda kv: (kv[1], -list(track_scores).index(kv[0])), default=(None, 0))
    return {
        "tech_elements": tech,
        "key_technologies": keytech,
        "overview_topics": topics,
        "missing_tech_elements": [k for k, v in tech.items() if not v],
        "missing_overview_topics": [k for k, v in topics.items() if not v] if overview else list(topics),
        "track_scores": track_scores,
        "track_terms": track_terms,
        "track_guess": best[0] if best[1] > 0 else None,
        "sections_read": [st.key for st in narrative],
    }


def _term_counts(hits: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for h in hits:
        counts[h["term"]] = counts.get(h["term"], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
