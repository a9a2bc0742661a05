"""Reports: every output renders from the same `BatchResult`, written atomically into OUT."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..config import Rules
from ..model import BatchResult, Submission, field_names, to_jsonable

# Inputs of validation that are not part of the results contract.
_INTERNAL = {"documents", "file_problems"}


def submission_json(sub: Submission) -> dict[str, Any]:
    return {name: to_jsonable(getattr(sub, name)) for name in field_names(Submission) if name not in _INTERNAL}


def results_json(result: BatchResult) -> dict[str, Any]:
    return {"run": result.run, "submissions": [submission_json(s) for s in result.submissions]}


def results_bytes(data: dict[str, Any]) -> bytes:
    """results.json as UTF-8: the run, then one submission per line.

    Each piece goes through json's C encoder (indent=None); an indented dump runs the pure-Python
    encoder and took longer than everything else on a warm re-run. One line per submission still
    lets grep/diff work submission by submission; json.load, pandas and jq read it as before.
    """
    run = json.dumps(data["run"], ensure_ascii=False)
    subs = ",\n".join(json.dumps(s, ensure_ascii=False) for s in data["submissions"])
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
    atomic_write_bytes(paths["results"], results_bytes(data))
    paths["expectations"] = out_dir / "expectations.json"
    atomic_write_bytes(paths["expectations"], json.dumps(result.expectations or {}, ensure_ascii=False, indent=1).encode("utf-8"))
    paths["xlsx"] = write_xlsx(data, out_dir, rules)
    paths.update(write_html(data, out_dir, rules, previous, result.pages, staged))
    return paths
