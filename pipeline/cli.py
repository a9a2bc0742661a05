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
@click.option("--decisions", "decisions_path", type=click.Path(path_type=Path), default=None, metavar="文件",
              help="审核人员的处理意见：TOML 文件（[[decision]] 表），或在“问题清单”工作表中填写了"
                   "“处理”（驳回/确认）和“备注”的 consolidated.xlsx。")
@click.option("--notices/--no-notices", default=True, show_default=True,
              help="为仍有未驳回的错误或待核对问题的每份申报，在 OUT/notices/ 中写出补正通知（.docx）；默认写出。")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
def run(input_dir: Path, out_dir: Path, workers: int | None, rules_path: str | None, fail_on: str,
        no_ocr: bool, timeout_s: float, memory_mb: int, no_cache: bool, cache_dir: Path | None,
        executor: str, scheduler: str | None, decisions_path: Path | None, notices: bool, quiet: bool) -> None:
    """Check every submission in INPUT and write results.json, consolidated.xlsx and HTML reports to OUT."""
    import dataclasses
    import time

    from .engine import (
        EngineError,
        OutputProcesses,
        RunOptions,
        clean_stale,
        private_tempdir,
        publish_outputs,
        run_batch,
    )
    from .report.html import PreviousReports
    from .republish import Published
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
    decisions = _load_decisions_or_exit(decisions_path)  # read now: it may be OUT's own workbook
    started = time.perf_counter()
    clean_stale(out_dir)
    limits = dataclasses.replace(Limits(), file_timeout_s=timeout_s, memory_mb=memory_mb)
    progress = None if quiet else _progress_printer()
    manifest = None if no_cache else (cache_dir or out_dir / ".cache") / "reports.json"
    previous = PreviousReports(out_dir / "reports", manifest) if manifest is not None else None
    # An unchanged batch is published again without being validated: not when decisions may change it.
    published = Published(out_dir, manifest.parent) if manifest is not None and decisions is None else None
    # Everything the run writes stays inside OUT; the output processes are stopped however it ends.
    # A failure's details (tracebacks) go to OUT/logs/run.log, never into a finding's message.
    with run_log(out_dir), private_tempdir(out_dir) as tmp, OutputProcesses(rules, out_dir) as outputs:
        options = RunOptions(workers=workers, limits=limits, ocr=not no_ocr, progress=progress,
                             cache_dir=None if no_cache else (cache_dir or out_dir / ".cache"), work_dir=tmp,
                             executor=executor, scheduler=scheduler, previous_pages=previous,
                             output_processes=outputs, published=published)
        try:
            result = run_batch(input_dir, rules, options)
        except EngineError as exc:
            _usage_error(str(exc))
        except KeyboardInterrupt:  # workers and temp folders are already gone; earlier outputs untouched
            click.echo("已中断：未写出新的结果，上次的输出保持不变", err=True)
            sys.exit(130)
        finally:
            if progress:
                progress.close()
        if not result.submissions and result.unchanged is None:
            _usage_error(f"输入文件夹中没有可检查的文件: {input_dir}")
        if decisions is not None:
            from .decisions import apply_decisions

            result = apply_decisions(result, decisions, decisions_path.name)
        publish_outputs(result, out_dir, rules, manifest, previous, outputs, published)
        written = _write_notices(out_dir, rules, notices)
    r, c = result.run, result.run["counts"]
    seconds = time.perf_counter() - started
    if not quiet:
        cached = ("，均未变化，沿用上次结果" if r.get("unchanged")
                  else f"，其中 {r['cache']['hits']} 个未变化沿用上次结果" if r["cache"]["hits"] else "")
        click.echo(
            f"完成: {r['submissions']} 份申报（通过 {c.get('pass', 0)}，有警告 {c.get('warn', 0)}，"
            f"待人工核对 {c.get('review', 0)}，不通过 {c.get('fail', 0)}），"
            f"{r['files']} 个文件{cached}，用时 {seconds:.1f} 秒（{r['files'] / max(seconds, 1e-9):.1f} 文件/秒）→ {out_dir}"
        )
        d = r.get("decisions")
        if d:
            stale = f"，{len(d['stale'])} 条未匹配到任何问题（见 index.html）" if d["stale"] else ""
            click.echo(f"处理意见: {d['given']} 条，驳回 {d['dismissed']} 个问题，确认 {d['confirmed']} 个问题{stale}")
        if written is not None:
            click.echo(f"补正通知: {written} 份 → {out_dir / 'notices'}")
    # Decided from the statuses (an unchanged batch republished has no findings in memory).
    if any(c.get(status) for status in FAIL_ON[fail_on]):
        sys.exit(EXIT_FINDINGS)


def _load_decisions_or_exit(path: Path | None) -> list | None:
    if path is None:
        return None
    from .decisions import DecisionError, load_decisions

    try:
        return load_decisions(path)
    except DecisionError as exc:
        _usage_error(str(exc))


def _write_notices(out_dir: Path, rules: Rules, enabled: bool) -> int | None:
    """OUT/notices from OUT/results.json as just published (None: turned off, old notices removed)."""
    from .report.notices import remove_notices, write_notices

    if not enabled:
        remove_notices(out_dir)
        return None
    data = json.loads((out_dir / "results.json").read_text("utf-8"))
    return len(write_notices(data, out_dir, rules))


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


@main.command()
@click.argument("old_out", type=click.Path(path_type=Path))
@click.argument("new_out", type=click.Path(path_type=Path))
@click.option("--out", "dest", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="对比结果的输出文件夹（必填）：changes.html、changes.xlsx、decisions.toml。")
@click.option("--rules", "rules_path", type=click.Path(), default=None, metavar="文件", help="规则文件（TOML）；默认使用内置规则。")
def compare(old_out: Path, new_out: Path, dest: Path, rules_path: str | None) -> None:
    """对比两次检查（OLD_OUT、NEW_OUT 为 pipeline run 的输出文件夹）：逐份列出已解决、仍存在和新出现的问题及状态变化；
    上一次的处理意见沿用到新一次的同一问题（写入 decisions.toml）。只读取两边的 results.json。"""
    from .compare import (
        CompareError,
        carried_decisions,
        decisions_toml,
        load_results,
        pair_submissions,
        summary,
    )
    from .report import atomic_write_bytes
    from .report.changes import changes_view, write_changes

    rules = _load_rules_or_exit(rules_path)
    try:
        old, new = load_results(old_out), load_results(new_out)
    except CompareError as exc:
        _usage_error(str(exc))
    dest = dest.resolve()
    if dest in (old_out.resolve(), new_out.resolve()):
        _usage_error("对比结果的输出文件夹不能是两次检查的输出文件夹之一")
    pairs = pair_submissions(old["submissions"], new["submissions"])
    s = summary(pairs)
    view = changes_view(pairs, s, str(old_out), str(new_out), (old.get("run") or {}, new.get("run") or {}), rules)
    write_changes(view, dest)
    carried = carried_decisions(pairs)
    atomic_write_bytes(dest / "decisions.toml", decisions_toml(carried, str(old_out), str(new_out)).encode("utf-8"))
    extra = f"；新增申报 {s['added']} 份，未再提交 {s['gone']} 份" if s["added"] or s["gone"] else ""
    click.echo(
        f"对比完成: 配对 {s['paired']} 份申报（其中按单位+场景名称配对 {s['paired_by_name']} 份）{extra}。\n"
        f"问题已解决 {s['fixed']} 个，仍存在 {s['open']} 个，新出现 {s['new']} 个；"
        f"状态改善 {s['better']} 份，变差 {s['worse']} 份；沿用处理意见 {s['carried']} 条。\n"
        f"→ {dest / 'changes.html'}、{dest / 'changes.xlsx'}"
        + (f"\n沿用的处理意见已写入 {dest / 'decisions.toml'}，可用 pipeline run … --decisions 该文件 使其在新一次检查中生效"
           if carried else "")
    )
