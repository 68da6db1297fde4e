"""Writing ClothoMix to disk in the Clotho v2.1 layout.

    clotho_captions_{split}.csv    file_name,caption_1..caption_5
    clotho_metadata_{split}.csv    file_name,keywords,sound_id,sound_link,start_end_samples,
                                   manufacturer,license
    clothomix_events_{split}.csv   file_name,label,kind,onset,offset   (ground truth, seconds)
    {split}/{file_name}            16-bit PCM WAV, mono (16 kHz at demo scale, 44.1 kHz at
                                   Clotho scale)
    README.txt, LICENSE.txt, ATTRIBUTION.md

Two scales (`SCALES`): `demo` (400/100/100 clips of 10 s at 16 kHz, named
`clothomix_{split}_{index}.wav`: what the demo book trains on) and `clotho` (Clotho v2.1's
3,839/1,045/1,045 clips, each 15-30 s long, at 44.1 kHz, with Clotho-style names such as
`Rain on a tin roof, heavy (2).wav`: a rehearsal of the clotho profile's sizes and of Clotho's
awkward file names, offline). Explicit arguments override the scale's values. With
`clotho_layout_only=True` only what Clotho itself has is written (the two CSVs per split and
the audio folders), so a test can fabricate a tiny dataset in the exact Clotho v2.1 layout
(`generate_clotho_layout_fixture`).

**Recording-disjoint splits.** Each split's clips are mixed only from the bank files serving
that split (`SoundBank.for_split`, the rule in `aacr_lib.data.clothomix.bank`): no source
recording is heard in two splits, so the evaluation split measures sounds the models never
heard, as Clotho's does. Labels with fewer than three recordings occur in development only.

**Versions.** `CLOTHOMIX_VERSION` names the dataset's content (the bank and the split rule);
it is written into the README (`clothomix_version` reads it back), and every demo run's config
holds it (`data.version`), so a run's name and its numbers change with it and with nothing
else: the same version and seed give byte-identical files.

Every clip is made from its own random generators seeded with (seed, split, index, stream), so
a clip's audio, captions and duration do not depend on how many clips come before it, and the
same arguments always give byte-identical files. Clotho-style names are drawn the same way;
only when two clips draw the same name does the later one (in split order, then index order)
get a ` (2)` suffix, so names are unique in the whole dataset, case-insensitively.

A build is all-or-nothing: it writes a hidden sibling folder `.{name}.building-*` and renames it
into place at the end, under the file lock `.{name}.swap.lock` beside the folder (the previous
dataset is renamed aside to `.{name}.old-*` first and removed after). So the folder always
holds one complete dataset made with one set of arguments: two builds at once each write their
own copy, and the one that finishes last is the one left. A previous ClothoMix is replaced as a
whole, never mixed with the new clips; its feature caches (`features/`) are kept only when it
was made with the same arguments (the same README), since they describe the same audio. A
folder that holds anything but ClothoMix files, or a Clotho-layout dataset that ClothoMix did
not make (real Clotho has the same file names), is refused rather than replaced. A killed build
may leave its `.{name}.building-*` folder behind, which can be deleted.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
from filelock import FileLock

from aacr_lib.audio import resample
from aacr_lib.data.clotho import CAPTIONS_HEADER, METADATA_COLUMNS, SPLITS, parse_metadata_csv
from aacr_lib.data.clothomix.bank import BANK_SAMPLE_RATE, SoundBank, load_bank, load_sound
from aacr_lib.data.clothomix.grammar import EventMention, make_captions
from aacr_lib.data.clothomix.mixer import ClipPlan, plan_clip, render_clip
from aacr_lib.data.clothomix.names import clotho_style_name, unique_name
from aacr_lib.errors import ConfigError
from aacr_lib.files import replace_folder, sibling

# A clip length in seconds, or a (low, high) range each clip draws its length from.
Duration = float | tuple[float, float]

DEFAULT_CLIPS = {"development": 400, "validation": 100, "evaluation": 100}
CLOTHO_CLIPS = {"development": 3839, "validation": 1045, "evaluation": 1045}
CLOTHO_DURATION = (15.0, 30.0)
CLOTHO_SAMPLE_RATE = 44_100
# The clotho-layout fixture of tests: a handful of clips, Clotho's everything else.
FIXTURE_CLIPS = {"development": 6, "validation": 3, "evaluation": 3}
MIN_DURATION = 1.0
# Drawn durations are whole centiseconds: a whole number of samples at 16 kHz and 44.1 kHz
# alike, so resampling the 16 kHz mix gives exactly the drawn duration.
DURATION_STEP = 0.01
SAMPLE_RATES = (16_000, 22_050, 32_000, 44_100, 48_000)
FILE_NAME_STYLES = ("clothomix", "clotho")
EVENTS_HEADER = ("file_name", "label", "kind", "onset", "offset")
# 1: the 0 A.D. and MegaGlest bank, every split mixed from every recording (until December
# 2026). 2: seven packages' recordings, each source recording in one split.
CLOTHOMIX_VERSION = 2
VERSION_LINE = "Version: "
MANUFACTURER = "ClothoMix (aacr demo data)"
LICENSE_TEXT = (
    "CC-BY-SA-3.0; mixed from recordings of 0 A.D., MegaGlest, Red Eclipse, SuperTuxKart, "
    "Flare, Lugaru and Minetest (Debian packages), see ATTRIBUTION.md"
)
# A Clotho-layout-only build has no ATTRIBUTION.md of its own: the licence names the one of the
# installed package (CC BY-SA asks for the credits to travel with the adaptation).
LAYOUT_ONLY_LICENSE_TEXT = (
    "CC-BY-SA-3.0 (https://creativecommons.org/licenses/by-sa/3.0/); mixed from recordings of "
    "0 A.D., MegaGlest, Red Eclipse, SuperTuxKart, Flare, Lugaru and Minetest, credits in "
    "aacr_lib/data/soundbank/ATTRIBUTION.md of the aacr package"
)
# Distinct streams for the audio, the captions, the name and the duration of a clip: changing
# the grammar must not change the audio, and the other way round; the demo scale (fixed
# duration, index names) draws exactly what it drew before names and ranges existed.
_AUDIO_STREAM, _CAPTION_STREAM = 0, 1
_CAPTION_RETRIES = 4
_NAME_STREAM, _DURATION_STREAM = 100, 101


@dataclass(frozen=True)
class Scale:
    """A size preset of `generate_clothomix`: clip counts, durations, rate and names."""

    name: str
    clips: Mapping[str, int]
    duration: Duration
    sample_rate: int
    file_names: str
    description: str


SCALES: Mapping[str, Scale] = MappingProxyType(
    {
        "demo": Scale(
            "demo",
            MappingProxyType(DEFAULT_CLIPS),
            10.0,
            BANK_SAMPLE_RATE,
            "clothomix",
            "400/100/100 clips of 10 s at 16 kHz (the demo book's data)",
        ),
        "clotho": Scale(
            "clotho",
            MappingProxyType(CLOTHO_CLIPS),
            CLOTHO_DURATION,
            CLOTHO_SAMPLE_RATE,
            "clotho",
            "Clotho v2.1's sizes: 3,839/1,045/1,045 clips of 15-30 s at 44.1 kHz, "
            "Clotho-style file names",
        ),
    }
)


@dataclass(frozen=True)
class Clip:
    """One generated clip: its name, plan, waveform (at `sample_rate`) and captions."""

    file_name: str
    plan: ClipPlan
    waveform: np.ndarray
    captions: tuple[str, ...]
    sample_rate: int = BANK_SAMPLE_RATE


def _is_count(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def _is_seconds(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _check_seconds(value: object, what: str) -> None:
    if not _is_seconds(value):
        raise ConfigError(f"{what} must be a number of seconds, got {value!r}")
    if not np.isfinite(value) or value < MIN_DURATION:
        raise ConfigError(f"{what} must be at least {MIN_DURATION:g} s, got {value!r}")


def _validate_duration(duration: object) -> None:
    if isinstance(duration, (tuple, list)):
        if len(duration) != 2:
            raise ConfigError(
                f"duration must be seconds or a (low, high) range of seconds, got {duration!r}"
            )
        low, high = duration
        _check_seconds(low, "the shortest duration")
        _check_seconds(high, "the longest duration")
        if high < low:
            raise ConfigError(f"duration range {duration!r}: the longest is under the shortest")
        return
    _check_seconds(duration, "duration")


def _validate(
    seed: object, clips: Mapping[str, int], duration: object, sample_rate: object, names: object
) -> None:
    if not _is_count(seed) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(clips, Mapping):
        raise ConfigError(f"clips must map split names to counts, got {clips!r}")
    for split, count in clips.items():
        if split not in SPLITS:
            raise ConfigError(f"unknown split {split!r} in clips; splits are {', '.join(SPLITS)}")
        if not _is_count(count) or count < 0:
            raise ConfigError(f"clips[{split!r}] must be a non-negative integer, got {count!r}")
    _validate_duration(duration)
    if not _is_count(sample_rate) or sample_rate not in SAMPLE_RATES:
        raise ConfigError(
            f"sample_rate must be one of {', '.join(map(str, SAMPLE_RATES))} Hz, got {sample_rate!r}"
        )
    if names not in FILE_NAME_STYLES:
        raise ConfigError(f"file_names must be one of {', '.join(FILE_NAME_STYLES)}, got {names!r}")


def clip_name(split: str, index: int, count: int) -> str:
    """`clothomix_{split}_{index}.wav`, zero-padded so that names sort in index order."""
    width = max(4, len(str(max(count - 1, 0))))
    return f"clothomix_{split}_{index:0{width}d}.wav"


def clip_rng(seed: int, split: str, index: int, stream: int) -> np.random.Generator:
    """The generator of one clip; independent of every other clip and of the split sizes."""
    return np.random.default_rng([int(seed), SPLITS.index(split), int(index), stream])


def clip_duration(seed: int, split: str, index: int, duration: Duration) -> float:
    """The length of one clip in seconds: `duration` itself, or for a (low, high) range a
    uniform draw of the clip's own stream, in whole centiseconds within the range."""
    if not isinstance(duration, (tuple, list)):
        return float(duration)
    low, high = float(duration[0]), float(duration[1])
    drawn = clip_rng(seed, split, index, _DURATION_STREAM).uniform(low, high)
    steps = round(drawn / DURATION_STEP)
    return float(min(max(steps * DURATION_STEP, low), high))


def make_clip(
    bank: SoundBank,
    seed: int,
    split: str,
    index: int,
    count: int,
    duration: float,
    sample_rate: int = BANK_SAMPLE_RATE,
) -> Clip:
    """Plan, render and caption clip `index` of `split` from the bank files serving `split`;
    the mix is made at the bank's 16 kHz and resampled (soxr HQ, `aacr_lib.audio.resample`)
    when `sample_rate` is another."""
    if bank.split != split:
        bank = bank.for_split(split)
    audio_rng = clip_rng(seed, split, index, _AUDIO_STREAM)
    plan = plan_clip(bank, audio_rng, duration)
    waveform = render_clip(plan, load_sound, audio_rng)
    if sample_rate != plan.sample_rate:
        waveform = resample(waveform, plan.sample_rate, sample_rate)
    captions = _captions(seed, split, index, plan)
    return Clip(clip_name(split, index, count), plan, waveform, captions, sample_rate)


def clotho_style_clip_name(seed: int, split: str, index: int, plan: ClipPlan) -> str:
    """The clip's Clotho-style name (before `unique_name`), from its own stream."""
    rng = clip_rng(seed, split, index, _NAME_STREAM)
    return clotho_style_name(rng, plan.background.label, [event.label for event in plan.events])


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


def metadata_row(clip: Clip, index: int, license_text: str = LICENSE_TEXT) -> list[str]:
    """A `clotho_metadata` row: keywords are the labels, sound_link the bank files used, and
    start_end_samples, as in Clotho, where the clip starts and ends in its source recording
    (the background), in samples at the clip's rate: end - start is the clip's length."""
    plan = clip.plan
    labels = [plan.background.label] + [event.label for event in plan.events]
    files = [plan.background.file] + [
        sound.file for event in plan.events for sound in dict.fromkeys(event.sounds)
    ]
    start = plan.background_start * clip.sample_rate // plan.sample_rate
    return [
        clip.file_name,
        ";".join(label.replace("_", " ") for label in labels),
        str(index),
        ";".join(f"soundbank:{name}" for name in dict.fromkeys(files)),
        f"[{start}, {start + len(clip.waveform)}]",
        MANUFACTURER,
        license_text,
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
    # QUOTE_MINIMAL, as Clotho's own CSVs: a field with a comma or a quote is quoted
    # ("Rain on a tin roof, heavy (2).wav"), the others are not.
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)


@dataclass(frozen=True)
class _Settings:
    """The resolved arguments of one build."""

    seed: int
    clips: dict[str, int]
    duration: Duration
    sample_rate: int
    file_names: str
    clotho_layout_only: bool
    scale: str

    def duration_text(self) -> str:
        if isinstance(self.duration, tuple):
            return f"clip durations {self.duration[0]:g}-{self.duration[1]:g} s (drawn per clip)"
        return f"clip duration {self.duration:g} s"


def _readme(settings: _Settings, bank: SoundBank) -> str:
    backgrounds = ", ".join(bank.labels("background"))
    events = ", ".join(bank.labels("event"))
    clips = settings.clips
    counts = ", ".join(f"{split} {clips[split]}" for split in SPLITS if split in clips)
    rate = f"{settings.sample_rate / 1000:g} kHz"
    # The demo scale's README is what it was before scales existed: a rebuild keeps the feature
    # caches of a demo dataset made by an older version (the same audio).
    demo = (settings.sample_rate, settings.file_names) == (BANK_SAMPLE_RATE, "clothomix")
    made_with = (
        f"seed {settings.seed}, {settings.duration_text()}, clips: {counts}.\n\n"
        if demo and not isinstance(settings.duration, tuple)
        else (
            f"seed {settings.seed}, scale {settings.scale}, {settings.duration_text()},\n"
            f"{rate}, {settings.file_names} file names, clips: {counts}.\n\n"
        )
    )
    held_out = sorted(set(bank.for_split("evaluation").labels("event")))
    development_only = (
        ", ".join(label for label in bank.labels("event") if label not in held_out) or "none"
    )
    return (
        "ClothoMix: offline demo data in the Clotho v2.1 layout\n"
        "======================================================\n\n"
        f"{VERSION_LINE}{CLOTHOMIX_VERSION}\n\n"
        "Made by `aacr data demo` (aacr_lib.data.clothomix.generate_clothomix) with\n"
        f"{made_with}"
        "Each clip mixes one background recording (looped or cropped) with one to three event\n"
        "recordings, one after the other, each repeated one to three times, loud (close) or\n"
        "faint (distant). The five captions per clip come from a grammar and describe exactly\n"
        "what was mixed: the events in order, how often, over which background.\n\n"
        "Files: clotho_captions_{split}.csv, clotho_metadata_{split}.csv, {split}/*.wav\n"
        f"(16-bit PCM, {rate} mono), and clothomix_events_{{split}}.csv with the ground truth\n"
        "(file_name,label,kind,onset,offset in seconds).\n\n"
        f"Backgrounds: {backgrounds}.\nEvents: {events}.\n\n"
        "Splits\n"
        "------\n"
        "Recording-disjoint, as in Clotho: each source recording of the sound bank (every file\n"
        "cut from one source file, and source files with the same audio) serves exactly one\n"
        "split, chosen per label (about 17.5 % of a label's recordings each for validation and\n"
        "evaluation, the rest for development); so evaluation clips mix recordings no model\n"
        "heard in training. Events with fewer than three recordings occur in development only:\n"
        f"{development_only}.\n\n"
        "Licence and attribution\n"
        "-----------------------\n"
        "The recordings come from the Debian packages 0ad-data (0 A.D., Wildfire Games),\n"
        "megaglest-data (MegaGlest, The Glest Team and The MegaGlest Team), redeclipse-data\n"
        "(Red Eclipse), supertuxkart-data (SuperTuxKart), flare-game (Flare), lugaru-data\n"
        "(Lugaru, Wolfire Games) and minetest-data (Minetest Game), each file under CC BY-SA 3.0,\n"
        "CC BY 3.0 or CC0 1.0 with the authors named in ATTRIBUTION.md. ClothoMix is an\n"
        "adaptation of them and is licensed under CC BY-SA 3.0\n"
        "(https://creativecommons.org/licenses/by-sa/3.0/); the legal code is in LICENSE.txt,\n"
        "the per-recording credits in ATTRIBUTION.md.\n"
    )


def clothomix_version(directory: str | os.PathLike) -> int | None:
    """The ClothoMix version a folder was built with, from its README (`None`: no README, or
    not one ClothoMix wrote; version 1 wrote no version line)."""
    readme = Path(directory) / "README.txt"
    if not readme.is_file():
        return None
    text = readme.read_text(encoding="utf-8", errors="replace")
    if not text.startswith(README_TITLE):
        return None
    for line in text.splitlines():
        if line.startswith(VERSION_LINE) and line[len(VERSION_LINE) :].strip().isdigit():
            return int(line[len(VERSION_LINE) :].strip())
    return 1


# What a ClothoMix folder may hold besides its clips: a folder with anything else in it is
# somebody else's, and is not replaced.
_FIXED_NAMES = {"README.txt", "LICENSE.txt", "ATTRIBUTION.md", "features", *SPLITS}
_CSV_PREFIXES = ("clotho_captions_", "clotho_metadata_", "clothomix_events_")
README_TITLE = "ClothoMix:"
FEATURES_DIR = "features"


def _made_by_clothomix(out: Path) -> bool:
    """True when the Clotho-layout folder `out` is a ClothoMix build: its README says so, or,
    for a layout-only build (no README), every row of its metadata names ClothoMix."""
    readme = out / "README.txt"
    if readme.is_file():
        return readme.read_text(encoding="utf-8", errors="replace").startswith(README_TITLE)
    rows = 0
    for path in sorted(out.glob("clotho_metadata_*.csv")):
        metadata, _ = parse_metadata_csv(path)
        if any(
            not str(values.get("manufacturer", "")).startswith("ClothoMix")
            for values in metadata.values()
        ):
            return False
        rows += len(metadata)
    return rows > 0


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file, not a dataset folder; choose another --out")
    if not out.is_dir():
        return
    entries = list(out.iterdir())
    others = sorted(
        p.name
        for p in entries
        if p.name not in _FIXED_NAMES
        and not (p.name.startswith(_CSV_PREFIXES) and p.name.endswith(".csv"))
    )
    if others:
        raise ConfigError(
            f"{out} holds files that are not ClothoMix ({', '.join(others[:3])}"
            f"{', …' if len(others) > 3 else ''}); a build replaces the whole folder, so "
            "choose a new or empty folder (--out)"
        )
    if entries and not _made_by_clothomix(out):
        raise ConfigError(
            f"{out} holds a Clotho-layout dataset that ClothoMix did not make (real Clotho?); "
            "a build replaces the whole folder, so choose a new or empty folder (--out)"
        )


def _swap_in(new: Path, out: Path) -> None:
    """Put the finished build `new` in place of `out`: rename `out` aside, `new` in, then
    remove the old one. Feature caches move over when the old dataset is the same one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out.parent / f".{out.name}.swap.lock")):
        _check_target(out)  # again: it may have changed while this build ran
        if out.exists():
            readme = new / "README.txt"
            same = (
                readme.is_file()
                and (out / "README.txt").is_file()
                and (out / "README.txt").read_bytes() == readme.read_bytes()
            )
            if same and (out / FEATURES_DIR).is_dir():
                os.replace(out / FEATURES_DIR, new / FEATURES_DIR)
        old = replace_folder(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_dataset(out: Path, settings: _Settings, progress: bool) -> dict[str, int]:
    """Write every file of the dataset into the fresh folder `out`."""
    from tqdm.auto import tqdm

    bank = load_bank()
    split_banks = {split: bank.for_split(split) for split in SPLITS if split in settings.clips}
    out.mkdir(parents=True)
    extras = not settings.clotho_layout_only
    if extras:
        (out / "README.txt").write_text(_readme(settings, bank), encoding="utf-8")
        shutil.copyfile(bank.root / "LICENSE.txt", out / "LICENSE.txt")
        shutil.copyfile(bank.root / "ATTRIBUTION.md", out / "ATTRIBUTION.md")
    license_text = LICENSE_TEXT if extras else LAYOUT_ONLY_LICENSE_TEXT
    summary: dict[str, int] = {}
    taken: set[str] = set()  # case-folded names so far, over every split
    clips = settings.clips
    with tqdm(
        total=sum(clips.values()), desc="ClothoMix", unit="clip", disable=not progress
    ) as bar:
        for split in (s for s in SPLITS if s in clips):
            count = int(clips[split])
            folder = out / split
            folder.mkdir()
            captions, metadata, events = [], [], []
            for index in range(count):
                seconds = clip_duration(settings.seed, split, index, settings.duration)
                clip = make_clip(
                    split_banks[split],
                    settings.seed,
                    split,
                    index,
                    count,
                    seconds,
                    sample_rate=settings.sample_rate,
                )
                if settings.file_names == "clotho":
                    name = clotho_style_clip_name(settings.seed, split, index, clip.plan)
                    clip = replace(clip, file_name=unique_name(name, taken))
                (folder / clip.file_name).write_bytes(wav_bytes(clip.waveform, clip.sample_rate))
                captions.append([clip.file_name, *clip.captions])
                metadata.append(metadata_row(clip, index, license_text))
                events.extend(event_rows(clip))
                bar.update(1)
            _write_csv(out / f"clotho_metadata_{split}.csv", METADATA_COLUMNS, metadata)
            if extras:
                _write_csv(out / f"clothomix_events_{split}.csv", EVENTS_HEADER, events)
            # Captions last: callers take clotho_captions_evaluation.csv as "build complete".
            _write_csv(out / f"clotho_captions_{split}.csv", CAPTIONS_HEADER, captions)
            summary[split] = count
    return summary


def _resolve(
    scale: str,
    seed: object,
    clips: Mapping[str, int] | None,
    duration: object,
    sample_rate: object,
    file_names: object,
    clotho_layout_only: bool,
) -> _Settings:
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}; scales are {', '.join(SCALES)}")
    preset = SCALES[scale]
    clips = preset.clips if clips is None else clips
    duration = preset.duration if duration is None else duration
    sample_rate = preset.sample_rate if sample_rate is None else sample_rate
    file_names = preset.file_names if file_names is None else file_names
    _validate(seed, clips, duration, sample_rate, file_names)
    if isinstance(duration, (tuple, list)):
        duration = (float(duration[0]), float(duration[1]))
    else:
        duration = float(duration)
    return _Settings(
        seed=int(seed),
        clips=dict(clips),
        duration=duration,
        sample_rate=int(sample_rate),
        file_names=str(file_names),
        clotho_layout_only=bool(clotho_layout_only),
        scale=scale,
    )


def generate_clothomix(
    out_dir: str | os.PathLike,
    seed: int = 0,
    clips: Mapping[str, int] | None = None,
    duration: Duration | None = None,
    progress: bool = True,
    scale: str = "demo",
    sample_rate: int | None = None,
    file_names: str | None = None,
    clotho_layout_only: bool = False,
) -> dict[str, int]:
    """Build ClothoMix in `out_dir`; return the clips written per split.

    `scale` (`demo` or `clotho`, see `SCALES`) gives the defaults of `clips` (split name →
    clip count; splits left out are not written), `duration` (seconds, or a `(low, high)`
    range each clip draws its length from, uniformly, in centiseconds), `sample_rate` (Hz) and
    `file_names` (`clothomix`: `clothomix_{split}_{index}.wav`; `clotho`: Clotho-style titles
    with spaces and punctuation, unique in the dataset). `clotho_layout_only` leaves out what
    real Clotho lacks (README, licence files, `clothomix_events_*.csv`).

    Raises `ConfigError` for an unknown scale or split, a negative count, a negative seed, a
    duration under one second, an unsupported sample rate or name style, and for an `out_dir`
    that holds other files than ClothoMix. The same arguments always give byte-identical files.

    The dataset is written beside `out_dir` and renamed into place when complete, replacing a
    previous one as a whole (see the module's docstring): `out_dir` never holds a half-written
    or mixed dataset, even with several builds at once.
    """
    settings = _resolve(scale, seed, clips, duration, sample_rate, file_names, clotho_layout_only)
    out = Path(out_dir)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    building = sibling(out, "building")
    try:
        summary = _write_dataset(building, settings, progress)
        _swap_in(building, out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return summary


def generate_clotho_layout_fixture(
    out_dir: str | os.PathLike,
    clips: Mapping[str, int] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> Path:
    """A tiny dataset in the exact Clotho v2.1 layout, for tests; returns `out_dir`.

    Clotho scale (15-30 s clips at 44.1 kHz, Clotho-style names that need CSV quoting) with
    `clips` per split (default `FIXTURE_CLIPS`, 6/3/3) and only Clotho's files:
    `clotho_captions_{split}.csv`, `clotho_metadata_{split}.csv` and `{split}/*.wav`.
    """
    generate_clothomix(
        out_dir,
        seed=seed,
        clips=FIXTURE_CLIPS if clips is None else clips,
        progress=progress,
        scale="clotho",
        clotho_layout_only=True,
    )
    return Path(out_dir)
