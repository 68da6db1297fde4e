"""`aacr tag FILE… (--run RUN | --source panns)`: the sound events heard in each audio file.

For each file, in the order given, the detected events: AudioSet class, onset and offset
(seconds) and confidence (the highest probability between them), from a trained tagging run
(`aacr train tagging --experiment baseline`; RUN is its directory, or its name under the runs
root) or from PANNs Cnn14 (`aacr setup panns_cnn14_decision_level_max`). Any format, sample
rate and channel count `aacr` reads.

A file that cannot be read gets one line `FILE: error: …` on stderr and the others are still
tagged; the exit code is 0 when every file was tagged, 1 when any failed (or the PANNs weights
are missing), 2 when the run itself cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value:g}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    tag = subparsers.add_parser(
        "tag",
        help="detect the sound events in audio files (a trained tagger, or PANNs)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tag.add_argument("files", nargs="+", metavar="FILE", help="wav, flac, ogg, mp3, …")
    source = tag.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--run", help="a tagging run: its directory, or its name under the runs root"
    )
    source.add_argument(
        "--source", choices=("panns",), help="panns: PANNs Cnn14 (pretrained on AudioSet)"
    )
    tag.add_argument(
        "--threshold",
        type=_threshold,
        default=None,
        help="probability an event must reach (default: the run's, 0.5 for PANNs)",
    )
    tag.add_argument("--format", choices=("table", "json"), default="table", help="output")
    tag.add_argument("--runs-root", default=None, help="root of run directories ($AACR_RUNS)")
    tag.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    tag.set_defaults(handler=_tag)


def _run_dir(run: str, root: str | None):
    from pathlib import Path

    from aacr_lib.paths import runs_root

    path = Path(run)
    if path.is_dir() or path.is_absolute():
        return path
    under_root = runs_root(root) / run
    return under_root if under_root.is_dir() else path


def _event_dict(event) -> dict:
    return {
        "label": event.label,
        "index": event.index,
        "onset": event.onset,
        "offset": event.offset,
        "confidence": round(float(event.confidence), 4),
    }


def _table(result, threshold: float | None) -> str:
    duration = f" ({result.duration:.2f} s)" if result.duration is not None else ""
    if not result.events:
        above = f" {threshold:g}" if threshold is not None else ""
        return f"{result.path}{duration}: no event above threshold{above}"
    lines = [f"{result.path}{duration}", f"  {'onset':>7} {'offset':>7}  {'confidence':>10}  label"]
    for event in result.events:
        lines.append(
            f"  {event.onset:7.2f} {event.offset:7.2f}  {event.confidence:10.3f}  {event.label}"
        )
    return "\n".join(lines)


def _tag(args: argparse.Namespace) -> int:
    from aacr_lib.errors import PretrainedUnavailable
    from aacr_lib.tagging.inference import load_tagger, tag_files

    if args.source == "panns":
        tagger, threshold = None, 0.5 if args.threshold is None else args.threshold
    else:
        tagger = load_tagger(_run_dir(args.run, args.runs_root), args.device)
        threshold = tagger.config.evaluation.threshold if args.threshold is None else args.threshold
    try:
        results = tag_files(
            args.files,
            source="panns" if args.source == "panns" else "run",
            threshold=threshold,
            device=args.device,
            tagger=tagger,
        )
    except PretrainedUnavailable as exc:
        print(f"aacr tag: error: {exc}", file=sys.stderr, flush=True)
        return 1
    failed = 0
    documents = []
    for result in results:
        if result.ok:
            if args.format == "json":
                documents.append(
                    {
                        "file": str(result.path),
                        "duration": result.duration,
                        "events": [_event_dict(e) for e in result.events or ()],
                    }
                )
            else:
                print(_table(result, threshold), flush=True)
        else:
            failed += 1
            message = result.error or "unknown error"
            if message.startswith(str(result.path)):
                message = message[len(str(result.path)) :].lstrip(": ")
            print(f"{result.path}: error: {message}", file=sys.stderr, flush=True)
            documents.append({"file": str(result.path), "error": message})
    if args.format == "json":
        print(json.dumps(documents, indent=2))
    return 1 if failed else 0
