"""scripts/install_env.py: pip's settings become uv's options, or the install falls back to pip."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_script():
    spec = importlib.util.spec_from_file_location(
        "install_env", REPO / "scripts" / "install_env.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("install_env", module)
    spec.loader.exec_module(module)
    return module


install_env = load_script()

# `pip config list` on this project's CI machine, in pip's own output format.
MACHINE_CONFIG = """\
:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.default-timeout='180'
:env:.disable-pip-version-check='1'
:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/opt/wheels'
"""


def test_pip_config_lines_are_parsed_with_the_environment_winning():
    settings = install_env.parse_pip_config(
        "global.find-links='/a'\n:env:.find-links='/b /c'\nuser.index-url=\"https://x\"\n"
    )
    assert settings == {"find-links": ["/b", "/c"], "index-url": ["https://x"]}


def test_the_machine_config_maps_onto_uv_options():
    arguments, variables = install_env.uv_arguments(install_env.parse_pip_config(MACHINE_CONFIG))
    pairs = list(zip(arguments[::2], arguments[1::2], strict=True))
    assert ("--index-strategy", "unsafe-best-match") in pairs
    assert ("--find-links", "/opt/wheels") in pairs
    assert ("--constraint", "/etc/xdg/pip/constraints.txt") in pairs
    assert ("--extra-index-url", "file:///opt/pypi/simple") in pairs
    assert ("--extra-index-url", "file:///opt/pypi-more/simple") in pairs
    assert variables == {
        "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
        "UV_HTTP_TIMEOUT": "180",
    }


def test_no_index_is_kept():
    arguments, _ = install_env.uv_arguments({"no-index": ["true"], "find-links": ["/w"]})
    assert "--no-index" in arguments


def test_a_pip_setting_without_uv_counterpart_falls_back_to_pip():
    with pytest.raises(install_env.Fallback, match="prefer-binary"):
        install_env.uv_arguments({"prefer-binary": ["1"]})


def test_fallback_to_pip_when_uv_cannot_be_used(tmp_path, monkeypatch):
    """`auto` with an untranslatable pip setting installs with pip and says why in the stamp."""
    calls = []
    monkeypatch.setattr(install_env, "pip_settings", lambda python: {"prefer-binary": ["1"]})
    monkeypatch.setattr(
        install_env, "install_with_pip", lambda python, target: calls.append(target) or "pip 99"
    )
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    assert install_env.main(["--venv", str(venv), "--installer", "auto"]) == 0
    stamp = (venv / install_env.STAMP_NAME).read_text()
    assert stamp.startswith("installed with pip 99") and "prefer-binary" in stamp
    assert calls and calls[0][0] == "-e"


def test_uv_only_refuses_instead_of_falling_back(tmp_path, monkeypatch):
    monkeypatch.setattr(install_env, "pip_settings", lambda python: {"prefer-binary": ["1"]})
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    assert install_env.main(["--venv", str(venv), "--installer", "uv"]) == 1
    assert not (venv / install_env.STAMP_NAME).exists()


def test_uv_installs_exactly_the_files_of_pips_report():
    """pip's choice (here: the wheel with the native library, from the second index) is what
    uv is given; the project itself goes in editable."""
    report = {
        "install": [
            {
                "download_info": {"url": "file:///srv/aacr", "dir_info": {"editable": True}},
                "is_direct": True,
                "metadata": {"name": "aacr"},
            },
            {
                "download_info": {
                    "url": "file:///opt/pypi-more/files/soundfile-0.14.0-py2.py3-none-manylinux_2_28_x86_64.whl",
                    "archive_info": {"hashes": {"sha256": "1e38"}},
                },
                "is_direct": False,
                "metadata": {"name": "soundfile"},
            },
            {
                "download_info": {"url": "https://example.org/pkg-1.0.tar.gz", "archive_info": {}},
                "is_direct": True,
                "metadata": {"name": "pkg"},
            },
        ]
    }
    files, editable = install_env.planned_files(report)
    assert files == [
        "file:///opt/pypi-more/files/soundfile-0.14.0-py2.py3-none-manylinux_2_28_x86_64.whl",
        "pkg @ https://example.org/pkg-1.0.tar.gz",
    ]
    assert editable == ["/srv/aacr"]


@pytest.mark.parametrize("compile_bytecode", [False, True])
def test_uv_installs_pips_files(tmp_path, monkeypatch, compile_bytecode):
    """uv installs the files pip's dry run chose, then the project editable; bytecode is
    compiled there only when asked (by default Python writes it on first import)."""
    commands = []

    def fake_run(command, environment=None):
        commands.append(command)
        if "--report" in command:
            report = command[command.index("--report") + 1]
            Path(report).write_text(
                '{"install": [{"download_info": {"url": "file:///w/a-1-py3-none-any.whl",'
                ' "archive_info": {}}, "is_direct": false, "metadata": {"name": "a"}},'
                ' {"download_info": {"url": "file:///srv/aacr", "dir_info": {"editable": true}},'
                ' "is_direct": true, "metadata": {"name": "aacr"}}]}'
            )

    monkeypatch.setattr(install_env, "run", fake_run)
    monkeypatch.setattr(install_env, "pip_settings", lambda python: {})
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    (tmp_path / "bin" / "uv").write_text("#!/bin/sh\necho uv 0.0.1\n")
    (tmp_path / "bin" / "uv").chmod(0o755)
    assert install_env.install_with_uv(python, ["-e", ".[dev]"], compile_bytecode) == "uv 0.0.1"
    uv_commands = [c for c in commands if c[0] == str(tmp_path / "bin" / "uv")]
    assert [c[-1] for c in uv_commands] == ["file:///w/a-1-py3-none-any.whl", "/srv/aacr"]
    assert all("--no-deps" in c for c in uv_commands)
    assert all(("--compile-bytecode" in c) == compile_bytecode for c in uv_commands)
