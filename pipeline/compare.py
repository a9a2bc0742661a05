"""What a resubmission fixed: two runs' results.json compared, submission by submission.

Submissions are paired by id; those left over by their normalised lead unit and scenario name
(NFKC, case, whitespace and the brackets and quotes 《》“”"'「」 ignored), so a resubmission in a
folder of another name still pairs. Within a pair, findings are matched as the same finding
(pipeline/decisions.py `same_finding`: rule + field/section + file role); each finding of the old
run is *fixed* (no same finding in the new run) or *still open*, each new finding not matched is
*new*.

A decision on an old finding carries over to the same finding in the new run: the comparison
shows it and counts the new status with it, and `carried_decisions` gives it as a decisions entry
for `pipeline run NEW --decisions`, so the next run keeps it.

Only the two results.json files are read; nothing is written here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .decisions import keys_of_submission
from .model import SEVERITY_ORDER, STATUS_OF_SEVERITY
from .normalise import name_key

STATUS_RANK = {"pass": 0, "warn": 1, "review": 2, "fail": 3}


class CompareError(Exception):
    """A run folder without a readable results.json (exit status 2); the message is Chinese."""


def load_results(out_dir: Path) -> dict[str, Any]:
    path = out_dir / "results.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise CompareError(f"无法读取 {path}: {exc.strerror or exc}（应为 pipeline run 的输出文件夹）") from exc
    except ValueError as exc:
        raise CompareError(f"{path} 不是有效的 JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("submissions"), list):
        raise CompareError(f"{path} 不是 pipeline run 写出的 results.json")
    return data


def pair_key(sub: dict[str, Any]) -> tuple[str, str] | None:
    fields = sub.get("fields") or {}
    unit, scenario = name_key(fields.get("lead_unit_name")), name_key(fields.get("scenario_name"))
    return (unit, scenario) if unit and scenario else None


@dataclass
class FindingChange:
    change: str  # fixed | open | new
    finding: dict[str, Any]  # the new run's finding (the old one's when fixed)
    role: str
    decision: dict[str, Any] | None = None  # its own decision, or the one carried over
    carried: bool = False


@dataclass
class Pair:
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    paired_by: str  # id | name | "" (only in one run)
    findings: list[FindingChange] = field(default_factory=list)

    @property
    def old_id(self) -> str | None:
        return self.old.get("submission_id") if self.old else None

    @property
    def new_id(self) -> str | None:
        return self.new.get("submission_id") if self.new else None

    @property
    def old_status(self) -> str | None:
        return self.old.get("status") if self.old else None

    @property
    def new_status(self) -> str | None:
        """The new run's status counting the decisions carried over (dismissed findings do not count)."""
        if self.new is None:
            return None
        standing = [c.finding for c in self.findings if c.change != "fixed"
                    and not (c.decision and c.decision.get("action") == "dismiss")]
        worst = max((SEVERITY_ORDER.get(f.get("severity"), 0) for f in standing), default=0)
        return STATUS_OF_SEVERITY[worst]

    @property
    def status_change(self) -> str:
        if self.old is None:
            return "新增申报"
        if self.new is None:
            return "未再提交"
        a, b = STATUS_RANK.get(self.old_status, 3), STATUS_RANK.get(self.new_status, 3)
        return "改善" if b < a else "变差" if b > a else "不变"

    def count(self, change: str) -> int:
        return sum(1 for c in self.findings if c.change == change)

    @property
    def carried(self) -> int:
        return sum(1 for c in self.findings if c.carried)


def pair_submissions(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Pair]:
    """Pairs by id, then by normalised unit + scenario name; unpaired ones alone. New run's order."""
    old_by_id = {s.get("submission_id"): s for s in old}
    used: set[int] = set()
    pairs: dict[int, Pair] = {}
    rest = []
    for i, s in enumerate(new):
        o = old_by_id.get(s.get("submission_id"))
        if o is not None:
            pairs[i] = Pair(o, s, "id")
            used.add(id(o))
        else:
            rest.append(i)
    by_name: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for o in old:
        key = pair_key(o)
        if id(o) not in used and key is not None:
            by_name[key].append(o)
    for i in rest:
        key = pair_key(new[i])
        candidates = by_name.get(key) if key else None
        if candidates:
            o = candidates.pop(0)
            used.add(id(o))
            pairs[i] = Pair(o, new[i], "name")
        else:
            pairs[i] = Pair(None, new[i], "")
    out = [pairs[i] for i in range(len(new))]
    out.extend(Pair(o, None, "") for o in old if id(o) not in used)
    for p in out:
        p.findings = _finding_changes(p.old, p.new)
    return out


def _finding_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[FindingChange]:
    old_f = [f for f in (old or {}).get("findings") or [] if isinstance(f, dict)]
    new_f = [f for f in (new or {}).get("findings") or [] if isinstance(f, dict)]
    old_keys = keys_of_submission(old) if old else []
    new_keys = keys_of_submission(new) if new else []
    waiting: dict[tuple, list[int]] = defaultdict(list)
    for i, k in enumerate(old_keys):
        waiting[k.same].append(i)
    out = []
    matched: set[int] = set()
    for f, k in zip(new_f, new_keys, strict=True):
        queue = waiting.get(k.same)
        if queue:
            i = queue.pop(0)
            matched.add(i)
            own = f.get("decision") if isinstance(f.get("decision"), dict) else None
            before = old_f[i].get("decision") if isinstance(old_f[i].get("decision"), dict) else None
            carried = own is None and before is not None
            out.append(FindingChange("open", f, k.role, own or before, carried))
        else:
            out.append(FindingChange("new", f, k.role, f.get("decision") if isinstance(f.get("decision"), dict) else None))
    for i, (f, k) in enumerate(zip(old_f, old_keys, strict=True)):
        if i not in matched:
            out.append(FindingChange("fixed", f, k.role, f.get("decision") if isinstance(f.get("decision"), dict) else None))
    order = {"new": 0, "open": 1, "fixed": 2}
    out.sort(key=lambda c: (order[c.change], -SEVERITY_ORDER.get(c.finding.get("severity"), 0)))
    return out


def carried_decisions(pairs: list[Pair]) -> list[dict[str, Any]]:
    """The decisions carried over, as `[[decision]]` entries for the new run (with its ids)."""
    out = []
    for p in pairs:
        for c in p.findings:
            if not c.carried or c.decision is None:
                continue
            f = c.finding
            entry = {"submission": p.new_id, "rule": f.get("rule"), "action": c.decision.get("action"),
                     "note": c.decision.get("note") or "", "by": c.decision.get("by") or "",
                     "file_role": c.role}
            if f.get("field"):
                entry["field"] = f["field"]
            out.append(entry)
    return out


def decisions_toml(entries: list[dict[str, Any]], old_dir: str, new_dir: str) -> str:
    """`carried_decisions` as a TOML file for `pipeline run … --decisions`."""
    lines = [f"# 从 {old_dir} 沿用到 {new_dir} 的处理意见（pipeline compare 生成）",
             "# 用法: pipeline run 新批次 --out 新输出 --decisions 本文件", ""]
    for e in entries:
        lines.append("[[decision]]")
        for key in ("submission", "rule", "field", "file_role", "action", "note", "by"):
            if key in e:
                lines.append(f"{key} = {json.dumps(e[key], ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines)


def summary(pairs: list[Pair]) -> dict[str, int]:
    return {
        "paired": sum(1 for p in pairs if p.old and p.new),
        "paired_by_name": sum(1 for p in pairs if p.paired_by == "name"),
        "added": sum(1 for p in pairs if p.old is None),
        "gone": sum(1 for p in pairs if p.new is None),
        "fixed": sum(p.count("fixed") for p in pairs if p.old and p.new),
        "open": sum(p.count("open") for p in pairs),
        "new": sum(p.count("new") for p in pairs if p.old and p.new),
        "better": sum(1 for p in pairs if p.status_change == "改善"),
        "worse": sum(1 for p in pairs if p.status_change == "变差"),
        "carried": sum(p.carried for p in pairs),
    }
