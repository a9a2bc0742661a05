"""Command line: thin wrappers over the library (`pipeline.engine`, `pipeline.report`)."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from pathlib import Path
from typing import NoReturn

import click
from tqdm import tqdm

from . import __version__
from .cli_zh import install as _install_chinese
from .compare import CompareError, carried_decisions, decisions_toml, load_results, pair_submissions, summary
from .config import ConfigError, Rules, load_rules
from .decisions import DecisionError, apply_decisions, load_decisions
from .engine import (
    EngineError,
    OutputProcesses,
    RunOptions,
    check_batch,
    clean_stale,
    extract_isolated,
    private_tempdir,
    publish_outputs,
)
from .extract import ExtractOptions
from .model import to_jsonable
from .report import Prepared, atomic_write_bytes
from .report.changes import changes_view, write_changes
from .report.labels import SEVERITY_LABELS
from .runlog import run_log
from .safety import Limits
from .validate import catalogue
from .workers import PoolError

_install_chinese()  # click's own messages (usage errors, help headings) in Chinese

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, options_metavar="[选项]",
             subcommand_metavar="命令 [参数]...")
@click.version_option(__version__, prog_name="pipeline", help="显示版本号并退出。")
def main() -> None:
    """检查上海市元宇宙重大应用场景申报材料（附件1 需求征集表、附件2 建设承诺书）。

    常用：pipeline run 上传文件夹 --out 结果文件夹，然后用浏览器打开 结果文件夹/index.html。
    """


@main.command(options_metavar="[选项]")
@click.argument("input_dir", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), metavar="OUT", help="结果输出文件夹（必填）。")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N", help="并行读取文件的进程数（默认：CPU 核数）。")
@click.option("--rules", "rules_path", type=click.Path(), default=None, metavar="文件", help="规则文件（TOML）；默认使用内置规则。")
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default="never", show_default=True,
              help="有申报达到此级别时以退出码 1 结束（error：不通过；review：不通过或待人工核对；"
                   "warning：不通过、待人工核对或有警告；never：从不）。")
@click.option("--no-ocr", is_flag=True, help="不对扫描页做文字识别（OCR），扫描页将报“无法识别文字”。")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=Limits.file_timeout_s, metavar="秒", show_default=True,
              help="读取一个文件（扫描件为每页识别）允许的秒数；超时的文件报为无法读取（扫描件交由人工核对）。")
@click.option("--memory-mb", type=click.IntRange(min=128), default=Limits.memory_mb, metavar="MB", show_default=True,
              help="每个读取进程的内存上限（MB），超出即停止该进程。")
@click.option("--no-cache", is_flag=True, help="重新读取全部文件，不沿用上次未变化文件的结果。")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None, metavar="文件夹", help="缓存文件夹（默认：输出文件夹/.cache）。")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="在哪里读取文件：local 本机进程，或 dask 计算集群（配合 --scheduler）。")
@click.option("--scheduler", default=None, metavar="地址", help="Dask 调度器地址，例如 tcp://10.0.0.5:8786。")
@click.option("--decisions", "decisions_path", type=click.Path(path_type=Path), default=None, metavar="文件",
              help="审核人员的处理意见：TOML 文件（[[decision]] 表），或在“问题清单”工作表中填写了"
                   "“处理”（驳回/确认）和“备注”的 consolidated.xlsx。")
@click.option("--notices/--no-notices", default=True, show_default=True,
              help="为仍有未驳回的错误或待核对问题的每份申报，在 OUT/notices/ 中写出补正通知（.docx）；默认写出。")
@click.option("--quiet", "-q", is_flag=True, help="只输出错误信息。")
def run(input_dir: Path, out_dir: Path, workers: int | None, rules_path: str | None, fail_on: str,
        no_ocr: bool, timeout_s: float, memory_mb: int, no_cache: bool, cache_dir: Path | None,
        executor: str, scheduler: str | None, decisions_path: Path | None, notices: bool, quiet: bool) -> None:
    """检查 INPUT 文件夹中的每份申报，把 index.html、各份报告、consolidated.xlsx 和 results.json 写入 --out 文件夹。"""
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
        prepared = checked.prepared
        if decisions is not None:
            decided = apply_decisions(result, decisions, decisions_path.name)
            # Records and pages made on the way show the findings before the decisions.
            changed = {b.submission_id for a, b in zip(result.submissions, decided.submissions, strict=True) if a is not b}
            prepared = Prepared({k: v for k, v in prepared.records.items() if k not in changed},
                                {k: v for k, v in prepared.pages.items() if k not in changed}, prepared.store)
            result = decided
        paths = publish_outputs(result, out_dir, rules, prepared, outputs, notices=notices)
        written = sum(1 for _ in paths["notices"].iterdir()) if "notices" in paths else None
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
        d = r.get("decisions")
        if d:
            stale = f"，{len(d['stale'])} 条未匹配到任何问题（见 index.html）" if d["stale"] else ""
            click.echo(f"处理意见: {d['given']} 条，驳回 {d['dismissed']} 个问题，确认 {d['confirmed']} 个问题{stale}")
        if written is not None:
            click.echo(f"补正通知: {written} 份 → {out_dir / 'notices'}")
        for line in _closing_lines(out_dir):
            click.echo(line)
    # Decided from the statuses.
    if any(c.get(status) for status in FAIL_ON[fail_on]):
        sys.exit(EXIT_FINDINGS)


def _load_decisions_or_exit(path: Path | None) -> list | None:
    if path is None:
        return None
    try:
        return load_decisions(path)
    except DecisionError as exc:
        _usage_error(str(exc))


# Rules whose finding means a file's content could not be read at all.
UNREAD_RULES = ("FILE_UNREADABLE", "FILE_ENCRYPTED", "OCR_UNAVAILABLE")


def _closing_lines(out_dir: Path) -> list[str]:
    """The run's last lines: how many files could not be read, and the page to open.

    Counted from OUT/results.json, which every run writes (the closing lines read what was
    findings in memory)."""
    lines = []
    unread: set[tuple[str, str]] = set()
    try:
        with open(out_dir / "results.json", encoding="utf-8") as fh:
            data = json.load(fh)
        for sub in data.get("submissions", []):
            for f in sub.get("findings", []):
                if f.get("rule") in UNREAD_RULES:
                    unread.add((sub.get("submission_id", ""), (f.get("evidence") or {}).get("file") or ""))
    except (OSError, ValueError):
        pass
    if unread:
        lines.append(f"注意: {len(unread)} 个文件无法读取（损坏、加密或扫描件未识别），详见各份报告")
    index = out_dir / "index.html"
    if index.exists():
        lines.append(f"请用浏览器打开: {index}")
    return lines


def _usage_error(message: str) -> NoReturn:
    click.echo(f"错误: {message}", err=True)
    sys.exit(EXIT_USAGE)


class _progress_printer:
    """A tqdm bar (files/s, ETA) on a terminal; otherwise a plain line every ~10% with rate and ETA."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.last = -1
        self.clock = time.perf_counter
        self.t0 = self.clock()
        self.first: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            if self.bar is None:
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


@main.command(options_metavar="[选项]")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rules", "rules_path", type=click.Path(), default=None, metavar="文件", help="规则文件（TOML）；默认使用内置规则。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，而不是表格。")
@click.option("--no-ocr", is_flag=True, help="不对扫描页做文字识别（OCR）。")
def inspect(file: Path, rules_path: str | None, as_json: bool, no_ocr: bool) -> None:
    """显示从单个文件 FILE 中读取到的内容及其出处。"""
    # No run log here: the parsers' own (English) words are not printed beside the Chinese reasons.
    logging.getLogger("pipeline").addHandler(logging.NullHandler())
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


@main.command("rules", options_metavar="[选项]")
@click.option("--rules", "rules_path", type=click.Path(), default=None, metavar="文件", help="规则文件（TOML）；默认使用内置规则。")
def rules_cmd(rules_path: str | None) -> None:
    """列出全部检查规则（编号、严重程度、说明）。"""
    rules = _load_rules_or_exit(rules_path)
    for rec in catalogue(rules):
        field = f"  [{rec['field']}]" if rec.get("field") else ""
        click.echo(f"{rec['id']:<28} {SEVERITY_LABELS[rec['severity']]:<4} {rec['description']}{field}")


@main.command()
@click.argument("old_out", type=click.Path(path_type=Path))
@click.argument("new_out", type=click.Path(path_type=Path))
@click.option("--out", "dest", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="对比结果的输出文件夹（必填）：changes.html、changes.xlsx、decisions.toml。")
@click.option("--rules", "rules_path", type=click.Path(), default=None, metavar="文件", help="规则文件（TOML）；默认使用内置规则。")
def compare(old_out: Path, new_out: Path, dest: Path, rules_path: str | None) -> None:
    """对比两次检查（OLD_OUT、NEW_OUT 为 pipeline run 的输出文件夹）：逐份列出已解决、仍存在和新出现的问题及状态变化；
    上一次的处理意见沿用到新一次的同一问题（写入 decisions.toml）。只读取两边的 results.json。"""
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
