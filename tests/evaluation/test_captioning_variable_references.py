"""Any number >= 1 of references per clip: BLEU, ROUGE-L and CIDEr-D of the whole
variable-reference set against the official tool (tokenizer JVM only, no METEOR)."""

from __future__ import annotations

import pytest

from aacr_lib.evaluation.captioning import evaluate_captions
from aacr_lib.evaluation.io import read_predictions, read_references

from .conftest import PARITY_PREDICTIONS, PARITY_REFERENCES, tolerance, variable_references

pytestmark = [pytest.mark.java]

METRICS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider_d")


def test_variable_references_match_official(caption_expected):
    predictions = read_predictions(PARITY_PREDICTIONS)
    references = variable_references(read_references(PARITY_REFERENCES))
    assert {len(r) for r in references.values()} == {1, 2, 3, 4, 5}
    result = evaluate_captions(predictions, references, metrics=["bleu", "rouge_l", "cider_d"])
    expected = caption_expected["variable_references"]
    assert list(result.metrics) == list(METRICS)
    for metric in METRICS:
        assert result.metrics[metric] == pytest.approx(
            expected["metrics"][metric], abs=tolerance(metric)
        )
        worst = max(
            abs(result.per_clip[metric][name] - value)
            for name, value in expected["per_clip"][metric].items()
        )
        assert worst <= tolerance(metric), metric
    assert "meteor" not in result.java  # no METEOR JVM when METEOR is not asked for
