"""Install the project into a virtual environment: uv when it can be had, plain pip otherwise.

    python3 scripts/install_env.py [--venv .venv] [--extras dev] [--installer auto|uv|pip]
                                   [--compile-bytecode]

`make setup` runs this (standard library only: it runs before anything is installed).

- The environment is created with `python -m venv` when it is missing; a Python already in it
  (and an installed torch build, e.g. CUDA on a GPU server) is kept.
- `auto` (the default, or `AACR_INSTALLER`) updates the environment's pip and installs uv
  into it, lets pip resolve what to install (`pip install --dry-run --report`: pip's own
  choice of versions and wheels, with all of its configuration — index URLs, find-links such
  as a local folder holding the pinned torch wheel, constraints), then installs exactly those
  files with `uv pip install --no-deps`. The settings uv needs for that (indexes for build
  dependencies, certificates, timeouts) are translated from `pip config list` (the files and
  the `PIP_*` variables). A pip setting this script cannot translate, uv that cannot be
  installed, or a uv install that fails: the install falls back to plain pip, saying why.
- Bytecode: uv compiles none by default, and `make` lets Python write each module's bytecode
  when it is first imported (it clears `PYTHONDONTWRITEBYTECODE` for its commands): the book
  imports about a quarter of the 20,000 installed files, and compiling all of them here took
  37 s of a 68 s install on two cores. `--compile-bytecode` (or `AACR_COMPILE_BYTECODE=1`)
  compiles everything now, for an environment that will be read-only or used with
  `PYTHONDONTWRITEBYTECODE` set (then every process would compile torch again).
- The installer that ran, its version and the seconds it took are printed and written into the
  environment's stamp file `.aacr-installed` (which `make` uses to skip a finished install).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMP_NAME = ".aacr-installed"

# pip settings with a uv counterpart: pip key -> (uv option, whether pip allows several values).
UV_OPTIONS = {
    "index-url": ("--index-url", False),
    "extra-index-url": ("--extra-index-url", True),
    "find-links": ("--find-links", True),
    "constraint": ("--constraint", True),
    "trusted-host": ("--allow-insecure-host", True),
}
# pip settings uv takes from the environment instead: pip key -> variable.
UV_VARIABLES = {
    "cert": "SSL_CERT_FILE",
    "default-timeout": "UV_HTTP_TIMEOUT",
    "proxy": "HTTPS_PROXY",
}
# pip settings that change nothing about what gets installed.
IGNORED = {
    "disable-pip-version-check",
    "no-python-version-warning",
    "progress-bar",
    "quiet",
    "verbose",
    "no-color",
    "root-user-action",
    "retries",
    "timeout",
    "cache-dir",
    "no-cache-dir",
    "break-system-packages",
    "no-input",
}
CONFIG_LINE = re.compile(r"^(?P<scope>[^.]*)\.(?P<key>[a-z0-9-]+)=(?P<value>.*)$")


class Fallback(Exception):
    """uv cannot honour this machine's pip set-up: install with pip instead."""


def pip_settings(python: Path) -> dict[str, list[str]]:
    """pip's effective settings (files and `PIP_*` variables), later scopes overriding earlier
    ones as pip applies them: global < user < site < environment."""
    listed = subprocess.run(
        [str(python), "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_pip_config(listed)


def parse_pip_config(listed: str) -> dict[str, list[str]]:
    """Settings from `pip config list`'s lines `scope.key='value'`; a later scope wins."""
    order = {"global": 0, "user": 1, "site": 2, ":env:": 3}
    found: dict[str, tuple[int, list[str]]] = {}
    for line in listed.splitlines():
        match = CONFIG_LINE.match(line.strip())
        if not match:
            continue
        rank = order.get(match["scope"], 0)
        key, raw = match["key"], match["value"]
        value = raw[1:-1] if raw[:1] == raw[-1:] and raw[:1] in "'\"" else raw
        if key not in found or rank >= found[key][0]:
            found[key] = (rank, value.split())
    return {key: values for key, (_, values) in found.items()}


def uv_arguments(settings: dict[str, list[str]]) -> tuple[list[str], dict[str, str]]:
    """uv options and environment variables equivalent to pip's settings; `Fallback` on a
    setting with no translation (so that nothing pip would honour is dropped silently)."""
    arguments: list[str] = ["--index-strategy", "unsafe-best-match"]
    variables: dict[str, str] = {}
    for key, values in sorted(settings.items()):
        if key in IGNORED:
            continue
        if key == "no-index":
            if values and values[0].lower() in {"1", "true", "yes", "on"}:
                arguments.append("--no-index")
        elif key in UV_OPTIONS:
            option, several = UV_OPTIONS[key]
            for value in values if several else values[:1]:
                arguments += [option, value]
        elif key in UV_VARIABLES:
            variables[UV_VARIABLES[key]] = values[0]
        else:
            raise Fallback(f"pip setting {key!r} has no uv counterpart here")
    return arguments, variables


def run(command: list[str], environment: dict[str, str] | None = None) -> None:
    print("+", shlex.join(command), flush=True)
    subprocess.run(command, check=True, env=environment)


def install_with_uv(python: Path, target: list[str], compile_bytecode: bool = False) -> str:
    """Install `target` in `python`'s environment: pip resolves, uv installs; returns uv's
    version. pip's resolution (`pip install --dry-run --report`) is pip's own, with every
    setting of its configuration; uv then installs exactly the files pip chose (`--no-deps`),
    where most of pip's time goes. (uv resolving alone is faster still, but it takes a version
    from the first index that has it, where pip takes the wheel that best fits the platform
    from all of them: a pure-Python build instead of one with its native library.)"""
    arguments, variables = uv_arguments(pip_settings(python))
    try:
        run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip", "uv"])
    except subprocess.CalledProcessError as error:
        raise Fallback(f"uv could not be installed ({error})") from error
    uv = python.parent / "uv"
    version = subprocess.run([str(uv), "--version"], capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [str(python), "-m", "pip", "install", "--quiet", "--dry-run"]
        run([*command, "--report", str(report), *target])
        files, editable = planned_files(json.loads(report.read_text(encoding="utf-8")))
    environment = {**os.environ, **variables}
    # uv compiles no bytecode by default (pip compiles all of it): see the module docstring
    compiling = ("--compile-bytecode",) if compile_bytecode else ()
    install = [
        *(str(uv), "pip", "install", "--python", str(python)),
        *("--no-deps", *compiling, *arguments),
    ]
    try:
        if files:
            run([*install, *files], environment)
        for path in editable:
            run([*install, "-e", path], environment)
    except subprocess.CalledProcessError as error:
        raise Fallback(f"uv pip install failed ({error})") from error
    return version.strip() or "uv"


def planned_files(report: dict) -> tuple[list[str], list[str]]:
    """From pip's installation report: the file URLs (or `name @ URL` for a direct reference)
    to install, and the local folders to install editable."""
    files, editable = [], []
    for item in report.get("install", []):
        info = item["download_info"]
        url = info["url"]
        if info.get("dir_info", {}).get("editable"):
            editable.append(_local_path(url))
        elif item.get("is_direct") or "vcs_info" in info or "dir_info" in info:
            files.append(f"{item['metadata']['name']} @ {url}")
        else:
            files.append(url)
    return files, editable


def _local_path(url: str) -> str:
    parsed = urllib.parse.urlparse(url)
    return urllib.request.url2pathname(parsed.path) if parsed.scheme == "file" else url


def install_with_pip(python: Path, target: list[str]) -> str:
    run([str(python), "-m", "pip", "install", "--quiet", *target])
    version = subprocess.run(
        [str(python), "-m", "pip", "--version"], capture_output=True, text=True
    ).stdout
    return " ".join(version.split()[:2]) or "pip"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--extras", default="dev")
    parser.add_argument(
        "--installer",
        choices=("auto", "uv", "pip"),
        default=os.environ.get("AACR_INSTALLER", "auto"),
    )
    parser.add_argument(
        "--compile-bytecode",
        action="store_true",
        default=os.environ.get("AACR_COMPILE_BYTECODE", "") not in ("", "0"),
        help="compile every installed module now (default: on first import)",
    )
    args = parser.parse_args(argv)
    python = args.venv / "bin" / "python"
    if not python.exists():
        print(f"creating {args.venv}", flush=True)
        venv.EnvBuilder(with_pip=True).create(args.venv)
    extras = f"[{args.extras}]" if args.extras else ""
    target = ["-e", f"{ROOT}{extras}"]
    start = time.perf_counter()
    installed, reason = "", ""
    if args.installer in {"auto", "uv"}:
        try:
            installed = install_with_uv(python, target, args.compile_bytecode)
        except Fallback as error:
            if args.installer == "uv":
                print(f"install_env: {error}", file=sys.stderr)
                return 1
            reason = str(error)
            print(f"install_env: falling back to pip: {reason}", flush=True)
    if not installed:
        installed = install_with_pip(python, target)
    seconds = time.perf_counter() - start
    line = f"installed with {installed} in {seconds:.0f} s"
    if reason:
        line += f" (uv not used: {reason})"
    (args.venv / STAMP_NAME).write_text(line + "\n", encoding="utf-8")
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
