"""Writing ClothoMix to disk in the Clotho v2.1 layout.

    clotho_captions_{split}.csv    file_name,caption_1..caption_5
    clotho_metadata_{split}.csv    file_name,keywords,sound_id,sound_link,start_end_samples,
                                   manufacturer,license
    clothomix_events_{split}.csv   file_name,label,kind,onset,offset   (ground truth, seconds)
    {split}/{file_name}            16-bit PCM WAV, 16 kHz mono
    README.txt, LICENSE.txt, ATTRIBUTION.md

Every clip is made from its own random generator seeded with (seed, split, index), so a clip
does not depend on how many clips come before it, and the same seed always gives byte-identical
files.

A build is all-or-nothing: it writes a hidden sibling folder `.{name}.building-*` and renames it
into place at the end, under the file lock `.{name}.swap.lock` beside the folder (the previous
dataset is renamed aside to `.{name}.old-*` first and removed after). So the folder always
holds one complete dataset made with one set of arguments: two builds at once each write their
own copy, and the one that finishes last is the one left. A previous ClothoMix is replaced as a
whole, never mixed with the new clips; its feature caches (`features/`) are kept only when it
was made with the same arguments (the same README), since they describe the same audio. A
folder that holds anything but ClothoMix files is refused rather than replaced. A killed build
may leave its `.{name}.building-*` folder behind, which can be deleted.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock

from aacr_lib.data.clotho import CAPTIONS_HEADER, METADATA_COLUMNS, SPLITS
from aacr_lib.data.clothomix.bank import SoundBank, load_bank, load_sound
from aacr_lib.data.clothomix.grammar import EventMention, make_captions
from aacr_lib.data.clothomix.mixer import ClipPlan, plan_clip, render_clip
from aacr_lib.errors import ConfigError
from aacr_lib.files import replace_folder, sibling

DEFAULT_CLIPS = {"development": 400, "validation": 100, "evaluation": 100}
MIN_DURATION = 1.0
EVENTS_HEADER = ("file_name", "label", "kind", "onset", "offset")
MANUFACTURER = "ClothoMix (aacr demo data)"
LICENSE_TEXT = (
    "CC-BY-SA-3.0; mixed from recordings of 0 A.D. (Wildfire Games) and MegaGlest "
    "(The Glest Team, The MegaGlest Team), see ATTRIBUTION.md"
)
# Distinct streams for the audio and the captions of a clip: changing the grammar must not
# change the audio, and the other way round.
_AUDIO_STREAM, _CAPTION_STREAM = 0, 1
_CAPTION_RETRIES = 4


@dataclass(frozen=True)
class Clip:
    """One generated clip: its name, plan, waveform and captions."""

    file_name: str
    plan: ClipPlan
    waveform: np.ndarray
    captions: tuple[str, ...]


def _validate(seed: object, clips: Mapping[str, int], duration: object) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(clips, Mapping):
        raise ConfigError(f"clips must map split names to counts, got {clips!r}")
    for split, count in clips.items():
        if split not in SPLITS:
            raise ConfigError(f"unknown split {split!r} in clips; splits are {', '.join(SPLITS)}")
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise ConfigError(f"clips[{split!r}] must be a non-negative integer, got {count!r}")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        raise ConfigError(f"duration must be a number of seconds, got {duration!r}")
    if not np.isfinite(duration) or duration < MIN_DURATION:
        raise ConfigError(f"duration must be at least {MIN_DURATION:g} s, got {duration!r}")


def clip_name(split: str, index: int, count: int) -> str:
    """`clothomix_{split}_{index}.wav`, zero-padded so that names sort in index order."""
    width = max(4, len(str(max(count - 1, 0))))
    return f"clothomix_{split}_{index:0{width}d}.wav"


def clip_rng(seed: int, split: str, index: int, stream: int) -> np.random.Generator:
    """The generator of one clip; independent of every other clip and of the split sizes."""
    return np.random.default_rng([int(seed), SPLITS.index(split), int(index), stream])


def make_clip(
    bank: SoundBank, seed: int, split: str, index: int, count: int, duration: float
) -> Clip:
    """Plan, render and caption clip `index` of `split`."""
    audio_rng = clip_rng(seed, split, index, _AUDIO_STREAM)
    plan = plan_clip(bank, audio_rng, duration)
    waveform = render_clip(plan, load_sound, audio_rng)
    return Clip(clip_name(split, index, count), plan, waveform, _captions(seed, split, index, plan))


def _captions(seed: int, split: str, index: int, plan: ClipPlan) -> tuple[str, ...]:
    """Five captions of the plan; a fresh (still deterministic) stream if one runs dry."""
    mentions = [EventMention(event.label, len(event.sounds), event.loud) for event in plan.events]
    for stream in range(_CAPTION_STREAM, _CAPTION_STREAM + _CAPTION_RETRIES):
        try:
            rng = clip_rng(seed, split, index, stream)
            return tuple(make_captions(rng, plan.background.label, mentions))
        except RuntimeError:
            # The random search can in principle miss (never seen in 20,000 random clips).
            continue
    raise RuntimeError(f"no captions for clip {index} of {split} (seed {seed})")


def wav_bytes(waveform: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV bytes; the float-to-integer rounding is done here so it never varies."""
    import soundfile as sf

    pcm = np.clip(np.round(waveform * 32767.0), -32768, 32767).astype(np.int16)
    buffer = io.BytesIO()
    sf.write(buffer, pcm, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def metadata_row(clip: Clip, index: int) -> list[str]:
    """A `clotho_metadata` row: keywords are the labels, sound_link the bank files used."""
    plan = clip.plan
    labels = [plan.background.label] + [event.label for event in plan.events]
    files = [plan.background.file] + [
        sound.file for event in plan.events for sound in dict.fromkeys(event.sounds)
    ]
    return [
        clip.file_name,
        ";".join(label.replace("_", " ") for label in labels),
        str(index),
        ";".join(f"soundbank:{name}" for name in dict.fromkeys(files)),
        f"[{plan.background_start}, {plan.background_start + plan.length}]",
        MANUFACTURER,
        LICENSE_TEXT,
    ]


def event_rows(clip: Clip) -> list[list[str]]:
    """Ground truth: the background over the whole clip, then every event occurrence."""
    plan = clip.plan
    sr = plan.sample_rate
    rows = [[clip.file_name, plan.background.label, "background", "0.000", f"{plan.duration:.3f}"]]
    for event in plan.events:
        for onset, played in zip(event.onsets, event.lengths, strict=True):
            rows.append(
                [
                    clip.file_name,
                    event.label,
                    "event",
                    f"{onset / sr:.3f}",
                    f"{(onset + played) / sr:.3f}",
                ]
            )
    return rows


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _readme(seed: int, clips: Mapping[str, int], duration: float, bank: SoundBank) -> str:
    backgrounds = ", ".join(bank.labels("background"))
    events = ", ".join(bank.labels("event"))
    counts = ", ".join(f"{split} {clips[split]}" for split in SPLITS if split in clips)
    return (
        "ClothoMix: offline demo data in the Clotho v2.1 layout\n"
        "======================================================\n\n"
        "Made by `aacr data demo` (aacr_lib.data.clothomix.generate_clothomix) with\n"
        f"seed {seed}, clip duration {duration:g} s, clips: {counts}.\n\n"
        "Each clip mixes one background recording (looped or cropped) with one to three event\n"
        "recordings, one after the other, each repeated one to three times, loud (close) or\n"
        "faint (distant). The five captions per clip come from a grammar and describe exactly\n"
        "what was mixed: the events in order, how often, over which background.\n\n"
        "Files: clotho_captions_{split}.csv, clotho_metadata_{split}.csv, {split}/*.wav\n"
        "(16-bit PCM, 16 kHz mono), and clothomix_events_{split}.csv with the ground truth\n"
        "(file_name,label,kind,onset,offset in seconds).\n\n"
        f"Backgrounds: {backgrounds}.\nEvents: {events}.\n\n"
        "Licence and attribution\n"
        "-----------------------\n"
        "The recordings come from the Debian packages 0ad-data (0 A.D., Copyright (C) 2009\n"
        "Wildfire Games, http://www.wildfiregames.com/) and megaglest-data (MegaGlest,\n"
        "Copyright 2001-2008 The Glest Team, 2008-2017 The MegaGlest Team, http://megaglest.org,\n"
        "and the authors named in ATTRIBUTION.md), all under the Creative Commons\n"
        "Attribution-ShareAlike 3.0 licence. ClothoMix is an adaptation of them and is licensed\n"
        "under CC BY-SA 3.0 as well (https://creativecommons.org/licenses/by-sa/3.0/); the legal\n"
        "code is in LICENSE.txt, the per-recording credits in ATTRIBUTION.md.\n"
    )


# What a ClothoMix folder may hold besides its clips: a folder with anything else in it is
# somebody else's, and is not replaced.
_FIXED_NAMES = {"README.txt", "LICENSE.txt", "ATTRIBUTION.md", "features", *SPLITS}
_CSV_PREFIXES = ("clotho_captions_", "clotho_metadata_", "clothomix_events_")
FEATURES_DIR = "features"


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file, not a dataset folder; choose another --out")
    if not out.is_dir():
        return
    others = sorted(
        p.name
        for p in out.iterdir()
        if p.name not in _FIXED_NAMES
        and not (p.name.startswith(_CSV_PREFIXES) and p.name.endswith(".csv"))
    )
    if others:
        raise ConfigError(
            f"{out} holds files that are not ClothoMix ({', '.join(others[:3])}"
            f"{', …' if len(others) > 3 else ''}); a build replaces the whole folder, so "
            "choose a new or empty folder (--out)"
        )


def _swap_in(new: Path, out: Path) -> None:
    """Put the finished build `new` in place of `out`: rename `out` aside, `new` in, then
    remove the old one. Feature caches move over when the old dataset is the same one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out.parent / f".{out.name}.swap.lock")):
        _check_target(out)  # again: it may have changed while this build ran
        if out.exists():
            same = (out / "README.txt").is_file() and (out / "README.txt").read_bytes() == (
                new / "README.txt"
            ).read_bytes()
            if same and (out / FEATURES_DIR).is_dir():
                os.replace(out / FEATURES_DIR, new / FEATURES_DIR)
        old = replace_folder(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_dataset(
    out: Path, seed: int, clips: dict[str, int], duration: float, progress: bool
) -> dict[str, int]:
    """Write every file of the dataset into the fresh folder `out`."""
    from tqdm.auto import tqdm

    bank = load_bank()
    out.mkdir(parents=True)
    (out / "README.txt").write_text(_readme(seed, clips, duration, bank), encoding="utf-8")
    shutil.copyfile(bank.root / "LICENSE.txt", out / "LICENSE.txt")
    shutil.copyfile(bank.root / "ATTRIBUTION.md", out / "ATTRIBUTION.md")
    summary: dict[str, int] = {}
    total = sum(clips.values())
    with tqdm(total=total, desc="ClothoMix", unit="clip", disable=not progress) as bar:
        for split in (s for s in SPLITS if s in clips):
            count = int(clips[split])
            folder = out / split
            folder.mkdir()
            captions, metadata, events = [], [], []
            for index in range(count):
                clip = make_clip(bank, seed, split, index, count, duration)
                (folder / clip.file_name).write_bytes(
                    wav_bytes(clip.waveform, clip.plan.sample_rate)
                )
                captions.append([clip.file_name, *clip.captions])
                metadata.append(metadata_row(clip, index))
                events.extend(event_rows(clip))
                bar.update(1)
            _write_csv(out / f"clotho_metadata_{split}.csv", METADATA_COLUMNS, metadata)
            _write_csv(out / f"clothomix_events_{split}.csv", EVENTS_HEADER, events)
            # Captions last: callers take clotho_captions_evaluation.csv as "build complete".
            _write_csv(out / f"clotho_captions_{split}.csv", CAPTIONS_HEADER, captions)
            summary[split] = count
    return summary


def generate_clothomix(
    out_dir: str | os.PathLike,
    seed: int = 0,
    clips: Mapping[str, int] | None = None,
    duration: float = 10.0,
    progress: bool = True,
) -> dict[str, int]:
    """Build the ClothoMix demo dataset in `out_dir`; return the clips written per split.

    `clips` maps split names (development, validation, evaluation) to clip counts (default
    400/100/100); splits left out are not written. Raises `ConfigError` for an unknown split, a
    negative count, a negative seed or a duration under one second, and for an `out_dir` that
    holds other files than ClothoMix. The same arguments always give byte-identical files.

    The dataset is written beside `out_dir` and renamed into place when complete, replacing a
    previous one as a whole (see the module's docstring): `out_dir` never holds a half-written
    or mixed dataset, even with several builds at once.
    """
    clips = DEFAULT_CLIPS if clips is None else clips
    _validate(seed, clips, duration)
    clips = dict(clips)
    duration = float(duration)
    out = Path(out_dir)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    building = sibling(out, "building")
    try:
        summary = _write_dataset(building, int(seed), clips, duration, progress)
        _swap_in(building, out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return summary
