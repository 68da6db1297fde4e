"""Captioning metrics as the official DCASE tools compute them, plus vocabulary and intervals.

The procedure is caption-evaluation-tools' (a Python 3 port of coco-caption): the PTB tokenizer
on candidates and references, then BLEU-1..4, METEOR 1.5, ROUGE-L, CIDEr-D, SPICE, and
SPIDEr = (CIDEr-D + SPICE) / 2, each as a corpus score and per clip. The engines are those of
`pycocoevalcap`; see `functional/` for each metric.

Speed: one tokenizer JVM for candidates and references together. METEOR runs in a thread: it
gets the paraphrase index ready while the tokenizer runs, then starts its JVM with the paraphrase
table cut to the corpus (same scores, a fraction of the start-up; see `functional/meteor.py`) and
scores while the main thread computes BLEU, ROUGE-L and CIDEr-D. By default the JVM is then kept
for the next call in this process (`reuse_meteor`).
When Stanford CoreNLP 3.6.0 is missing, SPICE and SPIDEr are `None` with the reason in
`unavailable`; every other metric is still computed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from aacr_lib.evaluation import bootstrap as bs
from aacr_lib.evaluation.functional.bleu import bleu_from_stats, bleu_stats
from aacr_lib.evaluation.functional.cider_d import cider_d
from aacr_lib.evaluation.functional.meteor import (
    aggregable_stats,
    fresh_meteor,
    meteor_from_stats,
    parse_stats,
    prepare_paraphrase_index,
    score_lines,
    shared_meteor,
)
from aacr_lib.evaluation.functional.rouge_l import rouge_l
from aacr_lib.evaluation.functional.spice import SpiceError, spice, spice_unavailable_reason
from aacr_lib.evaluation.functional.spider import spider
from aacr_lib.evaluation.functional.tokenization import ptb_tokenize
from aacr_lib.evaluation.functional.vocab import vocabulary_size
from aacr_lib.evaluation.java import METEOR_JAVA, SPICE_JAVA, TOKENIZER_JAVA, JavaRuntime, find_java

BLEU_METRICS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4")
CAPTION_METRICS = (*BLEU_METRICS, "meteor", "rouge_l", "cider_d", "spice", "spider")
METRIC_TITLES = {
    "bleu_1": "BLEU-1",
    "bleu_2": "BLEU-2",
    "bleu_3": "BLEU-3",
    "bleu_4": "BLEU-4",
    "meteor": "METEOR",
    "rouge_l": "ROUGE-L",
    "cider_d": "CIDEr-D",
    "spice": "SPICE",
    "spider": "SPIDEr",
}
_ALIASES = {"bleu": BLEU_METRICS, "cider": ("cider_d",), "rouge": ("rouge_l",)}
_ALIASES["all"] = CAPTION_METRICS
_ALIASES["no_spice"] = tuple(m for m in CAPTION_METRICS if m not in ("spice", "spider"))


def resolve_metrics(names: Sequence[str] | None) -> tuple[str, ...]:
    """Metric names in canonical order; accepts `bleu`, `cider`, `rouge`, `all`, `no_spice`."""
    if names is None:
        return CAPTION_METRICS
    chosen: set[str] = set()
    for name in names:
        key = name.strip().lower().replace("-", "_")
        if key in _ALIASES:
            chosen.update(_ALIASES[key])
        elif key in CAPTION_METRICS:
            chosen.add(key)
        else:
            known = ", ".join((*CAPTION_METRICS, *sorted(_ALIASES)))
            raise ValueError(f"unknown captioning metric {name!r}; known: {known}")
    return tuple(m for m in CAPTION_METRICS if m in chosen)


@dataclass
class CaptioningResult:
    """Corpus and per-clip scores of one prediction set.

    `metrics` has every requested metric: a float, or None when unavailable (then `unavailable`
    says why and how to fix it). `per_clip[metric][file_name]` is the clip's score.
    """

    metrics: dict[str, float | None]
    per_clip: dict[str, dict[str, float]]
    unavailable: dict[str, str]
    n_clips: int
    vocabulary: dict[str, int]
    ci: dict[str, tuple[float, float]] | None = None
    ci_method: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    java: dict[str, str] = field(default_factory=dict)
    statistics: dict[str, bs.CorpusStatistic] = field(default_factory=dict, repr=False)
    # for explanations (not in the JSON): tokenized captions, METEOR's statistics lines
    details: dict = field(default_factory=dict, repr=False)

    def to_json(self, per_clip: bool = True) -> dict:
        doc: dict = {
            "metrics": dict(self.metrics),
            "per_clip": self.per_clip if per_clip else {},
            "unavailable": dict(self.unavailable),
            "n_clips": self.n_clips,
            "vocabulary": dict(self.vocabulary),
        }
        if self.ci is not None:
            doc["ci"] = {name: list(bounds) for name, bounds in self.ci.items()}
            doc["ci_method"] = self.ci_method
        doc["java"] = dict(self.java)
        doc["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        return doc

    def table(self) -> str:
        """A plain-text table: metric, score, interval; unavailable metrics with their reason."""
        lines = []
        for name, value in self.metrics.items():
            title = METRIC_TITLES.get(name, name)
            if value is None:
                lines.append(f"{title:<9} n/a")
                continue
            interval = ""
            if self.ci and name in self.ci:
                low, high = self.ci[name]
                interval = f"  [{low:.4f}, {high:.4f}]"
            lines.append(f"{title:<9} {value:.4f}{interval}")
        vocab = self.vocabulary
        lines.append(
            f"{'Vocab':<9} {vocab.get('predictions', 0)} words in the predictions "
            f"({vocab.get('references', 0)} in the references)"
        )
        lines.append(f"{'Clips':<9} {self.n_clips}")
        for name, reason in self.unavailable.items():
            if name in self.metrics:
                lines.append(f"unavailable: {name}: {reason}")
        return "\n".join(lines)


def _normalise_inputs(
    predictions: Mapping[str, str] | Sequence[str],
    references: Mapping[str, Sequence[str]] | Sequence[Sequence[str]],
) -> tuple[list[str], list[str], list[list[str]]]:
    """Clip names sorted as the official tool sorts them, candidates and references aligned."""
    if isinstance(predictions, Mapping) != isinstance(references, Mapping):
        raise TypeError("give predictions and references both as mappings or both as sequences")
    if not isinstance(predictions, Mapping):
        if len(predictions) != len(references):
            raise ValueError(
                f"{len(predictions)} predictions but {len(references)} reference lists"
            )
        width = len(str(max(len(predictions) - 1, 0)))
        predictions = {f"{i:0{width}d}": p for i, p in enumerate(predictions)}
        references = {f"{i:0{width}d}": r for i, r in enumerate(references)}  # type: ignore[arg-type]
    assert isinstance(references, Mapping)
    if set(predictions) != set(references):
        missing = sorted(set(references) - set(predictions))[:5]
        extra = sorted(set(predictions) - set(references))[:5]
        raise ValueError(f"clips differ: no prediction for {missing}, no references for {extra}")
    names = sorted(predictions)
    refs = [[str(r) for r in references[name]] for name in names]
    empty = [name for name, r in zip(names, refs, strict=True) if not r]
    if empty:
        raise ValueError(f"clips without references: {empty[:5]}")
    return names, [str(predictions[name]) for name in names], refs


@dataclass
class _SystemScores:
    corpus: dict[str, float | None] = field(default_factory=dict)
    per_clip: dict[str, np.ndarray] = field(default_factory=dict)
    statistics: dict[str, bs.CorpusStatistic] = field(default_factory=dict)
    meteor_stats: list[str] = field(default_factory=list)

    def record(
        self, name: str, corpus: float | None, per_clip: np.ndarray, statistic: bs.CorpusStatistic
    ) -> None:
        """Store one metric's corpus score, per-clip scores and bootstrap statistic."""
        self.corpus[name] = corpus
        self.per_clip[name] = per_clip
        self.statistics[name] = statistic

    def absorb(self, other: _SystemScores) -> None:
        """Add the metrics scored by another step for the same system (in its order)."""
        self.corpus.update(other.corpus)
        self.per_clip.update(other.per_clip)
        self.statistics.update(other.statistics)
        if other.meteor_stats:
            self.meteor_stats = other.meteor_stats


@dataclass
class _Tokens:
    """PTB tokens of every candidate set and of the references, and what it took."""

    candidate_sets: list[list[str]]
    references: list[list[str]]
    java: str
    seconds: float


@dataclass
class _Scoring:
    """What `_score_systems` returns: each system's scores, the tokens, and how it went."""

    systems: list[_SystemScores]
    tokenized_sets: list[list[str]]
    tokenized_refs: list[list[str]]
    timings: dict[str, float]
    java_used: dict[str, str]
    unavailable: dict[str, str]


def _bleu_statistic(stats: np.ndarray, order: int) -> bs.CorpusStatistic:
    return bs.CorpusStatistic(stats, lambda sums, n: bleu_from_stats(sums)[:, order - 1])


def _meteor_statistic(stats_lines: list[str]) -> bs.CorpusStatistic:
    stats = aggregable_stats(parse_stats(stats_lines))
    return bs.CorpusStatistic(stats, lambda sums, n: meteor_from_stats(sums))


def _score_systems(
    candidate_sets: list[list[str]],
    references: list[list[str]],
    metrics: tuple[str, ...],
    spice_root: str | os.PathLike | None,
    reuse_meteor: bool = True,
) -> _Scoring:
    """Score one or more candidate sets against the same references (shared JVMs)."""
    start = time.perf_counter()
    timings: dict[str, float] = {}
    java_used: dict[str, str] = {}
    unavailable: dict[str, str] = {}
    meteor_job = None
    if "meteor" in metrics:
        meteor_java = find_java(METEOR_JAVA)  # fails before any work when there is none
        java_used["meteor"] = meteor_java.describe()
        meteor_job = _MeteorJob(meteor_java, reuse_meteor, spice_root)
    try:
        tokens = _tokenize(candidate_sets, references)
    except BaseException:
        if meteor_job is not None:
            meteor_job.cancel()
        raise
    java_used["tokenizer"], timings["tokenizer"] = tokens.java, tokens.seconds
    if meteor_job is not None:
        meteor_job.score(tokens)
    systems = []
    for cands in tokens.candidate_sets:
        system, seconds = _score_python_metrics(cands, tokens.references, metrics)
        systems.append(system)
        for name, value in seconds.items():  # summed over the systems
            timings[name] = timings.get(name, 0.0) + value
    if meteor_job is not None:
        t0 = time.perf_counter()
        parts, meteor_timings = meteor_job.result()
        timings["meteor_wait"] = time.perf_counter() - t0
        timings.update(meteor_timings)
        for system, part in zip(systems, parts, strict=True):
            system.absorb(part)

    if "spice" in metrics or "spider" in metrics:
        parts, reason, spice_java, spice_timings = _score_spice(tokens, spice_root)
        java_used.update(spice_java)
        timings.update(spice_timings)
        for system, part in zip(systems, parts, strict=False):  # no parts when it failed
            system.absorb(part)
        if reason is not None:
            unavailable["spice"] = reason
            unavailable["spider"] = f"needs SPICE: {reason}"
    systems = [_finish_system(system, metrics) for system in systems]
    timings["total"] = time.perf_counter() - start
    return _Scoring(
        systems, tokens.candidate_sets, tokens.references, timings, java_used, unavailable
    )


class _MeteorJob:
    """METEOR of every candidate set, in a thread started before tokenization.

    Until the tokens come it gets the paraphrase index ready (loaded, or built on first use);
    then it cuts the table to the corpus, starts the JVM (or takes this process's shared one)
    and scores, while the main thread computes the Python metrics.
    """

    def __init__(
        self, java: JavaRuntime, reuse: bool, cache_root: str | os.PathLike | None
    ) -> None:
        self._java, self._reuse, self._root = java, reuse, cache_root
        self._tokens: _Tokens | None = None
        self._go = threading.Event()
        self._parts: list[_SystemScores] = []
        self._timings: dict[str, float] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="aacr-meteor", daemon=True)
        self._thread.start()

    def score(self, tokens: _Tokens) -> None:
        self._tokens = tokens
        self._go.set()

    def cancel(self) -> None:
        self._go.set()
        self._thread.join()

    def result(self) -> tuple[list[_SystemScores], dict[str, float]]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._parts, self._timings

    def _run(self) -> None:
        try:
            t0 = time.perf_counter()
            prepare_paraphrase_index(self._root, self._java if self._reuse else None)
            self._timings["meteor_index"] = time.perf_counter() - t0
            self._go.wait()
            if self._tokens is not None:
                self._score(self._tokens)
        except BaseException as exc:  # raised in the caller's thread by `result`
            self._error = exc

    def _score(self, tokens: _Tokens) -> None:
        t0 = time.perf_counter()
        lines = [
            line
            for cands in tokens.candidate_sets
            for line in score_lines(cands, tokens.references)
        ]
        if self._reuse:
            context = shared_meteor(self._java, lines, self._root)
        else:
            context = fresh_meteor(self._java, lines, self._root)
        with context as process:
            self._timings["meteor_table"] = time.perf_counter() - t0  # words, cut, launch
            reused = process.ready_seconds is not None
            for cands in tokens.candidate_sets:
                corpus, per_clip, stats = process.score(cands, tokens.references)
                part = _SystemScores(meteor_stats=stats)
                part.record("meteor", corpus, per_clip, _meteor_statistic(stats))
                self._parts.append(part)
            # a reused JVM was ready before this call started
            self._timings["meteor_jvm_ready"] = 0.0 if reused else process.ready_seconds or 0.0
        self._timings["meteor"] = time.perf_counter() - t0


def _tokenize(candidate_sets: list[list[str]], references: list[list[str]]) -> _Tokens:
    """PTB-tokenize every candidate set and every reference in one tokenizer JVM."""
    tokenizer_java = find_java(TOKENIZER_JAVA)
    java = tokenizer_java.describe()
    t0 = time.perf_counter()
    flat = [c for cands in candidate_sets for c in cands] + [r for rs in references for r in rs]
    tokens = ptb_tokenize(flat, tokenizer_java)
    seconds = time.perf_counter() - t0
    n = len(references)
    tokenized_sets = [tokens[i * n : (i + 1) * n] for i in range(len(candidate_sets))]
    rest = iter(tokens[len(candidate_sets) * n :])
    tokenized_refs = [[next(rest) for _ in refs] for refs in references]
    return _Tokens(tokenized_sets, tokenized_refs, java, seconds)


def _score_python_metrics(
    cands: list[str], refs: list[list[str]], metrics: tuple[str, ...]
) -> tuple[_SystemScores, dict[str, float]]:
    """BLEU, ROUGE-L and CIDEr-D (also when only SPIDEr needs it) of one candidate set, with
    the seconds each took."""
    system = _SystemScores()
    seconds: dict[str, float] = {}
    if any(m in metrics for m in BLEU_METRICS):
        t0 = time.perf_counter()
        corpus, per_clip, stats = bleu_stats(cands, refs)
        seconds["bleu"] = time.perf_counter() - t0
        for order, name in enumerate(BLEU_METRICS, start=1):
            if name in metrics:
                system.record(
                    name, corpus[order - 1], per_clip[:, order - 1], _bleu_statistic(stats, order)
                )
    if "rouge_l" in metrics:
        t0 = time.perf_counter()
        corpus, per_clip = rouge_l(cands, refs)
        seconds["rouge_l"] = time.perf_counter() - t0
        system.record("rouge_l", corpus, per_clip, bs.mean_statistic(per_clip))
    if "cider_d" in metrics or "spider" in metrics:
        t0 = time.perf_counter()
        corpus, per_clip = cider_d(cands, refs)
        seconds["cider_d"] = time.perf_counter() - t0
        system.record("cider_d", corpus, per_clip, bs.mean_statistic(per_clip))
    return system, seconds


def _score_spice(
    tokens: _Tokens, spice_root: str | os.PathLike | None
) -> tuple[list[_SystemScores], str | None, dict[str, str], dict[str, float]]:
    """SPICE of every candidate set in one CoreNLP run.

    Returns the scores per system (none when SPICE is unavailable or failed), the reason it
    is unavailable (or None), the Java used and the seconds taken (empty when it never ran).
    """
    reason = spice_unavailable_reason(spice_root)
    if reason is not None:
        return [], reason, {}, {}
    t0 = time.perf_counter()
    spice_java = find_java(SPICE_JAVA)
    java_used = {"spice": spice_java.describe()}
    n_systems, n = len(tokens.candidate_sets), len(tokens.references)
    all_cands = [c for cands in tokens.candidate_sets for c in cands]
    try:
        _, per_clip_all = spice(all_cands, tokens.references * n_systems, spice_java, spice_root)
    except SpiceError as exc:
        return [], str(exc), java_used, {"spice": time.perf_counter() - t0}
    parts = []
    for i in range(n_systems):
        per_clip = per_clip_all[i * n : (i + 1) * n]
        part = _SystemScores()
        part.record("spice", float(np.mean(per_clip)), per_clip, bs.mean_statistic(per_clip))
        parts.append(part)
    return parts, None, java_used, {"spice": time.perf_counter() - t0}


def _finish_system(system: _SystemScores, metrics: tuple[str, ...]) -> _SystemScores:
    """Add SPIDEr where SPICE ran and None for metrics not scored; keep only what was asked
    for (CIDEr-D may have been computed for SPIDEr alone)."""
    corpus, per_clip = dict(system.corpus), dict(system.per_clip)
    statistics = dict(system.statistics)
    if "spider" in metrics and "spice" in corpus:
        cider_corpus, spice_corpus = corpus["cider_d"], corpus["spice"]
        assert cider_corpus is not None and spice_corpus is not None
        corpus["spider"], per_clip["spider"] = spider(
            (cider_corpus, per_clip["cider_d"]), (spice_corpus, per_clip["spice"])
        )
        statistics["spider"] = bs.mean_statistic(per_clip["spider"])
    for name in metrics:
        corpus.setdefault(name, None)
    return _SystemScores(
        corpus={name: corpus[name] for name in metrics},
        per_clip={k: v for k, v in per_clip.items() if k in metrics},
        statistics={k: v for k, v in statistics.items() if k in metrics},
        meteor_stats=system.meteor_stats,
    )


def evaluate_captions(
    predictions: Mapping[str, str] | Sequence[str],
    references: Mapping[str, Sequence[str]] | Sequence[Sequence[str]],
    metrics: Sequence[str] | None = None,
    ci: bool = False,
    n_resamples: int = bs.DEFAULT_RESAMPLES,
    confidence: float = bs.DEFAULT_CONFIDENCE,
    seed: int = bs.DEFAULT_SEED,
    spice_root: str | os.PathLike | None = None,
    reuse_meteor: bool = True,
) -> CaptioningResult:
    """Score predicted captions against references (any number >= 1 per clip).

    `predictions`: file name -> caption (or a list aligned with `references`);
    `references`: file name -> reference captions. `metrics`: names from `CAPTION_METRICS`
    (default: all). `ci=True` adds percentile bootstrap intervals over clips.
    `spice_root`: the cache root where `aacr setup spice` put CoreNLP (default `AACR_CACHE`);
    METEOR's paraphrase index is kept there too.
    `reuse_meteor`: keep this process's METEOR JVM for the next call (`False`: a fresh JVM,
    stopped on return).
    """
    chosen = resolve_metrics(metrics)
    names, candidates, refs = _normalise_inputs(predictions, references)
    scoring = _score_systems([candidates], refs, chosen, spice_root, reuse_meteor)
    system, tokenized_refs, timings = scoring.systems[0], scoring.tokenized_refs, scoring.timings
    result = CaptioningResult(
        metrics=system.corpus,
        per_clip={
            metric: {name: float(v) for name, v in zip(names, values, strict=True)}
            for metric, values in system.per_clip.items()
        },
        unavailable=scoring.unavailable,
        n_clips=len(names),
        vocabulary={
            "predictions": vocabulary_size(scoring.tokenized_sets[0]),
            "references": vocabulary_size(r for rs in tokenized_refs for r in rs),
        },
        timings=timings,
        java=scoring.java_used,
        statistics=system.statistics,
        details={
            "file_names": names,
            "candidates": scoring.tokenized_sets[0],
            "references": tokenized_refs,
            "meteor_stats": system.meteor_stats,
        },
    )
    if ci:
        t0 = time.perf_counter()
        result.ci = bs.bootstrap_intervals(system.statistics, n_resamples, confidence, seed)
        result.ci_method = (
            f"{confidence:.0%} percentile bootstrap over clips, {n_resamples} resamples, "
            f"seed {seed}; CIDEr-D keeps the full set's idf"
        )
        timings["bootstrap"] = time.perf_counter() - t0
    return result


@dataclass
class CaptioningComparison:
    """Two prediction sets on the same clips: each one's scores and the paired differences."""

    a: CaptioningResult
    b: CaptioningResult
    differences: dict[str, bs.PairedDifference]
    method: str

    def to_json(self) -> dict:
        return {
            "a": self.a.to_json(per_clip=False),
            "b": self.b.to_json(per_clip=False),
            "differences": {k: v.to_json() for k, v in self.differences.items()},
            "method": self.method,
            "n_clips": self.a.n_clips,
        }

    def table(self, label_a: str = "A", label_b: str = "B") -> str:
        lines = [
            f"{'metric':<9} {label_a[:12]:>12} {label_b[:12]:>12}  {'A-B':>8}  95% CI of A-B       p"
        ]
        for name in self.a.metrics:
            title = METRIC_TITLES.get(name, name)
            if name not in self.differences:
                lines.append(f"{title:<9} n/a")
                continue
            d = self.differences[name]
            lines.append(
                f"{title:<9} {d.a:>12.4f} {d.b:>12.4f}  {d.difference:>+8.4f}  "
                f"[{d.interval[0]:+.4f}, {d.interval[1]:+.4f}]  {d.p_value:.4f}"
            )
        for name, reason in self.a.unavailable.items():
            if name in self.a.metrics:
                lines.append(f"unavailable: {name}: {reason}")
        return "\n".join(lines)


def compare_captions(
    predictions_a: Mapping[str, str],
    predictions_b: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    metrics: Sequence[str] | None = None,
    n_resamples: int = bs.DEFAULT_RESAMPLES,
    confidence: float = bs.DEFAULT_CONFIDENCE,
    seed: int = bs.DEFAULT_SEED,
    spice_root: str | os.PathLike | None = None,
    reuse_meteor: bool = True,
) -> CaptioningComparison:
    """Paired bootstrap test of A against B on every metric (same clips, same references)."""
    chosen = resolve_metrics(metrics)
    names, candidates_a, refs = _normalise_inputs(predictions_a, references)
    names_b, candidates_b, _ = _normalise_inputs(predictions_b, references)
    assert names == names_b
    scoring = _score_systems([candidates_a, candidates_b], refs, chosen, spice_root, reuse_meteor)
    systems = scoring.systems
    ref_vocab = vocabulary_size(r for rs in scoring.tokenized_refs for r in rs)
    results = []
    for system, tokenized in zip(systems, scoring.tokenized_sets, strict=True):
        results.append(
            CaptioningResult(
                metrics=system.corpus,
                per_clip={
                    metric: {name: float(v) for name, v in zip(names, values, strict=True)}
                    for metric, values in system.per_clip.items()
                },
                unavailable=scoring.unavailable,
                n_clips=len(names),
                vocabulary={"predictions": vocabulary_size(tokenized), "references": ref_vocab},
                timings=scoring.timings,
                java=scoring.java_used,
                statistics=system.statistics,
            )
        )
    differences = bs.paired_bootstrap(
        systems[0].statistics, systems[1].statistics, n_resamples, confidence, seed
    )
    method = (
        f"paired bootstrap over clips, {n_resamples} resamples, seed {seed}; {confidence:.0%} "
        "percentile interval of A-B; two-sided p-value of 'no difference'"
    )
    return CaptioningComparison(results[0], results[1], differences, method)


# ----------------------------------------------------------------------------- per-clip statistics
# What a run keeps of its final scoring so that later comparisons need no JVM: per metric the
# per-clip statistics its corpus score reduces (BLEU's n-gram counts, METEOR's alignment
# statistics, the per-clip scores of the others), in the clips' order. CIDEr-D's idf is that of
# the evaluated split's references, the same for every system scored on that split.
CLIP_STATISTICS_VERSION = 1


def statistic_from_per_clip(metric: str, per_clip: np.ndarray) -> bs.CorpusStatistic:
    """The bootstrap statistic of `metric` from its per-clip statistics (as scoring made it)."""
    per_clip = np.asarray(per_clip, dtype=float)
    if metric in BLEU_METRICS:
        order = int(metric.rsplit("_", 1)[1])
        return bs.CorpusStatistic(per_clip, lambda sums, n: bleu_from_stats(sums)[:, order - 1])
    if metric == "meteor":
        return bs.CorpusStatistic(per_clip, lambda sums, n: meteor_from_stats(sums))
    if metric not in CAPTION_METRICS:
        raise ValueError(f"unknown caption metric {metric!r}")
    return bs.mean_statistic(per_clip.reshape(-1))


def save_clip_statistics(path: str | os.PathLike, result: CaptioningResult) -> None:
    """Write `result`'s per-clip statistics (an `.npz`, replaced atomically)."""
    names = result.details.get("file_names")
    if names is None:
        raise ValueError("the result keeps no clip names (score it with evaluate_captions)")
    path = os.fspath(path)
    arrays = {
        "version": np.array(CLIP_STATISTICS_VERSION),
        "file_names": np.array(list(names), dtype=str),
    }
    for metric, statistic in result.statistics.items():
        arrays[f"metric_{metric}"] = statistic.per_clip
    temporary = f"{path}.tmp.npz"
    np.savez_compressed(temporary, **arrays)
    os.replace(temporary, path)


def load_clip_statistics(
    path: str | os.PathLike,
) -> tuple[tuple[str, ...], dict[str, bs.CorpusStatistic]]:
    """The clip names and, per metric, the statistic `save_clip_statistics` wrote."""
    with np.load(os.fspath(path), allow_pickle=False) as data:
        version = int(data["version"])
        if version != CLIP_STATISTICS_VERSION:
            raise ValueError(
                f"{path}: clip statistics version {version}, expected {CLIP_STATISTICS_VERSION}"
            )
        names = tuple(str(name) for name in data["file_names"])
        statistics = {
            key.removeprefix("metric_"): statistic_from_per_clip(
                key.removeprefix("metric_"), data[key]
            )
            for key in data.files
            if key.startswith("metric_")
        }
    return names, statistics
