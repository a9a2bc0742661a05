"""An unchanged batch, run again, is published again without being read.

After a run publishes its outputs, `Published.save` records in the cache folder the batch's key (a
hash of everything the results depend on: the pipeline's version and code, the rules file and the
path it was given as, OCR and the limits, the input folder, and every input file's place in the
batch, size and sha256) together with the run, the view index.html is rendered from, and the stat
identity and sha256 of every file it published.

A later run over the same batch, into outputs nobody has touched since, would compute the same
submissions, findings, pages and tables again; only the run's start time and duration would
differ. The engine finds this out from discovery and the hash memo alone (`Published.check`:
nothing is read, unpacked or validated), and `republish` writes the three outputs that show the
run: results.json (its run line replaced, the submissions' lines copied), consolidated.xlsx (written
by `report.xlsx.write_xlsx` from that results.json, as a full run writes it) and index.html
(rendered from the recorded view). expectations.json and the pages stay.

An output counts as untouched when its identity (device, inode, size, mtime and ctime, as git's
index keeps it) is the one recorded. An output changed within the clock tick the record was
written in could keep its identity (git's "racily clean" case): one whose mtime or ctime is not
older than the record file's own ctime is hashed and compared instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Rules
from .discover import stat_identity
from .extract import sha256_of
from .report import atomic_write_bytes

FORMAT = 1
NAME = "published.json"
# What a run publishes at the top of OUT (the pages are in reports/).
OUTPUTS = ("results.json", "expectations.json", "consolidated.xlsx", "index.html")


def batch_key(parts: Any) -> str:
    """A hash of everything a batch's results depend on (the engine lists them)."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class Republish:
    """An unchanged batch: the outputs' record and where it is kept."""

    record: dict[str, Any]
    published: Published


class Published:
    """The record of what `out_dir`'s outputs were made from, kept in `cache_dir`."""

    def __init__(self, out_dir: Path, cache_dir: Path):
        self.out_dir = Path(out_dir)
        self.path = Path(cache_dir) / NAME

    def check(self, key: str) -> dict[str, Any] | None:
        """The record, if the outputs in OUT were made from the batch `key` and are as published."""
        try:
            record = json.loads(self.path.read_text("utf-8"))
            clock = self.path.stat().st_ctime_ns
            pages = set(os.listdir(self.out_dir / "reports")) - {"assets"}  # the seal crops: named by content
        except (OSError, ValueError):
            return None
        if not (isinstance(record, dict) and record.get("format") == FORMAT and record.get("key") == key
                and record.get("out_dir") == str(self.out_dir) and isinstance(record.get("files"), dict)
                and isinstance(record.get("run"), dict) and isinstance(record.get("view"), dict)):
            return None
        files: dict[str, Any] = record["files"]
        if set(files) != {*OUTPUTS, *(f"reports/{name}" for name in pages)}:  # exactly what is in OUT
            return None
        for name, entry in files.items():
            if not _untouched(self.out_dir / name, entry, clock):
                return None
        return record

    def save(self, key: str, run: dict[str, Any], view: dict[str, Any], page_sha256: dict[str, str]) -> None:
        """Record the outputs just published (call once every one is in place); a failure to write
        only costs the next run its shortcut. `page_sha256`: each page's sha256, by file name."""
        files: dict[str, Any] = {}
        try:
            for name in OUTPUTS:
                path = self.out_dir / name
                files[name] = [list(stat_identity(path.stat())), sha256_of(path)]
            for name, sha in page_sha256.items():
                files[f"reports/{name}"] = [list(stat_identity((self.out_dir / "reports" / name).stat())), sha]
        except OSError:
            self.forget()
            return
        record = {"format": FORMAT, "out_dir": str(self.out_dir), "key": key, "run": run, "view": view,
                  "files": files}
        with contextlib.suppress(OSError):
            atomic_write_bytes(self.path, json.dumps(record, ensure_ascii=False).encode("utf-8"))

    def forget(self) -> None:
        """No shortcut for the next run (the outputs are being replaced)."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def _untouched(path: Path, entry: Any, clock: int) -> bool:
    if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)):
        return False
    try:
        identity = stat_identity(path.stat())
    except OSError:
        return False
    if list(identity) != entry[0]:
        return False
    if max(identity[3], identity[4]) < clock:
        return True
    try:  # racily clean: the identity alone cannot tell
        return sha256_of(path) == entry[1]
    except OSError:
        return False


def republish(result: Any, out_dir: Path, rules: Rules) -> dict[str, Path]:
    """Write results.json, consolidated.xlsx and index.html for `result.run`, a run of the unchanged
    batch `result.unchanged` (a `Republish`), each through a temp file in OUT and a rename; then
    record them for the next run."""
    from .engine import normal_permissions
    from .report import restamp_results
    from .report.html import render_index_view
    from .report.xlsx import write_xlsx

    plan: Republish = result.unchanged
    published, run = plan.published, result.run
    published.forget()  # until every output is in place
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=out_dir))
    try:
        if not restamp_results(out_dir / "results.json", staging / "results.json", run):
            raise RuntimeError(f"{out_dir / 'results.json'} 不是本工具写出的格式")
        with open(staging / "results.json", "rb") as fh:
            write_xlsx(json.load(fh), staging, rules)
        (staging / "index.html").write_text(render_index_view(plan.record["view"], run), "utf-8")
        normal_permissions(staging)
        for name in ("consolidated.xlsx", "index.html", "results.json"):  # results.json last
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pages = {name[len("reports/"):]: entry[1] for name, entry in plan.record["files"].items()
             if name.startswith("reports/")}
    published.save(plan.record["key"], run, plan.record["view"], pages)
    return {"results": out_dir / "results.json", "expectations": out_dir / "expectations.json",
            "xlsx": out_dir / "consolidated.xlsx", "index": out_dir / "index.html", "reports": out_dir / "reports"}
