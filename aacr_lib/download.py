"""Resumable, checksum-verified downloads (Clotho archives, pretrained weights, jars).

A download goes to `<dest>.part`; an interrupted one resumes with an HTTP Range request; only a
file whose checksum matches is renamed to `dest`. Offline, the first connection fails within
`timeout` seconds with `DownloadError`, which names the URL.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from aacr_lib.errors import AacrError

CHUNK = 1 << 20


class DownloadError(AacrError):
    """A file could not be downloaded or failed its checksum."""


def file_digest(path: str | os.PathLike, algorithm: str = "md5") -> str:
    """Hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(
    path: str | os.PathLike, md5: str | None = None, sha256_prefix: str | None = None
) -> bool:
    """True when the file matches every checksum given (no checksum given: True)."""
    if md5 and file_digest(path, "md5") != md5.lower():
        return False
    if sha256_prefix and not file_digest(path, "sha256").startswith(sha256_prefix.lower()):
        return False
    return True


def download_file(
    url: str,
    dest: str | os.PathLike,
    md5: str | None = None,
    sha256_prefix: str | None = None,
    timeout: float = 10.0,
    progress: bool = True,
) -> Path:
    """Download `url` to `dest` (resuming a `.part` file) and verify it; return `dest`.

    An existing `dest` that matches its checksum is kept without any network access.
    """
    import requests
    from tqdm.auto import tqdm

    dest = Path(dest)
    if dest.is_file() and verify_checksum(dest, md5, sha256_prefix):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        response = requests.get(url, headers=headers, stream=True, timeout=timeout)
    except requests.RequestException as exc:
        raise DownloadError(
            f"cannot reach {url} ({type(exc).__name__}). Check the network connection, or "
            f"download the file by hand to {dest}"
        ) from exc
    with response:
        if response.status_code == 416:  # the .part file is already complete
            pass
        elif response.status_code not in (200, 206):
            raise DownloadError(f"{url} answered HTTP {response.status_code}")
        else:
            if response.status_code == 200:
                offset = 0  # the server ignored the Range header: start over
            total = int(response.headers.get("Content-Length", 0)) + offset
            mode = "ab" if offset else "wb"
            with (
                open(part, mode) as handle,
                tqdm(
                    total=total or None,
                    initial=offset,
                    unit="B",
                    unit_scale=True,
                    desc=dest.name,
                    disable=not progress,
                ) as bar,
            ):
                for block in response.iter_content(CHUNK):
                    handle.write(block)
                    bar.update(len(block))
    if not verify_checksum(part, md5, sha256_prefix):
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{url}: checksum mismatch for {dest.name}; the partial file was removed, rerun to retry"
        )
    os.replace(part, dest)
    return dest
