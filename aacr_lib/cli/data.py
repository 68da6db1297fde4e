"""`aacr data clotho|check|demo`: get Clotho, validate a Clotho-layout directory, build ClothoMix."""

from __future__ import annotations

import argparse

from aacr_lib.paths import dataset_dir

CLOTHO_SPLITS = ("development", "validation", "evaluation")
# `aacr_lib.data.clothomix.SCALES`, spelled out so that `aacr --help` imports no numpy.
CLOTHOMIX_SCALES = ("demo", "clotho")


def _parse_clips(text: str) -> dict[str, int]:
    clips: dict[str, int] = {}
    for part in text.split(","):
        split, _, count = part.partition("=")
        if split not in CLOTHO_SPLITS or not count.isdigit():
            raise argparse.ArgumentTypeError(
                f"--clips expects e.g. development=400,validation=100,evaluation=100; got {part!r}"
            )
        clips[split] = int(count)
    return clips


def _parse_duration(text: str) -> float | tuple[float, float]:
    """`10` (every clip 10 s) or `15-30` (each clip draws its length from 15 to 30 s)."""
    low, dash, high = text.partition("-")
    try:
        if dash:
            return (float(low), float(high))
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--duration expects seconds (10) or a range of seconds (15-30); got {text!r}"
        ) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="get, check and build datasets")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    clotho = sub.add_parser("clotho", help="download Clotho v2.1 from Zenodo (checksums, resume)")
    clotho.add_argument(
        "--root", default=None, help="target directory (default: $AACR_DATA/clotho)"
    )
    clotho.add_argument("--splits", nargs="+", default=list(CLOTHO_SPLITS), choices=CLOTHO_SPLITS)
    clotho.set_defaults(handler=_clotho)

    check = sub.add_parser("check", help="validate a Clotho-layout directory; exit 1 on errors")
    check.add_argument("dir", help="dataset directory (Clotho v2.1 layout)")
    check.add_argument("--splits", nargs="+", default=None, choices=CLOTHO_SPLITS)
    check.add_argument("--json", default=None, help="also write the report as JSON here")
    check.set_defaults(handler=_check)

    demo = sub.add_parser(
        "demo", help="build the ClothoMix demo dataset from the embedded sound bank"
    )
    demo.add_argument(
        "--out",
        default=None,
        help="target directory (default: $AACR_DATA/clothomix), replaced as a whole when the "
        "build is complete; a folder holding other files is refused",
    )
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument(
        "--scale",
        choices=CLOTHOMIX_SCALES,
        default="demo",
        help="demo: 400/100/100 clips of 10 s at 16 kHz (the demo book's data); clotho: "
        "Clotho v2.1's sizes, 3839/1045/1045 clips of 15-30 s at 44.1 kHz with Clotho-style "
        "file names (a rehearsal of the clotho profile, offline). The options below override it",
    )
    demo.add_argument(
        "--clips",
        type=_parse_clips,
        default=None,
        help="clips per split, e.g. development=400,validation=100,evaluation=100 (splits left "
        "out are not written; default: the scale's)",
    )
    demo.add_argument(
        "--duration",
        type=_parse_duration,
        default=None,
        help="clip length in seconds (10), or a range each clip draws its length from (15-30); "
        "default: the scale's",
    )
    demo.add_argument(
        "--sample-rate", type=int, default=None, help="Hz (default: the scale's, 16000 or 44100)"
    )
    demo.add_argument(
        "--file-names",
        choices=("clothomix", "clotho"),
        default=None,
        help="clothomix: clothomix_{split}_{index}.wav; clotho: titles with spaces and "
        "punctuation as in Clotho, e.g. 'Rain on a tin roof, heavy (2).wav' (default: the scale's)",
    )
    demo.add_argument(
        "--clotho-layout-only",
        action="store_true",
        help="write only what Clotho v2.1 has (the captions and metadata CSVs and the audio "
        "folders): no README, licence files or clothomix_events_*.csv",
    )
    demo.set_defaults(handler=_demo)


def _clotho(args: argparse.Namespace) -> int:
    from aacr_lib.data.download import download_clotho

    root = args.root or dataset_dir("clotho")
    download_clotho(root, splits=args.splits)
    print(f"Clotho v2.1 ready in {root}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from aacr_lib.data.check import check_dataset

    report = check_dataset(args.dir, splits=args.splits)
    print(report.format())
    if args.json:
        report.write_json(args.json)
    return 0 if report.ok else 1


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from aacr_lib.cli.arguments import check_writable_dir
    from aacr_lib.data.clothomix import generate_clothomix

    clips = args.clips
    out = args.out or dataset_dir("clothomix")
    # built beside its folder and renamed into place: that parent must take writes
    check_writable_dir(Path(out).resolve().parent, "folder that holds the dataset")
    summary = generate_clothomix(
        out,
        seed=args.seed,
        clips=clips,
        duration=args.duration,
        scale=args.scale,
        sample_rate=args.sample_rate,
        file_names=args.file_names,
        clotho_layout_only=args.clotho_layout_only,
    )
    print(f"ClothoMix written to {out}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return 0
