"""`download_file` against a local HTTP server: resume with Range, restart, checksum, offline."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time

import pytest

from aacr_lib.download import DownloadError, download_file

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, every byte value


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        server.requests.append(self.headers.get("Range"))
        body, start = server.body, 0
        range_header = self.headers.get("Range")
        if range_header and server.honours_range:
            start = int(range_header.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        rest = body[start:]
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        if server.cut_after is not None:
            # the connection drops: a few bytes arrive, then the server closes it
            self.wfile.write(rest[: server.cut_after])
            self.wfile.flush()
            server.cut_after = None
            self.close_connection = True
            return
        self.wfile.write(rest)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.body = PAYLOAD
    httpd.requests = []
    httpd.honours_range = True
    httpd.cut_after = None
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/weights.pth"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


MD5 = hashlib.md5(PAYLOAD).hexdigest()


def test_an_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    dest = tmp_path / "cache" / "weights.pth"
    part = dest.with_name(dest.name + ".part")
    server.cut_after = 300_000
    with pytest.raises(DownloadError, match="rerun to resume") as error:
        download_file(server.url, dest, md5=MD5, progress=False)
    assert server.url in str(error.value) and str(dest) in str(error.value)
    kept = part.stat().st_size  # the whole chunks that arrived before the drop
    assert not dest.exists() and 0 < kept <= 300_000
    assert download_file(server.url, dest, md5=MD5, progress=False) == dest
    assert server.requests == [None, f"bytes={kept}-"]
    assert dest.read_bytes() == PAYLOAD and not part.exists()
    # complete and verified: a third call needs no network
    assert download_file(server.url, dest, md5=MD5, progress=False) == dest
    assert len(server.requests) == 2


def test_a_server_that_ignores_range_restarts_the_file(server, tmp_path):
    dest = tmp_path / "weights.pth"
    dest.with_name(dest.name + ".part").write_bytes(b"stale beginning")
    server.honours_range = False
    download_file(server.url, dest, md5=MD5, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_a_complete_part_file_is_finished_without_a_new_body(server, tmp_path):
    dest = tmp_path / "weights.pth"
    dest.with_name(dest.name + ".part").write_bytes(PAYLOAD)
    download_file(server.url, dest, md5=MD5, progress=False)
    assert server.requests == [f"bytes={len(PAYLOAD)}-"] and dest.read_bytes() == PAYLOAD


def test_a_part_file_longer_than_the_file_starts_over(server, tmp_path):
    dest = tmp_path / "weights.pth"
    dest.with_name(dest.name + ".part").write_bytes(PAYLOAD + b"junk")
    download_file(server.url, dest, progress=False)  # no checksum: the size must catch it
    assert server.requests == [f"bytes={len(PAYLOAD) + 4}-", None]
    assert dest.read_bytes() == PAYLOAD


def test_a_checksum_mismatch_removes_the_partial_file(server, tmp_path):
    dest = tmp_path / "weights.pth"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_file(server.url, dest, md5="0" * 32, progress=False)
    assert not dest.exists() and not dest.with_name(dest.name + ".part").exists()


def test_the_progress_bar_names_the_file(server, tmp_path, capsys):
    download_file(server.url, tmp_path / "weights.pth", md5=MD5, progress=True)
    err = capsys.readouterr().err
    assert "weights.pth" in err and "100%" in err


def test_offline_fails_within_seconds_naming_the_url_and_the_target(tmp_path):
    url = "http://127.0.0.1:9/vggish-10086976.pth"  # the discard port: nothing listens
    dest = tmp_path / "cache" / "vggish" / "vggish-10086976.pth"
    start = time.monotonic()
    with pytest.raises(DownloadError) as error:
        download_file(url, dest, sha256_prefix="10086976", progress=False)
    assert time.monotonic() - start < 5
    message = str(error.value)
    assert url in message and str(dest) in message
    assert not (tmp_path / "cache").exists()  # a failed try leaves no empty folders behind
