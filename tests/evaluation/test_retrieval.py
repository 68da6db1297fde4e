"""Retrieval metrics: the DCASE 2022 script's numbers, score matrices, DCASE 2025 mAP@k.

Parity inputs: 200 ClothoMix clips x 5 captions and a top-10 submission made by
data/make_inputs.py; expected numbers: the DCASE 2022 eval_script.py run on them (data/README.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.errors import DataError
from aacr_lib.evaluation.io import Ranking, read_ranking, read_references
from aacr_lib.evaluation.retrieval import (
    audio_to_text_metrics,
    average_precision_at_k,
    evaluate_ranking,
    map_at_k,
    ranks_of_targets,
    text_to_audio_metrics,
    top_k,
    write_submission,
)

from .conftest import RETRIEVAL_QUERIES, RETRIEVAL_RANKING, RETRIEVAL_REFERENCES

PRINTED_NAMES = {"r1": "R1", "r5": "R5", "r10": "R10", "map10": "mAP10"}


@pytest.fixture(scope="module")
def parity():
    return read_ranking(RETRIEVAL_RANKING), read_references(RETRIEVAL_REFERENCES)


def test_official_script_numbers(parity, retrieval_expected):
    result = evaluate_ranking(*parity)
    expected = retrieval_expected["metrics"]
    assert result.n_queries == expected["r1"]["n"] == RETRIEVAL_QUERIES
    assert not result.notes  # every caption is the query of one clip
    for name in ("r1", "r5", "r10", "map10"):
        assert result.metrics[name] == expected[name]["mean"]  # exact
        assert result.ci[name] == pytest.approx(expected[name]["ci"], abs=1e-12)
    # what the official script prints (2 decimals)
    printed = [
        f"{PRINTED_NAMES[n]} {result.metrics[n]:.2f} [{result.ci[n][0]:.2f}, {result.ci[n][1]:.2f}]"
        for n in PRINTED_NAMES
    ]
    assert printed == retrieval_expected["printed"]
    assert 0.2 < result.metrics["r1"] < result.metrics["r10"] < 0.9  # neither trivial nor hopeless


def test_score_matrix_gives_the_same_numbers(parity):
    ranking, references = parity
    clips = sorted(references)
    column = {name: j for j, name in enumerate(clips)}
    row = {caption: i for i, caption in enumerate(ranking.captions)}
    scores = np.random.default_rng(0).uniform(-1, 0, (len(ranking.captions), len(clips)))
    for i, files in enumerate(ranking.file_names):
        for position, name in enumerate(files):
            scores[i, column[name]] = 10 - position
    targets = {c: f for f, captions in references.items() for c in captions}
    order = [row[c] for c in targets]
    matrix = text_to_audio_metrics(scores[order], [column[targets[c]] for c in targets])
    assert matrix.metrics == evaluate_ranking(ranking, references).metrics


def test_submission_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    clips = [f"clip_{j}.wav" for j in range(30)]
    captions = [f"caption {i}" for i in range(90)]
    targets = np.repeat(np.arange(30), 3)
    scores = rng.standard_normal((90, 30))
    scores[np.arange(90), targets] += 1.5
    path = write_submission(tmp_path / "sub.csv", captions, clips, scores)
    references = {clips[j]: [captions[i] for i in np.flatnonzero(targets == j)] for j in range(30)}
    from_file = evaluate_ranking(read_ranking(path), references)
    from_scores = text_to_audio_metrics(scores, targets)
    assert from_file.metrics == pytest.approx(from_scores.metrics, abs=1e-15)


def test_ties_are_broken_by_clip_order():
    scores = np.array([[0.5, 0.5, 0.5, 0.1]])
    assert list(ranks_of_targets(scores, np.array([2]))) == [3]
    assert top_k(scores, 3).tolist() == [[0, 1, 2]]


def test_ranks_and_metrics_by_hand():
    scores = np.array([[0.9, 0.1, 0.5], [0.2, 0.3, 0.8], [0.1, 0.9, 0.2]])
    result = text_to_audio_metrics(scores, [0, 0, 1])  # ranks 1, 3, 1
    assert result.metrics["r1"] == pytest.approx(2 / 3)
    assert result.metrics["map10"] == pytest.approx((1 + 1 / 3 + 1) / 3)


def test_dcase2025_average_precision():
    assert average_precision_at_k(np.array([1, 3]), 16) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision_at_k(np.array([2, 20]), 16) == pytest.approx(0.5 / 2)
    assert average_precision_at_k(np.array([4]), 10) == pytest.approx(1 / 4)  # = DCASE 2022
    scores = np.array([[0.9, 0.8, 0.1, 0.7], [0.1, 0.2, 0.3, 0.4]])
    relevance = np.array([[True, False, False, True], [True, True, False, False]])
    value, per_query = map_at_k(scores, relevance, k=16)
    assert per_query == pytest.approx([(1 + 2 / 3) / 2, (1 / 3 + 2 / 4) / 2])
    assert value == pytest.approx(per_query.mean())


def test_audio_to_text():
    # 2 clips, 4 captions (2 per clip); clip 0 ranks its captions 1st and 3rd
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.3], [0.4, 0.6]])
    result = audio_to_text_metrics(scores, [0, 1, 0, 1])
    assert result.metrics["r1"] == 1.0
    assert result.per_query["map10"][0] == pytest.approx(1.0)


def test_unknown_and_missing_captions_and_files():
    references = {"a.wav": ["a dog barks", "dogs"], "b.wav": ["rain"]}
    ranking = Ranking(
        ["a dog barks", "rain", "thunder"],
        [["a.wav", "b.wav"], ["b.wav", "c.wav"], ["a.wav", "b.wav"]],
        "TOP10.csv",
    )
    with pytest.raises(DataError) as caught:
        evaluate_ranking(ranking, references)
    message = str(caught.value)
    assert "1 caption(s) of TOP10.csv are not in the references: 'thunder'" in message
    assert "1 reference caption(s) have no ranking in TOP10.csv: 'dogs'" in message
    assert "1 ranked file name(s) are not clips of the references: 'c.wav'" in message


def test_nan_scores_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        text_to_audio_metrics(np.array([[np.nan, 1.0]]), [0])


def _clips_and_ranking(tmp_path, n_clips, depth):
    references = {f"c{i}.wav": [f"caption {i}"] for i in range(n_clips)}
    header = "caption," + ",".join(f"file_name_{k}" for k in range(1, depth + 1)) + "\n"
    rows = "".join(
        f"caption {i}," + ",".join(f"c{(i + k) % n_clips}.wav" for k in range(depth)) + "\n"
        for i in range(n_clips)
    )
    path = tmp_path / "short.csv"
    path.write_text(header + rows, encoding="utf-8")
    return read_ranking(path), references


def test_ranking_shallower_than_ten_is_an_error(tmp_path):
    """A top-5 submission would score R@10 = R@5: refused, naming the file and its depth."""
    ranking, references = _clips_and_ranking(tmp_path, n_clips=12, depth=5)
    with pytest.raises(DataError, match=r"short.csv: the ranking lists 5 file name\(s\)") as caught:
        evaluate_ranking(ranking, references)
    assert "fewer than the 10 that R@10 and mAP@10 need" in str(caught.value)


def test_ranking_of_every_clip_when_fewer_than_ten(tmp_path):
    ranking, references = _clips_and_ranking(tmp_path, n_clips=4, depth=4)
    assert evaluate_ranking(ranking, references).metrics["r1"] == 1.0
    ranking, references = _clips_and_ranking(tmp_path, n_clips=4, depth=3)
    with pytest.raises(DataError, match="fewer than the 4 clips of the references"):
        evaluate_ranking(ranking, references)
