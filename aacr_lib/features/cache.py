"""HDF5 feature caches: build once (resumably), read many times.

One file per (dataset, kind, config, split), by default
`{features_dir}/{kind}-{config_hash}/{split}.h5`, where `features_dir` is
`aacr_lib.paths.features_dir`: `{root}/{dataset name}-{hash}/` under a features root (the
`features_root` argument, `aacr features --features-dir`, else `$AACR_FEATURES`), else
`{dataset_dir}/features/`. Each file holds

* the file attribute `manifest`: JSON with the kind, the config, its hash, sample rate,
  feature size, frame rate, dtype, split and the package version (fixed when the file is made);
* the file attributes `n_expected` (clips in the split) and `finished` (all of them done);
* group `clips`: one float32 dataset `[frames, dim]` per clip, named by the percent-encoded
  file name (HDF5 names cannot hold `/` and treat a leading `.` specially), with attributes
  `file_name` (the original name), `source_size` and `source_mtime_ns` (the size in bytes and
  modification time in ns of the audio file the entry was computed from) and `complete`.

Freshness (format 2): an entry counts as done only while its audio file still has the recorded
size and modification time; a clip fixed or replaced after extraction is recomputed by the
next build (`features.splits.load_split` builds before every training). Entries of format 1
files record no source and are recomputed the same way, in place, by the next build (the file
is then format 2); reading a format 1 file with `FeatureCache` works as before.

Crash safety: an entry is written, the file flushed, and only then is `complete` set (and
flushed again). A rerun deletes every entry without `complete` and computes only the clips
that are not complete, so an interrupted build resumes where it stopped and a finished one
is not recomputed.

Bad audio stops a build (as a missing clip always did): `audio.load_audio` raises `DataError`
naming the file for audio that is undecodable, empty, truncated or holds NaN/inf samples; the
clips computed before it are kept, the cache stays unfinished, and the error says to fix or
remove the clip and to run `aacr data check` for every bad file. A cache never silently lacks
a clip its split lists.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np

from aacr_lib import __version__, paths
from aacr_lib.data.clotho import read_split
from aacr_lib.errors import DataError
from aacr_lib.features import registry
from aacr_lib.features.config import FeatureConfig
from aacr_lib.paths import FEATURES_ENV

FORMAT_VERSION = 2
MANIFEST_ATTR = "manifest"
FINISHED_ATTR = "finished"
EXPECTED_ATTR = "n_expected"
COMPLETE_ATTR = "complete"
NAME_ATTR = "file_name"
SIZE_ATTR = "source_size"
MTIME_ATTR = "source_mtime_ns"
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
    dataset_dir: str | os.PathLike,
    config: FeatureConfig | str,
    split: str,
    features_root: str | os.PathLike | None = None,
) -> Path:
    """`{features_dir}/{kind}-{config_hash}/{split}.h5` (a kind means its defaults).

    `features_dir` is `{root}/{dataset name}-{hash}/` under a features root (`features_root`,
    else `$AACR_FEATURES`), else `{dataset_dir}/features/` (`aacr_lib.paths.features_dir`).
    """
    if isinstance(config, str):
        config = registry.make_config(config)
    folder = paths.features_dir(dataset_dir, features_root)
    return folder / cache_dir_name(config) / f"{split}.h5"


Stamp = tuple[int, int]


def source_stamp(path: str | os.PathLike) -> Stamp | None:
    """(size in bytes, modification time in ns) of an audio file; None when it is not there."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return int(stat.st_size), int(stat.st_mtime_ns)


def _entry_stamp(dataset) -> Stamp | None:
    size, mtime = dataset.attrs.get(SIZE_ATTR), dataset.attrs.get(MTIME_ATTR)
    if size is None or mtime is None:
        return None  # a format 1 entry: its source is unknown
    return int(size), int(mtime)


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


_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def _is_not_writable(exc: OSError) -> bool:
    text = str(exc)
    return (
        exc.errno in _NOT_WRITABLE or "Permission denied" in text or "Read-only file system" in text
    )


def _not_writable(directory: Path, exc: OSError, out_given: bool) -> DataError:
    reason = exc.strerror or str(exc)
    fix = (
        "choose a writable --out"
        if out_given
        else f"set {FEATURES_ENV}=/somewhere/writable or pass `aacr features --features-dir DIR`"
    )
    return DataError(
        f"{directory}: cannot write feature caches there ({reason}); a read-only dataset keeps "
        f"its features elsewhere: {fix}"
    )


def _ensure_writable(directory: Path, out_given: bool) -> None:
    """Create `directory` and prove a file can be made in it, or raise the one-line fix."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".aacr-write-test-", dir=directory)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise _not_writable(directory, exc, out_given) from exc


def _open_h5(path: Path, mode: str, out_given: bool = False):
    import h5py

    try:
        return h5py.File(path, mode)
    except OSError as exc:
        if mode != "r" and _is_not_writable(exc):
            raise _not_writable(path.parent, exc, out_given) from exc
        if mode != "r" and "already open" in str(exc):
            raise DataError(
                f"{path}: still open for reading in this process (a FeatureCache or SplitData "
                "in use) while its audio changed and it must be updated; close it first "
                "(`.close()`, or restart the kernel)"
            ) from exc
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


def _fresh_names(clips, stamps: dict[str, Stamp | None]) -> set[str]:
    """Complete entries of listed clips whose audio still has the recorded size and mtime."""
    fresh = set()
    for key, ds in clips.items():
        if not bool(ds.attrs.get(COMPLETE_ATTR, False)):
            continue
        name = str(ds.attrs.get(NAME_ATTR, decode_key(key)))
        stamp = stamps.get(name)
        if stamp is not None and _entry_stamp(ds) == stamp:
            fresh.add(name)
    return fresh


def _stale_keys(clips, stamps: dict[str, Stamp | None]) -> list[str]:
    """Entries of listed clips that are incomplete or whose audio changed since (or unknown)."""
    fresh = _fresh_names(clips, stamps)
    stale = []
    for key, ds in clips.items():
        name = str(ds.attrs.get(NAME_ATTR, decode_key(key)))
        complete = bool(ds.attrs.get(COMPLETE_ATTR, False))
        if not complete or (name in stamps and name not in fresh):
            stale.append(key)
    return stale


def _peek(
    path: Path, config: FeatureConfig, split: str, stamps: dict[str, Stamp | None]
) -> tuple[set[str], bool]:
    """Read-only: (fresh clips, finished) of an existing cache of `config` and `split`.

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
            fresh = _fresh_names(handle[CLIPS_GROUP], stamps)
            return fresh, bool(handle.attrs.get(FINISHED_ATTR))
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
    features_root: str | os.PathLike | None = None,
) -> Path:
    """Compute the features of every clip of a split into an HDF5 cache; return its path.

    Clips are those listed (column `file_name`) in `{dataset_dir}/clotho_captions_{split}.csv`,
    read from `{dataset_dir}/{split}/`, `batch_size` at a time. `config` defaults to the
    kind's default config; `out` to `default_cache_path(dataset_dir, config, split,
    features_root)`: under the features root (`features_root`, else `$AACR_FEATURES`) in
    `{root}/{dataset name}-{hash}/`, else in `{dataset_dir}/features/`. Resumes an interrupted build, recomputes the clips whose audio
    file changed size or modification time since they were cached, and returns at once when
    the cache is complete and fresh (without opening it for writing).

    Bad audio stops the build, like missing audio: a missing clip is reported before anything
    is written; a clip that cannot be used (undecodable, empty, truncated, NaN/inf samples)
    raises `DataError` naming the file once the clips before it are cached (they are kept, so
    a rerun after fixing or removing the clip resumes). Stopping rather than skipping means a
    finished cache always holds every clip its split lists. Raises `DataError` too for a
    missing directory or CSV, an existing `out` built with another config, and a folder that
    cannot be written (a read-only dataset: set `AACR_FEATURES` or pass `features_root`), and
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
    out_given = out is not None
    path = (
        Path(out)
        if out is not None
        else default_cache_path(dataset_dir, config, split, features_root=features_root)
    )
    stamps = {item.file_name: source_stamp(item.audio_path) for item in items}
    done, finished = _peek(path, config, split, stamps)
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
    _ensure_writable(path.parent, out_given)

    with _open_h5(path, "a", out_given) as handle:
        if MANIFEST_ATTR in handle.attrs:
            manifest = _read_manifest(handle, path)
            if manifest.get("config_hash") != config.config_hash():
                raise _mismatch(path, manifest, config)
            if manifest.get("split") != split:
                raise DataError(
                    f"{path} holds the {manifest.get('split')!r} split, not {split!r}; "
                    "give each split its own --out file"
                )
            if manifest.get("format") != FORMAT_VERSION:
                # Format 1 entries record no source: `_stale_keys` drops them below.
                manifest["format"] = FORMAT_VERSION
                handle.attrs[MANIFEST_ATTR] = json.dumps(manifest, sort_keys=True)
        else:
            handle.attrs[MANIFEST_ATTR] = json.dumps(make_manifest(config, split), sort_keys=True)
        clips = handle.require_group(CLIPS_GROUP)
        # Entries left without `complete` by a crash may be truncated: never trust them. Nor
        # entries whose audio changed since (or whose source is unknown): recomputed below.
        for key in _stale_keys(clips, stamps):
            del clips[key]
        done = _fresh_names(clips, stamps)
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
                loaded, waveforms, failure = _load_batch(batch, config)
                if loaded:
                    features = registry.compute_features_batch(
                        config, waveforms, device=device, items=[entry[0] for entry in loaded]
                    )
                    for item, array in zip(loaded, features, strict=True):
                        _write_entry(handle, clips, item, array)
                        bar.update(1)
                if failure is not None:
                    kept = len(_fresh_names(clips, stamps))
                    raise DataError(
                        f"{failure}; stopped computing {config.kind} features of {split} "
                        f"({kept} of {len(items)} clips cached in {path} and kept): fix or "
                        f"remove that clip and rerun (`aacr data check {dataset_dir}` lists "
                        "every bad file)"
                    ) from failure
        handle.attrs[FINISHED_ATTR] = True
        handle.flush()
    return path


def _load_batch(
    batch: Sequence[Any], config: FeatureConfig
) -> tuple[list[Any], list[np.ndarray], DataError | None]:
    """Waveforms of a batch up to its first clip that cannot be used, and that clip's error."""
    loaded, waveforms = [], []
    for item in batch:
        # Taken before decoding: a file replaced while it is read is recomputed next time.
        stamp = source_stamp(item.audio_path)
        try:
            waveforms.append(registry.load_waveform(item.audio_path, config))
        except DataError as exc:
            return loaded, waveforms, exc
        loaded.append((item, stamp))
    return loaded, waveforms, None


def _write_entry(handle, clips, loaded: tuple[Any, Stamp | None], array: np.ndarray) -> None:
    item, stamp = loaded
    key = encode_key(item.file_name)
    if key in clips:
        del clips[key]
    dataset = clips.create_dataset(key, data=np.asarray(array, dtype=np.float32))
    dataset.attrs[NAME_ATTR] = item.file_name
    if stamp is not None:
        dataset.attrs[SIZE_ATTR], dataset.attrs[MTIME_ATTR] = stamp
    handle.flush()  # the data is on disk before it is marked complete
    dataset.attrs[COMPLETE_ATTR] = True
    handle.flush()


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
    features_root: str | os.PathLike | None = None,
) -> FeatureCache:
    """Open the default-path cache of a split for `config` (default: the kind's defaults)."""
    if config is None:
        config = registry.make_config(kind)
    path = default_cache_path(dataset_dir, config, split, features_root=features_root)
    return FeatureCache(path, config=config)
