"""Text-to-audio search over a folder of recordings with a trained retrieval run.

An index is a folder:

    manifest.json   what was indexed: the run, its feature kind and score, the FAISS index type,
                    one entry per embedded file (path, size, mtime, duration, sample rate) and
                    the files that were skipped, with the reason
    vectors.npy     the audio embeddings, one row per entry (the source of truth)
    index.faiss     the FAISS index over those rows

Files are found recursively by extension (`aacr_lib.audio.AUDIO_EXTENSIONS`), decoded at any
sample rate and channel count, and cut into windows of at most 30 s (the longest Clotho clip)
whose embeddings are averaged, weighted by length; so a long recording costs memory of one
window. Rebuilding an index embeds only files that are new or changed (size or modification
time) and drops the files that disappeared.

Writes are all-or-nothing: every build (new or update) writes a fresh hidden sibling folder
`.{name}.building-*`, checks it (the FAISS file is read back; it, the manifest and the vectors
must hold the same number of rows) and only then swaps it in: the old folder is renamed aside to
`.{name}.old-*`, the new one renamed into place, the old one removed (the swap holds the file
lock `.{name}.lock` beside the folder). A failure (a full disk) or a crash at any point leaves
the previous index complete, either in place or aside, where the next build puts it back; a
killed build may leave a `.{name}.building-*` folder behind, which can be deleted. Opening an
index checks the same counts and names the fix when they disagree.

An update from another audio folder would drop every entry of the previous one: it is refused
unless `replace=True` (`aacr index build --replace`). A folder without audio files is refused
too, and skipped files (undecodable, empty, broken symbolic links) are listed in the report.

Index types: `auto` (the default: chosen by the collection's size with
`aacr_lib.retrieval.search.auto_index_kind`; the manifest's `index` holds the kind and the
parameters it chose, `index_choice` what was asked for and why), `flat` (exact search), `ivf`
(inverted lists: `nlist` k-means cells, trained on a sample of at most 64 vectors per cell,
`nprobe` of them searched) and `hnsw` (a graph with `M` links per vector). The exact kind is
searched in `vectors.npy` with `aacr_lib.retrieval.search.exact_search` (faster than FAISS's
flat index); `index.faiss` is still written for every kind. The metric follows the model's
score: inner product for `dot` (and `cosine`, on unit vectors), L2 for `exp_neg_euclidean`
(reported as exp(-distance)).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from filelock import FileLock
from tqdm.auto import tqdm

from aacr_lib.audio import AUDIO_EXTENSIONS, load_audio
from aacr_lib.errors import ConfigError, DataError
from aacr_lib.features.registry import compute_features
from aacr_lib.files import replace_folder, sibling
from aacr_lib.retrieval.inference import load_trained
from aacr_lib.retrieval.search import (
    auto_index_kind,
    exact_search,
    half_squared_norms,
    ivf_cells,
)

MANIFEST_FILE = "manifest.json"
VECTORS_FILE = "vectors.npy"
FAISS_FILE = "index.faiss"
FORMAT_VERSION = 1
INDEX_KINDS = ("flat", "ivf", "hnsw")
INDEX_TYPES = ("auto", *INDEX_KINDS)
WINDOW_SECONDS = 30.0
IVF_TRAIN_PER_CELL = 64


@dataclass(frozen=True)
class IndexSettings:
    """Index type and parameters (`nlist`: IVF cells, 0 = 4 * sqrt(N); `nprobe`: cells
    searched; `hnsw_m`: graph links; `ef_search`: HNSW search breadth). `auto` (the default)
    is resolved by `resolve_settings` for the collection's size."""

    kind: str = "auto"
    nlist: int = 0
    nprobe: int = 8
    hnsw_m: int = 32
    ef_search: int = 64

    def __post_init__(self) -> None:
        if self.kind not in INDEX_TYPES:
            raise ConfigError(
                f"index type must be one of {', '.join(INDEX_TYPES)}, not {self.kind!r}"
            )


def resolve_settings(settings: IndexSettings, n: int) -> tuple[IndexSettings, str]:
    """The concrete settings for `n` vectors and why: `auto` becomes the kind and parameters
    `aacr_lib.retrieval.search.auto_index_kind` chooses; any other kind stays as given."""
    if settings.kind != "auto":
        return settings, f"{settings.kind} as requested"
    choice = auto_index_kind(n)
    fields = {key: value for key, value in choice.items() if key != "reason"}
    return IndexSettings(**fields), f"auto: {choice['reason']}"


def settings_from_manifest(index: dict[str, Any]) -> IndexSettings:
    """The IndexSettings a manifest's `index` record holds (unknown keys ignored)."""
    known = IndexSettings.__dataclass_fields__
    return IndexSettings(**{key: value for key, value in index.items() if key in known})


def faiss_metric(score: str) -> str:
    """`ip` (inner product) or `l2` for a model score."""
    return "l2" if score == "exp_neg_euclidean" else "ip"


def make_faiss_index(vectors: np.ndarray, metric: str, settings: IndexSettings):
    """A FAISS index of `settings.kind` holding `vectors` (trained first when IVF, k-means on
    at most IVF_TRAIN_PER_CELL vectors per cell, a fixed random sample)."""
    n, dim = vectors.shape
    settings = resolve_settings(settings, n)[0]
    faiss_metric_id = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2
    if settings.kind == "flat":
        index = faiss.IndexFlatIP(dim) if metric == "ip" else faiss.IndexFlatL2(dim)
    elif settings.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss_metric_id)
        index.hnsw.efSearch = settings.ef_search
    else:
        nlist = ivf_cells(n, settings.nlist)
        quantizer = faiss.IndexFlatIP(dim) if metric == "ip" else faiss.IndexFlatL2(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss_metric_id)
        if n:
            sample = n if n <= IVF_TRAIN_PER_CELL * nlist else IVF_TRAIN_PER_CELL * nlist
            rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False))
            index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
        index.nprobe = min(settings.nprobe, nlist)
    if n:
        for start in range(0, n, 1 << 17):  # bounded float32 copies of a memory map
            index.add(np.ascontiguousarray(vectors[start : start + (1 << 17)], dtype=np.float32))
    return index


def _is_audio_name(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS and not path.name.startswith(".")


def find_audio_files(directory: str | os.PathLike) -> list[Path]:
    """Audio files under `directory` (recursively, by extension), sorted by path."""
    return scan_audio_files(directory)[0]


def scan_audio_files(directory: str | os.PathLike) -> tuple[list[Path], list[dict[str, str]]]:
    """The audio files under `directory` (as `find_audio_files`) and the audio-named entries
    that cannot be read as files (broken symbolic links), each with the reason."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: not a folder of audio files")
    files, skipped = [], []
    for path in directory.rglob("*"):
        if not _is_audio_name(path):
            continue
        if path.is_file():
            files.append(path.resolve())
        elif path.is_symlink() and not path.exists():
            target = os.readlink(path)
            skipped.append(
                {"path": str(path), "reason": f"broken symbolic link (its target {target} is gone)"}
            )
    return sorted(files), sorted(skipped, key=lambda s: s["path"])


def _file_key(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime": round(stat.st_mtime, 6)}


def embed_file(
    trained, path: Path, window_seconds: float = WINDOW_SECONDS
) -> tuple[np.ndarray, dict]:
    """The embedding of one recording (windows averaged by length) and its audio facts.

    Raises `DataError` naming the file when it cannot be decoded or holds no audio. A sound
    shorter than the encoder's shortest input is repeated to that length.
    """
    config = trained.feature_config
    waveform, sample_rate = load_audio(path, sample_rate=config.sample_rate)
    features = compute_features(trained.feature_kind, waveform, config=config)
    min_frames = trained.model.audio_encoder.min_frames
    if features.shape[0] < min_frames:
        # A short sound (a knock, a single call) is repeated until the encoder can take it: the
        # mean over time then stays that of the sound itself, which silence would dilute.
        repeats = -(-min_frames // features.shape[0])
        features = np.tile(features, (repeats, 1))[:min_frames]
    window = max(min_frames, int(round(window_seconds * config.frame_rate)))
    pieces = [features[s : s + window] for s in range(0, features.shape[0], window)]
    if len(pieces) > 1 and pieces[-1].shape[0] < min_frames:
        last = pieces.pop()
        pieces[-1] = np.concatenate([pieces[-1], last])
    vectors = trained.embed_features(pieces)
    weights = np.array([p.shape[0] for p in pieces], dtype=np.float64)
    vector = (vectors * weights[:, None]).sum(0) / weights.sum()
    if trained.config.model.normalize or trained.config.model.score == "cosine":
        vector = vector / max(np.linalg.norm(vector), 1e-12)
    return vector.astype(np.float32), {"duration": waveform.size / sample_rate}


@dataclass
class BuildReport:
    """What a build did: files embedded now, kept from before, dropped, skipped (with why), and
    the audio folder of the previous index when this build replaced it (`replace=True`)."""

    index_dir: Path
    added: list[str]
    kept: int
    removed: list[str]
    skipped: list[dict[str, str]]
    total: int
    replaced: str | None = None
    notes: list[str] = field(default_factory=list)
    settings: IndexSettings | None = None
    choice: str = ""

    def summary(self) -> str:
        lines = [
            f"index {self.index_dir}: {self.total} file(s); {len(self.added)} embedded now, "
            f"{self.kept} unchanged, {len(self.removed)} removed, {len(self.skipped)} skipped"
        ]
        if self.settings is not None:
            lines.append(f"index type: {describe_settings(self.settings)} ({self.choice})")
        if self.replaced is not None:
            lines.append(
                f"warning: replaced the index of {self.replaced}: its "
                f"{len(self.removed)} entr{'y' if len(self.removed) == 1 else 'ies'} dropped"
            )
        lines.extend(f"note: {note}" for note in self.notes)
        lines.extend(f"skipped {s['path']}: {s['reason']}" for s in self.skipped)
        return "\n".join(lines)


def describe_settings(settings: IndexSettings) -> str:
    """The index type and the parameters that matter for it, in words."""
    if settings.kind == "ivf":
        cells = f"{settings.nlist} cells" if settings.nlist else "4 sqrt(N) cells"
        return f"ivf ({cells}, {settings.nprobe} searched per query)"
    if settings.kind == "hnsw":
        return f"hnsw (M {settings.hnsw_m}, efSearch {settings.ef_search})"
    return f"{settings.kind} (exact search)" if settings.kind == "flat" else settings.kind


def _rebuild_hint(index_dir: Path) -> str:
    return f"build it again with `aacr index build AUDIO_DIR --run RUN_DIR --out {index_dir}`"


def _faiss_ntotal(path: Path) -> int:
    """The vector count in a FAISS file's header (flat, IVF and HNSW files all start with a
    four-byte code, the dimension (int32) and the count (int64)); the whole index is read only
    for another kind of file."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    if len(head) == 16 and head[:4] in (b"IxFI", b"IxF2", b"IwFl", b"IHNf"):
        return struct.unpack("<q", head[8:16])[0]
    return int(_read_faiss(path).ntotal)


def _read_faiss(path: Path):
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        raise DataError(
            f"{path}: not a readable FAISS index ({str(exc).strip().splitlines()[-1]}); "
            f"{_rebuild_hint(path.parent)}"
        ) from exc


def _vector_rows(path: Path) -> int:
    try:
        vectors = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{path}: not a readable vector file ({exc}); {_rebuild_hint(path.parent)}"
        ) from exc
    return int(vectors.shape[0]) if vectors.ndim == 2 else -1


def check_counts(index_dir: Path, manifest: dict[str, Any], ntotal: int | None = None) -> None:
    """`DataError` naming the folder and the fix unless the manifest, `vectors.npy` and
    `index.faiss` hold the same number of rows (`ntotal`: that of an index already read)."""
    counts = {MANIFEST_FILE: len(manifest.get("entries", []))}
    for name in (VECTORS_FILE, FAISS_FILE):
        if not (index_dir / name).is_file():
            raise DataError(
                f"{index_dir}: {name} is missing, the index is incomplete; "
                f"{_rebuild_hint(index_dir)}"
            )
    counts[VECTORS_FILE] = _vector_rows(index_dir / VECTORS_FILE)
    counts[FAISS_FILE] = _faiss_ntotal(index_dir / FAISS_FILE) if ntotal is None else ntotal
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{name} {count}" for name, count in counts.items())
        raise DataError(
            f"{index_dir}: the index files disagree ({listed} rows), it was left half "
            f"written; {_rebuild_hint(index_dir)}"
        )


def _read_json_manifest(index_dir: Path) -> dict[str, Any]:
    path = index_dir / MANIFEST_FILE
    if not path.is_file():
        aside = _aside_copies(index_dir)
        where = f" (an interrupted update left the previous one in {aside[0]})" if aside else ""
        raise DataError(
            f"{path} not found: not a search index{where}; build one with "
            f"`aacr index build AUDIO_DIR --run RUN_DIR --out {index_dir}`"
        )
    try:
        manifest = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"{path}: not a readable manifest ({exc}); {_rebuild_hint(index_dir)}"
        ) from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("entries"), list):
        raise DataError(f"{path}: not an index manifest; {_rebuild_hint(index_dir)}")
    return manifest


def read_manifest(index_dir: str | os.PathLike) -> dict[str, Any]:
    """The manifest of an index, after checking that its three files agree (`DataError`
    naming the fix otherwise)."""
    index_dir = Path(index_dir)
    manifest = _read_json_manifest(index_dir)
    check_counts(index_dir, manifest)
    return manifest


# --- the all-or-nothing swap of an index folder ----------------------------------------------

_INDEX_NAMES = {MANIFEST_FILE, VECTORS_FILE, FAISS_FILE}


def _aside_copies(out: Path) -> list[Path]:
    """Previous indexes renamed aside by a swap that did not finish, newest first."""
    if not out.parent.is_dir():
        return []
    found = [p for p in out.parent.glob(f".{out.name}.old-*") if (p / MANIFEST_FILE).is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _lock(out: Path) -> FileLock:
    out.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(out.parent / f".{out.name}.lock"))


def _restore_aside(out: Path) -> None:
    """Put back the previous index when a crash came between the two renames of a swap."""
    with _lock(out):
        if out.exists():
            return
        aside = _aside_copies(out)
        if aside:
            os.replace(aside[0], out)


def _check_target(out: Path) -> None:
    """Refuse to swap away a folder that is not an index (it would be deleted)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file, not an index folder; choose another --out")
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir() if p.name not in _INDEX_NAMES)
        if others and not (out / MANIFEST_FILE).is_file():
            raise ConfigError(
                f"{out} holds other files ({', '.join(others[:3])}"
                f"{', …' if len(others) > 3 else ''}), not an index; choose a new or empty "
                "folder for --out"
            )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_index_folder(folder: Path, vectors: np.ndarray, index, manifest: dict[str, Any]) -> None:
    """Write the three files into `folder` and check them as they are on disk."""
    folder.mkdir()
    with open(folder / VECTORS_FILE, "wb") as handle:
        np.save(handle, vectors)
    faiss.write_index(index, str(folder / FAISS_FILE))
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1) + "\n")
    for name in (VECTORS_FILE, FAISS_FILE, MANIFEST_FILE):
        _fsync(folder / name)
    expected = len(manifest["entries"])
    if not (index.ntotal == expected == len(vectors)):
        raise DataError(
            f"{folder}: built {index.ntotal} FAISS rows, {len(vectors)} vectors and "
            f"{expected} entries; not swapping it in"
        )
    written = _read_json_manifest(folder)
    reread = _read_faiss(folder / FAISS_FILE)
    if reread.ntotal != expected or reread.d != vectors.shape[1]:
        raise DataError(
            f"{folder / FAISS_FILE}: read back {reread.ntotal} rows of dimension {reread.d}, "
            f"wrote {expected} of {vectors.shape[1]} (a truncated write?); not swapping it in"
        )
    check_counts(folder, written, ntotal=int(reread.ntotal))


def _swap_in(new: Path, out: Path) -> None:
    """Rename `out` aside, `new` into its place, then remove the old one. At every moment
    either `out` or the folder aside holds a complete index."""
    with _lock(out):
        old = replace_folder(new, out)
        stale = _aside_copies(out)
    for path in [old, *stale]:
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)


def build_index(
    audio_dir: str | os.PathLike,
    run_dir: str | os.PathLike,
    out: str | os.PathLike,
    settings: IndexSettings | None = None,
    device: str = "cpu",
    progress: bool = True,
    replace: bool = False,
) -> BuildReport:
    """Embed the recordings of `audio_dir` with the run's model into the index folder `out`.

    An existing index of the same run and audio folder is updated: only new or changed files
    are embedded, files that no longer exist are dropped. Unreadable or empty files and broken
    symbolic links are reported and skipped. An index of another audio folder is replaced only
    with `replace=True` (`ConfigError` otherwise); a folder without audio is a `DataError`.
    The new index is written beside `out`, checked, then swapped in as a whole.
    """
    out = Path(out)
    audio_dir = Path(audio_dir)
    files, skipped = scan_audio_files(audio_dir)
    if not files:
        what = f" ({len(skipped)} unreadable)" if skipped else ""
        raise DataError(
            f"{audio_dir}: no audio files{what} ({', '.join(sorted(AUDIO_EXTENSIONS))}); "
            "nothing to index"
        )
    _restore_aside(out)
    _check_target(out)
    trained = load_trained(run_dir, device)
    info = trained.run.info()
    audio_root = str(audio_dir.resolve())
    previous: dict[str, Any] | None = None
    old_vectors = None
    notes: list[str] = []
    replaced = None
    if (out / MANIFEST_FILE).is_file():
        try:
            previous = _read_json_manifest(out)
            check_counts(out, previous)
            old_vectors = np.load(out / VECTORS_FILE)
        except DataError as exc:
            notes.append(f"the previous index was unusable and is rebuilt in full ({exc})")
            previous, old_vectors = None, None
    if previous is not None:
        if previous.get("config_hash") != info.get("config_hash"):
            raise ConfigError(
                f"{out} was built with run {previous.get('run_name')}, not "
                f"{trained.run.name}; choose another --out for this run"
            )
        if previous.get("audio_dir") != audio_root:
            if not replace:
                raise ConfigError(
                    f"{out} indexes {previous.get('audio_dir')}, not {audio_root}; updating it "
                    f"would drop its {len(previous['entries'])} entries: pass --replace "
                    "(replace=True) to replace it, or choose another --out"
                )
            replaced = str(previous.get("audio_dir"))
        if settings is None:
            # an index whose type was chosen automatically is chosen again for its new size;
            # one of a requested type (or from before `auto`) keeps it
            requested = (previous.get("index_choice") or {}).get("requested")
            settings = (
                IndexSettings("auto")
                if requested == "auto"
                else settings_from_manifest(previous["index"])
            )
    settings = settings or IndexSettings()

    old_entries = (
        {e["path"]: (row, e) for row, e in enumerate(previous["entries"])} if previous else {}
    )
    entries: list[dict[str, Any]] = []
    rows: list[np.ndarray] = []
    added, kept = [], 0
    listed = {str(p) for p in files}
    removed = [path for path in old_entries if path not in listed]
    for path in tqdm(files, desc="embedding audio", unit="file", disable=not progress):
        key = _file_key(path)
        old = old_entries.get(str(path))
        if old is not None and all(old[1].get(k) == v for k, v in key.items()):
            entries.append(old[1])
            rows.append(old_vectors[old[0]])
            kept += 1
            continue
        try:
            vector, facts = embed_file(trained, path)
        except DataError as exc:
            skipped.append({"path": str(path), "reason": str(exc).removeprefix(f"{path}: ")})
            continue
        entries.append({"path": str(path), **key, **facts})
        rows.append(vector)
        added.append(str(path))
    skipped.sort(key=lambda s: s["path"])
    if not entries:
        raise DataError(
            f"{audio_dir}: none of its {len(files)} audio file(s) could be embedded (first: "
            f"{skipped[0]['path']}: {skipped[0]['reason']}); nothing to index"
        )

    dim = trained.model.embed_dim
    vectors = np.stack(rows).astype(np.float32)
    metric = faiss_metric(trained.config.model.score)
    resolved, choice = resolve_settings(settings, len(vectors))
    index = make_faiss_index(vectors, metric, resolved)
    manifest = {
        "format": FORMAT_VERSION,
        "run": str(trained.run.path.resolve()),
        "run_name": trained.run.name,
        "experiment": info.get("experiment"),
        "config_hash": info.get("config_hash"),
        "feature_kind": trained.feature_kind,
        "score": trained.config.model.score,
        "metric": metric,
        "dim": int(dim),
        "index": resolved.__dict__,
        "index_choice": {"requested": settings.kind, "reason": choice},
        "audio_dir": audio_root,
        "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "entries": entries,
        "skipped": skipped,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    building = sibling(out, "building")
    try:
        _write_index_folder(building, vectors, index, manifest)
        _swap_in(building, out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return BuildReport(
        out, added, kept, removed, skipped, len(entries), replaced, notes, resolved, choice
    )


@dataclass(frozen=True)
class SearchHit:
    rank: int
    score: float
    path: str
    duration: float | None


class SearchIndex:
    """A built index, ready for queries: `SearchIndex(path).search("a dog barks", k=10)`.

    The exact kind (`flat`) is searched in the stored vectors (`vectors.npy`, memory-mapped)
    with `aacr_lib.retrieval.search.exact_search`, which is faster than FAISS's flat index for
    one query and for batches (`benchmarks/bench_search.py`); its `index.faiss` is read only
    when `index` is asked for. IVF and HNSW indexes are searched with FAISS, with the
    `nprobe` / `efSearch` of the manifest.
    """

    def __init__(
        self,
        index_dir: str | os.PathLike,
        run_dir: str | os.PathLike | None = None,
        device: str = "cpu",
    ) -> None:
        self.path = Path(index_dir)
        self.manifest = _read_json_manifest(self.path)
        check_counts(self.path, self.manifest)
        self.settings = settings_from_manifest(self.manifest.get("index", {"kind": "flat"}))
        self.metric: str = self.manifest["metric"]
        self._faiss = None
        self._half_norms: np.ndarray | None = None
        self.vectors: np.ndarray | None = None
        if self.settings.kind == "flat":
            self.vectors = _load_vectors(self.path / VECTORS_FILE)
        else:
            self._faiss = _read_faiss(self.path / FAISS_FILE)
            check_counts(self.path, self.manifest, ntotal=int(self._faiss.ntotal))
            _apply_search_settings(self._faiss, self.settings)
        run = run_dir or self.manifest["run"]
        if not Path(run).is_dir():
            raise DataError(
                f"{run}: the run this index was built with is gone; pass its new place "
                "with --run RUN_DIR"
            )
        self.trained = load_trained(run, device)
        self.entries: list[dict[str, Any]] = self.manifest["entries"]

    @property
    def index(self):
        """The FAISS index of the folder (read on first use for the exact kind)."""
        if self._faiss is None:
            self._faiss = _read_faiss(self.path / FAISS_FILE)
            check_counts(self.path, self.manifest, ntotal=int(self._faiss.ntotal))
            _apply_search_settings(self._faiss, self.settings)
        return self._faiss

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        return self.search_many([query], k)[0]

    def search_vectors(self, vectors: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """FAISS-style `(values, ids)` of query embeddings: inner products, or squared
        distances for the `l2` metric; ids -1 where an approximate index found fewer."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        k = min(k, len(self.entries))
        if self.vectors is not None:
            if self.metric == "l2" and self._half_norms is None:
                self._half_norms = half_squared_norms(self.vectors)
            return exact_search(self.vectors, vectors, k, self.metric, self._half_norms)
        return self.index.search(vectors, k)

    def search_many(self, queries: Sequence[str], k: int = 10) -> list[list[SearchHit]]:
        """The `k` best recordings of each query, best first; an empty query (nothing but
        white space) is a `ConfigError`, not a ranking of arbitrary files."""
        queries = list(queries)
        for query in queries:
            if not isinstance(query, str) or not query.strip():
                raise ConfigError(
                    f'empty search query {query!r}: describe the sound, e.g. "a dog barks"'
                )
        if not self.entries:
            return [[] for _ in queries]
        vectors = self.trained.embed_text(list(queries))
        if self.manifest["score"] == "cosine":
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        values, ids = self.search_vectors(vectors, k)
        results = []
        for row_values, row_ids in zip(values, ids, strict=True):
            hits = []
            for rank, (value, row) in enumerate(zip(row_values, row_ids, strict=True), start=1):
                if row < 0:
                    continue
                entry = self.entries[row]
                score = (
                    float(np.exp(-np.sqrt(max(value, 0.0))))
                    if self.metric == "l2"
                    else float(value)
                )
                hits.append(SearchHit(rank, score, entry["path"], entry.get("duration")))
            results.append(hits)
        return results


def _load_vectors(path: Path) -> np.ndarray:
    """The stored vectors as a read-only float32 memory map (a copy only for another dtype)."""
    try:
        vectors = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{path}: not a readable vector file ({exc}); {_rebuild_hint(path.parent)}"
        ) from exc
    if vectors.dtype != np.float32 or not vectors.flags.c_contiguous:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return vectors


def _apply_search_settings(index, settings: IndexSettings) -> None:
    """The search breadth of the manifest on a FAISS index read from disk."""
    if settings.kind == "ivf" and hasattr(index, "nprobe"):
        index.nprobe = min(settings.nprobe, int(index.nlist))
    elif settings.kind == "hnsw" and hasattr(index, "hnsw"):
        index.hnsw.efSearch = settings.ef_search
