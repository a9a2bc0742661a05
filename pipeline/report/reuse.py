"""What the pages show of reused wording (validate/batch.py NARRATIVE_REUSED, run.shared_passages).

A NARRATIVE_REUSED finding carries, in `details.pairs`, the other submissions' texts and the
character ranges both texts share; a report shows the two side by side with the shared runs
marked and a link to the other report. The batch's template wording (passages many submissions
share) is listed once in index.html with who uses it.
"""

from __future__ import annotations

from typing import Any

from ..config import Rules
from ..labels import section_labels
from .markup import highlight  # the one escaping highlighter

MAX_PASSAGE = 600  # characters of a template passage shown in the index
MAX_USERS = 60  # submissions named under one passage


def _spans(value: Any, length: int) -> list[tuple[int, int, str, str]]:
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, list) and len(item) == 2 and all(isinstance(x, int) for x in item):
            start, end = item
            if 0 <= start < end <= length:
                out.append((start, end, "shared", "两份申报相同的文字"))
    return out


def pair_texts(finding: dict[str, Any], href_of) -> list[dict[str, Any]]:
    """Side-by-side texts of a NARRATIVE_REUSED finding: own and other's, shared runs marked.

    `href_of(submission_id)` gives the other report's relative URL."""
    if finding.get("rule") != "NARRATIVE_REUSED":
        return []
    details = finding.get("details") if isinstance(finding.get("details"), dict) else {}
    own = details.get("own_text") or ""
    if not isinstance(own, str):
        return []
    out = []
    for pair in details.get("pairs") or []:
        if not isinstance(pair, dict) or not isinstance(pair.get("other_text"), str):
            continue
        other = str(pair.get("other") or "")
        theirs = pair["other_text"]
        own_spans = _spans(pair.get("own_spans"), len(own))
        their_spans = _spans(pair.get("other_spans"), len(theirs))
        shared = sum(e - s for s, e, _, _ in own_spans)
        out.append({
            "other": other,
            "href": href_of(other),
            "own": highlight(own, own_spans),
            "theirs": highlight(theirs, their_spans),
            "shared_share": f"{100.0 * shared / len(own):.0f}%" if own else "",
        })
    return out


def shared_view(run: dict[str, Any], rules: Rules, href_of) -> list[dict[str, Any]]:
    """The index's list of template wording: section, passage, and the submissions using it."""
    labels = section_labels(rules)
    out = []
    for item in run.get("shared_passages") or []:
        if not isinstance(item, dict) or not isinstance(item.get("passage"), str):
            continue
        users = [str(u) for u in item.get("submissions") or []]
        passage = item["passage"]
        out.append({
            "section": labels.get(item.get("section"), str(item.get("section") or "")),
            "passage": passage if len(passage) <= MAX_PASSAGE else passage[: MAX_PASSAGE - 1] + "…",
            "count": len(users),
            "users": [{"id": u, "href": href_of(u)} for u in users[:MAX_USERS]],
            "more": max(0, len(users) - MAX_USERS),
        })
    out.sort(key=lambda x: -x["count"])
    return out


__all__ = ["pair_texts", "shared_view"]
