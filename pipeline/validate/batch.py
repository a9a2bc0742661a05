"""Rules across submissions: duplicate submissions and narratives reused between submissions.

Near-identical narratives are found without comparing every pair: texts are normalised, exact
copies grouped by hash, the rest MinHash-signed over character 5-grams and bucketed by LSH bands;
a text is compared with difflib only against the few cluster representatives it shares a bucket
with. Thousands of submissions stay fast, even when many of them copy the same text.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import Rules
from ..model import Finding, Submission
from ..normalise import name_key
from .basic import unit_identity
from .registry import Context, Prepared, rule
from .text import as_text, is_blank, normalise_for_similarity

SHINGLE = 5
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: a pair with 5-gram Jaccard 0.7 becomes a candidate with p ≈ 0.99
_RNG = np.random.default_rng(20231013)
_A = _RNG.integers(1, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_B = _RNG.integers(0, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64)
_BASE = np.uint64(1_000_003)
MAX_TRIES = 3  # cluster representatives compared with difflib per text, best MinHash estimate first
SHOW_OTHERS, SHOW_DETAILS = 10, 50


def _contexts(subs: list[Submission], rules: Rules, prep: Prepared) -> dict[str, Context]:
    return {s.submission_id: Context(s, rules, prep) for s in subs}


def duplicate_key(c: Context) -> tuple[str, str] | None:
    """(unit identity, normalised scenario name), or None when either is blank or no form was read."""
    if not c.has_document("form"):
        return None
    code, name = c.fields.get("lead_unit_code"), c.fields.get("scenario_name")
    if is_blank(code) or is_blank(name):
        return None
    return unit_identity(c, code), name_key(name)


def resubmission_key(c: Context) -> tuple[str, str] | None:
    """(normalised lead unit name, normalised scenario name), or None when either is blank, no code
    was given (then the two need not be different codes) or no form was read."""
    if not c.has_document("form"):
        return None
    unit, name = c.fields.get("lead_unit_name"), c.fields.get("scenario_name")
    if is_blank(unit) or is_blank(name) or is_blank(c.fields.get("lead_unit_code")):
        return None
    return name_key(unit), name_key(name)


@rule(id="DUPLICATE_SUBMISSION", reads=("lead_unit_code", "scenario_name"), severity="error", scope="batch", field=None,
      title="两份申报的牵头单位和场景名称相同：代码相同，或单位名称相同而代码不同（重新提交）；两份都会标出",
      message="{what}，属重复申报")
def check_duplicates(subs: list[Submission], rules: Rules, prep: Prepared) -> Iterator[tuple[Submission, Finding]]:
    ctxs = _contexts(subs, rules, prep)
    by_code: dict[tuple[str, str], list[Submission]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[Submission]] = defaultdict(list)
    for s in subs:
        key = duplicate_key(ctxs[s.submission_id])
        if key:
            by_code[key].append(s)
        key = resubmission_key(ctxs[s.submission_id])
        if key:
            by_name[key].append(s)
    same_code: dict[str, list[Submission]] = defaultdict(list)
    for members in by_code.values():
        for s in members:
            same_code[s.submission_id].extend(o for o in members if o is not s)
    other_code: dict[str, list[Submission]] = defaultdict(list)
    for members in by_name.values():
        for s in members:
            # the same unit and scenario under another code: a resubmission (a code mistyped or changed)
            taken = {o.submission_id for o in same_code[s.submission_id]}
            other_code[s.submission_id].extend(o for o in members if o is not s and o.submission_id not in taken)
    for s in subs:  # one finding per submission, naming every other copy and how it matches
        by_c, by_n = same_code.get(s.submission_id, []), other_code.get(s.submission_id, [])
        if not by_c and not by_n:
            continue
        c = ctxs[s.submission_id]
        parts = []
        if by_c:
            parts.append(f"与申报「{'」「'.join(o.submission_id for o in by_c)}」的牵头单位代码和场景名称相同")
        if by_n:
            own_code = as_text(s.fields.get("lead_unit_code")) or "未填写"
            codes = "、".join(f"「{as_text(o.fields.get('lead_unit_code')) or '未填写'}」" for o in by_n)
            parts.append(f"与申报「{'」「'.join(o.submission_id for o in by_n)}」的牵头单位名称和场景名称相同，"
                         f"但组织机构代码不同（本申报「{own_code}」，对方{codes}），应是同一单位重新提交了同一场景"
                         "（其中一份的代码可能填错）")
        details: dict[str, Any] = {"duplicates": [o.submission_id for o in by_c + by_n]}
        if by_n:
            details["resubmission"] = [o.submission_id for o in by_n]
        key = "scenario_name" if by_c else "lead_unit_code"
        yield s, c.finding("DUPLICATE_SUBMISSION", None, evidence=c.evidence(key, s.fields.get(key)),
                           what="；".join(parts), details=details)


def batch_signals(sub: Submission, rules: Rules, prep: Prepared) -> set[tuple]:
    """Keys that, shared by two submissions, give both a batch finding: the duplicate key, and each
    long narrative's exact normalised text. Lets the engine tell early which submissions the batch
    rules will change (near-identical texts are not foreseen: they are found at the end)."""
    signals: set[tuple] = set()
    ctx = Context(sub, rules, prep)
    key = duplicate_key(ctx)
    if key:
        signals.add(("duplicate", *key))
    key = resubmission_key(ctx)
    if key:
        signals.add(("resubmission", *key))
    spec = rules.raw.get("similarity") or {}
    min_chars = int(spec.get("min_chars", 200))
    sections = sub.fields.get("sections")
    if isinstance(sections, dict):
        for section in spec.get("sections", []):
            text = normalise_for_similarity(sections.get(section))
            if len(text) >= min_chars:
                signals.add(("text", section, hashlib.sha256(text.encode("utf-8")).hexdigest()))
    return signals


def _shingle_hashes(text: str) -> np.ndarray:
    """Polynomial hashes of every 5-character window (uint64 arithmetic wraps, which is fine)."""
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(cps) - SHINGLE + 1
    if n <= 0:
        return np.unique(cps)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(SHINGLE):
            h = h * _BASE + cps[i: i + n]
    return np.unique(h)


def minhash(text: str) -> np.ndarray:
    x = _shingle_hashes(text)
    with np.errstate(over="ignore"):
        vals = (x[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)
    return vals.min(axis=0)


@dataclass
class Cluster:
    """Texts that are near-identical to the cluster's first text (its representative)."""

    rep: int
    signature: np.ndarray
    members: list[int] = field(default_factory=list)
    ratio: dict[int, float] = field(default_factory=dict)  # member → similarity to the representative


def similar_clusters(docs: list[tuple[int, str]], min_ratio: float) -> list[Cluster]:
    """Clusters of near-identical texts (2 or more members), found without comparing every pair.

    Exact copies are grouped by hash. Every other text is compared (difflib) only with the
    representatives of clusters it shares an LSH bucket with, best MinHash estimate first, at most
    `MAX_TRIES` of them; it joins the first it matches or starts a cluster of its own. So a batch
    where everything is a copy of everything costs one comparison per text, not one per pair.
    """
    exact: dict[str, list[int]] = defaultdict(list)
    text_of = dict(docs)
    for doc_id, text in docs:
        exact[hashlib.sha1(text.encode("utf-8")).hexdigest()].append(doc_id)
    clusters: list[Cluster] = []
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    rows = PERMUTATIONS // BANDS
    for ids in exact.values():
        head = ids[0]
        sig = minhash(text_of[head])
        keys = [(b, sig[b * rows:(b + 1) * rows].tobytes()) for b in range(BANDS)]
        candidates = sorted({ci for k in keys for ci in buckets.get(k, ())})
        if candidates:
            estimate = (np.stack([clusters[ci].signature for ci in candidates]) == sig).mean(axis=1)
            ranked = [candidates[k] for k in np.argsort(-estimate, kind="stable")[:MAX_TRIES]]
        else:
            ranked = []
        home = None
        for ci in ranked:
            a, b = text_of[clusters[ci].rep], text_of[head]
            sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
            if sm.real_quick_ratio() < min_ratio or sm.quick_ratio() < min_ratio:
                continue
            r = sm.ratio()
            if r >= min_ratio:
                home = clusters[ci]
                home.members.extend(ids)
                home.ratio.update({m: r for m in ids})
                break
        if home is None:
            clusters.append(Cluster(head, sig, list(ids), {m: 1.0 for m in ids}))
            for k in keys:
                buckets[k].append(len(clusters) - 1)
    return [c for c in clusters if len(c.members) > 1]


# ---------------------------------------------------------------------------------------------
# Reuse: template wording shared by many submissions, and texts shared by a few

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")
_FIGURES = re.compile(r"[0-9]+(?:[.][0-9]+)?|[〇零一二三四五六七八九十百千万亿两]+(?=[年月日个家项人次万亿元%倍台套])")
PAIR_TEXTS = 3  # other submissions whose text is shown beside the submission's own, per finding
MIN_SHARED_RUN = 8  # characters in a row that count as shared when the two texts are marked up


def _sentences(text: Any) -> list[str]:
    return [s for s in _SENTENCE_END.split(as_text(text) or "") if s.strip()]


def passage_key(sentence: str) -> str:
    """A sentence as compared across submissions: normalised, figures masked (a template's
    sentences differ only in their numbers from one applicant to the next)."""
    return _FIGURES.sub("#", normalise_for_similarity(sentence))


@dataclass
class Reuse:
    """The batch's shared wording, section by section."""

    # (section, passage key) → submission indices using it, for passages used by ≥ template_min
    template_keys: dict[tuple[str, str], set[int]]
    # items for the index: {section, passage, submissions}
    shared: list[dict[str, Any]]


def _spec(rules: Rules) -> dict[str, Any]:
    spec = rules.raw.get("similarity") or {}
    return {"min_chars": int(spec.get("min_chars", 200)), "min_ratio": float(spec.get("min_ratio", 0.9)),
            "template_min": int(spec.get("template_min_submissions", 5)),
            "passage_min": int(spec.get("template_passage_min_chars", 15)),
            "sections": list(spec.get("sections", [])), "same_unit_ok": set(spec.get("same_unit_sections", []))}


def _section_text(s: Submission, section: str) -> Any:
    sections = s.fields.get("sections")
    return sections.get(section) if isinstance(sections, dict) else None


def find_reuse(subs: list[Submission], rules: Rules) -> Reuse:
    """Passages (sentences, figures aside) that at least `template_min_submissions` submissions use
    are the call's or an adviser's template, not copying: listed once for the batch. Runs of such
    sentences that the same submissions share are joined into one passage."""
    sp = _spec(rules)
    users: dict[tuple[str, str], set[int]] = defaultdict(set)
    first: dict[tuple[str, str], str] = {}
    order: dict[str, list[str]] = defaultdict(list)
    for i, s in enumerate(subs):
        for section in sp["sections"]:
            for sentence in _sentences(_section_text(s, section)):
                key = passage_key(sentence)
                if len(key) < sp["passage_min"]:
                    continue
                k = (section, key)
                if k not in first:
                    first[k] = sentence.strip()
                    order[section].append(key)
                users[k].add(i)
    template = {k: v for k, v in users.items() if len(v) >= sp["template_min"]}
    shared: list[dict[str, Any]] = []
    for section in sp["sections"]:
        run_users: frozenset[int] | None = None
        for key in order[section]:
            who = template.get((section, key))
            if who is None:
                run_users = None
                continue
            if run_users == frozenset(who):
                shared[-1]["passage"] += first[(section, key)]
                continue
            run_users = frozenset(who)
            shared.append({"section": section, "passage": first[(section, key)],
                           "submissions": sorted(subs[i].submission_id for i in who)})
    return Reuse(template, shared)


def shared_passages(subs: list[Submission], rules: Rules) -> list[dict[str, Any]]:
    """The batch-level list of template wording, for results.json `run.shared_passages` and the index."""
    return find_reuse(subs, rules).shared


def _own_wording(text: Any, section: str, reuse: Reuse) -> str:
    """A section's text without the batch's template sentences, normalised for comparison."""
    return "".join(normalise_for_similarity(sentence) for sentence in _sentences(text)
                   if (section, passage_key(sentence)) not in reuse.template_keys)


def shared_spans(a: str, b: str, min_run: int = MIN_SHARED_RUN) -> tuple[list[list[int]], list[list[int]]]:
    """Character ranges of `a` and of `b` that the two texts share (runs of at least `min_run`)."""
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    blocks = [m for m in sm.get_matching_blocks() if m.size >= min_run]
    return [[m.a, m.a + m.size] for m in blocks], [[m.b, m.b + m.size] for m in blocks]


@rule(id="NARRATIVE_REUSED", severity="warning", scope="batch", field="（各具体内容栏目）",
      title="不同申报之间的具体内容几乎相同（多份申报共用的模板文字不计）",
      message="「{label}」与申报{others}的同一栏目几乎相同（除去多份申报共用的模板文字后，相似度不低于 {min_ratio:.2f}）")
def check_reused_narratives(subs: list[Submission], rules: Rules, prep: Prepared) -> Iterator[tuple[Submission, Finding]]:
    """Submissions of one duplicate pair, and one unit's own repeated introduction, are not flagged.

    Template wording (passages `template_min_submissions` or more submissions share) is left out
    before comparing; texts still near-identical among as many submissions are template too. What
    remains is shared by a few: a warning each, with both texts for the report to show side by side."""
    sp = _spec(rules)
    min_chars, min_ratio, same_unit_ok = sp["min_chars"], sp["min_ratio"], sp["same_unit_ok"]
    reuse = find_reuse(subs, rules)
    ctxs = _contexts(subs, rules, prep)
    dup_key = [duplicate_key(ctxs[s.submission_id]) for s in subs]
    resub_key = [resubmission_key(ctxs[s.submission_id]) for s in subs]
    unit = [(k[0] if k else None) or name_key(s.fields.get("lead_unit_name")) or None for s, k in zip(subs, dup_key, strict=True)]
    for section in sp["sections"]:
        docs: list[tuple[int, str]] = []
        for i, s in enumerate(subs):
            text = _own_wording(_section_text(s, section), section, reuse)
            if len(text) >= min_chars:
                docs.append((i, text))
        for cluster in similar_clusters(docs, min_ratio):
            if len(cluster.members) >= sp["template_min"]:
                continue  # as many alike as a template: shown once for the batch (run.shared_passages)
            members = sorted(cluster.members, key=lambda m: subs[m].submission_id)
            if section in same_unit_ok and unit[members[0]] and all(unit[m] == unit[members[0]] for m in members):
                continue
            for m in members:
                others = [o for o in members if o != m
                          and not (dup_key[m] and dup_key[m] == dup_key[o])
                          and not (resub_key[m] and resub_key[m] == resub_key[o])
                          and not (section in same_unit_ok and unit[m] and unit[m] == unit[o])]
                if not others:
                    continue
                names = "、".join(f"「{subs[o].submission_id}」" for o in others[:SHOW_OTHERS])
                if len(others) > SHOW_OTHERS:
                    names += f"等 {len(others)} 份"
                s = subs[m]
                own = as_text(_section_text(s, section)) or ""
                pairs = []
                for o in others[:PAIR_TEXTS]:
                    theirs = as_text(_section_text(subs[o], section)) or ""
                    mine_spans, their_spans = shared_spans(own, theirs)
                    pairs.append({"other": subs[o].submission_id, "other_text": theirs,
                                  "own_spans": mine_spans, "other_spans": their_spans})
                yield s, ctxs[s.submission_id].finding(
                    "NARRATIVE_REUSED", section, excerpt=own,
                    others=names, min_ratio=min_ratio,
                    details={"similar": [subs[o].submission_id for o in others[:SHOW_DETAILS]], "count": len(others),
                             "representative": subs[cluster.rep].submission_id,
                             "ratio_to_representative": round(cluster.ratio[m], 3), "own_text": own, "pairs": pairs})
