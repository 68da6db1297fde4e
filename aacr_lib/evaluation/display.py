"""Tables that explain the metrics in the book (pandas DataFrames; no computation of scores here).

Each helper turns a result of `captioning` / `retrieval` (or the functional core) into a small
table; unavailable metrics show "n/a" with the reason, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aacr_lib.evaluation.captioning import METRIC_TITLES, CaptioningResult
from aacr_lib.evaluation.functional.bleu import bleu_stats
from aacr_lib.evaluation.functional.meteor import meteor_from_stats, parse_stats
from aacr_lib.evaluation.retrieval import RetrievalResult

_MODULES = ("exact", "stem", "synonym", "paraphrase")


def metrics_frame(result: CaptioningResult, digits: int = 4) -> pd.DataFrame:
    """One row per metric: score (or "n/a"), 95 % interval when computed, note (the reason)."""
    rows = []
    for name, value in result.metrics.items():
        row = {"metric": METRIC_TITLES.get(name, name)}
        row["score"] = "n/a" if value is None else round(value, digits)
        if result.ci is not None:
            low, high = result.ci.get(name, (np.nan, np.nan))
            row["95% CI"] = "" if value is None else f"[{low:.{digits}f}, {high:.{digits}f}]"
        row["note"] = result.unavailable.get(name, "")
        rows.append(row)
    return pd.DataFrame(rows).set_index("metric")


def per_clip_frame(result: CaptioningResult, digits: int = 4) -> pd.DataFrame:
    """Clips x metrics of the per-clip scores (unavailable metrics are absent)."""
    ordered = {name: result.per_clip[name] for name in result.metrics if name in result.per_clip}
    return pd.DataFrame(ordered).rename(columns=METRIC_TITLES).round(digits)


def tokenization_frame(raw: Sequence[str], tokenized: Sequence[str]) -> pd.DataFrame:
    """Captions before and after the official PTB tokenizer."""
    return pd.DataFrame({"caption": list(raw), "PTB tokens": list(tokenized)})


def bleu_counts_frame(
    candidates: Sequence[str], references: Sequence[Sequence[str]]
) -> pd.DataFrame:
    """Per clip: lengths and matched/guessed n-grams, the quantities BLEU is made of."""
    _, per_clip, stats = bleu_stats(candidates, references)
    rows = []
    for candidate, row, scores in zip(candidates, stats, per_clip, strict=True):
        record = {"candidate": candidate, "length": int(row[0]), "closest ref. length": int(row[1])}
        for n in range(1, 5):
            record[f"{n}-grams matched/guessed"] = f"{int(row[5 + n])}/{int(row[1 + n])}"
        record["BLEU-4"] = round(float(scores[3]), 4)
        rows.append(record)
    return pd.DataFrame(rows)


def meteor_stats_frame(candidates: Sequence[str], stats_lines: Sequence[str]) -> pd.DataFrame:
    """Per clip: words matched by each METEOR module, chunks, precision, recall, score."""
    stats = parse_stats(stats_lines)
    rows = []
    for candidate, row, score in zip(candidates, stats, meteor_from_stats(stats), strict=True):
        record = {"candidate": candidate, "words": int(row[0]), "best ref. words": int(row[1])}
        for i, module in enumerate(_MODULES):
            record[module] = int(row[4 + 4 * i] + row[6 + 4 * i])
        record["chunks"] = int(row[20])
        record["METEOR"] = round(float(score), 4)
        rows.append(record)
    return pd.DataFrame(rows)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists."""
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[-1]))
        previous = current
    return previous[-1]


def rouge_l_frame(candidate: str, references: Sequence[str]) -> pd.DataFrame:
    """For one candidate: LCS with each reference, its precision and recall."""
    words = candidate.split(" ")
    rows = []
    for reference in references:
        lcs = lcs_length(words, reference.split(" "))
        rows.append(
            {
                "reference": reference,
                "LCS": lcs,
                "precision": round(lcs / len(words), 4),
                "recall": round(lcs / len(reference.split(" ")), 4),
            }
        )
    return pd.DataFrame(rows)


def retrieval_frame(results: dict[str, RetrievalResult], digits: int = 4) -> pd.DataFrame:
    """Rows: directions or systems; columns: R@1, R@5, R@10, mAP@10 with their intervals."""
    titles = {"r1": "R@1", "r5": "R@5", "r10": "R@10", "map10": "mAP@10"}
    rows = {}
    for label, result in results.items():
        row = {}
        for name, value in result.metrics.items():
            low, high = result.ci.get(name, (np.nan, np.nan))
            row[titles.get(name, name)] = (
                f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
            )
        rows[label] = row
    return pd.DataFrame(rows).T


def ranks_frame(
    captions: Sequence[str], ranks: np.ndarray, per_query: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Per query: the rank of its clip and what each metric counts for it."""
    frame = pd.DataFrame({"query": list(captions), "rank": np.asarray(ranks).astype(int)})
    for name, values in per_query.items():
        frame[name] = np.round(values, 4)
    return frame
