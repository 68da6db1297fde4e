"""Retrieval metrics as DCASE computes them: R@1/5/10 and mAP@10 (2022), mAP@k (2025).

DCASE 2022 task 6b: every caption is a query with exactly one relevant clip (its own); rank all
clips; R@k = 1 when that clip is in the top k; AP@10 = 1/rank when rank <= 10, else 0; means over
queries, with 95 % jackknife intervals (`astropy.stats.jackknife_stats`, as the official
`eval_script.py`). DCASE 2025: several relevant clips per query; AP@k = (1/R) * sum over the
relevant clips ranked within the top k of (their order among the relevant) / rank, R = number of
relevant clips (the baseline's `average_precision_at_k`), reported as mAP@16.

Ties in a score matrix are broken by clip order (a stable sort), as `write_submission` does.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aacr_lib.errors import DataError
from aacr_lib.evaluation.bootstrap import DEFAULT_CONFIDENCE, jackknife_mean
from aacr_lib.evaluation.io import Ranking, _rows_text

RECALL_KS = (1, 5, 10)
MAP_K = 10
RETRIEVAL_METRICS = ("r1", "r5", "r10", "map10")


def _check_scores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be a (queries x clips) matrix, got shape {scores.shape}")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores contain NaN or infinite values")
    return scores


def ranks_of_targets(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of `targets[q]` among all clips for each query q (stable tie-break).

    rank = 1 + #{clips scoring higher} + #{clips scoring equal and listed before the target}.
    """
    scores = _check_scores(scores)
    targets = np.asarray(targets, dtype=int)
    rows = np.arange(scores.shape[0])
    target_scores = scores[rows, targets][:, None]
    higher = (scores > target_scores).sum(axis=1)
    before = np.arange(scores.shape[1])[None, :] < targets[:, None]
    tied_before = ((scores == target_scores) & before).sum(axis=1)
    return 1 + higher + tied_before


def per_query_metrics(ranks: np.ndarray, map_k: int = MAP_K) -> dict[str, np.ndarray]:
    """Per-query R@1/5/10 and AP@k from 1-based ranks of the single relevant clip.

    A rank of 0 or inf means "not in the ranking" (a top-10 submission that misses the clip).
    """
    ranks = np.asarray(ranks, dtype=float)
    found = np.isfinite(ranks) & (ranks > 0)
    values = {f"r{k}": (found & (ranks <= k)).astype(float) for k in RECALL_KS}
    with np.errstate(divide="ignore"):
        values[f"map{map_k}"] = np.where(found & (ranks <= map_k), 1.0 / ranks, 0.0)
    return values


@dataclass
class RetrievalResult:
    """Metrics (means over queries), their jackknife intervals, and the per-query values."""

    metrics: dict[str, float]
    ci: dict[str, tuple[float, float]]
    n_queries: int
    per_query: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    ranks: np.ndarray | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        doc = {
            "metrics": dict(self.metrics),
            "ci": {k: list(v) for k, v in self.ci.items()},
            "ci_method": "95% jackknife interval (astropy.stats.jackknife_stats), as DCASE 2022",
            "n_queries": self.n_queries,
        }
        if self.notes:
            doc["notes"] = list(self.notes)
        return doc

    def table(self) -> str:
        titles = {"r1": "R@1", "r5": "R@5", "r10": "R@10", "map10": "mAP@10"}
        lines = []
        for name, value in self.metrics.items():
            low, high = self.ci.get(name, (float("nan"), float("nan")))
            lines.append(f"{titles.get(name, name):<7} {value:.4f}  [{low:.4f}, {high:.4f}]")
        lines.append(f"{'Queries':<7} {self.n_queries}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def metrics_from_ranks(
    ranks: np.ndarray, confidence: float = DEFAULT_CONFIDENCE, map_k: int = MAP_K
) -> RetrievalResult:
    """R@1/5/10 and mAP@k with jackknife intervals, from the rank of each query's clip."""
    per_query = per_query_metrics(ranks, map_k)
    metrics = {name: float(np.mean(values)) for name, values in per_query.items()}
    ci = {}
    for name, values in per_query.items():
        if values.size >= 2:
            ci[name] = jackknife_mean(values, confidence).interval
    return RetrievalResult(metrics, ci, len(np.asarray(ranks)), per_query, np.asarray(ranks))


def text_to_audio_metrics(
    scores: np.ndarray, targets: Sequence[int] | np.ndarray, confidence: float = DEFAULT_CONFIDENCE
) -> RetrievalResult:
    """DCASE 2022 metrics of a (captions x clips) score matrix; `targets[q]`: q's clip index."""
    return metrics_from_ranks(ranks_of_targets(scores, np.asarray(targets)), confidence)


def relevant_ranks(
    scores: np.ndarray, relevance: np.ndarray, chunk: int = 1024
) -> list[np.ndarray]:
    """Sorted 1-based ranks of the relevant items of each query (stable tie-break).

    `relevance`: boolean matrix with the shape of `scores`. Vectorised over (query, relevant item)
    pairs, `chunk` pairs at a time to bound memory.
    """
    scores = _check_scores(scores)
    relevance = np.asarray(relevance, dtype=bool)
    if relevance.shape != scores.shape:
        raise ValueError(f"relevance {relevance.shape} and scores {scores.shape} differ in shape")
    queries, items = np.nonzero(relevance)  # sorted by query
    ranks = np.empty(queries.size, dtype=np.int64)
    positions = np.arange(scores.shape[1])[None, :]
    for start in range(0, queries.size, chunk):
        q, j = queries[start : start + chunk], items[start : start + chunk]
        rows = scores[q]
        own = rows[np.arange(q.size), j][:, None]
        ranks[start : start + chunk] = (
            1 + (rows > own).sum(axis=1) + ((rows == own) & (positions < j[:, None])).sum(axis=1)
        )
    bounds = np.searchsorted(queries, np.arange(scores.shape[0] + 1))
    return [np.sort(ranks[bounds[i] : bounds[i + 1]]) for i in range(scores.shape[0])]


def average_precision_at_k(ranks: np.ndarray, k: int) -> float:
    """DCASE 2025 AP@k of one query from the 1-based ranks of all its relevant items."""
    ranks = np.sort(np.asarray(ranks, dtype=float))
    if ranks.size == 0:
        return 0.0
    order = np.arange(1, ranks.size + 1)
    within = ranks <= k
    return float(np.sum(order[within] / ranks[within]) / ranks.size)


def map_at_k(scores: np.ndarray, relevance: np.ndarray, k: int = 16) -> tuple[float, np.ndarray]:
    """mAP@k with several relevant clips per query (DCASE 2025: k = 16) and per-query AP@k."""
    per_query = np.array([average_precision_at_k(r, k) for r in relevant_ranks(scores, relevance)])
    return float(per_query.mean()) if per_query.size else float("nan"), per_query


def audio_to_text_metrics(
    scores: np.ndarray,
    caption_clips: Sequence[int] | np.ndarray,
    confidence: float = DEFAULT_CONFIDENCE,
) -> RetrievalResult:
    """Audio-to-text retrieval on the same (captions x clips) matrix: each clip is a query.

    R@k = 1 when any of the clip's captions is in its top k; mAP@10 is the DCASE 2025 AP@10 over
    all the clip's captions (R = 5 for Clotho).
    """
    scores = _check_scores(scores)
    caption_clips = np.asarray(caption_clips, dtype=int)
    by_clip = scores.T  # (clips, captions)
    relevance = caption_clips[None, :] == np.arange(by_clip.shape[0])[:, None]
    ranks = relevant_ranks(by_clip, relevance)
    first = np.array([r[0] if r.size else np.inf for r in ranks], dtype=float)
    per_query = {f"r{k}": (first <= k).astype(float) for k in RECALL_KS}
    per_query["map10"] = np.array([average_precision_at_k(r, MAP_K) for r in ranks])
    metrics = {name: float(v.mean()) for name, v in per_query.items()}
    ci = {
        name: jackknife_mean(v, confidence).interval for name, v in per_query.items() if v.size >= 2
    }
    return RetrievalResult(metrics, ci, by_clip.shape[0], per_query, first)


def top_k(scores: np.ndarray, k: int = 10) -> np.ndarray:
    """Indices of the k best clips of each query, best first (ties: clip order, as a stable sort).

    A partial sort finds the candidates (scores >= the k-th best); rows with ties at that
    threshold fall back to a full stable sort.
    """
    scores = _check_scores(scores)
    n_queries, n_clips = scores.shape
    k = min(k, n_clips)
    if k == n_clips:
        return np.argsort(-scores, axis=1, kind="stable")
    threshold = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
    candidates = scores >= threshold
    exact = candidates.sum(axis=1) == k
    result = np.empty((n_queries, k), dtype=np.int64)
    if exact.any():
        # np.nonzero lists each row's candidates in clip order, so the stable sort keeps it
        index = np.nonzero(candidates[exact])[1].reshape(-1, k)
        values = np.take_along_axis(scores[exact], index, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        result[exact] = np.take_along_axis(index, order, axis=1)
    for q in np.flatnonzero(~exact):
        result[q] = np.argsort(-scores[q], kind="stable")[:k]
    return result


def write_submission(
    path: str | os.PathLike,
    captions: Sequence[str],
    file_names: Sequence[str],
    scores: np.ndarray,
    k: int = 10,
) -> Path:
    """Write the official submission file `caption,file_name_1,...,file_name_k` from scores.

    `scores[q, c]`: similarity of caption q and clip `file_names[c]` (higher is better).
    """
    scores = _check_scores(scores)
    if scores.shape != (len(captions), len(file_names)):
        raise ValueError(
            f"scores have shape {scores.shape}, expected ({len(captions)}, {len(file_names)})"
        )
    best = top_k(scores, k)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["caption", *(f"file_name_{i}" for i in range(1, best.shape[1] + 1))])
        for caption, row in zip(captions, best, strict=True):
            writer.writerow([caption, *(file_names[j] for j in row)])
    return path


def caption_targets(references: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Caption -> its clip, as the official script builds it (a repeated caption: the last clip)."""
    targets: dict[str, str] = {}
    for file_name, captions in references.items():
        for caption in captions:
            targets[caption] = file_name
    return targets


def required_depth(n_clips: int) -> int:
    """How many file names a ranking must list per caption: the largest k reported (R@10,
    mAP@10), or every clip when the references hold fewer."""
    return min(max(*RECALL_KS, MAP_K), n_clips)


def _check_depth(ranking: Ranking, n_clips: int) -> None:
    needed = required_depth(n_clips)
    short = [i for i, files in enumerate(ranking.file_names) if len(files) < needed]
    if not short:
        return
    depth = min(len(ranking.file_names[i]) for i in short)
    if n_clips >= max(*RECALL_KS, MAP_K):
        need = f"the {needed} that R@{max(RECALL_KS)} and mAP@{MAP_K} need"
    else:
        need = f"the {needed} clips of the references"
    raise DataError(
        f"{ranking.path}: the ranking lists {depth} file name(s) per caption "
        f"(file_name_1..file_name_{depth}), fewer than {need}, so it is not scored; rank the "
        f"top {needed} clips of every caption (caption,file_name_1,...,file_name_{needed})"
    )


def evaluate_ranking(
    ranking: Ranking,
    references: Mapping[str, Sequence[str]],
    confidence: float = DEFAULT_CONFIDENCE,
) -> RetrievalResult:
    """DCASE 2022 metrics of a submission (top-k file names per caption) against Clotho captions.

    Every caption of the references must be a query of the ranking and every ranked file a clip
    of the references; otherwise `DataError` names the offenders.

    A ranking must also be as deep as the largest k reported (10: R@10 and mAP@10), or list
    every clip of the references when there are fewer: a shallower ranking is a `DataError`
    naming its depth, not a score. (Scoring it would report R@10 = R@5 for a top-5 file, a
    silently wrong number; the choice is an error rather than n/a metrics, so that every
    number `aacr evaluate retrieval` prints is the DCASE 2022 one.)
    """
    _check_depth(ranking, len(references))
    targets = caption_targets(references)
    clips = set(references)
    listed = dict(zip(ranking.captions, ranking.file_names, strict=True))
    unknown_captions = [c for c in ranking.captions if c not in targets]
    missing = [c for c in targets if c not in listed]
    unknown_files = sorted({f for files in ranking.file_names for f in files if f not in clips})
    problems = []
    if unknown_captions:
        problems.append(
            f"{len(unknown_captions)} caption(s) of {ranking.path} are not in the references: "
            + _rows_text([repr(c) for c in unknown_captions])
        )
    if missing:
        problems.append(
            f"{len(missing)} reference caption(s) have no ranking in {ranking.path}: "
            + _rows_text([repr(c) for c in missing])
        )
    if unknown_files:
        problems.append(
            f"{len(unknown_files)} ranked file name(s) are not clips of the references: "
            + _rows_text([repr(f) for f in unknown_files])
        )
    if problems:
        raise DataError("; ".join(problems))
    ranks = []
    for caption, clip in targets.items():  # the official script's order: reference captions
        files = listed[caption]
        ranks.append(files.index(clip) + 1 if clip in files else 0)
    result = metrics_from_ranks(np.array(ranks, dtype=float), confidence)
    n_captions = sum(len(c) for c in references.values())
    if len(targets) != n_captions:
        result.notes.append(
            f"{n_captions - len(targets)} caption(s) occur for several clips; as the DCASE 2022 "
            "script, each is one query whose relevant clip is the last one listed"
        )
    return result
