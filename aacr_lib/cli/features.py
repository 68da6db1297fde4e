"""`aacr features DIR --kind KIND`: build the HDF5 feature caches of a Clotho-layout directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from aacr_lib.cli.arguments import positive_int

KINDS = ("logmel", "vggish", "logmel_pooled")
SPLITS = ("development", "validation", "evaluation")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "features",
        help="compute audio features of a dataset into resumable HDF5 caches",
        description=(
            "Compute features of every clip of each split into "
            "FEATURES/KIND-HASH/SPLIT.h5 (HASH identifies the configuration), FEATURES being "
            "ROOT/NAME-ID/ under a features root (--features-dir, else $AACR_FEATURES; NAME-ID "
            "is the dataset's name and an id of its path), else DIR/features/. An interrupted run resumes; a finished cache is not recomputed, "
            "except clips whose audio file changed since. A clip whose audio is bad "
            "(undecodable, truncated, NaN) stops the run with its name."
        ),
    )
    parser.add_argument("dir", help="dataset directory (Clotho v2.1 layout)")
    parser.add_argument(
        "--kind",
        required=True,
        choices=KINDS,
        help="logmel: retrieval baseline log-mel [T, 64]; vggish: captioning baseline "
        "embeddings [P, 128] (needs `aacr setup vggish`); logmel_pooled: offline demo "
        "stand-in, VGGish log-mel patches averaged per 0.96 s [P, 64]",
    )
    parser.add_argument(
        "--split",
        nargs="+",
        choices=SPLITS,
        default=None,
        help="splits to compute (default: every split whose captions CSV is in DIR)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--out",
        default=None,
        help="output: a .h5 file (one split only) or a folder that gets SPLIT.h5 files "
        "(default: FEATURES/KIND-HASH/)",
    )
    where.add_argument(
        "--features-dir",
        default=None,
        metavar="ROOT",
        help="features root outside the dataset (e.g. for a read-only one): caches go to "
        "ROOT/NAME-ID/KIND-HASH/ (default: $AACR_FEATURES, else DIR/features/); training "
        "finds them with AACR_FEATURES=ROOT",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=8, help="clips per batch (default 8)"
    )
    parser.add_argument("--device", default="cpu", help="torch device for vggish (default cpu)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_features)


def _output_path(out: str | None, split: str, n_splits: int) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if path.suffix in (".h5", ".hdf5"):
        if n_splits > 1:
            from aacr_lib.errors import ConfigError

            raise ConfigError(
                f"--out {out} is one file but {n_splits} splits were asked for; give a folder "
                "or one --split"
            )
        return path
    return path / f"{split}.h5"


def _features(args: argparse.Namespace) -> int:
    from aacr_lib.data.clotho import available_splits, captions_csv_path
    from aacr_lib.errors import DataError
    from aacr_lib.features.cache import FeatureCache, build_feature_cache

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
    for split in splits:
        path = build_feature_cache(
            root,
            args.kind,
            split,
            out=_output_path(args.out, split, len(splits)),
            features_root=args.features_dir,
            batch_size=args.batch_size,
            device=args.device,
            progress=not args.no_progress,
        )
        with FeatureCache(path) as cache:
            clips = f"{len(cache)} clip{'' if len(cache) == 1 else 's'}"
            print(f"{args.kind} features of {split}: {clips}, {cache.dim}-d, in {path}")
    return 0
