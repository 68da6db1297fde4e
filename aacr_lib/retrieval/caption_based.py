"""Caption-based retrieval, the report's section 3.2 plan: retrieve by generated captions.

Every clip of the evaluation split gets one caption from a trained captioning run; the queries
and the generated captions are embedded with a frozen sentence transformer (all-MiniLM-L6-v2)
and clips are ranked by the cosine between a query and their caption. Nothing is trained here:
the quality rests on the captioner (a clip with a wrong caption cannot be found) and on how well
sentence similarity matches the references' wording.

The captioning run is, in order: `caption_based.captioning_run` (a run directory), or the run of
`caption_based.captioning_experiment` (by default `final`, the report's own captioning model,
Table 9) at the same profile, trained first when it does not exist yet
(`aacr_lib.captioning.run.train_captioning` returns a finished run at once). Its generated
captions of the evaluation split are reused; clips it did not caption are decoded here.

This module is the one place where retrieval uses the captioning task, and it uses only
`aacr_lib.captioning.run` (the import contract in pyproject.toml checks it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aacr_lib.captioning.outputs import captioner_missing_requirements
from aacr_lib.data.clotho import ClothoItem
from aacr_lib.errors import DataError, PretrainedUnavailable
from aacr_lib.features.splits import read_items
from aacr_lib.retrieval import ranking
from aacr_lib.retrieval.config import RetrievalConfig
from aacr_lib.retrieval.text_encoders import SentenceTransformerEncoder
from aacr_lib.runs import RunDir

GENERATED_FILE = "generated_captions.csv"


def caption_scores(
    query_captions: Sequence[str],
    generated: Sequence[str],
    encoder: Any,
) -> np.ndarray:
    """Cosine between each query and each clip's generated caption: `[queries, clips]`.

    `encoder.encode(texts) -> [N, dim]` is a frozen text encoder (a sentence transformer).
    """
    queries = np.asarray(encoder.encode(list(query_captions)), dtype=np.float32)
    clips = np.asarray(encoder.encode(list(generated)), dtype=np.float32)
    queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    clips /= np.maximum(np.linalg.norm(clips, axis=1, keepdims=True), 1e-12)
    return queries @ clips.T


def captioning_run(
    config: RetrievalConfig,
    profile: str,
    data_dir: Path,
    runs_root: str | os.PathLike | None,
    device: str,
    progress: bool,
) -> RunDir:
    """The captioning run to caption with (trained at the same profile when missing)."""
    settings = config.caption_based
    if settings.captioning_run:
        run = RunDir(Path(settings.captioning_run))
        if not run.complete:
            raise DataError(
                f"{run.path}: not a finished captioning run; train one with "
                f"`aacr train captioning --experiment {settings.captioning_experiment}`"
            )
        return run
    # the captioning run's code loads torch and transformers: imported only when used
    from aacr_lib.captioning.run import train_captioning

    return train_captioning(
        settings.captioning_experiment,
        profile,
        profile_overrides=list(settings.captioning_overrides),
        data_dir=data_dir,
        runs_root=runs_root,
        device=device,
        progress=progress,
    )


def missing_captioner(
    config: RetrievalConfig, profile: str, runs_root: str | os.PathLike | None = None
) -> list[PretrainedUnavailable]:
    """The assets the captioner of a caption-based config would need to be trained that are
    missing (none when `captioning_run` is given or the captioner's run is complete)."""
    settings = config.caption_based
    if config.method != "caption_based" or settings.captioning_run:
        return []
    return captioner_missing_requirements(
        settings.captioning_experiment, profile, settings.captioning_overrides, runs_root
    )


def caption_recordings(
    config: RetrievalConfig,
    paths: Sequence[Path],
    profile: str,
    data_dir: Path,
    runs_root: str | os.PathLike | None,
    device: str = "cpu",
) -> list[str]:
    """The captioner's caption of each file (any recording: the book's unseen ones), or an
    `error: …` line for a file it cannot read; the captioner is the config's (trained when
    missing, as for caption-based retrieval)."""
    captioner = captioning_run(config, profile, data_dir, runs_root, device, progress=False)
    from aacr_lib.captioning.inference import caption_files

    results = caption_files(list(paths), captioner.path, device=device)
    return [r.caption or "" if r.ok else f"error: {r.error}" for r in results]


def generate_captions(
    captioner_run: RunDir, items: Sequence[ClothoItem], device: str = "cpu"
) -> dict[str, str]:
    """One generated caption per clip: reused from the run's outputs, decoded when missing."""
    from aacr_lib.captioning.run import caption_clips

    return caption_clips(captioner_run, items, device)


def run_caption_based(
    run: RunDir,
    config: RetrievalConfig,
    data_dir: Path,
    runs_root: str | os.PathLike | None,
    device: str,
    progress: bool,
    profile: str = "demo",
) -> dict[str, Any]:
    """Caption, embed, rank; write the submission and the generated captions; the metrics."""
    split = config.data.evaluation_split
    items = read_items(data_dir, config.data, split)
    captioner = captioning_run(config, profile, data_dir, runs_root, device, progress)
    generated = generate_captions(captioner, items, device)
    run.write_outputs(
        [{"file_name": name, "caption_predicted": caption} for name, caption in generated.items()],
        GENERATED_FILE,
    )
    queries = ranking.Queries.from_items(items)
    encoder = SentenceTransformerEncoder(config.caption_based.sentence_model)
    rows = caption_scores(queries.captions, [generated[n] for n in queries.clip_names], encoder)
    metrics = ranking.write_and_score(run.path, items, queries, rows)
    return {
        **metrics,
        "split": split,
        "captioning_run": str(captioner.path),
        "distinct_generated_captions": len(set(generated.values())),
    }
