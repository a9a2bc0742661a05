"""Modules imported on first use: a library that imports a heavy module at start-up only for features
the pipeline never calls pays for it only if one is called after all.

great_expectations imports scipy.stats and altair (~1.2 s of CPU); jieba imports pkg_resources
(~0.1 s) only to open its own dictionary, which the pipeline reads from its cache.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any


class _DeferredModule(types.ModuleType):
    """Stands in `sys.modules` for a module until something reads one of its attributes.

    `import x` and `from pkg import x` then bind this object without running x's code; the first
    attribute read imports the real module, which replaces this one in `sys.modules` (and on its
    parent package) and answers every later read. Unlike `importlib.util.LazyLoader`, it survives
    the import system's own look at `__spec__`, which would load a lazy module on `import x`.
    """

    def __getattr__(self, attr: str) -> Any:
        real = self.__dict__.get("_real")
        if real is None:
            name = self.__name__
            if sys.modules.get(name) is self:
                del sys.modules[name]
            real = importlib.import_module(name)
            parent, _, child = name.rpartition(".")
            if parent and getattr(sys.modules.get(parent), child, None) is self:
                setattr(sys.modules[parent], child, real)
            self.__dict__["_real"] = real
        return getattr(real, attr)


def defer_imports(names: tuple[str, ...]) -> list[str]:
    """Put a `_DeferredModule` in place of each module not imported yet; returns the names deferred."""
    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        parent, _, child = name.rpartition(".")
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except (ImportError, ValueError):
            continue
        stub = _DeferredModule(name)
        sys.modules[name] = stub
        if parent:
            setattr(sys.modules[parent], child, stub)  # find_spec imported the parent
        deferred.append(name)
    return deferred
