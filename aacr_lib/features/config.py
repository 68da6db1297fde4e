"""The base of every feature configuration: a frozen dataclass whose hash names its cache.

Two configurations that would produce different numbers must have different hashes, and the
hash must not change between Python runs, machines or package versions; so it is the SHA-1 of
the configuration as sorted JSON (with its kind), never Python's `hash()`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, ClassVar

HASH_LENGTH = 12  # hex digits kept: short enough for a folder name, 48 bits against collisions


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """Base of the feature configurations; subclasses set `kind` and their fields."""

    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-ready values (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def config_hash(self) -> str:
        """Stable identifier of kind + fields: SHA-1 of their sorted JSON, 12 hex digits."""
        text = json.dumps(
            {"kind": self.kind, "config": self.to_dict()}, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]

    @property
    def dim(self) -> int:
        """Size of one feature vector (the last axis of every array this kind produces)."""
        raise NotImplementedError

    @property
    def frame_rate(self) -> float:
        """Feature vectors per second of audio."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FeatureConfig:
        """Inverse of `to_dict`; unknown keys are an error (they would change the hash)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"{cls.__name__} has no field(s) {', '.join(unknown)}")
        converted = {}
        for field in dataclasses.fields(cls):
            if field.name in values:
                value = values[field.name]
                # JSON has no tuples; tuple-typed fields are stored as lists.
                converted[field.name] = tuple(value) if isinstance(value, list) else value
        return cls(**converted)
