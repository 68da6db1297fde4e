"""Audio features: log-mel (retrieval baseline), VGGish (captioning baseline), demo stand-ins.

- `compute_features(kind, waveform_or_path)`: one clip, kinds `logmel`, `vggish`,
  `logmel_pooled` (see `registry`).
- `build_feature_cache(dataset_dir, kind, split)` / `FeatureCache(path)`: resumable HDF5 caches
  of a whole split (see `cache`).

Heavy modules (torch) load only when one of these names is first used, so that importing the
package (e.g. for the CLI's `--help`) stays instant.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "compute_features": "registry",
    "compute_features_batch": "registry",
    "make_config": "registry",
    "KINDS": "registry",
    "LogMelConfig": "logmel",
    "VGGishConfig": "vggish",
    "PooledLogMelConfig": "pooled",
    "load_vggish": "vggish",
    "build_feature_cache": "cache",
    "default_cache_path": "cache",
    "open_feature_cache": "cache",
    "FeatureCache": "cache",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
