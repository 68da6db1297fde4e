"""`aacr info`: versions, git commit, device, Java, and every pretrained asset's status."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    info = subparsers.add_parser("info", help="versions, device, Java and pretrained assets")
    info.add_argument("--json", action="store_true", help="print the report as JSON")
    info.set_defaults(handler=_info)


def _device() -> dict:
    import torch

    report = {"torch": torch.__version__, "cuda": torch.cuda.is_available(), "gpus": []}
    if report["cuda"]:
        report["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    report["cpu_threads"] = torch.get_num_threads()
    return report


def _java() -> dict:
    """The Java each Java-based tool will use (tokenizer, METEOR, SPICE), or why none fits."""
    from aacr_lib.evaluation.java import (
        METEOR_JAVA,
        SPICE_JAVA,
        TOKENIZER_JAVA,
        JavaUnavailable,
        candidate_runtimes,
        find_java,
    )

    tools = {}
    for requirement in (TOKENIZER_JAVA, METEOR_JAVA, SPICE_JAVA):
        try:
            tools[requirement.tool] = find_java(requirement).describe()
        except JavaUnavailable as exc:
            tools[requirement.tool] = f"none: {exc}"
    found = [runtime.describe() for runtime in candidate_runtimes()]
    return {"found": found, "tools": tools}


def collect_info() -> dict:
    """Everything `aacr info` shows, as one JSON-serialisable dict."""
    from aacr_lib import assets, paths
    from aacr_lib.runs import PACKAGE_DIR, git_state, package_versions

    return {
        "versions": package_versions(),
        "git": git_state(PACKAGE_DIR),
        "device": _device(),
        "java": _java(),
        "roots": {
            "data": str(paths.data_root()),
            "runs": str(paths.runs_root()),
            "cache": str(paths.cache_root()),
        },
        "assets": assets.status(),
    }


def _info(args: argparse.Namespace) -> int:
    report = collect_info()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    versions = report["versions"]
    print("aacr " + versions["aacr"] + f" (python {versions['python']})")
    print(
        "packages: "
        + ", ".join(f"{k} {v}" for k, v in versions.items() if k not in ("aacr", "python") and v)
    )
    git = report["git"]
    print(
        f"git commit: {git['commit'] or 'not a git checkout'}"
        + (" (uncommitted changes)" if git["dirty"] else "")
    )
    device = report["device"]
    gpus = ", ".join(device["gpus"]) or "none"
    print(
        f"device: {'cuda' if device['cuda'] else 'cpu'} (GPUs: {gpus}; CPU threads: {device['cpu_threads']})"
    )
    java = report["java"]
    print("java: " + ("; ".join(java["found"]) or "none found"))
    for tool, runtime in java["tools"].items():
        print(f"  {tool}: {runtime}")
    roots = report["roots"]
    print(f"roots: data={roots['data']} runs={roots['runs']} cache={roots['cache']}")
    print("pretrained assets:")
    for row in report["assets"]:
        state = "available" if row["available"] else "missing  "
        where = row["path"] if row["available"] else f"get it: {row['fix']}"
        print(f"  [{state}] {row['title']} — {row['purpose']}; {where} ({row['checksum']})")
    return 0
