"""The package's shape: no import cycles among `pipeline/` modules, and no module too long to hold in
one's head. Both read the source with `ast`, so they need no import of the code they check."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
MAX_LINES = 600
TEMPORARILY_LONGER: set[str] = set()


def module_name(path: Path) -> str:
    parts = ["pipeline", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The `pipeline` modules `name` imports, anywhere in its code (inside functions too: a cycle
    hidden in a function is still a cycle). `from . import x` counts as an import of submodule x
    when there is one, else of the package that defines x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                base_name = ".".join(base + ([node.module] if node.module else []))
            else:
                base_name = node.module or ""
            for alias in node.names:
                sub = f"{base_name}.{alias.name}"
                found.add(sub if sub in known else base_name)
    return {m for m in found if m in known and m != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert graph["pipeline.engine"], "the walk found no imports: the test is broken"
    assert find_cycle(graph) is None


def test_no_module_over_the_line_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES}
    assert set(long) - TEMPORARILY_LONGER == set(), long


# Imported where they are used, and why: optional extras, and libraries that take seconds to import
# and run only in one process (the suites' process; pandas for it and the workbook).
DEFERRED = {
    "rapidocr_onnxruntime": "extra `ocr`",
    "cv2": "extra `ocr` (opencv comes with rapidocr)",
    "distributed": "extra `cluster`",
    "great_expectations": "seconds to import; only the suites' process runs it",
    "pandas": "only the suites' process and the workbook build tables",
}
# Deliberate exceptions, each with its reason beside the import.
HIDDEN_ON_PURPOSE = {"report/index.py ..validate"}


def test_no_imports_hidden_in_functions():
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = str(path.relative_to(PACKAGE))
        tree = ast.parse(path.read_text("utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or "."] if not node.level else ["." * node.level + (node.module or "")]
                else:
                    continue
                hidden += [f"{rel}:{node.lineno} {n}" for n in names if n.split(".")[0] not in DEFERRED
                           and f"{rel} {n}" not in HIDDEN_ON_PURPOSE]
    assert hidden == []
