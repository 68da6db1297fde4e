"""download_clotho against a local HTTP server (127.0.0.1, a thread) serving tiny files."""

from __future__ import annotations

import csv
import hashlib
import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import py7zr
import pytest

import aacr_lib.data.download as dl
from aacr_lib.data.clotho import read_split
from aacr_lib.download import DownloadError
from aacr_lib.errors import DatasetUnavailable

SPLITS = ("development", "validation")


class FileServer:
    """Serves `files[name]` at /files/name, honours `Range: bytes=N-`, logs every request."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                name = self.path.split("?")[0].rsplit("/", 1)[-1]
                range_header = self.headers.get("Range")
                server.requests.append((name, range_header))
                if name not in server.files:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = server.files[name]
                start = 0
                if range_header:
                    start = int(range_header.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:])

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        # A short poll interval keeps shutdown() (and so each test's teardown) fast.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        self.closed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/files"

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.httpd.shutdown()
        self.httpd.server_close()


def _csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _archive_bytes(tmp: Path, split: str, wavs: dict[str, bytes]) -> bytes:
    """A .7z laid out like Clotho's: `{split}/{file_name}` entries."""
    path = tmp / f"{split}.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        for name, data in wavs.items():
            archive.writestr(data, f"{split}/{name}")
    return path.read_bytes()


def _wav_bytes(wav_writer, tmp: Path, seed: int) -> bytes:
    return wav_writer(tmp / f"w{seed}.wav", seconds=0.05, seed=seed).read_bytes()


@pytest.fixture
def zenodo(tmp_path, monkeypatch, wav_writer):
    """A fake Zenodo record with development and validation; the module points at it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    files: dict[str, bytes] = {}
    table: dict[str, tuple[dl.RemoteFile, ...]] = {}
    for s, split in enumerate(SPLITS):
        wavs = {
            f"{split} clip {i}.wav": _wav_bytes(wav_writer, scratch, 10 * s + i) for i in range(3)
        }
        header = ["file_name", *(f"caption_{i}" for i in range(1, 6))]
        captions = [header] + [[n, "a b c", "d e f", "g h i", "j k l", "m n o"] for n in wavs]
        metadata = [["file_name", "keywords", "manufacturer"]] + [
            [n, "k1;k2", "José"] for n in wavs
        ]
        entries = {
            f"clotho_captions_{split}.csv": (_csv_bytes(captions), "captions"),
            f"clotho_metadata_{split}.csv": (_csv_bytes(metadata, "latin-1"), "metadata"),
            f"clotho_audio_{split}.7z": (_archive_bytes(scratch, split, wavs), "audio"),
        }
        table[split] = tuple(
            dl.RemoteFile(name, hashlib.md5(data).hexdigest(), kind)
            for name, (data, kind) in entries.items()
        )
        files.update({name: data for name, (data, _) in entries.items()})
    server = FileServer(files)
    monkeypatch.setattr(dl, "ZENODO_URL", server.url)
    monkeypatch.setattr(dl, "CLOTHO_FILES", table)
    yield server
    server.close()


def test_downloads_and_lays_out_like_clotho(zenodo, tmp_path):
    root = tmp_path / "clotho"
    assert dl.download_clotho(root, splits=SPLITS, progress=False) == root
    for split in SPLITS:
        assert (root / f"clotho_captions_{split}.csv").read_bytes() == zenodo.files[
            f"clotho_captions_{split}.csv"
        ]
        assert (root / f"clotho_metadata_{split}.csv").is_file()
        wavs = sorted(p.name for p in (root / split).iterdir())
        assert wavs == [f"{split} clip {i}.wav" for i in range(3)]
        items = read_split(root, split, require_audio=True)
        assert items[0].metadata["manufacturer"] == "José"
    # Archives are removed after extraction; no scratch folders remain.
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [*SPLITS, *zenodo.files.keys() - {f"clotho_audio_{s}.7z" for s in SPLITS}]
    )
    # Every request went to our table's files, each once, without a Range header.
    assert sorted(name for name, _ in zenodo.requests) == sorted(zenodo.files)
    assert all(r is None for _, r in zenodo.requests)


def test_rerun_does_no_network_io(zenodo, tmp_path):
    root = tmp_path / "clotho"
    dl.download_clotho(root, splits=SPLITS, progress=False)
    count = len(zenodo.requests)
    dl.download_clotho(root, splits=SPLITS, progress=False)
    assert len(zenodo.requests) == count
    zenodo.close()  # even with the server gone, a complete tree needs nothing
    dl.download_clotho(root, splits=SPLITS, progress=False)


def test_keep_archives(zenodo, tmp_path):
    root = tmp_path / "clotho"
    dl.download_clotho(root, splits=["validation"], progress=False, keep_archives=True)
    assert (root / "archives" / "clotho_audio_validation.7z").is_file()
    assert not (root / "development").exists()


def test_missing_audio_is_fetched_again(zenodo, tmp_path):
    root = tmp_path / "clotho"
    dl.download_clotho(root, splits=["development"], progress=False)
    (root / "development" / "development clip 1.wav").unlink()
    before = len(zenodo.requests)
    dl.download_clotho(root, splits=["development"], progress=False)
    assert [n for n, _ in zenodo.requests[before:]] == ["clotho_audio_development.7z"]
    assert (root / "development" / "development clip 1.wav").is_file()


def test_checksum_mismatch(zenodo, tmp_path, monkeypatch):
    table = dict(dl.CLOTHO_FILES)
    captions, metadata, audio = table["development"]
    table["development"] = (dl.RemoteFile(captions.name, "0" * 32, "captions"), metadata, audio)
    monkeypatch.setattr(dl, "CLOTHO_FILES", table)
    root = tmp_path / "clotho"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        dl.download_clotho(root, splits=["development"], progress=False)
    assert not (root / captions.name).exists()
    assert not (root / (captions.name + ".part")).exists()


def test_resumes_partial_archive(zenodo, tmp_path):
    root = tmp_path / "clotho"
    name = "clotho_audio_development.7z"
    data = zenodo.files[name]
    half = len(data) // 2
    part = root / "archives" / (name + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:half])
    dl.download_clotho(root, splits=["development"], progress=False)
    assert (name, f"bytes={half}-") in zenodo.requests
    assert len(list((root / "development").iterdir())) == 3
    assert not part.exists()


def test_corrupt_archive_explains(zenodo, tmp_path, monkeypatch):
    name = "clotho_audio_validation.7z"
    zenodo.files[name] = b"not a 7z archive at all"
    table = dict(dl.CLOTHO_FILES)
    captions, metadata, _ = table["validation"]
    bad = dl.RemoteFile(name, hashlib.md5(zenodo.files[name]).hexdigest(), "audio")
    table["validation"] = (captions, metadata, bad)
    monkeypatch.setattr(dl, "CLOTHO_FILES", table)
    with pytest.raises(DownloadError, match="cannot extract"):
        dl.download_clotho(tmp_path / "clotho", splits=["validation"], progress=False)


def test_archive_without_listed_file(zenodo, tmp_path, monkeypatch, wav_writer):
    name = "clotho_audio_validation.7z"
    wavs = {"validation clip 0.wav": _wav_bytes(wav_writer, tmp_path, 1)}
    zenodo.files[name] = _archive_bytes(tmp_path, "validation", wavs)
    table = dict(dl.CLOTHO_FILES)
    captions, metadata, _ = table["validation"]
    table["validation"] = (
        captions,
        metadata,
        dl.RemoteFile(name, hashlib.md5(zenodo.files[name]).hexdigest(), "audio"),
    )
    monkeypatch.setattr(dl, "CLOTHO_FILES", table)
    with pytest.raises(DownloadError, match="did not provide 2 file"):
        dl.download_clotho(tmp_path / "clotho", splits=["validation"], progress=False)


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_fails_fast_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(dl, "ZENODO_URL", f"http://127.0.0.1:{_unused_port()}/files")
    root = tmp_path / "clotho"
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable) as info:
        dl.download_clotho(root, splits=["development"], timeout=2.0, progress=False)
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert "https://zenodo.org/records/4783391" in message
    assert "clotho_audio_development.7z" in message
    assert f"aacr data clotho --root {root}" in message
    assert "aacr data demo" in message


def test_files_placed_by_hand_work_offline(zenodo, tmp_path, monkeypatch):
    root = tmp_path / "clotho"
    root.mkdir()
    for name, data in zenodo.files.items():
        if "validation" in name:
            (root / name).write_bytes(data)
    monkeypatch.setattr(dl, "ZENODO_URL", f"http://127.0.0.1:{_unused_port()}/files")
    dl.download_clotho(root, splits=["validation"], progress=False)
    assert len(read_split(root, "validation", require_audio=True)) == 3
    assert (root / "clotho_audio_validation.7z").is_file()  # the user's file is kept
    assert zenodo.requests == []


def test_offline_with_corrupt_hand_download_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(dl, "ZENODO_URL", f"http://127.0.0.1:{_unused_port()}/files")
    root = tmp_path / "clotho"
    root.mkdir()
    (root / "clotho_captions_validation.csv").write_text("file_name\n")
    with pytest.raises(DatasetUnavailable, match="is on disk but its md5 is not"):
        dl.download_clotho(root, splits=["validation"], progress=False)


def test_offline_leaves_no_empty_root(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(dl, "ZENODO_URL", f"http://127.0.0.1:{_unused_port()}/files")
    with pytest.raises(DatasetUnavailable):
        dl.download_clotho(tmp_path / "new" / "clotho", splits=["validation"], progress=False)
    assert not (tmp_path / "new" / "clotho").exists()


def test_offline_cli_exit_code(tmp_path, monkeypatch, capsys):
    from aacr_lib.cli import main

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(dl, "ZENODO_URL", f"http://127.0.0.1:{_unused_port()}/files")
    code = main(["data", "clotho", "--root", str(tmp_path / "c"), "--splits", "validation"])
    assert code == 2
    assert "aacr data demo" in capsys.readouterr().err


def test_unknown_split(tmp_path):
    with pytest.raises(DatasetUnavailable, match="no split 'test'"):
        dl.download_clotho(tmp_path, splits=["test"], progress=False)


def test_real_table_is_complete():
    assert set(dl.CLOTHO_FILES) == {"development", "validation", "evaluation"}
    for split, files in dl.CLOTHO_FILES.items():
        assert {f.kind for f in files} == {"captions", "metadata", "audio"}
        names = {f.name for f in files}
        assert names == {
            f"clotho_captions_{split}.csv",
            f"clotho_metadata_{split}.csv",
            f"clotho_audio_{split}.7z",
        }
        assert all(len(f.md5) == 32 and int(f.md5, 16) >= 0 for f in files)
    assert dl.ZENODO_URL == "https://zenodo.org/records/4783391/files"
