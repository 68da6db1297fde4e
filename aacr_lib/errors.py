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

    @classmethod
    def combine(cls, errors: list[PretrainedUnavailable]) -> PretrainedUnavailable:
        """One error for several missing assets, naming each, where it was looked for, and
        every command (a user fixes them all at once instead of one rerun each)."""
        if len(errors) == 1:
            return errors[0]
        combined = cls.__new__(cls)
        combined.asset = " and ".join(error.asset for error in errors)
        combined.looked_at = "; ".join(error.looked_at for error in errors)
        combined.fix = "; ".join(error.fix for error in errors)
        combined.reason = ""
        listed = "; ".join(f"{error.asset} (looked for at {error.looked_at})" for error in errors)
        AacrError.__init__(
            combined, f"{len(errors)} assets are missing: {listed}. To get them: {combined.fix}"
        )
        return combined


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
