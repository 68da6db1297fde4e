"""Make the parity inputs from ClothoMix captions: deterministic, written by this project.

    .venv/bin/python tests/evaluation/data/make_inputs.py [--out DIR]

Not a test. Writes (README.md says how the expected numbers are then made):

- `clothomix_parity_references.csv.gz`: `file_name,caption_1..caption_5` (Clotho format) for 400
  clips `clothomix_parity_0000.wav`...: each clip's contents are drawn like a ClothoMix clip's
  (a background, one to three events, repetitions, loudness) and its five captions
  are written by ClothoMix's caption grammar (`aacr_lib.data.clothomix.grammar.make_captions`);
  no audio, no sound bank;
- `clothomix_parity_predictions.csv`: `file_name,caption_predicted`, one system-like caption per
  clip derived from those captions and the clip's ground truth (paraphrases, edited references,
  missed or wrong events, captions of other clips, generic, repetitive and very short outputs,
  varied case and punctuation, two captions that are empty once tokenised);
- `clothomix_parity_retrieval_references.csv.gz`: the first 200 of those clips whose captions are
  not captions of an earlier chosen clip (the DCASE 2022 script keys queries by caption text);
- `clothomix_parity_retrieval_ranking.csv.gz`: `caption,file_name_1..file_name_10`, the top 10 of
  a noisy text-to-audio score matrix (target bonus + label overlap + per-query noise).

Every random choice comes from `numpy.random.default_rng` seeded with a fixed tuple, so a rerun
gives byte-identical files (gzip with mtime 0).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aacr_lib.data.clothomix.grammar import (
    BACKGROUND_WORDS,
    EVENT_WORDS,
    EventMention,
    make_captions,
)

HERE = Path(__file__).resolve().parent
PREFIX = "clothomix_parity"
SEED = (2024, 6, 0)  # clip contents and their captions
N_CAPTION_CLIPS = 400
N_RETRIEVAL_CLIPS = 200
TOP_K = 10
# Seeds of this script's own draws (distinct from ClothoMix's clip generators).
PREDICTION_SEED = (2024, 6, 1)
RETRIEVAL_SEED = (2024, 6, 2)

# What kind of system output each clip gets, and how often.
KINDS = {
    "paraphrase": 0.24,  # another grammar caption of the same clip
    "edited_reference": 0.20,  # a reference with word drops, swaps, substitutions, truncation
    "missed_event": 0.14,  # the clip without one of its events (or without its background)
    "wrong_event": 0.10,  # one event mistaken for another
    "other_clip": 0.08,  # a reference caption of another clip
    "generic": 0.09,  # a stock caption many clips share
    "repetitive": 0.06,  # a phrase repeated, as degenerate decoders do
    "short": 0.05,  # one to three words
    "exact_reference": 0.04,  # one of the references, verbatim
}
# Words a system might use instead of the grammar's (synonyms and near misses).
SUBSTITUTES = {
    "a": ("the", "one"),
    "the": ("a",),
    "someone": ("a person", "somebody", "a man"),
    "person": ("man", "woman"),
    "loudly": ("loud", "very loudly"),
    "quietly": ("softly", "quiet"),
    "faintly": ("softly", "quietly"),
    "nearby": ("close by", "near"),
    "distance": ("background",),
    "background": ("distance",),
    "falls": ("pours", "falls down"),
    "rain": ("raindrops", "the rain"),
    "wind": ("breeze", "the wind"),
    "blows": ("is blowing", "gusts"),
    "birds": ("bird", "small birds"),
    "chirp": ("tweet", "sing"),
    "stream": ("creek", "river"),
    "river": ("stream", "water"),
    "waves": ("water", "the ocean"),
    "crackles": ("pops", "is crackling"),
    "fire": ("campfire", "flames"),
    "walks": ("is walking", "steps"),
    "runs": ("is running", "jogs"),
    "steps": ("footsteps",),
    "gravel": ("stones", "rocks"),
    "grass": ("leaves", "the grass"),
    "wood": ("timber", "a board"),
    "hammer": ("mallet",),
    "knocks": ("taps", "bangs"),
    "chops": ("cuts", "splits"),
    "axe": ("hatchet",),
    "cow": ("cattle", "bull"),
    "moos": ("moo", "mooing"),
    "horse": ("pony",),
    "neighs": ("whinnies",),
    "sheep": ("goat", "lamb"),
    "bleats": ("baas",),
    "pig": ("hog",),
    "rooster": ("chicken",),
    "crows": ("calls",),
    "wolf": ("dog",),
    "howls": ("barks", "cries"),
    "thunder": ("a storm", "lightning"),
    "gate": ("door",),
    "closes": ("shuts", "slams"),
    "metal": ("steel", "iron"),
    "clangs": ("clanks", "rings"),
    "twice": ("two times", "again"),
    "once": ("one time",),
    "three": ("several", "four"),
    "then": ("and", "later"),
    "while": ("as", "and"),
    "before": ("then", "and then"),
    "bees": ("insects", "flies"),
    "buzz": ("hum",),
    "crickets": ("insects", "frogs"),
    "market": ("crowd",),
    "farm": ("barn",),
}
GENERIC = (
    "a person is talking",
    "birds are chirping in the background",
    "water is running",
    "wind is blowing",
    "an animal makes noises",
    "someone is walking",
    "a machine is running",
    "rain falls",
    "people talk in the background while birds chirp",
    "a door opens and closes",
    "footsteps on a hard surface",
    "a loud noise and then silence",
)
FILLERS = ("very", "also", "and", "some", "there")


@dataclass(frozen=True)
class ClipInfo:
    name: str
    background: str
    events: tuple[EventMention, ...]
    captions: tuple[str, ...]

    @property
    def labels(self) -> frozenset[str]:
        return frozenset([self.background, *(event.label for event in self.events)])


def choice(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def clip_contents(rng: np.random.Generator) -> tuple[str, tuple[EventMention, ...]]:
    """What a ClothoMix clip holds: one background, one to three distinct events in temporal
    order, each repeated one to three times, loud or faint (labels: the grammar's)."""
    background = choice(rng, sorted(BACKGROUND_WORDS))
    labels = sorted(EVENT_WORDS)
    chosen = rng.choice(len(labels), size=int(rng.integers(1, 4)), replace=False)
    events = tuple(
        EventMention(labels[i], int(rng.integers(1, 4)), bool(rng.random() < 0.5)) for i in chosen
    )
    return background, events


def clothomix_clips(count: int) -> list[ClipInfo]:
    """`count` clips: drawn contents and five captions from ClothoMix's grammar.

    Only the grammar (`make_captions`) is used, not the sound bank or the mixer, so that the
    inputs do not change when the bank does. Clip `i` has its own generators, seeded with
    (SEED, i, 0) for the contents and (SEED, i, stream) for the captions; like ClothoMix, a
    caption search that runs dry is retried on the next stream.
    """
    clips = []
    for index in range(count):
        background, events = clip_contents(np.random.default_rng((*SEED, index, 0)))
        for stream in range(1, 5):
            try:
                captions = make_captions(
                    np.random.default_rng((*SEED, index, stream)), background, events
                )
                break
            except RuntimeError:
                continue
        else:
            raise RuntimeError(f"no captions for clip {index}")
        clips.append(ClipInfo(f"{PREFIX}_{index:04d}.wav", background, events, tuple(captions)))
    return clips


# --- captioning predictions -------------------------------------------------------------------


def words_of(caption: str) -> list[str]:
    """Lower-case words of a grammar caption, without its final stop (commas kept on words)."""
    return caption.rstrip(".").lower().split()


def grammar_caption(rng, background: str, events, avoid: set[str]) -> str | None:
    """A grammar caption (not in `avoid`), or None if the grammar finds none."""
    for _ in range(5):
        try:
            caption = make_captions(rng, background, list(events), count=1, max_tries=200)[0]
        except RuntimeError:
            return None
        if caption not in avoid:
            return caption
    return caption


def edit(rng: np.random.Generator, words: list[str], edits: int) -> list[str]:
    """Drop, swap, substitute, insert words; sometimes truncate the end."""
    words = list(words)
    for _ in range(edits):
        op = choice(rng, ("drop", "swap", "substitute", "substitute", "insert", "truncate"))
        if op == "drop" and len(words) > 4:
            del words[int(rng.integers(len(words)))]
        elif op == "swap" and len(words) > 2:
            i = int(rng.integers(len(words) - 1))
            words[i], words[i + 1] = words[i + 1], words[i]
        elif op == "substitute":
            spots = [i for i, w in enumerate(words) if w.rstrip(",") in SUBSTITUTES]
            if spots:
                i = choice(rng, spots)
                comma = "," if words[i].endswith(",") else ""
                words[i] = choice(rng, SUBSTITUTES[words[i].rstrip(",")]) + comma
        elif op == "insert":
            words.insert(int(rng.integers(len(words) + 1)), choice(rng, FILLERS))
        elif op == "truncate" and len(words) > 6:
            words = words[: len(words) - int(rng.integers(1, 4))]
    return words


def event_phrase(rng, event: EventMention) -> str:
    """A bare clause about one event (no count, no loudness)."""
    return choice(rng, EVENT_WORDS[event.label].clauses).format(n="", g="")


def missed_event(rng, clip: ClipInfo) -> str:
    events = list(clip.events)
    if len(events) > 1:
        del events[int(rng.integers(len(events)))]
        caption = grammar_caption(rng, clip.background, events, set(clip.captions))
        if caption is not None:
            return caption
    if rng.random() < 0.5:  # only the background
        return choice(rng, BACKGROUND_WORDS[clip.background].clauses)
    return event_phrase(rng, events[0])  # only the first event


def wrong_event(rng, clip: ClipInfo) -> str:
    present = {event.label for event in clip.events}
    others = sorted(label for label in EVENT_WORDS if label not in present)
    events = list(clip.events)
    i = int(rng.integers(len(events)))
    events[i] = EventMention(choice(rng, others), events[i].count, events[i].loud)
    caption = grammar_caption(rng, clip.background, events, set())
    return caption if caption is not None else event_phrase(rng, events[i])


def repetitive(rng, clip: ClipInfo) -> str:
    phrase = event_phrase(rng, clip.events[0]) if rng.random() < 0.6 else None
    if phrase is None:
        phrase = " ".join(words_of(choice(rng, clip.captions))[: int(rng.integers(2, 5))])
    joiner = choice(rng, (" and ", " ", ", "))
    return joiner.join([phrase] * int(rng.integers(2, 5)))


def short(rng, clip: ClipInfo) -> str:
    event = choice(rng, clip.events)
    keyword = EVENT_WORDS[event.label].keywords[0][0]
    background = BACKGROUND_WORDS[clip.background].keywords[0][0]
    return choice(
        rng,
        (
            keyword,
            background,
            f"a {keyword}",
            f"{background} and {keyword}",
            " ".join(event_phrase(rng, event).split()[:3]),
        ),
    )


def style(rng: np.random.Generator, text: str) -> str:
    """Surface variety: case, final punctuation, inner punctuation, contractions, spaces."""
    text = " ".join(text.rstrip(".").split())
    if rng.random() < 0.15:
        text = text.replace("there is ", "there's ").replace("it is ", "it's ")
        text = text.replace("someone is ", "someone's ").replace(" is ", "'s ", 1)
    if rng.random() < 0.08:  # inner punctuation a decoder or a person might add
        words = text.split()
        if len(words) > 3:
            i = int(rng.integers(1, len(words) - 1))
            mark = choice(rng, (",", " -", ";", ":", " --"))
            words[i] = words[i] + mark
            if rng.random() < 0.3:
                words[0] = "(" + words[0]
                words[-1] = words[-1] + ")"
            text = " ".join(words)
    form = rng.random()
    if form < 0.45:  # Clotho style
        text = text[0].upper() + text[1:] + "."
    elif form < 0.70:  # lower case, no stop
        text = text.lower()
    elif form < 0.78:  # tokenised-looking output
        text = text.lower().replace(",", " ,") + " ."
    elif form < 0.83:
        text = text.upper()
    elif form < 0.88:
        text = " ".join(w[:1].upper() + w[1:] for w in text.split())
    else:
        text = text[0].upper() + text[1:] + choice(rng, ("!", "...", " .", "..", "?", ";", ". "))
    if rng.random() < 0.04:
        text = text.replace(" ", "  ", 1)
    return text


def prediction(rng: np.random.Generator, clip: ClipInfo, clips: list[ClipInfo], i: int) -> str:
    kinds, weights = zip(*KINDS.items(), strict=True)
    kind = kinds[int(rng.choice(len(kinds), p=np.array(weights) / sum(weights)))]
    if kind == "paraphrase":
        text = grammar_caption(rng, clip.background, clip.events, set(clip.captions))
        text = text if text is not None else choice(rng, clip.captions)
        if rng.random() < 0.4:
            text = " ".join(edit(rng, words_of(text), 1))
    elif kind == "edited_reference":
        text = " ".join(edit(rng, words_of(choice(rng, clip.captions)), int(rng.integers(1, 5))))
    elif kind == "missed_event":
        text = missed_event(rng, clip)
    elif kind == "wrong_event":
        text = wrong_event(rng, clip)
    elif kind == "other_clip":
        other = clips[(i + int(rng.integers(1, len(clips)))) % len(clips)]
        text = choice(rng, other.captions)
    elif kind == "generic":
        text = choice(rng, GENERIC)
    elif kind == "repetitive":
        text = repetitive(rng, clip)
    elif kind == "short":
        text = short(rng, clip)
    else:
        return choice(rng, clip.captions)  # verbatim, Clotho style
    return style(rng, text)


def make_predictions(clips: list[ClipInfo]) -> list[str]:
    rng = np.random.default_rng(PREDICTION_SEED)
    predictions = [prediction(rng, clip, clips, i) for i, clip in enumerate(clips)]
    # Two outputs with no word at all once the PTB tokenizer drops punctuation: both tools
    # score them 0 (checked by hand before making them part of the data).
    predictions[57] = "..."
    predictions[311] = "- , !"
    return predictions


# --- retrieval ----------------------------------------------------------------------------------


def retrieval_clips(clips: list[ClipInfo]) -> list[ClipInfo]:
    """The first N_RETRIEVAL_CLIPS clips none of whose captions an earlier chosen clip has."""
    chosen, seen = [], set()
    for clip in clips:
        if seen.isdisjoint(clip.captions) and len(set(clip.captions)) == len(clip.captions):
            chosen.append(clip)
            seen.update(clip.captions)
        if len(chosen) == N_RETRIEVAL_CLIPS:
            return chosen
    raise RuntimeError("not enough clips with unique captions")


def ranking(clips: list[ClipInfo]) -> list[list[str]]:
    """Rows `caption, top-10 file names`: a noisy score matrix, queries in shuffled order.

    score(query, clip) = 0.3 [clip is the query's] + 2 Jaccard(labels) + noise with a per-query
    scale (easy and hard queries); ties are impossible in practice and broken by clip order.
    """
    rng = np.random.default_rng(RETRIEVAL_SEED)
    labels = [clip.labels for clip in clips]
    overlap = np.array(
        [[len(a & b) / len(a | b) for b in labels] for a in labels], dtype=np.float64
    )
    queries = [(caption, j) for j, clip in enumerate(clips) for caption in clip.captions]
    scale = rng.lognormal(mean=0.0, sigma=0.5, size=len(queries))
    noise = rng.standard_normal((len(queries), len(clips)))
    targets = np.array([j for _, j in queries])
    scores = 2.0 * overlap[targets] + scale[:, None] * noise
    scores[np.arange(len(queries)), targets] += 0.3
    top = np.argsort(-scores, axis=1, kind="stable")[:, :TOP_K]
    rows = [[caption] + [clips[j].name for j in top[q]] for q, (caption, _) in enumerate(queries)]
    return [rows[q] for q in rng.permutation(len(rows))]


# --- writing ------------------------------------------------------------------------------------


def csv_text(rows: list[list[str]]) -> str:
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\n").writerows(rows)
    value = text.getvalue()
    value.encode("ascii")  # the official CSV readers use the locale's encoding: keep to ASCII
    return value


def write_gz(path: Path, text: str) -> None:
    """gzip with a fixed timestamp and no file name, so that a rerun gives the same bytes."""
    with open(path, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as f:
        f.write(text.encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)

    clips = clothomix_clips(N_CAPTION_CLIPS)
    header = ["file_name"] + [f"caption_{k}" for k in range(1, 6)]
    write_gz(
        out / f"{PREFIX}_references.csv.gz",
        csv_text([header] + [[c.name, *c.captions] for c in clips]),
    )
    predictions = make_predictions(clips)
    (out / f"{PREFIX}_predictions.csv").write_text(
        csv_text(
            [["file_name", "caption_predicted"]]
            + [[c.name, p] for c, p in zip(clips, predictions, strict=True)]
        ),
        encoding="utf-8",
        newline="",
    )

    chosen = retrieval_clips(clips)
    write_gz(
        out / f"{PREFIX}_retrieval_references.csv.gz",
        csv_text([header] + [[c.name, *c.captions] for c in chosen]),
    )
    write_gz(
        out / f"{PREFIX}_retrieval_ranking.csv.gz",
        csv_text([["caption"] + [f"file_name_{k}" for k in range(1, TOP_K + 1)]] + ranking(chosen)),
    )
    skipped = [c.name for c in clips[: clips.index(chosen[-1]) + 1] if c not in chosen]
    print(f"{len(clips)} captioning clips; retrieval: {len(chosen)} clips, skipped {skipped}")


if __name__ == "__main__":
    main()
