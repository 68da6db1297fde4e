"""One METEOR JVM per process: reused between calls, same numbers as a fresh one, and restarted
when it dies."""

from __future__ import annotations

import pytest

from aacr_lib.evaluation.captioning import evaluate_captions
from aacr_lib.evaluation.functional import meteor as meteor_module
from aacr_lib.evaluation.functional.meteor import (
    close_shared_meteor,
    prestart_shared_meteor,
    shared_meteor,
)

PREDICTIONS = {
    "a.wav": "a dog barks while rain falls on a roof",
    "b.wav": "birds are singing in the forest",
    "c.wav": "a car passes by on a wet road",
}
REFERENCES = {
    "a.wav": ["a dog is barking in the rain", "rain falls and a dog barks"],
    "b.wav": ["birds chirp in a forest", "many birds sing among the trees"],
    "c.wav": ["a vehicle drives past on a wet street", "a car goes by in the rain"],
}


@pytest.fixture(autouse=True)
def fresh_shared_state():
    close_shared_meteor()
    yield
    close_shared_meteor()


def test_one_jvm_serves_every_call_scores_like_a_fresh_one_and_is_replaced_when_dead():
    prestart_shared_meteor()  # a caller that wants the full-table JVM ahead of its scoring
    (process,) = meteor_module._shared.values()
    assert process.alive() and process.ready_seconds is None  # started, not yet asked
    prestart_shared_meteor()  # idempotent
    assert list(meteor_module._shared.values()) == [process]

    first = evaluate_captions(PREDICTIONS, REFERENCES, metrics=["meteor"])
    second = evaluate_captions(PREDICTIONS, REFERENCES, metrics=["meteor"])
    assert list(meteor_module._shared.values()) == [process] and process.alive()
    assert first.timings["meteor_jvm_ready"] > 0.0
    assert second.timings["meteor_jvm_ready"] == 0.0  # reused: nothing to wait for
    fresh = evaluate_captions(PREDICTIONS, REFERENCES, metrics=["meteor"], reuse_meteor=False)
    assert second.metrics["meteor"] == first.metrics["meteor"] == fresh.metrics["meteor"]
    assert second.per_clip["meteor"] == fresh.per_clip["meteor"]
    assert 0.0 < first.metrics["meteor"] < 1.0

    process.close()  # as if the JVM had crashed
    third = evaluate_captions(PREDICTIONS, REFERENCES, metrics=["meteor"])
    (replacement,) = meteor_module._shared.values()
    assert replacement is not process and replacement.alive()
    assert third.metrics["meteor"] == first.metrics["meteor"]


def test_a_failure_while_in_use_drops_the_jvm():
    with pytest.raises(RuntimeError):
        with shared_meteor() as process:
            raise RuntimeError("caller failed mid-batch")
    assert not process.alive()
    assert meteor_module._shared == {}


def test_a_cut_table_jvm_is_kept_while_it_covers_the_corpus_then_replaced_by_a_wider_one():
    first = evaluate_captions(PREDICTIONS, REFERENCES, metrics=["meteor"])
    (process,) = meteor_module._shared.values()
    assert process.paraphrases is not None  # cut to this corpus
    again = evaluate_captions(PREDICTIONS, REFERENCES, metrics=["meteor"])
    assert list(meteor_module._shared.values()) == [process]
    assert again.timings["meteor_jvm_ready"] == 0.0
    assert again.per_clip["meteor"] == first.per_clip["meteor"]

    other = {"d.wav": "an automobile honks in heavy traffic"}
    other_refs = {"d.wav": ["a car horn sounds in traffic", "vehicles pass and honk"]}
    evaluate_captions(other, other_refs, metrics=["meteor"])
    (wider,) = meteor_module._shared.values()
    assert wider is not process and not process.alive()
    assert process.paraphrases.words < wider.paraphrases.words  # both corpora
    third = evaluate_captions(PREDICTIONS, REFERENCES, metrics=["meteor"])
    assert list(meteor_module._shared.values()) == [wider]
    assert third.per_clip["meteor"] == first.per_clip["meteor"]
