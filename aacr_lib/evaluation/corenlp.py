"""Stanford CoreNLP 3.6.0 for SPICE: where it lives, whether it is there, how to install it.

SPICE parses captions into scene graphs with CoreNLP 3.6.0, whose code and models jars
(about 400 MB) are not shipped by any package: `aacr setup spice` downloads the release zip
`stanford-corenlp-full-2015-12-09.zip` from Stanford, checks its SHA-1, and extracts only the two
jars into `$AACR_CACHE/stanford_corenlp/`. `install_corenlp(zip_path=...)` installs from a zip
downloaded by hand (for a machine without network).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from aacr_lib import assets
from aacr_lib.download import DownloadError, download_file
from aacr_lib.errors import AacrError

ASSET_NAME = "stanford_corenlp"
CORENLP_ZIP = "stanford-corenlp-full-2015-12-09.zip"
CORENLP_ZIP_URL = assets.CORENLP_URL
# SHA-1 of the release zip (its source is named in `aacr_lib.assets`).
CORENLP_ZIP_SHA1 = assets.CORENLP_ZIP_SHA1
CORENLP_JARS = ("stanford-corenlp-3.6.0.jar", "stanford-corenlp-3.6.0-models.jar")
# A class and a model that SPICE's parser loads: a jar without them is not the right one.
_EXPECTED_ENTRIES = {
    "stanford-corenlp-3.6.0.jar": "edu/stanford/nlp/pipeline/StanfordCoreNLP.class",
    "stanford-corenlp-3.6.0-models.jar": "edu/stanford/nlp/models/",
}
SETUP_COMMAND = "aacr setup spice"


@dataclass(frozen=True)
class CoreNLPStatus:
    available: bool
    directory: Path
    reason: str  # why not, when not available
    fix: str

    def message(self) -> str:
        return f"{self.reason}; to get it: {self.fix}"


def corenlp_dir(root: str | os.PathLike | None = None) -> Path:
    return assets.get(ASSET_NAME).directory(root)


def corenlp_status(root: str | os.PathLike | None = None) -> CoreNLPStatus:
    """Whether the two CoreNLP 3.6.0 jars are installed (a cheap check: the files exist)."""
    directory = corenlp_dir(root)
    missing = [name for name in CORENLP_JARS if not (directory / name).is_file()]
    fix = f"`{SETUP_COMMAND}` (downloads about 400 MB once, needs the network)"
    if missing:
        reason = (
            f"Stanford CoreNLP 3.6.0 is not installed ({', '.join(missing)} missing in {directory})"
        )
        return CoreNLPStatus(False, directory, reason, fix)
    return CoreNLPStatus(True, directory, "", fix)


def corenlp_jars(root: str | os.PathLike | None = None) -> list[Path]:
    """The two jars, or `PretrainedUnavailable` naming the command that installs them."""
    directory = assets.require(ASSET_NAME, root)
    return [directory / name for name in CORENLP_JARS]


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _extract_jars(archive: Path, directory: Path) -> list[Path]:
    """Copy the two jars out of the release zip (CRC-checked by zipfile) and check their content."""
    directory.mkdir(parents=True, exist_ok=True)
    installed = []
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = {Path(name).name: name for name in bundle.namelist()}
            for jar in CORENLP_JARS:
                if jar not in members:
                    raise AacrError(f"{archive} does not contain {jar}: not the CoreNLP 3.6.0 zip")
                target = directory / jar
                partial = target.with_name(target.name + ".part")
                with bundle.open(members[jar]) as source, open(partial, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
                with zipfile.ZipFile(partial) as extracted:
                    expected = _EXPECTED_ENTRIES[jar]
                    if not any(name.startswith(expected) for name in extracted.namelist()):
                        partial.unlink()
                        raise AacrError(f"{jar} in {archive} lacks {expected}")
                os.replace(partial, target)
                installed.append(target)
    except zipfile.BadZipFile as exc:
        raise AacrError(f"{archive} is not a valid zip file ({exc}); delete it and rerun") from exc
    return installed


def install_corenlp(
    root: str | os.PathLike | None = None,
    zip_path: str | os.PathLike | None = None,
    keep_zip: bool = False,
    progress: bool = True,
    verify: bool = True,
) -> Path:
    """Install the CoreNLP 3.6.0 jars for SPICE into `$AACR_CACHE/stanford_corenlp/`.

    Downloads the release zip (resumable) unless `zip_path` names a local copy, verifies its
    SHA-1 (unless `verify=False`), extracts the two jars, and removes the downloaded zip unless
    `keep_zip`.
    """
    directory = corenlp_dir(root)
    status = corenlp_status(root)
    if status.available and zip_path is None:
        return directory
    if zip_path is not None:
        archive = Path(zip_path)
        if not archive.is_file():
            raise AacrError(f"{archive} does not exist")
        downloaded = False
    else:
        archive = directory / CORENLP_ZIP
        try:
            download_file(CORENLP_ZIP_URL, archive, progress=progress)
        except DownloadError as exc:
            raise AacrError(
                f"{exc}. Without network, download {CORENLP_ZIP_URL} elsewhere and run "
                f"`{SETUP_COMMAND} --zip PATH`"
            ) from exc
        downloaded = True
    expected_sha1 = CORENLP_ZIP_SHA1
    if verify:
        actual = _sha1(archive)
        if actual != expected_sha1:
            if downloaded:
                archive.unlink(missing_ok=True)
            raise AacrError(
                f"{archive.name}: SHA-1 {actual} differs from the release's {expected_sha1}; "
                "the file is damaged or not the 2015-12-09 release"
                + ("; it was removed, rerun to download it again" if downloaded else "")
            )
    _extract_jars(archive, directory)
    if downloaded and not keep_zip:
        archive.unlink(missing_ok=True)
    return directory
