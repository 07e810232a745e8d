"""Methods and tasks from outside the project: package entry points and `--include FILE.py`.

A package declares its classes under the entry-point groups `augbench.methods` and `augbench.tasks`
(`name = "package.module:Class"`); a local file registers its own with `register_method` / `register_task`, the
decorators below, and is loaded with `augbench --include FILE.py ...` (or `AUGBENCH_INCLUDE`, which the CLI sets so
that worker processes load the same files). Either way the name joins the registry beside the built-in ones, is
listed by `augbench list` with where it came from, is checked like them (a subclass of `Method` / `Task`, a
snake_case name that is not taken), and the rows it makes record the plugin's name and version in
`library_versions`. A broken plugin is one line naming it (a UsageError, exit 2); the built-in names keep working.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

from augbench.core.errors import UsageError

GROUPS = {"augbench.methods": "method", "augbench.tasks": "task"}
INCLUDE_ENV = "AUGBENCH_INCLUDE"  # os.pathsep-separated files, loaded by every process that loads plugins
T = TypeVar("T")

_loaded_groups = False
_included: set[Path] = set()
_current: list[str] = []  # the origin of the file being included, for the decorators


def _registry(kind: str) -> Any:
    if kind == "method":
        from augbench.methods import METHODS
        return METHODS
    from augbench.tasks import TASKS
    return TASKS


def _checked(kind: str, name: str, origin: str, obj: Any) -> Any:
    """`obj` when it is what a built-in of `kind` is (a subclass of the base class); else a UsageError."""
    from augbench.methods.base import Method
    from augbench.tasks.base import Task

    base = Method if kind == "method" else Task
    if not (isinstance(obj, type) and issubclass(obj, base)):
        raise UsageError(f"plugin {origin}: {kind} {name!r} is {obj!r}, not a subclass of {base.__module__}.{base.__name__}")
    if kind == "task" and getattr(obj, "name", name) != name:
        raise UsageError(f"plugin {origin}: task {name!r} has name = {obj.name!r}; the two must agree")
    return obj


def _summary(obj: Any) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip().splitlines()
    return doc[0] if doc else "(no description)"


def _register(kind: str, name: str, summary: str | None) -> Callable[[T], T]:
    def bind(obj: T) -> T:
        origin = _current[-1] if _current else f"{getattr(obj, '__module__', '?')} (register_{kind})"
        _registry(kind).declare_plugin(name, getattr(obj, "__module__", ""), summary or _summary(obj), origin,
                                       obj=_checked(kind, name, origin, obj))
        return obj

    return bind


def register_method(name: str, summary: str | None = None) -> Callable[[T], T]:
    """Decorator: add a `Method` subclass to the method registry as `name` (summary: the class docstring's first
    line unless given). For a file loaded with `--include`, or a package's module."""
    return _register("method", name, summary)


def register_task(name: str, summary: str | None = None) -> Callable[[T], T]:
    """Decorator: add a `Task` subclass to the task registry as `name` (its `name` attribute must agree)."""
    return _register("task", name, summary)


def _distribution_of(point: importlib.metadata.EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else point.value.split(":")[0]


def load_entry_points() -> None:
    """Declare every entry point of GROUPS (once per process); each is imported when first used."""
    global _loaded_groups
    if _loaded_groups:
        return
    _loaded_groups = True
    for group, kind in GROUPS.items():
        for point in importlib.metadata.entry_points(group=group):
            origin = f"{_distribution_of(point)} (entry point)"

            def loader(point=point, kind=kind, origin=origin) -> Any:
                return _checked(kind, point.name, origin, point.load())

            _registry(kind).declare_plugin(point.name, point.module, point.value, origin, loader=loader)


def include(path: str | Path) -> None:
    """Run a local file that registers methods or tasks (once per process per file).

    Raises:
        UsageError: the file is missing, is not a .py file, or raises while it runs: one line naming it.
    """
    file = Path(path).expanduser().resolve()
    if file in _included:
        return
    if not file.is_file() or file.suffix != ".py":
        raise UsageError(f"--include {path}: no such Python file (give a .py file that registers methods or tasks)")
    _included.add(file)
    # One module name per file in every process (not the salted hash()): worker processes unpickle the cells'
    # classes by it.
    name = "augbench_include_" + hashlib.sha1(str(file).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    _current.append(f"{file.name} (--include)")
    try:
        spec.loader.exec_module(module)
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(f"--include {path}: the file raised {type(exc).__name__}: {exc}") from None
    finally:
        _current.pop()


def load_plugins(includes: list[str] | tuple[str, ...] = ()) -> None:
    """Entry points, then the files of AUGBENCH_INCLUDE and of `includes`; each file that loads joins
    AUGBENCH_INCLUDE, so that worker processes started later load the same files."""
    load_entry_points()
    known = [p for p in os.environ.get(INCLUDE_ENV, "").split(os.pathsep) if p]
    for path in known:
        include(path)
    for path in includes:
        include(path)
        resolved = str(Path(path).expanduser().resolve())
        if resolved not in known:
            known.append(resolved)
            os.environ[INCLUDE_ENV] = os.pathsep.join(known)


def plugin_versions(*entries: tuple[Any, str]) -> dict[str, str]:
    """{"plugin <origin>": version-or-"local"} for each (registry, name) that came from a plugin: what a row adds to
    its `library_versions`, so a number made by outside code names that code."""
    found = {}
    for registry, name in entries:
        for part in name.split("+"):  # a composition names each of its parts
            if part in registry and registry.origin(part) != "built-in":
                origin = registry.origin(part)
                found[f"plugin {part}"] = origin
    return found
