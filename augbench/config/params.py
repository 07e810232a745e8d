"""Typed parameters: frozen dataclasses whose fields the CLI may override (`--param classic.padding=2`).

Values are parsed against the field's annotation (nanoGPT's configurator idea, without `exec`), so a
typo or a wrong type is a one-line error naming the field, the value and what is valid.
"""

from __future__ import annotations

import ast
import dataclasses
import fnmatch
import functools
import inspect
import io
import re
import textwrap
import tokenize
import types
import typing
from typing import Any, Mapping

from augbench.core.errors import UsageError

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_NONE = {"none", "null"}


@dataclasses.dataclass(frozen=True)
class NoParams:
    """Parameters of something that has none."""


def parse_param_overrides(items: list[str] | None) -> dict[str, dict[str, str]]:
    """Split `--param owner.key=value` items into {owner: {key: raw value}}.

    Raises:
        UsageError: an item that is not `owner.key=value`, or the same key given twice.
    """
    overrides: dict[str, dict[str, str]] = {}
    for item in items or []:
        # The owner may be a task made from a folder (`images:xray.size=64`): `prefix:stem` (augbench/tasks/folder.py).
        match = re.fullmatch(r"([a-z][a-z0-9_]*(?::[a-z0-9][a-z0-9_-]*)?)\.([a-z][a-z0-9_]*)=(.*)", item.strip())
        if not match:
            raise UsageError(f"malformed --param {item!r}: expected OWNER.KEY=VALUE, e.g. classic.padding=2")
        owner, key, value = match.groups()
        if key in overrides.setdefault(owner, {}):
            raise UsageError(f"--param {owner}.{key} is given twice")
        overrides[owner][key] = value
    return overrides


def field_names(params_type: type) -> list[str]:
    """Names of the fields a parameter dataclass declares."""
    return [f.name for f in dataclasses.fields(params_type)]


def apply_overrides(params_type: type, raw: Mapping[str, str], owner: str, base: Any = None) -> Any:
    """Build `params_type` (from `base` when given, else its defaults) with `raw` string values parsed in.

    Raises:
        UsageError: an unknown key (valid keys listed) or a value that does not parse as the field's type.
    """
    hints = typing.get_type_hints(params_type)
    valid = field_names(params_type)
    values: dict[str, Any] = {}
    for key, text in raw.items():
        if key not in valid:
            choices = ", ".join(valid) if valid else "(none: it takes no parameters)"
            raise UsageError(f"unknown --param {owner}.{key}; valid keys for {owner}: {choices}")
        values[key] = _parse_value(text, hints[key], f"{owner}.{key}")
    if base is None:
        return params_type(**values)
    return dataclasses.replace(base, **values)


def params_to_dict(params: Any) -> dict[str, Any]:
    """A parameter dataclass as a plain, JSON-ready dict."""
    return dataclasses.asdict(params)


@dataclasses.dataclass(frozen=True)
class ParamInfo:
    """One overridable parameter, as `augbench list --params` shows it."""

    owner: str
    key: str
    type: str
    default: str
    description: str

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.key}"


def describe_params(params_type: type, owner: str) -> list[ParamInfo]:
    """Every field of `params_type` with its type, dataclass default and trailing `# comment`.

    The comment beside each field is its documentation (one place, read by people and by the CLI), so
    it is read from the source rather than repeated in a docstring that could drift from it.
    """
    hints = typing.get_type_hints(params_type)
    infos = []
    for f in dataclasses.fields(params_type):
        infos.append(ParamInfo(owner, f.name, type_label(hints[f.name]), _default_label(f),
                               field_comment(params_type, f.name)))
    return infos


def match_params(infos: list[ParamInfo], pattern: str) -> list[ParamInfo]:
    """Parameters whose `owner.key` matches `pattern`: a glob when it has `*?[`, else a substring."""
    if any(ch in pattern for ch in "*?["):
        return [i for i in infos if fnmatch.fnmatchcase(i.name, pattern)]
    return [i for i in infos if pattern in i.name]


def type_label(annotation: Any) -> str:
    """A field's type as the CLI parses it: `int | none`, `{pgd,fgsm_rs}`."""
    parts = []
    for t in _union_members(annotation):
        if typing.get_origin(t) is typing.Literal:
            parts.append("{" + ",".join(str(c) for c in typing.get_args(t)) + "}")
        else:
            parts.append(_type_name(t))
    return " | ".join(parts)


def field_comment(params_type: type, name: str) -> str:
    """The trailing `# comment` of field `name`, looked up in the class of the MRO that declares it
    (a subclass inherits its base's fields and their comments); empty when there is none."""
    for cls in params_type.__mro__:
        if name in cls.__dict__.get("__annotations__", {}):
            return _class_field_comments(cls).get(name, "")
    return ""


@functools.cache
def _class_field_comments(cls: type) -> dict[str, str]:
    """{field: comment} for the annotated assignments in `cls`'s own body."""
    try:
        lines, _ = inspect.getsourcelines(cls)
    except (OSError, TypeError):  # no source (a frozen build): descriptions are optional
        return {}
    source = textwrap.dedent("".join(lines))  # a nested class is indented
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    body = ast.parse(source).body[0]
    result = {}
    for node in getattr(body, "body", []):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found = [comments[n] for n in range(node.lineno, (node.end_lineno or node.lineno) + 1) if n in comments]
            result[node.target.id] = " ".join(found)
    return result


def _default_label(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return _value_label(f.default)
    if f.default_factory is not dataclasses.MISSING:
        return _value_label(f.default_factory())
    return "(required)"


def _value_label(value: Any) -> str:
    """A value as it would be written after `--param owner.key=`."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _parse_value(text: str, annotation: Any, where: str) -> Any:
    options = _union_members(annotation)
    lowered = text.strip().lower()
    if type(None) in options and lowered in _NONE:
        return None
    concrete = [t for t in options if t is not type(None)]
    for target in concrete:
        try:
            return _parse_as(text.strip(), target)
        except ValueError:
            continue
    names = " or ".join(_type_name(t) for t in options)
    raise UsageError(f"bad value {text!r} for --param {where}: expected {names}")


def _parse_as(text: str, target: Any) -> Any:
    if typing.get_origin(target) is typing.Literal:
        for choice in typing.get_args(target):
            if str(choice) == text:
                return choice
        raise ValueError(text)
    if target is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(text)
    if target is int:
        return int(text)
    if target is float:
        value = float(text)
        if value != value:  # NaN is never a sensible setting
            raise ValueError(text)
        return value
    if target is str:
        return text
    raise ValueError(f"unsupported parameter type {target!r}")


def _union_members(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _type_name(t: Any) -> str:
    if t is type(None):
        return "none"
    if typing.get_origin(t) is typing.Literal:
        return "one of " + "|".join(str(c) for c in typing.get_args(t))
    return getattr(t, "__name__", str(t))
