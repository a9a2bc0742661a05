"""Command line: thin wrappers over the library (`pipeline.engine`, `pipeline.report`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, Rules, load_rules
from .model import SEVERITY_ORDER, to_jsonable

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


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
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="never", show_default=True,
              help="Exit 1 when any finding is at or above this severity.")
@click.option("--no-ocr", is_flag=True, help="Do not OCR scanned pages (they get OCR_UNAVAILABLE).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
def run(input_dir: Path, out_dir: Path, workers: int | None, rules_path: str | None, fail_on: str,
        no_ocr: bool, quiet: bool) -> None:
    """Check every submission in INPUT and write results.json, consolidated.xlsx and HTML reports to OUT."""
    from .engine import RunOptions, run_batch
    from .report import write_outputs

    if not input_dir.exists():
        click.echo(f"错误: 输入文件夹不存在: {input_dir}", err=True)
        sys.exit(EXIT_USAGE)
    if not input_dir.is_dir():
        click.echo(f"错误: 输入不是文件夹: {input_dir}", err=True)
        sys.exit(EXIT_USAGE)
    if not any(input_dir.iterdir()):
        click.echo(f"错误: 输入文件夹为空: {input_dir}", err=True)
        sys.exit(EXIT_USAGE)
    out_dir = out_dir.resolve()
    if out_dir == input_dir.resolve() or input_dir.resolve() in out_dir.parents:
        click.echo("错误: 输出文件夹不能位于输入文件夹之内", err=True)
        sys.exit(EXIT_USAGE)
    rules = _load_rules_or_exit(rules_path)
    progress = None if quiet else _progress_printer()
    result = run_batch(input_dir, rules, RunOptions(workers=workers, ocr=not no_ocr, progress=progress))
    if progress:
        progress.close()
    write_outputs(result, out_dir, rules)
    c = result.run["counts"]
    if not quiet:
        click.echo(
            f"完成: {result.run['submissions']} 份申报（通过 {c['pass']}，有警告 {c['warn']}，不通过 {c['fail']}），"
            f"{result.run['files']} 个文件，用时 {result.run['seconds']:.1f} 秒 → {out_dir}"
        )
    if fail_on != "never":
        threshold = SEVERITY_ORDER[fail_on]
        if any(SEVERITY_ORDER[f.severity] >= threshold for s in result.submissions for f in s.findings):
            sys.exit(EXIT_FINDINGS)


class _progress_printer:
    """A tqdm bar on a terminal; a plain line every ~10% otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="文件", desc="提取", file=sys.stderr)
            self.bar.update(done - self.bar.n)
        else:
            step = max(1, total // 10)
            if done == total or done // step != self.last:
                self.last = done // step
                click.echo(f"已提取 {done}/{total} 个文件", err=True)

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
    from .extract import ExtractOptions, extract_file

    rules = _load_rules_or_exit(rules_path)
    res = extract_file(file, file.name, rules, ExtractOptions(ocr=not no_ocr))
    if as_json:
        click.echo(json.dumps(to_jsonable(res), ensure_ascii=False, indent=1))
        return
    s = res.source
    click.echo(f"文件: {s.path}  格式: {s.format}  类型: {s.kind}  页数: {s.pages}  OCR: {'是' if s.ocr else '否'}  用时: {res.seconds:.2f}s")
    for p in res.problems:
        click.echo(f"  [{p.rule}] {p.reason}")
    for doc in res.documents:
        click.echo(f"\n== {'附件1 需求征集表' if doc.kind == 'form' else '附件2 建设承诺书'} ==")
        for key, value in doc.fields.items():
            prov = doc.provenance.get(key)
            where = prov.describe() if prov else ""
            click.echo(f"  {key:<24} {_short(value)}    {where}")
        for note in doc.notes:
            click.echo(f"  注意: {note.message}")
    for note in res.notes:
        click.echo(f"注意: {note.message}")


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
    names = {"error": "错误", "warning": "警告", "info": "提示"}
    for rec in catalogue(rules):
        field = f"  [{rec['field']}]" if rec.get("field") else ""
        click.echo(f"{rec['id']:<28} {names[rec['severity']]:<4} {rec['description']}{field}")
