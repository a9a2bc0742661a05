"""Rules as declared records: id, default severity, the field it concerns, a Chinese title and
message template, beside the one function that checks it.

A check function is decorated once per rule it reports (`@rule(...)` stacks), runs in a scope
(file problems, the form, the letter, the whole submission, or the batch) and yields `Finding`s
made by `Context.finding`, which fills the message template and the evidence from provenance.
`pipeline rules` prints the catalogue from these records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..config import Rules
from ..labels import field_label
from ..model import Evidence, Finding, Provenance, Submission
from .text import excerpt as make_excerpt

Scope = Literal["file", "form", "letter", "submission", "batch"]

SCOPE_ORDER: tuple[Scope, ...] = ("file", "form", "letter", "submission", "batch")
# Modules by theme, in the order the catalogue lists them.
THEME_ORDER: tuple[str, ...] = ("files", "gaps", "basic", "sections", "letter", "batch")


@dataclass(frozen=True)
class RuleSpec:
    id: str
    severity: str  # default; the rules file's [severities] may override it
    scope: Scope
    field: str | None  # the field the rule concerns, as shown in the catalogue
    title: str  # Chinese, one line
    message: str  # Chinese template for `str.format`, filled by the check
    check: Callable[..., Iterable[Any]] = field(compare=False, repr=False)
    # Fields the rule judges besides its finding's own field ("sections": any narrative section;
    # "form" / "letter": the whole document). A finding stays silent when one of them is unseen.
    reads: tuple[str, ...] = ()
    # The rule reports that something is absent (blank, unticked, missing): it must stay silent
    # wherever a document was read only in part, since the absent thing may sit in the unread part.
    absence: bool = False


REGISTRY: dict[str, RuleSpec] = {}
CHECKS: dict[Scope, list[Callable[..., Iterable[Any]]]] = {s: [] for s in SCOPE_ORDER}
_DECLARED: list[Callable[..., Iterable[Any]]] = []  # check functions in the order they were declared


def rule(*, id: str, severity: str, scope: Scope, field: str | None, title: str, message: str,
         reads: tuple[str, ...] = (), absence: bool = False):
    """Declare a rule checked by the decorated function (stack one decorator per rule id)."""

    def deco(fn: Callable[..., Iterable[Any]]):
        if id in REGISTRY:
            raise ValueError(f"rule {id} declared twice")
        if any(fn in fns for sc, fns in CHECKS.items() if sc != scope):
            raise ValueError(f"{fn.__name__}: all rules of one check function share one scope")
        REGISTRY[id] = RuleSpec(id, severity, scope, field, title, message, fn, reads, absence)
        # Decorators apply bottom-up: prepend, so rule_ids reads in the order written.
        fn.rule_ids = (id, *getattr(fn, "rule_ids", ()))  # type: ignore[attr-defined]
        if fn not in CHECKS[scope]:
            CHECKS[scope].append(fn)
            _DECLARED.append(fn)
        return fn

    return deco


def severity_of(rule_id: str, rules: Rules) -> str:
    return rules.severity(rule_id, REGISTRY[rule_id].severity)


def provenance_keys(key: str) -> list[str]:
    """Provenance keys to try for a field path, most specific first.

    `joint_units[1].code` → joint_units[1].code, joint_units[1], joint_units;
    a section key → the key, sections.<key>, sections.
    """
    keys = [key]
    while True:
        cut = max(key.rfind("."), key.rfind("["))
        if cut <= 0:
            break
        key = key[:cut]
        keys.append(key)
    return keys


def _document_of(key: str) -> str:
    return "letter" if key.startswith("letter_") else "form"


@dataclass
class Prepared:
    """Things built once per batch and shared by every submission's checks (patterns, tokenizer)."""

    rules: Rules
    cache: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, build: Callable[[], Any]) -> Any:
        if name not in self.cache:
            self.cache[name] = build()
        return self.cache[name]


@dataclass
class Context:
    """What a check sees: the submission, the rules, and helpers to make findings."""

    sub: Submission
    rules: Rules
    prep: Prepared

    @property
    def fields(self) -> dict[str, Any]:
        return self.sub.fields

    def has_document(self, kind: str) -> bool:
        return any(d.kind == kind for d in self.sub.documents)

    def provenance(self, key: str | None) -> Provenance | None:
        if not key:
            return None
        section_keys = {s.key for s in self.rules.sections}
        for k in provenance_keys(key):
            candidates = [k, f"sections.{k}"] if k in section_keys else [k]
            for c in candidates:
                if c in self.sub.provenance:
                    return self.sub.provenance[c]
        if key.split("[")[0].split(".")[0] in section_keys and "sections" in self.sub.provenance:
            return self.sub.provenance["sections"]
        return None

    def evidence(self, key: str | None, excerpt: Any = None) -> Evidence:
        """Evidence for a field: file, page and location from provenance, an excerpt of the value."""
        prov = self.provenance(key)
        text = make_excerpt(excerpt) if excerpt is not None else None
        if prov is not None:
            return Evidence(file=prov.file, page=prov.page, location=prov.describe() or None, excerpt=text)
        kind = _document_of(key or "")
        doc = next((d for d in self.sub.documents if d.kind == kind), None)
        return Evidence(file=doc.file if doc else None, excerpt=text)

    def label(self, key: str) -> str:
        return field_label(key, self.rules, style="sentence")

    def finding(self, rule_id: str, field: str | None, *, evidence: Evidence | None = None,
                excerpt: Any = None, details: dict[str, Any] | None = None, **params: Any) -> Finding:
        spec = REGISTRY[rule_id]
        params.setdefault("label", self.label(field) if field else "")
        return Finding(
            rule=rule_id,
            severity=severity_of(rule_id, self.rules),  # type: ignore[arg-type]
            field=field,
            message=spec.message.format(**params),
            evidence=evidence if evidence is not None else self.evidence(field, excerpt),
            details=details or {},
        )


def catalogue_records(rules: Rules) -> list[dict[str, Any]]:
    """The catalogue by theme (files, basic information, sections, letter, batch), as declared."""

    def theme(fn) -> int:
        name = fn.__module__.rsplit(".", 1)[-1]
        return THEME_ORDER.index(name) if name in THEME_ORDER else len(THEME_ORDER)

    out = []
    for fn in sorted(_DECLARED, key=theme):
        for rid in fn.rule_ids:  # type: ignore[attr-defined]
            spec = REGISTRY[rid]
            out.append({"id": rid, "severity": severity_of(rid, rules), "field": spec.field,
                        "description": spec.title, "scope": spec.scope, "message": spec.message})
    return out
