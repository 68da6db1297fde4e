"""What a captioning run leaves on disk, and what a config needs before it trains.

Reading a finished run (the chapters' tables, caption-based retrieval) and planning which runs
to train go through here, so they load neither torch nor transformers: the model code is
imported only by the modules that train or decode (`run`, `task`, `inference`, `decoding`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from aacr_lib import assets
from aacr_lib.captioning.config import CaptioningConfig
from aacr_lib.captioning.experiments import resolve_config
from aacr_lib.data.clotho import ClothoItem
from aacr_lib.errors import DataError, PretrainedUnavailable
from aacr_lib.events.inputs import missing_event_inputs
from aacr_lib.runs import RunDir, run_path

TASK = "captioning"
# The generated captions of a run's evaluation split: file_name,caption_predicted.
OUTPUTS_FILE = "generated_captions.csv"
# the final scoring's per-clip statistics (`evaluation.captioning.save_clip_statistics`)
CLIP_STATISTICS_FILE = "clip_statistics.npz"


def decoding_statistics_file(method: str) -> str:
    """Where `run.redecode_run` keeps the per-clip statistics of a run decoded with `method`."""
    return f"clip_statistics_{method}.npz"


def decoding_metrics_file(method: str) -> str:
    """Where `run.redecode_run` keeps the metrics of a run decoded with `method`."""
    return f"metrics_{method}.json"


def is_redecoded(run: RunDir, method: str) -> bool:
    """Whether `run.redecode_run` already left its metrics and statistics for `method`."""
    return all(
        (run.path / name).is_file()
        for name in (decoding_metrics_file(method), decoding_statistics_file(method))
    )


def write_captions(
    run: RunDir,
    items: Sequence[ClothoItem],
    predictions: Mapping[str, str],
    name: str = OUTPUTS_FILE,
) -> Path:
    """`file_name,caption_predicted` in the split's order."""
    rows = [
        {"file_name": i.file_name, "caption_predicted": predictions[i.file_name]} for i in items
    ]
    return run.write_outputs(rows, name=name)


def read_captions(path: str | os.PathLike) -> dict[str, str]:
    """`file_name -> caption` from a run's outputs (`file_name,caption_predicted`)."""
    path = Path(path)
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    if not {"file_name", "caption_predicted"} <= set(frame.columns):
        raise DataError(f"{path}: expected columns file_name,caption_predicted")
    return dict(zip(frame["file_name"], frame["caption_predicted"], strict=True))


# ----------------------------------------------------------------------------- requirements
def required_assets(config: CaptioningConfig) -> list[str]:
    """The pretrained assets (`aacr_lib.assets` names) a config reads: VGGish for VGGish
    features, the bart-base tokenizer files for `tokenizer.kind=bart-base`."""
    names = []
    if config.data.features == "vggish":
        names.append("vggish")
    if config.tokenizer.kind == "bart-base":
        names.append("bart_base_tokenizer")
    return names


def missing_requirements(
    config: CaptioningConfig, also: Sequence[str] = ()
) -> list[PretrainedUnavailable]:
    """What a config (and the assets `also` names) needs that this machine lacks."""
    missing = missing_event_inputs(config.data)
    for name in [*required_assets(config), *also]:
        try:
            assets.require(name)
        except PretrainedUnavailable as exc:
            missing.append(exc)
    return missing


def captioner_missing_requirements(
    experiment: str,
    profile: str,
    profile_overrides: Sequence[str] = (),
    runs_root: str | os.PathLike | None = None,
) -> list[PretrainedUnavailable]:
    """What training the captioner `experiment` would need that is missing; nothing when its
    run is already complete (caption-based retrieval only reads it then)."""
    config = resolve_config(experiment, profile, profile_overrides=profile_overrides)
    if RunDir(run_path(TASK, experiment, config, runs_root)).complete:
        return []
    return missing_requirements(config)


def check_requirements(config: CaptioningConfig, also: Sequence[str] = ()) -> None:
    """Raise for every missing asset at once (one error naming each and its command), before
    any run directory is made."""
    missing = missing_requirements(config, also)
    if missing:
        raise PretrainedUnavailable.combine(missing)
