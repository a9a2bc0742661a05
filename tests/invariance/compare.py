"""One comparison of a form and its layout variant, shared by tests/test_invariance.py and
benchmarks/bench_invariance.py: the fields each extracts and the findings each gets when validated
as a one-file submission.

Not content, so not compared: the file's format and name, provenance (table cell vs paragraph,
page), evidence locations, and the findings `ALLOWED_EXTRA` lists for a transform (FILE_TYPE_MISMATCH
for T9, whose variant carries the wrong extension on purpose).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.assemble import build_submission
from pipeline.config import Rules
from pipeline.extract import extract_file
from pipeline.model import FileResult, Submission
from pipeline.validate import validate_submission

# Findings a variant may have that its original has not (transform id → rules).
ALLOWED_EXTRA = {"T9": {"FILE_TYPE_MISMATCH"}}


@dataclass
class Checked:
    """One file read and validated on its own."""

    path: Path
    result: FileResult
    submission: Submission

    @property
    def fields(self) -> dict[str, Any]:
        return flat_fields(self.result)

    def finding_keys(self) -> Counter:
        return finding_keys(self.submission, self.path.name)


def check_file(path: Path, rules: Rules) -> Checked:
    """Extract `path` with the real pipeline and validate it as a one-file submission."""
    res = extract_file(path, path.name, rules)
    sub = build_submission("invariance", "folder", "按文件夹归组", [res], [])
    validate_submission(sub, rules)
    return Checked(path, res, sub)


def flat_fields(res: FileResult) -> dict[str, Any]:
    """`kind:key` → value for every field of every document read; dict fields (sections) one key each."""
    out: dict[str, Any] = {}
    for doc in res.documents:
        for key, value in doc.fields.items():
            if isinstance(value, dict):
                for sub, v in value.items():
                    out.setdefault(f"{doc.kind}:{key}.{sub}", v)
            else:
                out.setdefault(f"{doc.kind}:{key}", value)
    return out


def _clean(text: str | None, file_name: str) -> str:
    if not text:
        return ""
    text = text.replace(file_name, "<file>")
    return re.sub(r"\s+", "", text)


# What a finding says about a lying extension (one cause, one finding: an unreadable file's error
# names it too); it belongs with FILE_TYPE_MISMATCH, not with the content.
EXTENSION_NOTE = re.compile(r"（扩展名为[^）]*）")


def finding_keys(sub: Submission, file_name: str) -> Counter:
    """(rule, severity, field, message, excerpt) of every finding, file names, notes on the
    extension and whitespace left out."""
    return Counter(
        (f.rule, f.severity, f.field or "", EXTENSION_NOTE.sub("", _clean(f.message, file_name)),
         _clean(f.evidence.excerpt, file_name))
        for f in sub.findings
    )


@dataclass
class FieldDiff:
    key: str
    original: Any
    variant: Any

    def __str__(self) -> str:
        a, b = self.original, self.variant
        if isinstance(a, str) and isinstance(b, str) and max(len(a), len(b)) > 80:
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            start = max(0, at - 20)
            a, b = f"…{a[start:at + 40]}…", f"…{b[start:at + 40]}…"
            where = f" (from character {at}, {len(self.original)} vs {len(self.variant)} long)"
        else:
            where = ""
        return f"[{self.key}]{where} original {_show(a)} ≠ variant {_show(b)}"


def _show(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 200 else s[:197] + "…"


@dataclass
class Comparison:
    transform: str
    total: int = 0
    equal: int = 0
    field_diffs: list[FieldDiff] = field(default_factory=list)
    only_original: list[tuple] = field(default_factory=list)  # findings the variant lost
    only_variant: list[tuple] = field(default_factory=list)  # findings the variant gained

    @property
    def same(self) -> bool:
        return not self.field_diffs and not self.only_original and not self.only_variant

    def report(self) -> str:
        lines = [f"{self.transform}: {self.equal}/{self.total} fields equal"]
        lines += ["  " + str(d) for d in self.field_diffs]
        lines += [f"  finding lost:   {k[0]} {k[1]} {k[2]} {k[3][:120]}" for k in self.only_original]
        lines += [f"  finding gained: {k[0]} {k[1]} {k[2]} {k[3][:120]}" for k in self.only_variant]
        return "\n".join(lines)


def compare(original: Checked, variant: Checked, transform: str) -> Comparison:
    """Fields (the original's keys and any the variant adds) and findings of the two files."""
    c = Comparison(transform)
    ours, theirs = original.fields, variant.fields
    for key in list(ours) + [k for k in theirs if k not in ours]:
        c.total += 1
        if key in ours and key in theirs and ours[key] == theirs[key]:
            c.equal += 1
        else:
            c.field_diffs.append(FieldDiff(key, ours.get(key, "<absent>"), theirs.get(key, "<absent>")))
    a, b = original.finding_keys(), variant.finding_keys()
    allowed = ALLOWED_EXTRA.get(transform, set())
    c.only_original = sorted((a - b).elements())
    c.only_variant = sorted(k for k in (b - a).elements() if k[0] not in allowed)
    return c
