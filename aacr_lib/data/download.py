"""Downloading Clotho v2.1 from Zenodo (record 4783391) into a Clotho-layout directory.

Result, for each split asked for:

    {root}/clotho_captions_{split}.csv
    {root}/clotho_metadata_{split}.csv
    {root}/{split}/*.wav             extracted from clotho_audio_{split}.7z

Every file is fetched with `aacr_lib.download.download_file` (resume of `.part` files, md5
check). File names and md5 sums are those of the Zenodo record, as listed by the aac-datasets
package (Labbeti/aac-datasets, `src/aac_datasets/datasets/functional/clotho.py`, `_CLOTHO_LINKS`
["v2.1"]). A split whose CSVs match their md5 and whose audio folder holds every file of its
captions CSV is skipped without any network access, so re-running is free.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aacr_lib.audio import AUDIO_EXTENSIONS
from aacr_lib.data.clotho import (
    SPLITS,
    audio_dir,
    captions_csv_path,
    is_safe_file_name,
    parse_captions_csv,
)
from aacr_lib.download import DownloadError, download_file
from aacr_lib.errors import DatasetUnavailable

ZENODO_RECORD = "4783391"
ZENODO_PAGE = f"https://zenodo.org/records/{ZENODO_RECORD}"
# Read at call time (not bound as a default argument) so that tests can point it elsewhere.
ZENODO_URL = f"{ZENODO_PAGE}/files"

ARCHIVES_DIR = "archives"


@dataclass(frozen=True)
class RemoteFile:
    """One file of the Zenodo record: its name there, its md5 and what it holds."""

    name: str
    md5: str
    kind: str  # "captions" | "metadata" | "audio"


CLOTHO_FILES: dict[str, tuple[RemoteFile, ...]] = {
    "development": (
        RemoteFile(
            "clotho_captions_development.csv", "d4090b39ce9f2491908eebf4d5b09bae", "captions"
        ),
        RemoteFile(
            "clotho_metadata_development.csv", "170d20935ecfdf161ce1bb154118cda5", "metadata"
        ),
        RemoteFile("clotho_audio_development.7z", "c8b05bc7acdb13895bb3c6a29608667e", "audio"),
    ),
    "validation": (
        RemoteFile(
            "clotho_captions_validation.csv", "5879e023032b22a2c930aaa0528bead4", "captions"
        ),
        RemoteFile(
            "clotho_metadata_validation.csv", "2e010427c56b1ce6008b0f03f41048ce", "metadata"
        ),
        RemoteFile("clotho_audio_validation.7z", "7dba730be08bada48bd15dc4e668df59", "audio"),
    ),
    "evaluation": (
        RemoteFile(
            "clotho_captions_evaluation.csv", "1b16b9e57cf7bdb7f13a13802aeb57e2", "captions"
        ),
        RemoteFile(
            "clotho_metadata_evaluation.csv", "13946f054d4e1bf48079813aac61bf77", "metadata"
        ),
        RemoteFile("clotho_audio_evaluation.7z", "4569624ccadf96223f19cb59fe4f849f", "audio"),
    ),
}


def _unavailable(root: Path, reason: str) -> DatasetUnavailable:
    files = ", ".join(f.name for split in SPLITS for f in CLOTHO_FILES.get(split, ()))
    return DatasetUnavailable(
        f"Clotho v2.1 cannot be downloaded now: {reason}. To get it: connect to the internet "
        f"and rerun `aacr data clotho --root {root}`; or download the files by hand from "
        f"{ZENODO_PAGE} ({files}) into {root} and rerun the same command, which checks and "
        f"extracts them without network access; or run `aacr data demo` for the offline "
        f"ClothoMix demo data"
    )


def _fetch(remote: RemoteFile, dest: Path, root: Path, timeout: float, progress: bool) -> Path:
    """download_file, with "cannot connect" turned into `DatasetUnavailable`."""
    import requests

    url = f"{ZENODO_URL}/{remote.name}?download=1"
    on_disk = dest.is_file()  # present but, if we get to the network, failing its md5
    try:
        return download_file(url, dest, md5=remote.md5, timeout=timeout, progress=progress)
    except DownloadError as exc:
        if isinstance(exc.__cause__, requests.RequestException):
            reason = f"cannot reach {url}"
            if on_disk:
                reason += f" ({dest} is on disk but its md5 is not {remote.md5})"
            raise _unavailable(root, reason) from exc
        raise


def audio_complete(root: str | os.PathLike, split: str) -> bool:
    """True when the captions CSV exists and every file it lists is in `{root}/{split}/`."""
    rows, _ = parse_captions_csv(captions_csv_path(root, split))
    if not rows:
        return False
    directory = audio_dir(root, split)
    return all((directory / row.file_name).is_file() for row in rows)


def extract_audio_archive(archive: str | os.PathLike, target: str | os.PathLike) -> list[Path]:
    """Extract the audio files of a .7z into `target` (flat), whatever folder they sit in.

    Clotho archives hold `{split}/*.wav`; extracting into a scratch folder and moving files by
    base name makes the layout independent of that inner folder. Entries whose names could
    escape the scratch folder are refused before anything is written.
    """
    import py7zr

    archive = Path(archive)
    target = Path(target)
    scratch = target.parent / f".{target.name}.extracting"
    shutil.rmtree(scratch, ignore_errors=True)  # leftovers of an interrupted run
    scratch.mkdir(parents=True)
    try:
        try:
            with py7zr.SevenZipFile(archive, mode="r") as handle:
                names = handle.getnames()
                unsafe = [n for n in names if not is_safe_file_name(n)]
                if unsafe:
                    raise DownloadError(
                        f"{archive}: refusing to extract entries outside the target: {unsafe[:3]}"
                    )
                handle.extractall(path=scratch)
        except (py7zr.exceptions.ArchiveError, OSError, EOFError) as exc:
            raise DownloadError(
                f"{archive}: cannot extract ({exc}); delete it and rerun to download it again"
            ) from exc
        target.mkdir(parents=True, exist_ok=True)
        moved = []
        for path in sorted(scratch.rglob("*")):
            if path.is_file() and path.suffix.lower() in AUDIO_EXTENSIONS:
                dest = target / path.name
                os.replace(path, dest)
                moved.append(dest)
        return moved
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _download_split(
    root: Path, split: str, timeout: float, progress: bool, keep_archives: bool
) -> None:
    files = {remote.kind: remote for remote in CLOTHO_FILES[split]}
    # CSVs first: the captions CSV is what tells whether the audio is complete.
    for kind in ("captions", "metadata"):
        if kind in files:
            _fetch(files[kind], root / files[kind].name, root, timeout, progress)
    if "audio" not in files or audio_complete(root, split):
        return
    # An archive the user downloaded by hand into the root is used (after its md5 check) and
    # kept; otherwise it is downloaded into archives/ and removed once extracted.
    by_hand = root / files["audio"].name
    archive = by_hand if by_hand.is_file() else root / ARCHIVES_DIR / files["audio"].name
    _fetch(files["audio"], archive, root, timeout, progress)
    extract_audio_archive(archive, audio_dir(root, split))
    if not audio_complete(root, split):
        rows, _ = parse_captions_csv(captions_csv_path(root, split))
        directory = audio_dir(root, split)
        missing = [r.file_name for r in rows if not (directory / r.file_name).is_file()]
        raise DownloadError(
            f"{archive.name} did not provide {len(missing)} file(s) listed in "
            f"{captions_csv_path(root, split).name}, e.g. {missing[:3]}"
        )
    if not keep_archives and archive != by_hand:
        archive.unlink(missing_ok=True)


def download_clotho(
    root: str | os.PathLike,
    splits: Iterable[str] = SPLITS,
    timeout: float = 10.0,
    progress: bool = True,
    keep_archives: bool = False,
) -> Path:
    """Download and unpack Clotho v2.1 splits into `root`; return `root`.

    Idempotent: a split already complete on disk costs no network access. Offline, fails within
    about `timeout` seconds with `DatasetUnavailable`, which says how to get the data by hand.
    A checksum mismatch raises `aacr_lib.download.DownloadError` (the bad file is removed).
    Files downloaded by hand from Zenodo into `root` (CSVs and .7z archives) are verified and
    used without network access. Downloaded archives go to `root/archives/` and are deleted
    after a successful extraction unless `keep_archives`; archives placed by hand are kept.
    """
    root = Path(root)
    splits = list(splits)
    unknown = [s for s in splits if s not in CLOTHO_FILES]
    if unknown:
        raise DatasetUnavailable(
            f"Clotho v2.1 has no split {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(CLOTHO_FILES)}"
        )
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        for split in splits:
            _download_split(root, split, timeout, progress, keep_archives)
    except DatasetUnavailable:
        if created and not any(root.iterdir()):
            root.rmdir()  # leave no empty folder behind a failed first attempt
        raise
    archives = root / ARCHIVES_DIR
    if archives.is_dir() and not any(archives.iterdir()):
        archives.rmdir()
    return root
