"""Errors that users see. Each one names what is wrong and the command or URL that fixes it."""

from __future__ import annotations


class AacrError(Exception):
    """Base class of every error that the CLI reports as one clear line (no traceback)."""


class DataError(AacrError):
    """Bad input data: a file is missing, unreadable, or a CSV column is wrong."""


class DatasetUnavailable(AacrError):
    """A dataset is not on disk and cannot be downloaded now (offline, or no such split)."""


class PretrainedUnavailable(AacrError):
    """Pretrained weights or a tool are not cached and cannot be downloaded now.

    The message always names the asset, where it was looked for and the command or URL that
    gets it.
    """

    def __init__(self, asset: str, looked_at: str, fix: str, reason: str = "") -> None:
        self.asset = asset
        self.looked_at = looked_at
        self.fix = fix
        self.reason = reason
        detail = f" ({reason})" if reason else ""
        super().__init__(f"{asset} is not available at {looked_at}{detail}. To get it: {fix}")


class ConfigError(AacrError):
    """An unknown experiment, profile or configuration key."""


def lookup(options, name, what: str, error: type[Exception] = ConfigError):
    """`options[name]`, or `error` saying "unknown {what} {name!r}; choose one of …".

    The one lookup every registry of names uses (experiments, profiles, assets, feature kinds,
    metrics), so a typo always gets the same helpful message.
    """
    try:
        return options[name]
    except KeyError:
        raise error(f"unknown {what} {name!r}; choose one of {', '.join(options)}") from None
