"""One generic registry, used twice (methods and tasks), so names, listing and errors behave alike.

An entry is declared by one line in the package's registry module (name, module, summary) so that
`augbench list` never imports heavy modules; the module itself binds its class with
`@REGISTRY.register("name")` when it is first needed.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import re
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from augbench.core.errors import UsageError

T = TypeVar("T")


def natural_key(name: str) -> list[Any]:
    """Sort key that orders `cifar10` before `cifar100` and `x2` before `x10`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


@dataclass
class Entry:
    """A registered name: where its code lives, what it is, and (once imported) the object itself."""

    name: str
    module: str
    summary: str
    obj: Any = None
    origin: str = "built-in"  # or the plugin that brought it: "augbench-foo 0.1 (entry point)", "FILE.py (--include)"
    loader: Callable[[], Any] | None = None  # a plugin's: returns the object when it is first needed


@dataclass
class Scheme:
    """A family of names written `prefix:ARGUMENT` (a task made from a user's folder: `images:PATH`). The argument
    is not known in advance, so the family is declared, not its members: its class, bound on first use, turns an
    argument into a member (`for_argument`, which declares it here as `prefix:stem`), and stands for any member
    that this process has not declared (a report reading a store made elsewhere asks only what the family shares)."""

    prefix: str
    module: str
    summary: str
    usage: str  # how the argument is written, for `augbench list` and errors: "images:FOLDER or images:FILE.csv"
    cls: Any = None


SCHEME_NAME = re.compile(r"[a-z][a-z0-9_]*:[a-z0-9][a-z0-9_-]*")  # prefix:stem, as a member is declared


class Registry:
    """Maps snake_case names to classes or factories, importing each module only when it is used."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._schemes: dict[str, Scheme] = {}

    def declare_scheme(self, prefix: str, module: str, summary: str, usage: str) -> None:
        """Add the family of names `prefix:ARGUMENT`, whose class lives in `module` (bound with `register_scheme`)."""
        if prefix in self._schemes or prefix in self._entries:
            raise ValueError(f"duplicate {self.kind} scheme {prefix!r}")
        self._schemes[prefix] = Scheme(prefix, module, summary, usage)

    def register_scheme(self, prefix: str) -> Callable[[T], T]:
        """Decorator binding a scheme's class: it has `for_argument(argument) -> (stem, member class)`."""

        def bind(obj: T) -> T:
            self._schemes[prefix].cls = obj
            return obj

        return bind

    def schemes(self) -> list[Scheme]:
        return list(self._schemes.values())

    def _scheme_class(self, prefix: str) -> Any:
        scheme = self._schemes[prefix]
        if scheme.cls is None:
            importlib.import_module(scheme.module)
        return scheme.cls

    def declare_member(self, prefix: str, argument: str) -> str:
        """Declare the member of scheme `prefix` that `argument` names and return its name (`prefix:stem`). The same
        argument twice is one member; two arguments with one stem are an error (rename one: rows tell them apart by
        name). Raises UsageError for an argument the scheme's class refuses (a missing folder)."""
        stem, member = self._scheme_class(prefix).for_argument(argument)
        name = f"{prefix}:{stem}"
        known = self._entries.get(name)
        if known is not None:
            if known.module == member.source_path:
                return name
            raise UsageError(f"{name} names two {self.kind}s, {known.module} and {member.source_path}: rename one "
                             f"(a {self.kind} made from a path is named after its last component)")
        member.name = name
        self._entries[name] = Entry(name, member.source_path, self._schemes[prefix].summary, member)
        return name

    def declare(self, name: str, module: str, summary: str) -> None:
        """Add a name whose code lives in `module`; raises on a duplicate name."""
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"{self.kind} name {name!r} is not snake_case")
        if name in self._entries:
            raise ValueError(f"duplicate {self.kind} name {name!r} (already declared in {self._entries[name].module})")
        self._entries[name] = Entry(name, module, summary)

    def declare_plugin(self, name: str, module: str, summary: str, origin: str,
                       loader: Callable[[], Any] | None = None, obj: Any = None) -> None:
        """Add a name brought by a plugin (`augbench/runner/plugins.py`), bound now (`obj`) or on first use (`loader`).

        Raises:
            UsageError: the name is not snake_case or is already taken, named with the plugin, so a broken plugin
                is one line and the registry keeps every name it had.
        """
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise UsageError(f"plugin {origin}: {self.kind} name {name!r} is not snake_case (a-z, 0-9, _)")
        if name in self._entries:
            raise UsageError(f"plugin {origin}: {self.kind} name {name!r} is already taken by "
                             f"{self._entries[name].origin} ({self._entries[name].module})")
        self._entries[name] = Entry(name, module, summary, obj, origin, loader)

    def origin(self, name: str) -> str:
        """Where `name` came from: "built-in", or the plugin that declared it."""
        return self.get_entry(name).origin

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator binding a class or factory to a declared name; a second binding raises."""

        def bind(obj: T) -> T:
            entry = self._entries.get(name)
            if entry is None:
                raise ValueError(f"{self.kind} {name!r} is not declared in the {self.kind} registry")
            if entry.obj is not None:
                raise ValueError(f"duplicate {self.kind} name {name!r}: already bound to {entry.obj!r}")
            if getattr(obj, "__module__", entry.module) != entry.module:
                raise ValueError(f"{self.kind} {name!r} is declared in {entry.module}, not {obj.__module__}")
            entry.obj = obj
            return obj

        return bind

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def get(self, name: str) -> Any:
        """The object registered as `name`, importing its module on first use. A name `prefix:stem` of a scheme that
        this process has not declared gives the scheme's class, which holds what every member shares."""
        entry = self._entries.get(name)
        if entry is None and name.partition(":")[0] in self._schemes and SCHEME_NAME.fullmatch(name):
            return self._scheme_class(name.partition(":")[0])
        if entry is None:
            raise UsageError(self._unknown_message(name))
        if entry.obj is None and entry.loader is not None:
            try:
                entry.obj = entry.loader()
            except Exception as exc:  # any failure of someone else's code: one line naming the plugin
                raise UsageError(f"plugin {entry.origin}: {self.kind} {name!r} failed to load: "
                                 f"{type(exc).__name__}: {exc}") from None
        if entry.obj is None:
            importlib.import_module(entry.module)
            if entry.obj is None:
                raise RuntimeError(f"module {entry.module} did not register {self.kind} {name!r}")
        return entry.obj

    def summary(self, name: str) -> str:
        """The one-line description given where the name was declared."""
        return self.get_entry(name).summary

    def get_entry(self, name: str) -> Entry:
        if name not in self._entries:
            raise UsageError(self._unknown_message(name))
        return self._entries[name]

    def list(self, pattern: str = "*") -> list[str]:
        """Names matching an fnmatch pattern (`gan*`, `*`), in natural order."""
        return sorted(fnmatch.filter(self._entries, pattern), key=natural_key)

    def resolve(self, spec: str) -> list[str]:
        """Expand a comma-separated list of names, patterns and `all`; unknown names raise UsageError."""
        names: list[str] = []
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                raise UsageError(f"empty {self.kind} name in {spec!r}; valid {self.kind}s: {', '.join(self.list())}")
            if item == "all":
                matched = self.list()
            elif item.partition(":")[0] in self._schemes and item.partition(":")[2] and item not in self._entries:
                matched = [self.declare_member(*item.split(":", 1))]
            elif any(ch in item for ch in "*?["):
                matched = self.list(item)
                if not matched:
                    raise UsageError(
                        f"{self.kind} pattern {item!r} matches nothing; valid {self.kind}s: {', '.join(self.list())}"
                    )
            else:
                self.get_entry(item)
                matched = [item]
            names.extend(name for name in matched if name not in names)
        return names

    def _unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self._entries), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        families = "".join(f", {scheme.usage}" for scheme in self._schemes.values())
        return f"unknown {self.kind} {name!r}{hint}; valid {self.kind}s: {', '.join(self.list())}{families}"
