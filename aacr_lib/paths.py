"""Where data, runs and caches live.

Every root comes from, in order: an explicit argument, an environment variable, a default
relative to the current working directory. Nothing is ever an absolute path in the code.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "AACR_DATA"
RUNS_ENV = "AACR_RUNS"
CACHE_ENV = "AACR_CACHE"

DEFAULT_DATA = "data"
DEFAULT_RUNS = "runs"
DEFAULT_CACHE = ".cache/aacr"


def _resolve(explicit: str | os.PathLike | None, env: str, default: str) -> Path:
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    from_env = os.environ.get(env)
    if from_env:
        return Path(from_env).expanduser()
    return Path(default)


def data_root(explicit: str | os.PathLike | None = None) -> Path:
    """Root that holds datasets (`clotho/`, `clothomix/`): argument, `AACR_DATA`, `data/`."""
    return _resolve(explicit, DATA_ENV, DEFAULT_DATA)


def runs_root(explicit: str | os.PathLike | None = None) -> Path:
    """Root of run directories: argument, `AACR_RUNS`, `runs/`."""
    return _resolve(explicit, RUNS_ENV, DEFAULT_RUNS)


def cache_root(explicit: str | os.PathLike | None = None) -> Path:
    """Root of downloaded pretrained assets: argument, `AACR_CACHE`, `.cache/aacr/`."""
    return _resolve(explicit, CACHE_ENV, DEFAULT_CACHE)


def dataset_dir(name: str, root: str | os.PathLike | None = None) -> Path:
    """Directory of one dataset under the data root, e.g. `dataset_dir("clothomix")`."""
    return data_root(root) / name
