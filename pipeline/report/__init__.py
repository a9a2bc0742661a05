"""Reports: every output renders from the same `BatchResult`, written atomically into OUT."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Rules
from ..model import BatchResult, Submission, field_names, to_jsonable

# Inputs of validation that are not part of the results contract.
_INTERNAL = {"documents", "file_problems"}


def submission_json(sub: Submission) -> dict[str, Any]:
    return {name: to_jsonable(getattr(sub, name)) for name in field_names(Submission) if name not in _INTERNAL}


@dataclass
class SubmissionOutput:
    """One submission as the outputs show it: its results.json record and line, and its page's
    name and the digest of what the page is rendered from."""

    data: dict[str, Any]
    line: str
    page: str
    digest: str


def submission_outputs(subs: list[Submission], rules: Rules, run: dict[str, Any], cache: Any = None,
                       keys: dict[str, str | None] | None = None) -> dict[str, SubmissionOutput]:
    """Every submission's output record, by id. With a `cache` (get_value/put_value) and `keys` (a
    hash of each submission's final state, from the engine), unchanged submissions are read back
    instead of converted, serialised and hashed again."""
    from .html import report_digest, report_files

    names = report_files([{"submission_id": s.submission_id} for s in subs])
    out: dict[str, SubmissionOutput] = {}
    for s in subs:
        name = names[s.submission_id]
        key = (keys or {}).get(s.submission_id)
        key = hashlib.sha256(f"{key}\0{name}".encode()).hexdigest() if key and cache is not None else None
        stored = cache.get_value("output", key) if key else None
        if isinstance(stored, dict) and isinstance(stored.get("line"), str):
            out[s.submission_id] = SubmissionOutput(json.loads(stored["line"]), stored["line"], name, stored["digest"])
            continue
        data = submission_json(s)
        line = json.dumps(data, ensure_ascii=False)
        digest = report_digest(data, rules, run, name)
        out[s.submission_id] = SubmissionOutput(data, line, name, digest)
        if key:
            cache.put_value("output", key, {"line": line, "digest": digest})
    return out


def results_json(result: BatchResult) -> dict[str, Any]:
    outputs = result.outputs or {}
    return {"run": result.run, "submissions": [outputs[s.submission_id].data if s.submission_id in outputs
                                               else submission_json(s) for s in result.submissions]}


def results_bytes(data: dict[str, Any], lines: list[str | None] | None = None) -> bytes:
    """results.json as UTF-8: the run, then one submission per line.

    Each piece goes through json's C encoder (indent=None); an indented dump runs the pure-Python
    encoder and took longer than everything else on a warm re-run. One line per submission still
    lets grep/diff work submission by submission; json.load, pandas and jq read it as before.
    """
    run = json.dumps(data["run"], ensure_ascii=False)
    lines = lines or [None] * len(data["submissions"])
    subs = ",\n".join(line if line is not None else json.dumps(s, ensure_ascii=False)
                       for s, line in zip(data["submissions"], lines, strict=True))
    return f'{{"run": {run},\n"submissions": [\n{subs}\n]}}\n'.encode()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, then rename: a killed run leaves the old file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(result: BatchResult, out_dir: Path, rules: Rules, previous: Any = None,
                  staged: bool = False) -> dict[str, Path]:
    """Write results.json, expectations.json, consolidated.xlsx, index.html and reports/; unchanged
    pages are taken from `previous` (an `html.PreviousReports`) when given."""
    from .html import write_html
    from .xlsx import write_xlsx

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results": out_dir / "results.json"}
    data = results_json(result)
    outputs = result.outputs or {}
    atomic_write_bytes(paths["results"], results_bytes(
        data, [outputs[s.submission_id].line if s.submission_id in outputs else None for s in result.submissions]))
    paths["expectations"] = out_dir / "expectations.json"
    atomic_write_bytes(paths["expectations"], json.dumps(result.expectations or {}, ensure_ascii=False, indent=1).encode("utf-8"))
    paths["xlsx"] = write_xlsx(data, out_dir, rules)
    digests = {sid: o.digest for sid, o in outputs.items()}
    paths.update(write_html(data, out_dir, rules, previous, result.pages, staged, digests))
    return paths
