"""Caption-based retrieval: ranking clips by the similarity of query and generated caption."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from aacr_lib.data.clotho import read_split
from aacr_lib.retrieval.caption_based import GENERATED_FILE, caption_scores, generate_captions
from aacr_lib.retrieval.run import train_retrieval
from aacr_lib.runs import create_run


class BagOfWords:
    """A stand-in sentence encoder: word counts over a fixed vocabulary."""

    def __init__(self, vocabulary):
        self.index = {word: i for i, word in enumerate(vocabulary)}

    def encode(self, texts):
        vectors = np.zeros((len(texts), len(self.index)), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                if word in self.index:
                    vectors[row, self.index[word]] += 1
        return vectors


def test_clips_rank_by_the_cosine_of_query_and_generated_caption():
    encoder = BagOfWords(["dog", "barks", "rain", "falls", "car"])
    scores = caption_scores(
        ["a dog barks", "rain falls"], ["rain falls hard", "dog barks", "a car"], encoder
    )
    assert scores.shape == (2, 3)
    assert np.argmax(scores[0]) == 1 and np.argmax(scores[1]) == 0
    assert scores[0, 1] == pytest.approx(1.0)
    assert scores[1, 2] == 0.0


def _fake_captioning_run(tmp_path, items, captions):
    run = create_run("captioning", "baseline", {"fake": True}, 0, root=tmp_path / "caption-runs")
    with open(run.path / "generated_captions.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "caption_predicted"])
        writer.writerows(
            (item.file_name, caption) for item, caption in zip(items, captions, strict=True)
        )
    run.finish()
    return run


def test_the_final_captioner_is_asked_for_by_default(monkeypatch, tmp_path):
    from aacr_lib.retrieval import caption_based
    from aacr_lib.retrieval.experiments import resolve_config

    asked = []

    def fake_train_captioning(experiment, profile, profile_overrides=(), **kwargs):
        asked.append((experiment, profile, *profile_overrides))
        return "the run"

    # imported where it is used (the captioning run's code loads transformers)
    monkeypatch.setattr("aacr_lib.captioning.run.train_captioning", fake_train_captioning)
    config = resolve_config("caption_based", "demo")
    assert caption_based.captioning_run(config, "demo", tmp_path, None, "cpu", False) == "the run"
    # the report's "our model" (Table 9), at the retrieval run's profile
    assert asked == [("final", "demo")]
    other = resolve_config(
        "caption_based",
        "demo",
        ["caption_based.captioning_experiment=baseline"],
    )
    caption_based.captioning_run(other, "demo", tmp_path, None, "cpu", False)
    assert asked[-1] == ("baseline", "demo")
    # the chapter's captioning sizes reach the captioner (so chapter 07 reuses chapter 05's run)
    sized = resolve_config(
        "caption_based", "demo", {"caption_based": {"captioning_overrides": ["training.epochs=1"]}}
    )
    caption_based.captioning_run(sized, "demo", tmp_path, None, "cpu", False)
    assert asked[-1] == ("final", "demo", "training.epochs=1")


def test_generated_captions_are_reused_from_the_captioning_run(toy_dataset, tmp_path):
    items = read_split(toy_dataset, "evaluation")
    run = _fake_captioning_run(tmp_path, items, [f"caption {i}" for i in range(len(items))])
    generated = generate_captions(run, items)
    assert list(generated) == [item.file_name for item in items]
    assert generated[items[2].file_name] == "caption 2"


@pytest.mark.slow
def test_caption_based_run_with_perfect_captions_finds_every_clip(toy_dataset, tmp_path):
    items = read_split(toy_dataset, "evaluation")
    # A captioner that writes each clip's first reference caption, word for word.
    captioner = _fake_captioning_run(tmp_path, items, [item.captions[0] for item in items])
    run = train_retrieval(
        "caption_based",
        "smoke",
        [f"caption_based.captioning_run={captioner.path}"],
        data_dir=toy_dataset,
        runs_root=tmp_path / "runs",
        progress=False,
    )
    metrics = run.metrics()
    assert metrics["r1"] >= 0.8 and metrics["n_queries"] == 30
    assert metrics["captioning_run"] == str(captioner.path)
    assert (run.path / GENERATED_FILE).is_file() and (run.path / "submission.csv").is_file()


def test_a_captioner_that_cannot_be_trained_is_named_before_a_run_exists(tmp_path):
    """At the clotho profile with an empty cache, caption-based retrieval names the assets its
    captioner lacks (VGGish, the bart-base tokenizer) and makes no run directory."""
    from aacr_lib.errors import PretrainedUnavailable
    from aacr_lib.retrieval.caption_based import missing_captioner
    from aacr_lib.retrieval.experiments import resolve_config
    from aacr_lib.retrieval.run import train_retrieval

    config = resolve_config("caption_based", "clotho")
    missing = missing_captioner(config, "clotho", tmp_path / "runs")
    assert [error.fix for error in missing] == [
        "aacr setup vggish",
        "aacr setup bart_base_tokenizer",
    ]
    runs = tmp_path / "runs"
    with pytest.raises(PretrainedUnavailable, match="aacr setup vggish; aacr setup bart"):
        train_retrieval("caption_based", "clotho", data_dir=tmp_path, runs_root=runs)
    assert not runs.exists()
