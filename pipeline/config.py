"""The rules file: loaded once, checked against a schema, with errors that name the bad key."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import jsonschema

from .explain import explain, explain_schema, explain_toml

T = TypeVar("T")

DEFAULT_RULES = resources.files("pipeline") / "rules" / "default.toml"


class ConfigError(Exception):
    """The rules file is missing, unparsable or has a bad key (exit status 2)."""


@dataclass(frozen=True)
class SectionSpec:
    key: str
    labels: tuple[str, ...]
    hint: str
    limit: int


@dataclass(frozen=True)
class Rules:
    """The parsed rules file. `raw` is the TOML as a dict; properties give typed views."""

    raw: dict[str, Any]
    source: str
    sha256: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def version(self) -> str:
        return self.raw["version"]

    @cached_property
    def sections(self) -> tuple[SectionSpec, ...]:
        return tuple(
            SectionSpec(s["key"], tuple(s["label"]), s["hint"], int(s["limit"])) for s in self.raw["sections"]
        )

    @cached_property
    def section_limits(self) -> dict[str, int]:
        return {s.key: s.limit for s in self.sections}

    @cached_property
    def directions(self) -> dict[str, list[str]]:
        return dict(self.raw["directions"])

    @cached_property
    def direction_track(self) -> dict[str, str]:
        return {d: track for track, ds in self.directions.items() for d in ds}

    @property
    def unit_natures(self) -> list[str]:
        return list(self.raw["unit_natures"]["options"])

    @property
    def labels(self) -> dict[str, list[str]]:
        return self.raw["labels"]

    def severity(self, rule: str, default: str) -> str:
        return self.raw.get("severities", {}).get(rule, default)


def _schema() -> dict[str, Any]:
    return json.loads((resources.files("pipeline") / "schema" / "rules.schema.json").read_text("utf-8"))


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(根)"


_COMPILED: dict[tuple[str, str], Any] = {}


def compiled(rules: Rules, name: str, build: Callable[[Rules], T]) -> T:
    """What `build` makes of a rules file (label tables, patterns), made once per process and
    rules file content, however often the file is loaded."""
    key = (rules.sha256, name)
    if key not in _COMPILED:
        _COMPILED[key] = build(rules)
    return _COMPILED[key]


def load_rules(path: str | Path | None = None) -> Rules:
    """Load and check a rules file; the packaged default when `path` is None."""
    if path is None:
        data = DEFAULT_RULES.read_bytes()
        source = "pipeline/rules/default.toml"
    else:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise ConfigError(f"无法读取规则文件 {p}：{explain(exc, str(p))}") from exc
        source = str(p)
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"规则文件 {source} 不是有效的 TOML：{explain_toml(exc)}") from exc
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        raise ConfigError(f"规则文件 {source} 的键 {_key_path(err)} 有误：{explain_schema(err)}")
    known = {d for ds in raw["directions"].values() for d in ds}
    if len(known) != sum(len(ds) for ds in raw["directions"].values()):
        raise ConfigError(f"规则文件 {source} 的键 directions 有误: 同一方向出现在多个赛道")
    for sev_rule, sev in raw.get("severities", {}).items():
        if sev not in ("error", "review", "warning", "info"):
            raise ConfigError(f"规则文件 {source} 的键 severities.{sev_rule} 有误: 应为 error、review、warning 或 info")
    return Rules(raw=raw, source=source, sha256=hashlib.sha256(data).hexdigest())
