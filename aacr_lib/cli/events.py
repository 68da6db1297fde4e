"""`aacr events DIR --source SOURCE`: build the sound-event caches of a Clotho-layout directory."""

from __future__ import annotations

import argparse
from pathlib import Path

SOURCES = ("panns", "tagger", "oracle")  # aacr_lib.events.config.SOURCES, without its imports
SPLITS = ("development", "validation", "evaluation")


def positive_float(text: str) -> float:
    """An argparse `type`: a number above 0 (the hop in seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "events",
        help="compute sound-event probabilities (AudioSet's 527 classes) into HDF5 caches",
        description=(
            "Compute per-frame probabilities of AudioSet's 527 sound classes for every clip "
            "of each split, into FEATURES/events_SOURCE-HASH/SPLIT.h5 (the same resumable "
            "caches as `aacr features`). Sources: panns (PANNs Cnn14_DecisionLevelMax, needs "
            "`aacr setup panns_cnn14_decision_level_max`), tagger (a tagger trained here, "
            "--run), oracle (ClothoMix's ground truth; not on real Clotho)."
        ),
    )
    parser.add_argument("dir", help="dataset directory (Clotho v2.1 layout)")
    parser.add_argument(
        "--source", required=True, choices=SOURCES, help="where the events come from"
    )
    parser.add_argument(
        "--split",
        nargs="+",
        choices=SPLITS,
        default=None,
        help="splits to compute (default: every split whose captions CSV is in DIR)",
    )
    parser.add_argument(
        "--run",
        default=None,
        help="with --source tagger: the tagger run (its directory name, or its path)",
    )
    parser.add_argument(
        "--hop",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="time grid of the probabilities (default 0.32, PANNs' own resolution)",
    )
    parser.add_argument(
        "--features-dir",
        default=None,
        metavar="ROOT",
        help="features root outside the dataset: caches go to ROOT/NAME-ID/events_SOURCE-HASH/ "
        "(default: $AACR_FEATURES, else DIR/features/)",
    )
    parser.add_argument("--device", default="cpu", help="torch device: cpu or cuda (default cpu)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_events)


def _register_tagger() -> None:
    """`aacr_lib.tagging` registers the `events_tagger` kind when imported."""
    import importlib.util

    from aacr_lib.errors import ConfigError

    if importlib.util.find_spec("aacr_lib.tagging") is None:
        raise ConfigError(
            "--source tagger needs the aacr_lib.tagging package, which this installation lacks"
        )
    import aacr_lib.tagging  # noqa: F401


def _tagger_run(given: str) -> str:
    """`TaggerEventsConfig.run` for `--run`: the directory name of a run under the runs root
    (the name carries the run's config hash, and stays the same on another machine), else the
    absolute path of a run elsewhere."""
    from aacr_lib.paths import runs_root

    path = Path(given)
    if len(path.parts) == 1 and not path.is_absolute():
        return given
    resolved = path.expanduser().resolve()
    return resolved.name if resolved.parent == runs_root().resolve() else str(resolved)


def _config(args: argparse.Namespace):
    from aacr_lib.errors import ConfigError
    from aacr_lib.events import events_config

    fields: dict[str, object] = {}
    if args.hop is not None:
        fields["hop_seconds"] = args.hop
    if args.source == "tagger":
        if not args.run:
            raise ConfigError(
                "--source tagger needs --run RUN (the tagger run's directory name or path)"
            )
        _register_tagger()
        fields["run"] = _tagger_run(args.run)
    elif args.run:
        raise ConfigError(f"--run is for --source tagger, not {args.source}")
    return events_config(args.source, **fields)


def _events(args: argparse.Namespace) -> int:
    from aacr_lib.data.clotho import available_splits, captions_csv_path
    from aacr_lib.errors import DataError
    from aacr_lib.events import build_events_cache
    from aacr_lib.features.cache import FeatureCache

    root = Path(args.dir)
    if not root.is_dir():
        raise DataError(
            f"dataset directory {root} not found; run `aacr data clotho` to download Clotho "
            "or `aacr data demo` to build the ClothoMix demo data"
        )
    splits = args.split or list(available_splits(root))
    if not splits:
        raise DataError(
            f"no clotho_captions_{{development,validation,evaluation}}.csv in {root}; is it a "
            "Clotho-layout directory? (`aacr data check DIR` tells)"
        )
    for split in splits:
        if not captions_csv_path(root, split).is_file():
            raise DataError(f"{captions_csv_path(root, split)} not found (split {split!r})")
    config = _config(args)
    for split in splits:
        path = build_events_cache(
            root,
            config,
            split,
            progress=not args.no_progress,
            device=args.device,
            features_root=args.features_dir,
        )
        with FeatureCache(path) as cache:
            clips = f"{len(cache)} clip{'' if len(cache) == 1 else 's'}"
            print(
                f"{config.source} events of {split}: {clips}, {config.frame_rate:.4g} frames/s, "
                f"{cache.dim} classes, in {path}"
            )
    return 0
