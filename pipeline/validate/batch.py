"""Rules across submissions: duplicate submissions and narratives reused between submissions.

Near-identical narratives are found without comparing every pair: texts are normalised, exact
copies grouped by hash, the rest MinHash-signed over character 5-grams and bucketed by LSH bands;
a text is compared with difflib only against the few cluster representatives it shares a bucket
with. Thousands of submissions stay fast, even when many of them copy the same text.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..config import Rules
from ..model import Finding, Submission
from .basic import unit_identity
from .registry import Context, Prepared, rule
from .text import as_text, is_blank, normalise_for_similarity, normalise_name

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
    return unit_identity(c, code), normalise_name(name)


@rule(id="DUPLICATE_SUBMISSION", reads=("lead_unit_code", "scenario_name"), severity="error", scope="batch", field=None,
      title="两份申报的牵头单位代码和场景名称相同（两份都会标出）",
      message="与申报「{others}」的牵头单位代码和场景名称相同，属重复申报")
def check_duplicates(subs: list[Submission], rules: Rules, prep: Prepared) -> Iterator[tuple[Submission, Finding]]:
    ctxs = _contexts(subs, rules, prep)
    groups: dict[tuple[str, str], list[Submission]] = defaultdict(list)
    for s in subs:
        key = duplicate_key(ctxs[s.submission_id])
        if key:
            groups[key].append(s)
    for members in groups.values():
        if len(members) < 2:
            continue
        for s in members:
            others = [o.submission_id for o in members if o is not s]
            c = ctxs[s.submission_id]
            yield s, c.finding("DUPLICATE_SUBMISSION", None, evidence=c.evidence("scenario_name", s.fields.get("scenario_name")),
                               others="」「".join(others), details={"duplicates": others})


def batch_signals(sub: Submission, rules: Rules, prep: Prepared) -> set[tuple]:
    """Keys that, shared by two submissions, give both a batch finding: the duplicate key, and each
    long narrative's exact normalised text. Lets the engine tell early which submissions the batch
    rules will change (near-identical texts are not foreseen: they are found at the end)."""
    signals: set[tuple] = set()
    key = duplicate_key(Context(sub, rules, prep))
    if key:
        signals.add(("duplicate", *key))
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


@rule(id="NARRATIVE_REUSED", severity="warning", scope="batch", field="（各具体内容栏目）",
      title="不同申报之间的具体内容几乎相同",
      message="「{label}」与申报{others}的同一栏目几乎相同（相似度不低于 {min_ratio:.2f}）")
def check_reused_narratives(subs: list[Submission], rules: Rules, prep: Prepared) -> Iterator[tuple[Submission, Finding]]:
    """Submissions of one duplicate pair, and one unit's own repeated introduction, are not flagged."""
    spec = rules.raw.get("similarity") or {}
    min_chars = int(spec.get("min_chars", 200))
    min_ratio = float(spec.get("min_ratio", 0.9))
    same_unit_ok = set(spec.get("same_unit_sections", []))
    ctxs = _contexts(subs, rules, prep)
    dup_key = [duplicate_key(ctxs[s.submission_id]) for s in subs]
    unit = [(k[0] if k else None) or normalise_name(s.fields.get("lead_unit_name")) or None for s, k in zip(subs, dup_key, strict=True)]
    for section in spec.get("sections", []):
        docs: list[tuple[int, str]] = []
        for i, s in enumerate(subs):
            sections = s.fields.get("sections")
            text = normalise_for_similarity(sections.get(section)) if isinstance(sections, dict) else ""
            if len(text) >= min_chars:
                docs.append((i, text))
        for cluster in similar_clusters(docs, min_ratio):
            members = sorted(cluster.members, key=lambda m: subs[m].submission_id)
            if section in same_unit_ok and unit[members[0]] and all(unit[m] == unit[members[0]] for m in members):
                continue
            for m in members:
                others = [o for o in members if o != m
                          and not (dup_key[m] and dup_key[m] == dup_key[o])
                          and not (section in same_unit_ok and unit[m] and unit[m] == unit[o])]
                if not others:
                    continue
                names = "、".join(f"「{subs[o].submission_id}」" for o in others[:SHOW_OTHERS])
                if len(others) > SHOW_OTHERS:
                    names += f"等 {len(others)} 份"
                s = subs[m]
                yield s, ctxs[s.submission_id].finding(
                    "NARRATIVE_REUSED", section, excerpt=as_text((s.fields.get("sections") or {}).get(section)),
                    others=names, min_ratio=min_ratio,
                    details={"similar": [subs[o].submission_id for o in others[:SHOW_DETAILS]], "count": len(others),
                             "representative": subs[cluster.rep].submission_id,
                             "ratio_to_representative": round(cluster.ratio[m], 3)})
