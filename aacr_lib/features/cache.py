"""HDF5 feature caches: build once (resumably), read many times.

One file per (dataset, kind, config, split), by default
`{dataset_dir}/features/{kind}-{config_hash}/{split}.h5`, holding

* the file attribute `manifest`: JSON with the kind, the config, its hash, sample rate,
  feature size, frame rate, dtype, split and the package version (fixed when the file is made);
* the file attributes `n_expected` (clips in the split) and `finished` (all of them done);
* group `clips`: one float32 dataset `[frames, dim]` per clip, named by the percent-encoded
  file name (HDF5 names cannot hold `/` and treat a leading `.` specially), with attributes
  `file_name` (the original name) and `complete`.

Crash safety: an entry is written, the file flushed, and only then is `complete` set (and
flushed again). A rerun deletes every entry without `complete` and computes only the clips
that are not complete, so an interrupted build resumes where it stopped and a finished one
is not recomputed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np

from aacr_lib import __version__
from aacr_lib.data.clotho import read_split
from aacr_lib.errors import DataError
from aacr_lib.features import registry
from aacr_lib.features.config import FeatureConfig

FORMAT_VERSION = 1
MANIFEST_ATTR = "manifest"
FINISHED_ATTR = "finished"
EXPECTED_ATTR = "n_expected"
COMPLETE_ATTR = "complete"
NAME_ATTR = "file_name"
CLIPS_GROUP = "clips"


def encode_key(file_name: str) -> str:
    """HDF5-safe dataset name of a clip: percent-encoding of every byte but `[A-Za-z0-9_.~-]`."""
    key = quote(file_name, safe="")
    if key.startswith("."):
        key = "%2E" + key[1:]  # "." and ".." are path components in HDF5
    return key


def decode_key(key: str) -> str:
    """Inverse of `encode_key`."""
    return unquote(key)


def cache_dir_name(config: FeatureConfig) -> str:
    """Folder of a config's caches: `{kind}-{config_hash}`."""
    return f"{config.kind}-{config.config_hash()}"


def default_cache_path(
    dataset_dir: str | os.PathLike, config: FeatureConfig | str, split: str
) -> Path:
    """`{dataset_dir}/features/{kind}-{config_hash}/{split}.h5` (a kind means its defaults)."""
    if isinstance(config, str):
        config = registry.make_config(config)
    return Path(dataset_dir) / "features" / cache_dir_name(config) / f"{split}.h5"


def make_manifest(config: FeatureConfig, split: str) -> dict[str, Any]:
    """The manifest of a new cache file."""
    return {
        "format": FORMAT_VERSION,
        "kind": config.kind,
        "config": config.to_dict(),
        "config_hash": config.config_hash(),
        "sample_rate": config.sample_rate,  # type: ignore[attr-defined]
        "dim": config.dim,
        "frame_rate": config.frame_rate,
        "dtype": "float32",
        "split": split,
        "package": "aacr",
        "package_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _open_h5(path: Path, mode: str):
    import h5py

    try:
        return h5py.File(path, mode)
    except OSError as exc:
        if "lock" in str(exc).lower():
            raise DataError(
                f"{path}: locked by another process (a build still running?); wait for it or "
                "stop it"
            ) from exc
        raise DataError(
            f"{path}: not a readable HDF5 feature cache ({exc}); delete it and rebuild with "
            "`aacr features`"
        ) from exc


def _read_manifest(handle, path: Path) -> dict[str, Any]:
    raw = handle.attrs.get(MANIFEST_ATTR)
    if raw is None:
        raise DataError(
            f"{path}: HDF5 file without a feature-cache manifest; not written by "
            "`aacr features` (delete it or choose another --out)"
        )
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw)


def _mismatch(path: Path, manifest: dict[str, Any], config: FeatureConfig) -> DataError:
    return DataError(
        f"{path} holds {manifest.get('kind')} features with config hash "
        f"{manifest.get('config_hash')}, not the requested {config.kind} config "
        f"{config.config_hash()}; delete the file, or build to another path "
        "(`aacr features DIR --out PATH`), or open it without a config"
    )


def _complete_names(clips) -> set[str]:
    return {
        str(ds.attrs.get(NAME_ATTR, decode_key(key)))
        for key, ds in clips.items()
        if bool(ds.attrs.get(COMPLETE_ATTR, False))
    }


def _peek(path: Path, config: FeatureConfig, split: str) -> tuple[set[str], bool]:
    """Read-only: (complete clips, finished) of an existing cache of `config` and `split`.

    Anything else (no file, another config, an unreadable file) gives `(set(), False)`: the
    build then opens the file for writing and reports what is wrong with it.
    """
    if not path.is_file():
        return set(), False
    try:
        with _open_h5(path, "r") as handle:
            manifest = _read_manifest(handle, path)
            if manifest.get("config_hash") != config.config_hash():
                return set(), False
            if manifest.get("split") != split or CLIPS_GROUP not in handle:
                return set(), False
            return _complete_names(handle[CLIPS_GROUP]), bool(handle.attrs.get(FINISHED_ATTR))
    except DataError:
        return set(), False


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_feature_cache(
    dataset_dir: str | os.PathLike,
    kind: str = "logmel",
    split: str = "development",
    out: str | os.PathLike | None = None,
    config: FeatureConfig | None = None,
    batch_size: int = 8,
    device: str = "cpu",
    progress: bool = True,
) -> Path:
    """Compute the features of every clip of a split into an HDF5 cache; return its path.

    Clips are those listed (column `file_name`) in `{dataset_dir}/clotho_captions_{split}.csv`,
    read from `{dataset_dir}/{split}/`, `batch_size` at a time. `config` defaults to the
    kind's default config; `out` to `default_cache_path`. Resumes an interrupted build, and
    returns at once when the cache is already complete. Raises `DataError` for a missing
    directory, CSV or audio file, or an existing `out` built with another config, and
    `PretrainedUnavailable` when `vggish` weights are missing.
    """
    from tqdm.auto import tqdm

    if config is None:
        config = registry.make_config(kind)
    elif config.kind != kind:
        raise ValueError(f"config is for {config.kind!r}, not {kind!r}")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    dataset_dir = Path(dataset_dir)
    # metadata=False: the optional metadata CSV has no bearing on features.
    items = read_split(dataset_dir, split, metadata=False)
    path = Path(out) if out is not None else default_cache_path(dataset_dir, config, split)
    done, finished = _peek(path, config, split)
    pending = [item for item in items if item.file_name not in done]
    if finished and not pending:
        return path  # nothing to do: the file is not even opened for writing
    # Checked before any file is created or changed: a missing clip or asset leaves no trace.
    missing = [item for item in pending if not item.audio_path.is_file()]
    if missing:
        names = ", ".join(item.file_name for item in missing[:5])
        raise DataError(
            f"{dataset_dir / split}: {len(missing)} audio file(s) listed in "
            f"clotho_captions_{split}.csv are missing (e.g. {names}); run "
            f"`aacr data check {dataset_dir}`"
        )
    if pending:
        registry.check_available(config)
    path.parent.mkdir(parents=True, exist_ok=True)

    with _open_h5(path, "a") as handle:
        if MANIFEST_ATTR in handle.attrs:
            manifest = _read_manifest(handle, path)
            if manifest.get("config_hash") != config.config_hash():
                raise _mismatch(path, manifest, config)
            if manifest.get("split") != split:
                raise DataError(
                    f"{path} holds the {manifest.get('split')!r} split, not {split!r}; "
                    "give each split its own --out file"
                )
        else:
            handle.attrs[MANIFEST_ATTR] = json.dumps(make_manifest(config, split), sort_keys=True)
        clips = handle.require_group(CLIPS_GROUP)
        # Entries left without `complete` by a crash may be truncated: never trust them.
        for key in [k for k, ds in clips.items() if not ds.attrs.get(COMPLETE_ATTR, False)]:
            del clips[key]
        done = _complete_names(clips)
        pending = [item for item in items if item.file_name not in done]
        handle.attrs[EXPECTED_ATTR] = len(items)
        handle.attrs[FINISHED_ATTR] = not pending
        handle.flush()
        if not pending:
            return path
        with tqdm(
            total=len(items),
            initial=len(items) - len(pending),
            unit="clip",
            desc=f"{config.kind} {split}",
            disable=not progress,
        ) as bar:
            for batch in _chunks(pending, batch_size):
                waveforms = [registry.load_waveform(item.audio_path, config) for item in batch]
                features = registry.compute_features_batch(config, waveforms, device=device)
                for item, array in zip(batch, features, strict=True):
                    key = encode_key(item.file_name)
                    if key in clips:
                        del clips[key]
                    dataset = clips.create_dataset(key, data=np.asarray(array, dtype=np.float32))
                    dataset.attrs[NAME_ATTR] = item.file_name
                    handle.flush()  # the data is on disk before it is marked complete
                    dataset.attrs[COMPLETE_ATTR] = True
                    handle.flush()
                    bar.update(1)
        handle.attrs[FINISHED_ATTR] = True
        handle.flush()
    return path


class FeatureCache:
    """Read-only view of a feature cache: `cache[file_name] -> np.ndarray [frames, dim]`.

    Only complete entries are visible. With `config`, opening a cache built with another
    configuration raises `DataError` naming the file and the fix. The HDF5 file is opened on
    first use and reopened in a new process, so an instance can be handed to DataLoader workers.
    """

    def __init__(self, path: str | os.PathLike, config: FeatureConfig | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path}: feature cache not found; build it with `aacr features`")
        self._handle = None
        self._pid: int | None = None
        handle = self._file()
        try:
            self.manifest: dict[str, Any] = _read_manifest(handle, self.path)
        except DataError:
            self.close()
            raise
        self.manifest[FINISHED_ATTR] = bool(handle.attrs.get(FINISHED_ATTR, False))
        self.manifest[EXPECTED_ATTR] = int(handle.attrs.get(EXPECTED_ATTR, 0))
        if config is not None and self.manifest.get("config_hash") != config.config_hash():
            self.close()
            raise _mismatch(self.path, self.manifest, config)
        clips = handle.get(CLIPS_GROUP, {})
        self._keys = {
            str(ds.attrs.get(NAME_ATTR, decode_key(key))): key
            for key, ds in clips.items()
            if bool(ds.attrs.get(COMPLETE_ATTR, False))
        }

    def _file(self):
        if self._handle is None or self._pid != os.getpid():
            # h5py handles do not survive fork: a worker process opens its own.
            self._handle = _open_h5(self.path, "r")
            self._pid = os.getpid()
        return self._handle

    @property
    def config(self) -> FeatureConfig:
        """The configuration the cache was built with."""
        return registry.config_from_manifest(self.manifest["kind"], self.manifest["config"])

    @property
    def finished(self) -> bool:
        """True when every clip of the split was computed."""
        return bool(self.manifest[FINISHED_ATTR])

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    def keys(self) -> list[str]:
        """File names of the complete entries, sorted."""
        return sorted(self._keys)

    def __contains__(self, file_name: object) -> bool:
        return file_name in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __getitem__(self, file_name: str) -> np.ndarray:
        try:
            key = self._keys[file_name]
        except KeyError:
            raise KeyError(f"{file_name!r} is not in feature cache {self.path}") from None
        return np.asarray(self._file()[CLIPS_GROUP][key][()], dtype=np.float32)

    def load(self, item: Any) -> np.ndarray:
        """Features of a `ClothoItem` (or a file name): a `load_input` for the datasets."""
        return self[item if isinstance(item, str) else item.file_name]

    def close(self) -> None:
        """Close the HDF5 file (reopened on the next access)."""
        if self._handle is not None and self._pid == os.getpid():
            self._handle.close()
        self._handle = None

    def __enter__(self) -> FeatureCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_handle"] = None  # an open HDF5 handle cannot be pickled
        return state

    def __repr__(self) -> str:
        return (
            f"FeatureCache({str(self.path)!r}, kind={self.manifest.get('kind')}, "
            f"clips={len(self)}, finished={self.finished})"
        )


def open_feature_cache(
    dataset_dir: str | os.PathLike,
    kind: str,
    split: str,
    config: FeatureConfig | None = None,
) -> FeatureCache:
    """Open the default-path cache of a split for `config` (default: the kind's defaults)."""
    if config is None:
        config = registry.make_config(kind)
    return FeatureCache(default_cache_path(dataset_dir, config, split), config=config)
