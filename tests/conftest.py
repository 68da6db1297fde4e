"""Shared fixtures. Every test runs with its data, runs and cache roots in a temp directory, so
the suite never reads or writes the checkout's `data/`, `runs/` or a user's cache."""

from __future__ import annotations

import os
from pathlib import Path

# On a shared 2-core machine OpenMP's busy-waiting threads make torch steps many times slower;
# passive waiting must be chosen before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_roots(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("roots")
    for variable, name in (("AACR_DATA", "data"), ("AACR_RUNS", "runs"), ("AACR_CACHE", "cache")):
        monkeypatch.setenv(variable, str(base / name))
    return base


@pytest.fixture(scope="session")
def tiny_clothomix(tmp_path_factory) -> Path:
    """A tiny ClothoMix (the smoke-mode size), built once per test session."""
    from aacr_lib.profiles import ensure_clothomix

    return ensure_clothomix(tmp_path_factory.mktemp("clothomix") / "clothomix", smoke=True)
