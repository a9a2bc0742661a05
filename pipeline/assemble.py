"""From per-file results to submissions: merge documents, group loose files by what they name."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from .config import Rules
from .discover import SubmissionInput
from .extract import extension_of, sha256_of
from .model import ExtractedDocument, FileProblem, FileResult, Gap, SourceFile, Submission
from .normalise import name_key
from .safety import sanitize_name, unique_name

# When one submission holds the same attachment twice (a DOCX and its PDF, say), values are taken
# from the most faithful format first and missing ones filled from the others.
FORMAT_RANK = {"docx": 0, "doc": 1, "pdf": 2}


def _rank(src: SourceFile) -> tuple[int, int]:
    return (1 if src.ocr else 0, FORMAT_RANK.get(src.format, 9))


def _is_part(prov_key: str, key: str) -> bool:
    """Whether a provenance key is `key` or one of its parts (`sections.funding`, `joint_units[0].code`)."""
    return prov_key == key or prov_key.startswith((f"{key}.", f"{key}["))


def _by_field(provenance: dict) -> dict[str, dict]:
    """Provenance keys grouped by the field they belong to (`joint_units[0].code` → `joint_units`)."""
    groups: dict[str, dict] = defaultdict(dict)
    for k, p in provenance.items():
        groups[_FIELD_OF.match(k).group()][k] = p
    return groups


_FIELD_OF = re.compile(r"[^.\[]*")


def merge_documents(docs: list[tuple[SourceFile, ExtractedDocument]]) -> tuple[dict, dict]:
    fields: dict = {}
    provenance: dict[str, dict] = {}  # by field
    for _src, doc in sorted(docs, key=lambda sd: _rank(sd[0])):
        theirs = _by_field(doc.provenance)
        for key, value in doc.fields.items():
            if key not in fields or fields[key] in (None, "", [], {}):
                fields[key] = value
                provenance.pop(key, None)
                if key in theirs:
                    provenance[key] = dict(theirs[key])
            elif isinstance(fields[key], dict) and isinstance(value, dict):
                for k2, v2 in value.items():  # sections: fill empty ones from other files
                    if not fields[key].get(k2) and v2:
                        fields[key][k2] = v2
                        part = f"{key}.{k2}"
                        provenance.setdefault(key, {}).update(
                            {k: p for k, p in theirs.get(key, {}).items() if _is_part(k, part)})
    return fields, {k: p for group in provenance.values() for k, p in group.items()}


def build_submission(sub_id: str, origin: str, grouping: str, results: list[FileResult],
                     extra_problems: list[FileProblem]) -> Submission:
    sub = Submission(submission_id=sub_id, origin=origin, grouping=grouping)
    docs: list[tuple[SourceFile, ExtractedDocument]] = []
    for res in results:
        sub.files.append(res.source)
        sub.notes.extend(res.notes)
        for p in res.problems:
            p.file = p.file or res.source.path
            sub.file_problems.append(p)
        for doc in res.documents:
            docs.append((res.source, doc))
            sub.documents.append(doc)
            sub.notes.extend(doc.notes)
            sub.images.extend(doc.images)
    sub.file_problems.extend(extra_problems)
    sub.fields, sub.provenance = merge_documents(docs)
    sub.gaps = unread_everywhere(sub.documents)
    return sub


def unread_everywhere(documents: list[ExtractedDocument]) -> list[Gap]:
    """The gaps no other document of the same kind fills: a part unreadable in the PDF but read in
    the DOCX beside it is no gap of the submission."""
    out: list[Gap] = []
    for doc in documents:
        for gap in doc.gaps:
            others = [d for d in documents if d is not doc and d.kind == doc.kind]
            if all(any(set(gap.fields) & set(g.fields) for g in d.gaps) for d in others):
                if gap not in out:
                    out.append(gap)
    return out


LISTING_HASH_MAX = 256 * 2**20  # refused files up to this size are hashed for the listing


def _listing_sha256(path: Path | None, size: int) -> str | None:
    """The SHA-256 of a file listed but not read (unsupported, a broken zip), when it is on disk
    and not huge; None otherwise."""
    if path is None or size > LISTING_HASH_MAX:
        return None
    try:
        return sha256_of(path)
    except OSError:
        return None


def assemble(inputs: list[SubmissionInput], results: dict[tuple[int, int], FileResult], rules: Rules,
             built: dict[int, Submission] | None = None) -> list[Submission]:
    """`results` maps (submission index, file index) to the file's result; `built` holds submissions
    already assembled (by this function, from a one-input list) by input index."""
    taken = {s.submission_id.casefold() for s in inputs if s.origin != "loose"}
    subs: list[Submission] = []
    loose: list[tuple[SubmissionInput, FileResult | None, list[FileProblem]]] = []
    for si, sin in enumerate(inputs):
        if built is not None and si in built:
            subs.append(built[si])
            continue
        file_results: list[FileResult] = []
        extra: list[FileProblem] = []
        for fi, f in enumerate(sin.files):
            if f.problem is not None:
                extra.append(FileProblem(f.problem.rule, f.problem.reason, file=f.rel_path))
                ext = extension_of(f.rel_path)  # refused unread: its extension is all there is to go by
                file_results.append(FileResult(SourceFile(f.rel_path, ext, size=f.size, extension=ext,
                                                          sha256=_listing_sha256(f.whole or f.real_path, f.size))))
            elif (si, fi) in results:
                file_results.append(results[(si, fi)])
        if sin.origin == "loose":
            loose.append((sin, file_results[0] if file_results else None, extra))
            continue
        grouping = "文件夹" if sin.origin == "folder" else "压缩包"
        subs.append(build_submission(sin.submission_id, sin.origin, f"按{grouping}「{sin.source_name}」归组", file_results, extra))
    subs.extend(_group_loose(loose, taken))
    return sorted(subs, key=lambda s: s.submission_id)


def _group_loose(loose, taken: set[str]) -> list[Submission]:
    """Loose files: a form opens a group keyed by its scenario name; letters join the form they name."""
    groups: dict[str, list] = defaultdict(list)
    titles: dict[str, tuple[str, str]] = {}
    singles: list = []
    for sin, res, extra in loose:
        forms = [d for d in (res.documents if res else []) if d.kind == "form"]
        letters = [d for d in (res.documents if res else []) if d.kind == "letter"]
        if forms and forms[0].fields.get("scenario_name"):
            key = name_key(forms[0].fields["scenario_name"])
            groups[key].append((sin, res, extra))
            titles.setdefault(key, (forms[0].fields.get("lead_unit_name") or "", forms[0].fields["scenario_name"]))
        elif letters and letters[0].fields.get("letter_scenario_name"):
            groups[name_key(letters[0].fields["letter_scenario_name"])].append((sin, res, extra))
        else:
            singles.append((sin, res, extra))
    out: list[Submission] = []
    for key, members in sorted(groups.items()):
        unit, scenario = titles.get(key, ("", ""))
        if scenario:
            base = f"{unit}-{scenario}" if unit else scenario
        else:  # letters whose form is not among the loose files
            base = members[0][0].submission_id
        sub_id = unique_name(sanitize_name(name_key(base) if not scenario else base), taken)
        names = "、".join(m[0].source_name for m in members)
        grouping = f"批次顶层散放文件，按文件内容中的场景名称「{scenario or key}」归组: {names}"
        out.append(build_submission(sub_id, "loose", grouping, [m[1] for m in members if m[1]], [p for m in members for p in m[2]]))
    for sin, res, extra in singles:
        sub_id = unique_name(sin.submission_id, taken)
        grouping = f"批次顶层散放文件「{sin.source_name}」，未能从内容识别场景名称，单独成组"
        out.append(build_submission(sub_id, "loose", grouping, [res] if res else [], extra))
    return out
