"""The call's rules file, read once; samples must agree with it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RULES_PATH = Path(__file__).resolve().parents[2] / "pipeline" / "rules" / "default.toml"


@dataclass(frozen=True)
class SectionDef:
    key: str
    label: str
    hint: str
    limit: int


@cache
def rules() -> dict:
    with RULES_PATH.open("rb") as fh:
        return tomllib.load(fh)


def directions_by_track() -> dict[str, list[str]]:
    return {track: list(items) for track, items in rules()["directions"].items()}


def track_of(direction: str) -> str:
    for track, items in directions_by_track().items():
        if direction in items:
            return track
    raise KeyError(direction)


def unit_natures() -> list[str]:
    return list(rules()["unit_natures"]["options"])


def sections() -> list[SectionDef]:
    return [SectionDef(s["key"], s["label"][0], s["hint"], s["limit"]) for s in rules()["sections"]]


def official_clauses() -> list[str]:
    return list(rules()["letter"]["clauses"])
