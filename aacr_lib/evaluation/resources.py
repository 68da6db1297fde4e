"""Files that the Java-backed metrics need: the jars shipped by `pycocoevalcap`, our SPICE shim."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from aacr_lib.errors import AacrError

JARS_DIR = Path(__file__).resolve().parent / "jars"


def pycocoevalcap_dir() -> Path:
    # pycocoevalcap 1.2 is a namespace package (no __init__.py): ask the import system.
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - pinned
        raise AacrError(
            "pycocoevalcap is not installed; it ships the official scorers: "
            "pip install pycocoevalcap==1.2"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def pycocoevalcap_file(relative: str) -> Path:
    """A file inside the installed `pycocoevalcap` package (a jar, the METEOR paraphrase table)."""
    path = pycocoevalcap_dir() / relative
    if not path.is_file():
        raise AacrError(
            f"{path} is missing from the pycocoevalcap install; reinstall it: "
            "pip install --force-reinstall pycocoevalcap==1.2"
        )
    return path
