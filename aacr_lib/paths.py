"""Where data, runs and caches live.

Every root comes from, in order: an explicit argument, an environment variable, a default
relative to the current working directory (feature caches: inside the dataset directory).
Nothing is ever an absolute path in the code.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

DATA_ENV = "AACR_DATA"
RUNS_ENV = "AACR_RUNS"
CACHE_ENV = "AACR_CACHE"
FEATURES_ENV = "AACR_FEATURES"

DEFAULT_DATA = "data"
DEFAULT_RUNS = "runs"
DEFAULT_CACHE = ".cache/aacr"
DEFAULT_FEATURES = "features"  # a folder inside the dataset directory


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


def features_root(explicit: str | os.PathLike | None = None) -> Path | None:
    """Root of feature caches kept outside the datasets: argument, `AACR_FEATURES`, or None
    (the default: each dataset keeps its caches in `{dataset_dir}/features/`)."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    from_env = os.environ.get(FEATURES_ENV)
    return Path(from_env).expanduser() if from_env else None


def features_dir(dataset_dir: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """Folder of one dataset's feature caches (`{kind}-{hash}/{split}.h5` go below it).

    With a features root (`root`, else `AACR_FEATURES`; see `features_root`):
    `{root}/{dataset name}-{8 hex digits}/`, one root serving every dataset, the digits (a
    hash of the dataset's absolute path) telling apart datasets of the same name. Without one:
    `{dataset_dir}/features/`. A read-only dataset needs a root somewhere writable.
    """
    base = features_root(root)
    if base is None:
        return Path(dataset_dir) / DEFAULT_FEATURES
    resolved = Path(dataset_dir).expanduser().resolve()
    digest = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:8]
    return base / f"{resolved.name or 'dataset'}-{digest}"


@contextlib.contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """`os.environ` with `variables` set inside the block (what child processes started there
    inherit), and as it was afterwards."""
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
