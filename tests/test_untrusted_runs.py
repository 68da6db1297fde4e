"""A run directory from someone else runs no code: every file our code loads from it gets a
payload (a pickle, or YAML, whose loading would create a marker file), and the real loading paths
(`load_trained`, resuming `fit` and `aacr train`, `is_complete`, `RunDir`) either ignore the
file or fail with an `AacrError` that names it; the marker never appears."""

from __future__ import annotations

import json
import pathlib
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from aacr_lib.errors import AacrError, DataError, PretrainedUnavailable
from aacr_lib.runs import RunDir
from aacr_lib.training import checkpoint as ckpt
from aacr_lib.training import fit, is_complete
from tests.retrieval.conftest import TOY_OVERRIDES, write_toy_dataset
from tests.training.test_training_loop import ToyRegression


class Payload:
    """Unpickling this touches `marker`: the stand-in for any code a crafted file could run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def _pickle_bytes(marker: Path) -> bytes:
    return pickle.dumps(Payload(marker))


def _plant_pickle(path: Path, marker: Path) -> None:
    path.write_bytes(_pickle_bytes(marker))


def _yaml_payload(marker: Path) -> str:
    # YAML's python/object tags reach only module-level names: os.mkdir makes the marker
    return f"!!python/object/apply:os.mkdir [{json.dumps(str(marker))}]\n"


def _plant_torch(path: Path, marker: Path) -> None:
    torch.save({"epoch": 1, "payload": Payload(marker)}, path)


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "payload-ran"


# ----- the payloads are live: loaded the old, unsafe way they do run code


def test_the_payloads_run_code_when_loaded_unsafely(tmp_path, marker):
    from gensim.utils import unpickle

    _plant_torch(tmp_path / "state.pt", marker)
    torch.load(tmp_path / "state.pt", weights_only=False)
    assert marker.exists()
    marker.unlink()
    _plant_pickle(tmp_path / "word2vec.kv", marker)
    unpickle(str(tmp_path / "word2vec.kv"))  # what gensim's KeyedVectors.load does
    assert marker.exists()
    marker.unlink()
    yaml.unsafe_load(_yaml_payload(marker))
    assert marker.exists()


# ----- a retrieval run (load_trained: `aacr index build --run`, `aacr search --index`)


@pytest.fixture(scope="module")
def toy_roots(tmp_path_factory):
    """The toy dataset and one trained toy retrieval run (its own data/runs/cache roots)."""
    from aacr_lib.retrieval.run import train_retrieval

    base = tmp_path_factory.mktemp("untrusted")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        for variable in ("AACR_DATA", "AACR_RUNS", "AACR_CACHE"):
            patch.setenv(variable, str(base / variable.lower()))
        data = write_toy_dataset(base / "toy")
        run = train_retrieval(
            "baseline",
            "smoke",
            TOY_OVERRIDES,
            data_dir=data,
            runs_root=base / "runs",
            progress=False,
        )
    torch.set_num_threads(threads)
    return data, run


@pytest.fixture
def run_copy(toy_roots, tmp_path) -> RunDir:
    """A copy of the trained run, to plant payloads in (same name, another runs root)."""
    _, run = toy_roots
    target = tmp_path / "runs" / run.name
    shutil.copytree(run.path, target)
    return RunDir(target)


def _epoch_dir(run: RunDir) -> Path:
    latest = ckpt.latest_checkpoint(run.checkpoints)
    assert latest is not None
    return latest


def test_the_untouched_copy_loads(run_copy):
    from aacr_lib.retrieval.inference import load_trained

    trained = load_trained(run_copy)
    assert trained.embed_text(["a low hum"]).shape[0] == 1
    # nothing pickled is left in a new run
    encoder_dir = run_copy.path / "text_encoder"
    assert not (encoder_dir / "word2vec.kv").exists()
    np.lib.format.read_array(open(encoder_dir / "word2vec.npy", "rb"), allow_pickle=False)
    latest = _epoch_dir(run_copy)
    for name in (ckpt.STATE_FILE, "rng-0.pt"):
        torch.load(latest / name, weights_only=True)


def test_a_word2vec_kv_payload_is_never_unpickled(run_copy, marker):
    from aacr_lib.retrieval.inference import load_trained

    # A new run holds word2vec.npy: a planted word2vec.kv beside it is ignored …
    _plant_pickle(run_copy.path / "text_encoder" / "word2vec.kv", marker)
    load_trained(run_copy)
    assert not marker.exists()
    # … and a run holding only word2vec.kv (an old run, or a crafted one) is refused.
    for name in ("word2vec.npy", "word2vec.vocab.json"):
        (run_copy.path / "text_encoder" / name).unlink()
    with pytest.raises(DataError, match=r"word2vec\.kv") as error:
        load_trained(run_copy)
    assert "aacr train" in str(error.value) and str(run_copy.path) in str(error.value)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["word2vec.npy", "word2vec.vocab.json", "text_encoder.json"])
def test_text_encoder_file_payloads_fail_cleanly(run_copy, marker, name):
    from aacr_lib.retrieval.inference import load_trained

    path = run_copy.path / "text_encoder" / name
    if name.endswith(".npy"):
        np.save(path, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    else:
        _plant_pickle(path, marker)
    with pytest.raises(DataError, match=name.replace(".", r"\.")):
        load_trained(run_copy)
    assert not marker.exists()


@pytest.fixture
def spy_sentence_transformer(monkeypatch):
    """Record every sentence-transformers load instead of doing it."""
    import sentence_transformers

    from aacr_lib.retrieval import text_encoders

    calls = []

    def factory(*args, **kwargs):
        calls.append((args, kwargs))
        raise OSError("the spy loads nothing")

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", factory)
    text_encoders.load_sentence_transformer.cache_clear()
    yield calls
    text_encoders.load_sentence_transformer.cache_clear()


def _name_sentence_model(run: RunDir, model: str) -> None:
    description = {"kind": "sentence_transformer", "model": model, "dim": 384}
    (run.path / "text_encoder" / "text_encoder.json").write_text(json.dumps(description))


def test_a_run_naming_a_model_path_is_refused(run_copy, spy_sentence_transformer, tmp_path):
    from aacr_lib.retrieval.inference import load_trained

    crafted = tmp_path / "crafted-model"
    crafted.mkdir()
    (crafted / "modules.json").write_text('[{"idx": 0, "name": "0", "path": "", "type": "x.Y"}]')
    _name_sentence_model(run_copy, str(crafted))
    with pytest.raises(DataError, match="not a Hugging Face model id"):
        load_trained(run_copy)
    assert spy_sentence_transformer == []


def test_a_run_naming_an_uncached_model_is_not_downloaded(run_copy, spy_sentence_transformer):
    from aacr_lib.retrieval.inference import load_trained

    _name_sentence_model(run_copy, "aacr-tests/no-such-model-3f9c1d")
    with pytest.raises(PretrainedUnavailable, match="never downloaded"):
        load_trained(run_copy)
    assert spy_sentence_transformer == []


@pytest.mark.parametrize("damage", ["cut in half", "pickle"])
def test_damaged_best_weights_fail_in_one_line(run_copy, marker, damage):
    from aacr_lib.retrieval.inference import load_trained

    path = run_copy.checkpoints / "best" / "model.safetensors"
    if damage == "pickle":
        _plant_pickle(path, marker)
    else:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"model\.safetensors") as error:
        load_trained(run_copy)
    assert "\n" not in str(error.value) and "delete" in str(error.value)
    assert not marker.exists()


def test_config_yaml_payload_is_not_constructed(run_copy, marker):
    from aacr_lib.retrieval.inference import load_trained

    (run_copy.path / "config.yaml").write_text(_yaml_payload(marker))
    with pytest.raises(AacrError, match="config.yaml: not a readable run file"):
        run_copy.config()  # yaml.safe_load: the python/object tag is refused
    with pytest.raises(AacrError):
        load_trained(run_copy)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["run.json", "history.json"])
def test_json_payloads_are_ignored_or_refused(run_copy, marker, name):
    from aacr_lib.retrieval.inference import load_trained

    _plant_pickle(run_copy.path / name, marker)
    load_trained(run_copy)  # neither is needed to load the model
    with pytest.raises(ValueError):
        run_copy.info() if name == "run.json" else run_copy.history()
    assert not marker.exists()


def test_is_complete_on_a_planted_retrieval_run_runs_no_code(run_copy, marker):
    from aacr_lib.retrieval.inference import read_config

    config = read_config(run_copy)
    assert is_complete(run_copy.checkpoints, config.training)
    _plant_torch(_epoch_dir(run_copy) / ckpt.STATE_FILE, marker)
    with pytest.raises(DataError, match=ckpt.STATE_FILE.replace(".", r"\.")):
        is_complete(run_copy.checkpoints, config.training)
    assert not marker.exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["text_encoder/word2vec.kv", ckpt.STATE_FILE, "rng-0.pt", ckpt.MODEL_FILE]
)
def test_resuming_a_planted_retrieval_run_runs_no_code(toy_roots, run_copy, marker, name):
    """`aacr train retrieval` rerun on an interrupted run: resuming reads every planted file
    (the text encoder first, then the latest checkpoint: state, weights, RNG)."""
    from aacr_lib.retrieval.run import train_retrieval

    data, _ = toy_roots
    info = run_copy.info()
    info["status"] = "interrupted"
    (run_copy.path / "run.json").write_text(json.dumps(info))
    latest = _epoch_dir(run_copy)
    if name == "text_encoder/word2vec.kv":
        for new in ("word2vec.npy", "word2vec.vocab.json"):
            (run_copy.path / "text_encoder" / new).unlink()
        _plant_pickle(run_copy.path / name, marker)
    elif name == ckpt.MODEL_FILE:
        weights = (latest / name).read_bytes()
        (latest / name).write_bytes(weights[: len(weights) // 2])
    else:
        _plant_torch(latest / name, marker)
    with pytest.raises(DataError, match=Path(name).name.replace(".", r"\.")) as error:
        train_retrieval(
            "baseline",
            "smoke",
            TOY_OVERRIDES,
            data_dir=data,
            runs_root=run_copy.path.parent,
            progress=False,
        )
    assert "\n" not in str(error.value) and "delete" in str(error.value)
    assert not marker.exists()


# ----- the shared training loop (resume and is_complete) on the toy regression task


def _toy_config():
    from aacr_lib.training import TrainingConfig

    return TrainingConfig(epochs=3, batch_size=8, grad_accumulation=1, lr=5e-2, seed=0)


@pytest.fixture
def interrupted(tmp_path) -> Path:
    """A toy training stopped after one of three epochs: the next `fit` resumes from it."""
    directory = tmp_path / "checkpoints"
    fit(ToyRegression(), _toy_config(), directory, progress=False, stop_after_epochs=1)
    return directory


@pytest.mark.parametrize("name", [ckpt.STATE_FILE, "rng-0.pt"])
def test_resuming_from_a_planted_torch_file_runs_no_code(interrupted, marker, name):
    path = ckpt.latest_checkpoint(interrupted) / name
    _plant_torch(path, marker)
    with pytest.raises(DataError, match=str(path).replace(".", r"\.")) as error:
        fit(ToyRegression(), _toy_config(), interrupted, progress=False)
    assert "delete" in str(error.value) and "\n" not in str(error.value)
    if name == ckpt.STATE_FILE:
        with pytest.raises(DataError, match=name):
            is_complete(interrupted, _toy_config())
    assert not marker.exists()


def test_resuming_from_cut_weights_fails_in_one_line(interrupted):
    path = ckpt.latest_checkpoint(interrupted) / ckpt.MODEL_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"model\.safetensors") as error:
        fit(ToyRegression(), _toy_config(), interrupted, progress=False)
    assert "\n" not in str(error.value) and "delete" in str(error.value)


def test_latest_json_cannot_point_outside_the_checkpoints(interrupted, tmp_path, marker):
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(ckpt.latest_checkpoint(interrupted), elsewhere)
    _plant_torch(elsewhere / ckpt.STATE_FILE, marker)
    for name in (str(elsewhere), "../elsewhere"):
        ckpt.write_json_atomic(interrupted / ckpt.LATEST_FILE, {"epoch": 1, "directory": name})
        assert ckpt.latest_checkpoint(interrupted) is None
        assert not is_complete(interrupted, _toy_config())
    assert not marker.exists()
