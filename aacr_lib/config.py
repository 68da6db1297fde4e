"""Typed, composable configuration.

A configuration is a (nested) dataclass. Experiments are small overlays (plain dicts holding only
what differs) merged onto a task's base config; profiles (`demo`, `paper`, ...) are overlays too;
`KEY=VALUE` command-line overrides are the last layer. The resolved config has a stable hash that
names its run directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import yaml

from aacr_lib.errors import ConfigError

T = TypeVar("T")


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: `overlay` merged onto `base`; nested mappings merge, other values replace."""
    merged: dict[str, Any] = {key: value for key, value in base.items()}
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """Turn `["training.epochs=3", "model.adapter_layers=2"]` into a nested overlay dict.

    Values are parsed as YAML scalars/lists (`3` → int, `true` → bool, `[1,2]` → list).
    """
    overlay: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {pair!r} is not KEY=VALUE (e.g. training.epochs=3)")
        node = overlay
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _parse_value(raw)
    return overlay


def _parse_value(raw: str) -> Any:
    """A YAML scalar/list, except that `2e-3` is a float (YAML 1.1 would keep it a string)."""
    if not raw.strip():
        return ""
    value = yaml.safe_load(raw)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def to_dict(config: Any) -> dict[str, Any]:
    """A plain, JSON-serialisable dict of a dataclass config (tuples become lists)."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return json.loads(json.dumps(dataclasses.asdict(config), default=str))
    if isinstance(config, Mapping):
        return json.loads(json.dumps(dict(config), default=str))
    raise TypeError(f"not a config: {type(config).__name__}")


def config_hash(config: Any, length: int = 10) -> str:
    """Stable short hash of a resolved config (canonical JSON, sorted keys)."""
    canonical = json.dumps(to_dict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:length]


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if dataclasses.is_dataclass(annotation):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return from_dict(annotation, value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, option, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {value!r} fits none of {annotation}")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not one of {list(args)}")
        return value
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        item_type = args[0] if args else Any
        items = [_coerce(v, item_type, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or annotation is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (int, float, str, bool):
        if not isinstance(value, annotation) or (annotation is int and isinstance(value, bool)):
            raise ConfigError(f"{where}: expected {annotation.__name__}, got {value!r}")
        return value
    return value


def from_dict(cls: type[T], data: Mapping[str, Any], where: str = "") -> T:
    """Build dataclass `cls` from a (nested) dict, checking every key and type.

    Unknown keys are an error naming the key and the known ones, so a typo in an overlay or an
    override never passes silently.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"unknown config key {prefix}{unknown[0]}; known keys: {', '.join(sorted(fields))}"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(value, hints[name], f"{where}.{name}" if where else name)
    return cls(**kwargs)


def resolve(cls: type[T], *layers: Mapping[str, Any]) -> T:
    """Defaults of `cls`, then each overlay in order (base → experiment → profile → overrides)."""
    merged = to_dict(cls())
    for layer in layers:
        merged = deep_merge(merged, layer)
    return from_dict(cls, merged)


def dump_yaml(config: Any) -> str:
    """YAML text of a config, keys in declaration order."""
    return yaml.safe_dump(to_dict(config), sort_keys=False)
