"""Resumable, checksum-verified downloads (Clotho archives, pretrained weights, jars).

A download goes to `<dest>.part`; a later call resumes it with an HTTP Range request when the
server honours one (else it starts over); only a complete file whose checksum matches is renamed
to `dest`, so `dest` is never a partial file. A tqdm bar shows the progress. Offline, the first
connection fails within `timeout` seconds (at once when the host name does not resolve) with a
`DownloadError` naming the URL and the target path; a connection lost midway keeps the `.part`
file for the next call to resume.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from aacr_lib.errors import AacrError

CHUNK = 1 << 20
# Bytes read from the network at a time: a dropped connection loses at most the chunk it was
# reading (urllib3 discards an incomplete one), the rest stays in the `.part` file.
STREAM_CHUNK = 1 << 16
# Seconds to wait for the next bytes of an established download: long enough for a slow
# server, short enough that a dead connection does not hang `aacr setup`.
READ_TIMEOUT = 60.0


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


def _reason(exc: Exception, timeout: float) -> str:
    """A short reason for a failed connection (requests' own message is a screenful)."""
    import requests

    text = str(exc)
    if isinstance(exc, requests.ConnectTimeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, requests.ReadTimeout):
        return f"no data for {READ_TIMEOUT:g} s"
    if "NameResolution" in text or "Name or service not known" in text or "resolve" in text:
        return "the host name does not resolve: offline?"
    if "Connection refused" in text:
        return "connection refused"
    return type(exc).__name__


def _total_from_content_range(value: str | None) -> int | None:
    """`bytes 100-199/200` or `bytes */200` → 200 (None when absent or unknown)."""
    if not value or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


def _unreachable(url: str, dest: Path, exc: Exception, timeout: float) -> DownloadError:
    return DownloadError(
        f"cannot reach {url} ({_reason(exc, timeout)}) to download {dest}. Check the network "
        f"connection, or download that URL by hand to {dest}"
    )


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
    `timeout` bounds the connection; a download that stalls for `READ_TIMEOUT` seconds stops.
    """
    import requests

    dest = Path(dest)
    if dest.is_file() and verify_checksum(dest, md5, sha256_prefix):
        return dest
    part = dest.with_name(dest.name + ".part")
    for attempt in range(2):  # the second one starts over when the .part cannot be resumed
        offset = part.stat().st_size if part.exists() else 0
        # identity: a compressed body would not match Content-Length nor resume by bytes
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = requests.get(
                url, headers=headers, stream=True, timeout=(timeout, READ_TIMEOUT)
            )
        except requests.RequestException as exc:
            raise _unreachable(url, dest, exc, timeout) from exc
        with response:
            status = response.status_code
            if status == 416 and offset:
                # Nothing left after `offset`: the .part is complete when its size is the
                # file's; otherwise it is not this file's beginning, so start over.
                total = _total_from_content_range(response.headers.get("Content-Range"))
                if total == offset:
                    break
                part.unlink()
                continue
            if status not in (200, 206):
                raise DownloadError(f"{url} answered HTTP {status} (downloading {dest})")
            if status == 206:
                content_range = response.headers.get("Content-Range", "")
                if not content_range.startswith(f"bytes {offset}-"):
                    part.unlink(missing_ok=True)
                    if attempt == 0:
                        continue
                    raise DownloadError(f"{url} answered a range it was not asked for")
                total = _total_from_content_range(content_range)
            else:
                offset = 0  # the server ignored the Range header: start over
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
            _stream(response, part, offset, total, url, dest, progress, timeout)
        break
    if not verify_checksum(part, md5, sha256_prefix):
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{url}: checksum mismatch for {dest.name}; the partial file was removed, rerun to retry"
        )
    os.replace(part, dest)
    return dest


def _stream(response, part: Path, offset: int, total, url, dest: Path, progress, timeout) -> None:
    """Write the body after `offset` bytes to `part`; check it is complete when the size is known."""
    import requests
    from tqdm.auto import tqdm

    encoded = response.headers.get("Content-Encoding", "identity") not in ("identity", "")
    part.parent.mkdir(parents=True, exist_ok=True)  # only now: an offline try leaves no folder
    with (
        open(part, "ab" if offset else "wb") as handle,
        tqdm(
            total=total,
            initial=offset,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=dest.name,
            disable=not progress,
        ) as bar,
    ):
        try:
            for block in response.iter_content(STREAM_CHUNK):
                handle.write(block)
                bar.update(len(block))
        except requests.RequestException as exc:
            handle.flush()
            raise DownloadError(
                f"download of {url} to {dest} stopped after {handle.tell()} bytes "
                f"({_reason(exc, timeout)}); {part} is kept: rerun to resume"
            ) from exc
    size = part.stat().st_size
    if total is not None and not encoded and size != total:
        raise DownloadError(
            f"download of {url} to {dest} ended after {size} of {total} bytes; "
            f"{part} is kept: rerun to resume"
        )
