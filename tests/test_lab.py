"""`make lab`: JupyterLab on the project's environment, serving the notebooks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def test_make_lab_starts_jupyterlab_from_the_project_environment():
    dry_run = subprocess.run(
        ["make", "-n", "lab"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert ".venv/bin/jupyter lab notebooks" in dry_run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_jupyterlab_serves_the_chapters(tmp_path):
    port = free_port()
    jupyter = Path(sys.executable).parent / "jupyter"
    server = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "notebooks",
            "--no-browser",
            f"--port={port}",
            "--IdentityProvider.token=rehearsal",
            "--ServerApp.ip=127.0.0.1",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"JUPYTER_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents/03_captioning_baseline.ipynb?token=rehearsal&content=0"
        deadline, body = time.monotonic() + 60, None
        while time.monotonic() < deadline and body is None:
            try:
                body = urllib.request.urlopen(url, timeout=2).read().decode()
            except OSError:
                time.sleep(0.5)
        assert body is not None, "JupyterLab did not answer within 60 s"
        assert '"type": "notebook"' in body or '"type":"notebook"' in body
        lab = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token=rehearsal", timeout=5)
        assert lab.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
