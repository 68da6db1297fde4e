"""`aacr setup`: download pretrained assets and tools into `AACR_CACHE` (needs the network).

- `aacr setup --profile clotho`: every asset the clotho book needs (`aacr_lib.assets.for_profile`);
  `--profile demo` fetches the three that complete the offline demo book (VGGish, CoreNLP, PANNs).
- `aacr setup NAME [NAME ...]`: the named assets of `aacr_lib.assets`; `spice` is another name
  for `stanford_corenlp`.
- `aacr setup --list`: each asset, present or missing, where, its size, how it is verified.

Stanford CoreNLP 3.6.0 (SPICE, SPIDEr) comes as the code and models jars of the 2015-12-09
release zip, SHA-1 checked; `--zip PATH` installs it from a zip downloaded by hand. Every asset
is tried even when one fails (offline, each fails within seconds naming its URL); the command
then ends with one error line naming those that failed (one asset: its own error).
"""

from __future__ import annotations

import argparse

CORENLP = "stanford_corenlp"


def human_size(size: int) -> str:
    """Bytes in the largest binary unit that keeps a number of at least 1 (`1.6 GiB`)."""
    units = ("B", "KiB", "MiB", "GiB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{size} B" if unit == 0 else f"{value:.1f} {units[unit]}"


def register(subparsers: argparse._SubParsersAction) -> None:
    setup = subparsers.add_parser(
        "setup",
        help="download pretrained assets (`aacr setup --profile clotho`, `aacr setup --list`)",
        description="Download and verify pretrained assets into AACR_CACHE. `--profile clotho` "
        "fetches all that the clotho book needs (about 3.5 GB, GoogleNews-300 alone 1.6 GiB); NAME "
        "fetches the named assets (`spice`: Stanford CoreNLP 3.6.0 for SPICE and SPIDEr, about "
        "400 MB). An interrupted download resumes when the same command is run again.",
    )
    setup.add_argument(
        "names", nargs="*", metavar="NAME", help="assets listed by `aacr setup --list` (or spice)"
    )
    setup.add_argument(
        "--profile",
        default=None,
        metavar="PROFILE",
        help="fetch every asset the book of this profile needs (clotho: all six; demo: VGGish, CoreNLP and PANNs, the rest of the demo is trained offline)",
    )
    setup.add_argument(
        "--list", action="store_true", help="list the assets, present or missing, and exit"
    )
    setup.add_argument(
        "--zip",
        default=None,
        metavar="PATH",
        help="spice only: install from a local stanford-corenlp-full-2015-12-09.zip",
    )
    setup.add_argument(
        "--keep-zip", action="store_true", help="spice only: keep the downloaded zip"
    )
    setup.set_defaults(handler=_setup)


def _asset_names(args: argparse.Namespace) -> list[str]:
    """The canonical asset names asked for, in order, each once; `ConfigError` for a bad one."""
    from aacr_lib import assets
    from aacr_lib.errors import ConfigError

    if args.profile and args.names:
        raise ConfigError("give asset names or --profile, not both")
    if args.profile:
        try:
            return list(assets.for_profile(args.profile))
        except KeyError as exc:
            raise ConfigError(exc.args[0]) from None
    names = []
    for name in args.names:
        try:
            canonical = assets.get(name).name
        except KeyError as exc:
            raise ConfigError(f"{exc.args[0]}; or `spice`") from None
        if canonical not in names:
            names.append(canonical)
    return names


def list_assets(names: list[str] | None = None) -> str:
    """One paragraph per asset: name, title, purpose, present or missing, path, size, checksum."""
    from aacr_lib import assets

    lines = []
    for row in assets.status():
        if names and row["name"] not in names:
            continue
        state = "present" if row["available"] else "missing"
        size = human_size(row["bytes"]) if row["bytes"] is not None else "size unknown"
        where = row["path"] if row["available"] else f"get it: {row['fix']}"
        lines.append(f"{row['name']} [{state}] {row['title']}: {row['purpose']}")
        lines.append(f"    {where}; {size}; checksum: {row['checksum']}")
    return "\n".join(lines)


def _fetch_one(name: str, args: argparse.Namespace) -> str:
    """Fetch one asset; return where it is (raises the asset's error)."""
    from aacr_lib import assets

    if name == CORENLP:
        from aacr_lib.evaluation.corenlp import install_corenlp

        directory = install_corenlp(zip_path=args.zip, keep_zip=args.keep_zip)
        return f"{directory} (SPICE and SPIDEr are available)"
    asset = assets.get(name)
    if asset.locate is not None:  # another tool's package: present, or its install command
        return str(assets.require(name))
    return str(assets.fetch(name))


def _setup(args: argparse.Namespace) -> int:
    from aacr_lib.errors import AacrError, ConfigError

    names = _asset_names(args)
    if args.list:
        print(list_assets(names or None))
        return 0
    if (args.zip or args.keep_zip) and CORENLP not in names:
        raise ConfigError("--zip and --keep-zip apply to `aacr setup spice` only")
    if not names:
        if args.profile:
            print(f"the {args.profile} book needs no pretrained asset: nothing to fetch")
            return 0
        raise ConfigError("name the assets to fetch, or give --profile clotho or --list")
    if len(names) == 1:  # one asset: its own error is the command's one error line
        print(f"{names[0]}: ready in {_fetch_one(names[0], args)}")
        return 0
    failed = []
    for name in names:
        try:
            print(f"{name}: ready in {_fetch_one(name, args)}", flush=True)
        except AacrError as exc:
            print(f"{name}: FAILED: {exc}", flush=True)
            failed.append(name)
    if failed:
        raise AacrError(
            f"{len(failed)} of {len(names)} assets were not fetched: {', '.join(failed)} "
            "(above: why, and what fixes each); rerun the same command to resume"
        )
    return 0
