"""What the retrieval chapters call: run experiments at the book's profile, collect results.

`run_experiments(context, names)` trains (or reopens) each experiment's run on the notebook's
data, runs root and device, at the context's run profile (`smoke` in smoke mode). An
experiment that needs a pretrained asset this machine does not have (VGGish weights offline) is
not run: its result carries the reason instead, and the tables show "n/a".
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path

import pandas as pd

from aacr_lib.config import deep_merge, parse_overrides
from aacr_lib.data import soundbank
from aacr_lib.data.unseen import UNSEEN_DIR, load_unseen
from aacr_lib.errors import PretrainedUnavailable
from aacr_lib.experiments import (
    ExperimentResult,
    PlannedRun,
    plan_seeds,
    pool_seeds,
    run_planned,
)
from aacr_lib.features.splits import feature_dim
from aacr_lib.models.retrieval import count_parameters
from aacr_lib.profiles import NotebookContext
from aacr_lib.retrieval.caption_based import caption_recordings, missing_captioner
from aacr_lib.retrieval.config import RetrievalConfig
from aacr_lib.retrieval.display import search_table
from aacr_lib.retrieval.experiments import (
    EXPERIMENT_SET,
    REPORT_EXPERIMENTS,
    get_experiment,
    resolve_config,
)
from aacr_lib.retrieval.index import SearchIndex, build_index, find_audio_files
from aacr_lib.retrieval.inference import read_config
from aacr_lib.retrieval.run import missing_requirements, prepare_shared_inputs, train_config
from aacr_lib.retrieval.task import TASK, build_retrieval_model
from aacr_lib.runs import RunDir, run_path

# What each retrieval chapter (by notebook name) trains. The chapters ask for these, and `aacr
# book` trains the union of the chapters it is about to execute ahead of them, in one pool of
# workers (`aacr_lib.book.train_ahead`).
CHAPTER_RUNS: dict[str, tuple[str, ...]] = {
    "06_retrieval_baseline": ("baseline", "report_baseline"),
    "07_retrieval_experiments": REPORT_EXPERIMENTS,
    # the report's future work: the baseline and sentence-transformer rows without and with
    # the clip's sound-event vector (each followed by its events rows)
    "08_sound_event_vectors": tuple(
        name
        for row in ("baseline", "sentence_transformer")
        for name in (row, *EXPERIMENT_SET.in_sections("7"))
        if name == row or name.startswith(f"{row}_events_")
    ),
    # the literature chapter places the book's reference systems among published results
    "00_literature": ("baseline", "sentence_transformer"),
    # the conclusions judge every claim of the report's section 6.2, its proposals and section 7
    "09_conclusions": tuple(EXPERIMENT_SET.names()),
}


def run_experiment(
    context: NotebookContext, name: str, overrides: Sequence[str] = (), progress: bool | None = None
) -> ExperimentResult:
    """Train (or reopen) one experiment for a notebook; never raises for a missing asset."""
    experiment = get_experiment(name)
    config = _resolved(context, name, overrides)
    missing = _missing(context, config)
    if missing:
        return ExperimentResult(name, experiment.title, None, str(missing[0]))
    started = time.perf_counter()
    try:
        run = train_config(
            config,
            name,
            context.run_profile,
            data_dir=context.data_dir,
            runs_root=context.runs_root,
            device=context.device,
            progress=context.progress if progress is None else progress,
        )
    except PretrainedUnavailable as exc:
        return ExperimentResult(name, experiment.title, None, str(exc))
    return ExperimentResult(name, experiment.title, run, None, time.perf_counter() - started)


def _resolved(context: NotebookContext, name: str, overrides: Sequence[str]) -> RetrievalConfig:
    sizes = parse_overrides(context.overrides_for(TASK))
    config = resolve_config(name, context.run_profile, overrides, sizes)
    if config.method == "caption_based" and context.overrides_for("captioning"):
        # the captioner is trained with the chapter's captioning sizes too (chapter 05's run)
        captioner = {"caption_based": {"captioning_overrides": context.overrides_for("captioning")}}
        config = resolve_config(name, context.run_profile, overrides, deep_merge(captioner, sizes))
    return config


def _missing(context: NotebookContext, config: RetrievalConfig) -> list[PretrainedUnavailable]:
    missing = missing_requirements(config, context.device)
    captioner = missing_captioner(config, context.run_profile, context.runs_root)
    if captioner:
        missing.append(PretrainedUnavailable.combine(captioner))
    return missing


def run_experiments(
    context: NotebookContext, names: Iterable[str] | None = None, overrides: Sequence[str] = ()
) -> dict[str, ExperimentResult]:
    """Several experiments (all of the registry by default), printing one line per
    experiment: reused, trained (with its time), or n/a with the reason. Runs that need
    training train side by side in worker processes (`aacr_lib.experiments.run_planned`: one
    per CPU core, `AACR_JOBS` to change); caption-based retrieval, which reads a captioning
    run, goes last, here."""
    planned, extra_seeds = _seeded_plan(context, names, overrides)
    results = run_planned(
        planned, context.device, report=lambda label, r: print(status_line(r, label))
    )
    return pool_seeds(results, extra_seeds)


def run_chapter(context: NotebookContext, chapter: str) -> dict[str, ExperimentResult]:
    """The runs of `CHAPTER_RUNS[chapter]`, by experiment name (see `run_experiments`)."""
    return run_experiments(context, CHAPTER_RUNS[chapter])


def planned_runs(
    context: NotebookContext, names: Iterable[str] | None = None, overrides: Sequence[str] = ()
) -> list[PlannedRun]:
    """What `run_experiments` would do, without doing it: every seed's run (`context.seeds`
    per experiment)."""
    return _seeded_plan(context, names, overrides)[0]


def _seeded_plan(
    context: NotebookContext, names: Iterable[str] | None, overrides: Sequence[str]
) -> tuple[list[PlannedRun], dict[str, list[str]]]:
    requests = {name: (name, list(overrides)) for name in names or REPORT_EXPERIMENTS}
    return plan_seeds(
        requests,
        context.seeds,
        lambda name, run_overrides: _resolved(context, name, run_overrides).training.seed,
        lambda label, name, run_overrides: _planned(context, label, name, run_overrides),
    )


def _planned(
    context: NotebookContext, label: str, name: str, overrides: Sequence[str]
) -> PlannedRun:
    config = _resolved(context, name, overrides)
    path = run_path(TASK, name, config, context.runs_root)
    return PlannedRun(
        label,
        partial(run_experiment, context, name, list(overrides), False),
        pending=not RunDir(path).complete and not _missing(context, config),
        prepare=partial(
            prepare_shared_inputs,
            config,
            context.data_dir,
            progress=context.progress,
            profile=context.run_profile,
            runs_root=context.runs_root,
        ),
        prepare_key=repr((config.data, config.model.text.encoder)),
        parallel=config.method != "caption_based",
        run_dir=str(path),
        describe=status_line,
    )


def status_line(result: ExperimentResult, label: str | None = None) -> str:
    """One line: the run's R@10, epochs and time, or n/a with the reason."""
    label = label or result.name
    if result.run is None:
        return f"{label}: n/a ({result.reason})"
    metrics = result.metrics()
    epochs = metrics.get("epochs_trained")
    trained = f"{epochs} epoch(s), " if epochs is not None else ""
    how = "reused" if result.reused else f"trained in {result.seconds:.0f} s"
    return f"{label}: {trained}R@10 {metrics['r10']:.3f} ({how}, run {result.run.name})"


def soundbank_dir() -> Path:
    """The folder of real recordings ClothoMix is mixed from (a search demonstration)."""
    return Path(soundbank.__file__).parent


def sample_recordings(source: Path, target: Path, limit: int | None = None) -> Path:
    """`target`, a folder of symbolic links to `limit` recordings spread evenly over the sorted
    files of `source` (all of them when None); links already there are kept."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    files = find_audio_files(source)
    if limit is not None and limit < len(files):
        files = [files[i * len(files) // limit] for i in range(limit)]
    for path in files:
        link = target / path.name
        if not link.exists():
            link.symlink_to(path)
    return target


def experiments_frame(names: Iterable[str] | None = None):
    """The experiments of the registry: name, title, report row and what each changes."""
    return EXPERIMENT_SET.frame(names or REPORT_EXPERIMENTS)


def model_sizes(names: Iterable[str] = ("baseline",), profiles: Sequence[str] = ("paper", "demo")):
    """Trainable parameters of the audio side (CRNN + projection) per experiment and profile,
    counted on freshly built models."""
    rows = []
    for name in names:
        for profile in profiles:
            config = resolve_config(name, profile)
            if config.method != "embedding":
                continue  # nothing is trained
            text_dim = 384 if config.model.text.encoder == "sentence_transformer" else 300
            model = build_retrieval_model(config, feature_dim(config.data), text_dim)
            audio = config.model.audio
            rows.append(
                {
                    "experiment": name,
                    "profile": profile,
                    "conv channels": "-".join(str(c) for c in audio.channels),
                    "frames averaged": audio.input_pool,
                    "RNN": f"Bi{audio.rnn.upper()} {audio.out_dim // 2} x 2",
                    "trainable parameters": count_parameters(model),
                }
            )
    return pd.DataFrame(rows).set_index(["experiment", "profile"])


# The queries of chapter 07's search demonstration: sounds the sound bank holds.
SEARCH_QUERIES = ("rain falls steadily", "a cow moos", "a rooster crows", "a wolf howls")


def search_demo_index(
    context: NotebookContext, result: ExperimentResult
) -> tuple[SearchIndex, str]:
    """A search index over the sound bank's recordings (6 of them in smoke mode), embedded with
    a finished run; built once under the runs root and updated when files change. Returns the
    index and the build's summary line."""
    demo = context.runs_root / "_search_demo"
    audio_dir = sample_recordings(
        soundbank_dir(),
        demo / ("smoke" if context.smoke else "soundbank"),
        limit=6 if context.smoke else None,
    )
    index_dir = demo / f"index-{result.run.name}"
    report = build_index(audio_dir, result.run.path, index_dir, progress=False)
    return SearchIndex(index_dir), report.summary()


def search_examples(
    index: SearchIndex, queries: Sequence[str] = SEARCH_QUERIES, k: int = 3
) -> dict[str, pd.DataFrame]:
    """Each query's top-k recordings as a table (rank, score, file, seconds)."""
    return {query: search_table(index.search(query, k=k)) for query in queries}


def unseen_recordings(
    context: NotebookContext, retrieval: ExperimentResult, caption_based: ExperimentResult
) -> tuple[pd.DataFrame, str]:
    """What the demo models make of real recordings from a package the bank does not use
    (`aacr_lib.data.unseen`): per recording, what it is, whether the demo has its label, the
    caption-based experiment's captioner's caption, and where a search for its description
    ranks it among those recordings and the whole sound bank (the recordings the demo was
    trained on), with the `retrieval` run; and a sentence saying how many it found first.

    A missing run gives n/a cells with the reason, never a made-up caption or rank.
    """
    recordings = load_unseen()
    paths = [recording.path for recording in recordings]
    if caption_based.run is not None:
        captions = caption_recordings(
            read_config(caption_based.run),
            paths,
            context.run_profile,
            context.data_dir,
            context.runs_root,
            context.device,
        )
    else:
        captions = [f"n/a: {caption_based.reason}"] * len(recordings)
    ranks: list[object] = [f"n/a: {retrieval.reason}"] * len(recordings)
    top: list[object] = ["n/a"] * len(recordings)
    searched = 0
    if retrieval.run is not None:
        # The bank is embedded once, in the search demonstration's index; only the unseen
        # recordings get an index of their own. Both score with the same run, so their hits
        # merge into one ranking.
        bank_index, _ = search_demo_index(context, retrieval)
        unseen_dir = context.runs_root / "_search_demo" / f"unseen-index-{retrieval.run.name}"
        build_index(UNSEEN_DIR, retrieval.run.path, unseen_dir, progress=False)
        unseen_index = SearchIndex(unseen_dir)
        searched = len(bank_index.entries) + len(unseen_index.entries)
        queries = [r.description for r in recordings]
        bank_hits = bank_index.search_many(queries, k=len(bank_index.entries))
        unseen_hits = unseen_index.search_many(queries, k=len(unseen_index.entries))
        for i, recording in enumerate(recordings):
            merged = sorted([*bank_hits[i], *unseen_hits[i]], key=lambda hit: -hit.score)
            names = [Path(hit.path).name for hit in merged]
            ranks[i] = names.index(recording.file) + 1 if recording.file in names else None
            top[i] = names[0] if names else None
    frame = pd.DataFrame(
        {
            "recording": [r.file for r in recordings],
            "what it is": [r.description for r in recordings],
            "demo label": [r.label.replace("_", " ") or "none" for r in recordings],
            "caption (final captioner)": captions,
            f"rank of its description (of {searched})": ranks,
            "first hit": top,
        }
    ).set_index("recording")
    firsts = sum(1 for rank in ranks if rank == 1)
    sentence = (
        f"A search for each recording's description found it first {firsts} time(s) out of "
        f"{len(recordings)}, among {searched} recordings."
        if retrieval.run is not None
        else f"No search: {retrieval.reason}"
    )
    return frame, sentence
