"""Command line: thin wrappers over the library (`pipeline.engine`, `pipeline.report`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from . import __version__
from .config import ConfigError, Rules, load_rules
from .model import to_jsonable
from .safety import Limits

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# --fail-on level → the submission statuses that make the run exit 1. A status is its worst finding's
# severity (fail > review > warn > pass), so "at or above review" is fail or review.
FAIL_ON: dict[str, tuple[str, ...]] = {
    "error": ("fail",),
    "review": ("fail", "review"),
    "warning": ("fail", "review", "warn"),
    "never": (),
}


def _load_rules_or_exit(path: str | None) -> Rules:
    try:
        return load_rules(path)
    except ConfigError as exc:
        click.echo(f"错误: {exc}", err=True)
        sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pipeline")
def main() -> None:
    """Check submissions to the Shanghai metaverse scenario call (附件1 需求征集表, 附件2 建设承诺书)."""


@main.command()
@click.argument("input_dir", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: CPU cores).")
@click.option("--rules", "rules_path", type=click.Path(), default=None, help="Rules file (TOML); default: the packaged one.")
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default="never", show_default=True,
              help="Exit 1 when any submission's status is at or above this level "
                   "(error: fail; review: fail or review; warning: fail, review or warn).")
@click.option("--no-ocr", is_flag=True, help="Do not OCR scanned pages (they get OCR_UNAVAILABLE).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=Limits.file_timeout_s, show_default=True,
              help="Seconds one file may take to read (a scanned PDF: each page's OCR); past it the file "
                   "is reported unreadable (a scan: left for a person to check).")
@click.option("--memory-mb", type=click.IntRange(min=128), default=Limits.memory_mb, show_default=True,
              help="Cap on the resident memory of each worker process (MB); a worker over it is stopped.")
@click.option("--no-cache", is_flag=True, help="Re-read every file instead of reusing results of unchanged files.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None, help="Cache folder (default: OUT/.cache).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where files are read: local worker processes, or a Dask cluster (--scheduler).")
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
def run(input_dir: Path, out_dir: Path, workers: int | None, rules_path: str | None, fail_on: str,
        no_ocr: bool, timeout_s: float, memory_mb: int, no_cache: bool, cache_dir: Path | None,
        executor: str, scheduler: str | None, quiet: bool) -> None:
    """Check every submission in INPUT and write results.json, consolidated.xlsx and HTML reports to OUT."""
    import dataclasses
    import time

    from .engine import (
        EngineError,
        OutputProcesses,
        RunOptions,
        check_batch,
        clean_stale,
        private_tempdir,
        publish_outputs,
    )
    from .runlog import run_log

    if not input_dir.exists():
        _usage_error(f"输入文件夹不存在: {input_dir}")
    if not input_dir.is_dir():
        _usage_error(f"输入不是文件夹: {input_dir}")
    if not any(input_dir.iterdir()):
        _usage_error(f"输入文件夹为空: {input_dir}")
    out_dir = out_dir.resolve()
    if out_dir == input_dir.resolve() or input_dir.resolve() in out_dir.parents:
        _usage_error("输出文件夹不能位于输入文件夹之内")
    if executor == "dask" and not scheduler:
        _usage_error("使用 --executor dask 时须用 --scheduler 指定调度器地址，例如 tcp://10.0.0.5:8786")
    rules = _load_rules_or_exit(rules_path)
    started = time.perf_counter()
    clean_stale(out_dir)
    limits = dataclasses.replace(Limits(), file_timeout_s=timeout_s, memory_mb=memory_mb)
    progress = None if quiet else _progress_printer()
    # Everything the run writes stays inside OUT; the output processes are stopped however it ends.
    # A failure's details (tracebacks) go to OUT/logs/run.log, never into a finding's message.
    with run_log(out_dir), private_tempdir(out_dir) as tmp, OutputProcesses(rules, out_dir) as outputs:
        options = RunOptions(workers=workers, limits=limits, ocr=not no_ocr, progress=progress,
                             cache_dir=None if no_cache else (cache_dir or out_dir / ".cache"), work_dir=tmp,
                             executor=executor, scheduler=scheduler)
        try:
            checked = check_batch(input_dir, rules, options, outputs)
        except EngineError as exc:
            _usage_error(str(exc))
        except KeyboardInterrupt:  # workers and temp folders are already gone; earlier outputs untouched
            click.echo("已中断：未写出新的结果，上次的输出保持不变", err=True)
            sys.exit(130)
        finally:
            if progress:
                progress.close()
        result = checked.result
        if not result.submissions:
            _usage_error(f"输入文件夹中没有可检查的文件: {input_dir}")
        publish_outputs(result, out_dir, rules, checked.prepared, outputs)
    r, c = result.run, result.run["counts"]
    seconds = time.perf_counter() - started
    if not quiet:
        cached = ("，均未变化，沿用上次结果" if r["cache"]["hits"] == r["files"] > 0
                  else f"，其中 {r['cache']['hits']} 个未变化沿用上次结果" if r["cache"]["hits"] else "")
        click.echo(
            f"完成: {r['submissions']} 份申报（通过 {c.get('pass', 0)}，有警告 {c.get('warn', 0)}，"
            f"待人工核对 {c.get('review', 0)}，不通过 {c.get('fail', 0)}），"
            f"{r['files']} 个文件{cached}，用时 {seconds:.1f} 秒（{r['files'] / max(seconds, 1e-9):.1f} 文件/秒）→ {out_dir}"
        )
    # Decided from the statuses.
    if any(c.get(status) for status in FAIL_ON[fail_on]):
        sys.exit(EXIT_FINDINGS)


def _usage_error(message: str) -> NoReturn:
    click.echo(f"错误: {message}", err=True)
    sys.exit(EXIT_USAGE)


class _progress_printer:
    """A tqdm bar (files/s, ETA) on a terminal; otherwise a plain line every ~10% with rate and ETA."""

    def __init__(self) -> None:
        import time

        self.tty = sys.stderr.isatty()
        self.bar = None
        self.last = -1
        self.clock = time.perf_counter
        self.t0 = self.clock()
        self.first: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="文件", desc="提取", file=sys.stderr, dynamic_ncols=True)
            self.bar.update(done - self.bar.n)
            return
        if self.first is None:  # files answered from the cache come at once; the rate is over the rest
            self.first, self.t0 = done, self.clock()
            if done:
                click.echo(f"已提取 {done}/{total} 个文件（未变化，沿用上次结果）", err=True)
            return
        step = max(1, total // 10)
        if done == total or done // step != self.last:
            self.last = done // step
            elapsed = self.clock() - self.t0
            rate = (done - self.first) / elapsed if elapsed > 0 else 0.0
            eta = f"，预计还需 {(total - done) / rate:.0f} 秒" if rate > 0 and done < total else ""
            click.echo(f"已提取 {done}/{total} 个文件（{rate:.1f} 文件/秒{eta}）", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rules", "rules_path", type=click.Path(), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--no-ocr", is_flag=True)
def inspect(file: Path, rules_path: str | None, as_json: bool, no_ocr: bool) -> None:
    """Print what was extracted from one FILE, with provenance."""
    from .engine import EngineError, extract_isolated
    from .extract import ExtractOptions
    from .workers import PoolError

    rules = _load_rules_or_exit(rules_path)
    try:  # the same pre-checks, limits and isolated worker as a run
        res = extract_isolated(file, file.name, rules, ExtractOptions(ocr=not no_ocr))
    except (EngineError, PoolError) as exc:
        _usage_error(str(exc))
    if as_json:
        click.echo(json.dumps(to_jsonable(res), ensure_ascii=False, indent=1))
        return
    s = res.source
    click.echo(f"文件: {s.path}  格式: {s.format}  类型: {s.kind}  页数: {s.pages if s.pages is not None else '—'}  OCR: {'是' if s.ocr else '否'}  用时: {res.seconds:.2f}s")
    for p in res.problems:
        click.echo(f"  [{p.rule}] {p.reason}")
    for doc in res.documents:
        click.echo(f"\n== {'附件1 需求征集表' if doc.kind == 'form' else '附件2 建设承诺书'} ==")
        for key, value, prov in _inspect_rows(doc):
            where = prov.describe() if prov else ""
            click.echo(f"  {key:<28} {_short(value)}    {where}")
        for note in doc.notes:
            click.echo(f"  注意: {note.message}")
    for note in res.notes:
        click.echo(f"注意: {note.message}")


def _inspect_rows(doc):
    """One row per value: sections, joint units and clauses item by item, each with its own place."""
    for key, value in doc.fields.items():
        if key == "sections" and isinstance(value, dict):
            items = [(f"sections.{k}", v) for k, v in value.items()]
        elif key in ("joint_units", "letter_clauses") and isinstance(value, list) and value:
            items = [(f"{key}[{i}]", v) for i, v in enumerate(value)]
        else:
            items = [(key, value)]
        for item_key, item in items:
            yield item_key, item, doc.provenance.get(item_key) or doc.provenance.get(key)


def _short(value, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    text = text.replace("\n", "⏎")
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command("rules")
@click.option("--rules", "rules_path", type=click.Path(), default=None)
def rules_cmd(rules_path: str | None) -> None:
    """List the rule catalogue (id, severity, description)."""
    from .validate import catalogue

    rules = _load_rules_or_exit(rules_path)
    from .report.labels import SEVERITY_LABELS as names

    for rec in catalogue(rules):
        field = f"  [{rec['field']}]" if rec.get("field") else ""
        click.echo(f"{rec['id']:<28} {names[rec['severity']]:<4} {rec['description']}{field}")
