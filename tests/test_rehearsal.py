"""The clotho rehearsal: every chapter of the book through the clotho code path, as on a GPU server.

A GPU server runs `aacr book --profile clotho` on real Clotho with the real pretrained assets.
None of those can be had here, so this test builds the same situation from fabricated parts in
the exact upstream formats and runs the book on it with the same entry points:

* the data: a small dataset in the exact Clotho v2.1 layout under `AACR_DATA/clotho` (file
  names with spaces and punctuation, 44.1 kHz WAV clips of 15-30 s, `clotho_captions_*.csv` and
  `clotho_metadata_*.csv` with Clotho's columns), mixed by the ClothoMix generator;
* the assets, under `AACR_CACHE` where `aacr setup` puts them: a VGGish state dict with
  torchvggish's keys and shapes (random weights), bart-base tokenizer files (`vocab.json`,
  `merges.txt`, BART's special tokens) built from the fixture's captions, the organisers'
  checkpoint in their `audio_adapt.*` / `bart_lm.*` layout, a small Word2Vec in GoogleNews
  binary format (gzipped, as gensim-data ships it);
* the book: `execute_book` with `profile="clotho"` (the loaders, asset lookup and profile
  plumbing of a GPU server), shrunk only by the chapters' size overrides below, then the HTML.

The second variant has the same data and no assets: every chapter must still finish, with n/a
rows whose reasons name the command that fixes them, and those commands must be the ones the
preflight (`aacr book --check`) declares for that chapter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from aacr_lib import preflight
from aacr_lib.book import (
    build_html,
    discover_notebooks,
    execute_book,
    notebook_parameters,
    train_ahead,
)
from aacr_lib.data.clotho import read_clotho
from aacr_lib.profiles import notebook_context
from tests.conftest import REPO_ROOT

# The report's sizes shrunk to seconds on 2 CPU cores: fewer and narrower layers, one epoch,
# short decoding. Everything else is the clotho profile as a GPU server resolves it.
CAPTIONING_SIZES = [
    "model.d_model=32",
    "model.encoder_layers=1",
    "model.decoder_layers=1",
    "model.attention_heads=2",
    "model.ffn_dim=64",
    "model.crnn.channels=[4,8,8,8,8]",
    "training.epochs=1",
    "decoding.max_length=12",
]
RETRIEVAL_SIZES = [
    "model.audio.channels=[4,8,8,8,8]",
    "training.epochs=1",
]
SIZES = {"captioning": CAPTIONING_SIZES, "retrieval": RETRIEVAL_SIZES}
FIXTURE_CLIPS = {"development": 6, "validation": 3, "evaluation": 3}


# ----------------------------------------------------------------------------- fabricated parts
def write_clotho_fixture(data_root: Path) -> Path:
    from aacr_lib.data.clothomix import generate_clothomix

    directory = data_root / "clotho"
    generate_clothomix(
        directory, seed=0, clips=FIXTURE_CLIPS, scale="clotho", clotho_layout_only=True
    )
    return directory


def write_organisers_checkpoint(path: Path, vocab_size: int) -> None:
    """A `torch.save(BARTAAC.state_dict())` as the organisers' trainer writes it: their key
    names (`audio_adapt.*`, `bart_lm.*`), at the rehearsal's model size, random weights."""
    from aacr_lib.captioning.experiments import resolve_config
    from aacr_lib.models.captioning.model import AudioCaptioningModel

    torch.manual_seed(0)
    config = resolve_config("baseline", "clotho", CAPTIONING_SIZES)
    state = AudioCaptioningModel(config.model, vocab_size).state_dict()
    renamed = {}
    for key, value in state.items():
        if key.startswith("adapter."):
            renamed["audio_adapt." + key.removeprefix("adapter.")] = value
        elif key.startswith("bart."):
            renamed["bart_lm." + key.removeprefix("bart.")] = value
        else:
            renamed[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(renamed, path)


def fabricate_assets(cache: Path, clotho: Path) -> None:
    from aacr_lib import assets
    from aacr_lib.data.text import normalize_caption
    from tests.fabricate import write_vggish_state_dict
    from tests.fabricate_text import write_bart_tokenizer_files, write_google_news_word2vec
    from tests.models.test_cnn14 import write_checkpoint as write_cnn14_checkpoint

    splits = read_clotho(clotho)
    captions = [caption for items in splits.values() for item in items for caption in item.captions]
    write_vggish_state_dict(assets.get("vggish").directory(cache) / "vggish-10086976.pth")
    # PANNs Cnn14_DecisionLevelMax in the release file's layout (random weights, ~330 MB)
    (panns_file,) = assets.get("panns_cnn14_decision_level_max").files
    write_cnn14_checkpoint(
        assets.get("panns_cnn14_decision_level_max").directory(cache) / panns_file
    )
    tokenizer_dir = assets.get("bart_base_tokenizer").directory(cache)
    write_bart_tokenizer_files(tokenizer_dir, captions)
    words = sorted({w for caption in captions for w in normalize_caption(caption).split()})
    (w2v_file,) = assets.get("word2vec_google_news").files
    write_google_news_word2vec(
        assets.get("word2vec_google_news").directory(cache) / w2v_file, words
    )
    vocab = json.loads((tokenizer_dir / "vocab.json").read_text())
    (checkpoint_file,) = assets.get("dcase2022_baseline_checkpoint").files
    write_organisers_checkpoint(
        assets.get("dcase2022_baseline_checkpoint").directory(cache) / checkpoint_file, len(vocab)
    )


# ----------------------------------------------------------------------------- running the book
def run_clotho_book(tmp_path: Path, monkeypatch, with_assets: bool) -> tuple[list, Path, Path]:
    data_root, cache, runs = tmp_path / "data", tmp_path / "cache", tmp_path / "runs"
    # The kernels inherit these, as on a server where they are set in the shell.
    monkeypatch.setenv("AACR_DATA", str(data_root))
    monkeypatch.setenv("AACR_CACHE", str(cache))
    monkeypatch.setenv("AACR_RUNS", str(runs))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nothing may be fetched behind the test's back
    clotho = write_clotho_fixture(data_root)
    if with_assets:
        fabricate_assets(cache, clotho)
    parameters = notebook_parameters("clotho", overrides=SIZES)
    executed = tmp_path / "executed"
    # as `aacr book` does: the runs every chapter needs first, in one pool, then the chapters
    context = notebook_context("clotho", overrides=SIZES)
    chapters = [notebook.stem for notebook in discover_notebooks(REPO_ROOT)]
    ahead = train_ahead(context, chapters, echo=False)
    assert ahead.complete
    # with the assets every chapter's runs train here; without, only those that need none
    assert ahead.trained >= (15 if with_assets else 1)
    results = execute_book(REPO_ROOT, parameters, out_dir=executed, force=True, echo=False)
    return results, executed, clotho


def outputs_text(notebook: Path) -> str:
    """Everything a reader sees in an executed notebook's outputs (text and HTML)."""
    cells = json.loads(notebook.read_text())["cells"]
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            for mime in ("text/plain", "text/html", "text/markdown"):
                parts.append("".join(output.get("data", {}).get(mime, "")))
    return "\n".join(parts)


def assert_every_chapter_ran(results) -> None:
    names = [nb.stem for nb in discover_notebooks(REPO_ROOT)]
    assert [r.name for r in results] == names
    failed = [r.describe() for r in results if r.status != "executed"]
    assert not failed, "\n".join(failed)


@pytest.mark.slow
def test_rehearsal_with_fabricated_assets(tmp_path, monkeypatch):
    results, executed, clotho = run_clotho_book(tmp_path, monkeypatch, with_assets=True)
    assert_every_chapter_ran(results)
    text = {r.name: outputs_text(executed / f"{r.name}.ipynb") for r in results}
    # the data chapter counted the fixture in the Clotho layout
    assert "Clotho v2.1" in text["01_data"]
    # with every asset present, no trained row of the captioning and retrieval chapters is n/a
    # for a missing asset (only SPICE's CoreNLP, 400 MB, is not fabricated)
    for name in (
        "03_captioning_baseline",
        "04_captioning_experiments",
        "05_captioning_final",
        "06_retrieval_baseline",
        "07_retrieval_experiments",
        "08_sound_event_vectors",
    ):
        fixes = set(re.findall(r"aacr setup (\w+)", text[name])) - {"spice", "stanford_corenlp"}
        assert not fixes, f"{name}: n/a for {fixes}"
    assert "ours n/a" not in text["03_captioning_baseline"]  # the organisers' checkpoint scored
    # the chapters reopened the runs trained ahead of them
    for name in ("03_captioning_baseline", "04_captioning_experiments", "05_captioning_final"):
        assert "reused, run captioning-" in text[name] and "trained in" not in text[name], name
    # the sizes shrink the profile, and each experiment still makes its own change on it: no
    # two experiments resolve to the same config (hence the same run directory)
    runs = sorted(path.name for path in (tmp_path / "runs").iterdir() if path.name[0] != "_")
    hashes = [name.rsplit("-", 1)[1] for name in runs]
    assert len(set(hashes)) == len(hashes), runs
    for experiment in ("crnn_encoder", "mean_all_hidden", "adapter2", "layers7", "final"):
        assert any(name.startswith(f"captioning-{experiment}-") for name in runs), experiment
    # chapter 08 on Clotho: PANNs events for the final captioner and both retrieval rows (the
    # tagger and the oracle need ClothoMix's labels: n/a)
    for run in ("captioning-final_events_panns-", "retrieval-baseline_events_panns-"):
        assert any(name.startswith(run) for name in runs), run
    assert not any("_events_oracle-" in name or "_events_tagger-" in name for name in runs)
    assert "only ClothoMix has strong labels" in text["08_sound_event_vectors"]
    index = build_html(REPO_ROOT, executed, output_root=tmp_path / "book")
    html = index.parent
    for result in results:
        assert (html / "notebooks" / f"{result.name}.html").is_file()


@pytest.mark.slow
def test_rehearsal_without_assets_degrades_to_na_rows(tmp_path, monkeypatch):
    results, executed, _ = run_clotho_book(tmp_path, monkeypatch, with_assets=False)
    assert_every_chapter_ran(results)
    aliases = {"spice": "stanford_corenlp"}
    spice_named = []
    for result in results:
        text = outputs_text(executed / f"{result.name}.ipynb")
        named = {aliases.get(n, n) for n in re.findall(r"aacr setup (\w+)", text)}
        declared = set(preflight.CHAPTER_NEEDS["clotho"][result.name[:2]]) - {
            preflight.DATA,
            preflight.JAVA,
        }
        declared.discard("all_minilm_l6_v2")  # a pip dependency: present on every machine
        message = f"{result.name}: n/a reasons name {named}, the preflight declares {declared}"
        assert named <= declared, message  # no need the preflight does not know of
        # every asset it declares is named, but SPICE's CoreNLP: a chapter whose runs are all
        # n/a for other assets never reaches SPICE
        assert declared - {"stanford_corenlp"} <= named, message
        spice_named.append("stanford_corenlp" in named)
        if declared - {"stanford_corenlp"}:
            assert "n/a" in text, result.name
    assert any(spice_named)
    build_html(REPO_ROOT, executed, output_root=tmp_path / "book")
