"""`aacr evaluate captions|compare|retrieval` and `aacr setup spice` as a user runs them."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from aacr_lib.cli import main
from aacr_lib.evaluation import corenlp

DATA = Path(__file__).resolve().parents[1] / "evaluation" / "data"


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_retrieval_matches_official_script(tmp_path, capsys):
    """The parity submission of tests/evaluation/data (made by make_inputs.py, numbers by the
    DCASE 2022 eval_script.py: see its README.md)."""
    out = tmp_path / "r.json"
    code, printed, _ = run(
        [
            "evaluate",
            "retrieval",
            "--ranking",
            str(DATA / "clothomix_parity_retrieval_ranking.csv.gz"),
            "--references",
            str(DATA / "clothomix_parity_retrieval_references.csv.gz"),
            "--json",
            str(out),
        ],
        capsys,
    )
    doc = json.loads(out.read_text())
    expected = json.loads((DATA / "clothomix_parity_retrieval_expected.json").read_text())
    assert code == 0 and f"mAP@10  {expected['metrics']['map10']['mean']:.4f}" in printed
    assert doc["n_queries"] == 1000
    for name in ("r1", "r5", "r10", "map10"):
        assert doc["metrics"][name] == expected["metrics"][name]["mean"]
        assert doc["ci"][name] == pytest.approx(expected["metrics"][name]["ci"], abs=1e-12)


def test_retrieval_unknown_caption_is_one_line_exit_2(tmp_path, capsys):
    references = write(tmp_path / "r.csv", "file_name,caption_1\na.wav,a dog barks\n")
    ranking = write(tmp_path / "t.csv", "caption,file_name_1\nrain falls,a.wav\n")
    code, _, err = run(
        ["evaluate", "retrieval", "--ranking", ranking, "--references", references], capsys
    )
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "'rain falls'" in err and "'a dog barks'" in err


@pytest.mark.parametrize(
    "predictions, message",
    [
        ("file_name,text\na.wav,x\n", "no column 'caption' or 'caption_predicted'"),
        ("file_name,caption\na.wav,x\nb.wav,\n", "empty caption on line(s) 3"),
        ("file_name,caption\na.wav,x\nz.wav,y\n", "'z.wav'"),
    ],
)
def test_caption_input_errors(tmp_path, capsys, predictions, message):
    references = write(
        tmp_path / "r.csv", "file_name,caption_1,caption_2\na.wav,a dog,a cat\nb.wav,rain,wind\n"
    )
    code, _, err = run(
        [
            "evaluate",
            "captions",
            "--predictions",
            write(tmp_path / "p.csv", predictions),
            "--references",
            references,
        ],
        capsys,
    )
    assert code == 2 and message in err and "Traceback" not in err
    assert err.startswith("aacr evaluate: error:")


def test_unknown_metric(tmp_path, capsys):
    p = write(tmp_path / "p.csv", "file_name,caption\na.wav,x\n")
    r = write(tmp_path / "r.csv", "file_name,caption_1\na.wav,x\n")
    code, _, err = run(
        ["evaluate", "captions", "--predictions", p, "--references", r, "--metrics", "bleurt"],
        capsys,
    )
    assert code == 2 and "unknown captioning metric 'bleurt'" in err


@pytest.mark.java
def test_compare_two_prediction_files(tmp_path, capsys):
    references = write(
        tmp_path / "r.csv",
        "file_name,caption_1,caption_2\n"
        + "".join(f"c{i}.wav,a dog barks at a cat {i},a dog is barking\n" for i in range(12)),
    )
    good = write(
        tmp_path / "good.csv",
        "file_name,caption\n" + "".join(f"c{i}.wav,a dog barks at a cat\n" for i in range(12)),
    )
    bad = write(
        tmp_path / "bad.csv",
        "file_name,caption\n" + "".join(f"c{i}.wav,rain falls\n" for i in range(12)),
    )
    out = tmp_path / "cmp.json"
    code, printed, _ = run(
        ["evaluate", "compare", good, bad, "--references", references]
        + ["--metrics", "bleu", "rouge_l", "cider_d", "--json", str(out)],
        capsys,
    )
    assert code == 0 and "paired bootstrap" in printed
    doc = json.loads(out.read_text())
    assert doc["n_clips"] == 12
    bleu = doc["differences"]["bleu_1"]
    assert bleu["difference"] > 0.5 and bleu["p_value"] < 0.05
    assert bleu["ci"][0] > 0


def fake_release_zip(path):
    def jar(entry):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as handle:
            handle.writestr(entry, b"stub")
        return buffer.getvalue()

    with zipfile.ZipFile(path, "w") as bundle:
        root = "stanford-corenlp-full-2015-12-09/"
        bundle.writestr(
            root + "stanford-corenlp-3.6.0.jar",
            jar("edu/stanford/nlp/pipeline/StanfordCoreNLP.class"),
        )
        bundle.writestr(
            root + "stanford-corenlp-3.6.0-models.jar", jar("edu/stanford/nlp/models/x")
        )
    return path


def test_setup_spice_from_zip(tmp_path, capsys, monkeypatch):
    archive = fake_release_zip(tmp_path / "corenlp.zip")
    code, _, err = run(["setup", "spice", "--zip", str(archive)], capsys)
    assert code == 2 and "SHA-1" in err and "Traceback" not in err
    monkeypatch.setattr(corenlp, "CORENLP_ZIP_SHA1", hashlib.sha1(archive.read_bytes()).hexdigest())
    code, printed, _ = run(["setup", "spice", "--zip", str(archive)], capsys)
    assert code == 0 and "SPICE and SPIDEr are available" in printed
    assert corenlp.corenlp_status().available


def test_setup_unknown_name(capsys):
    code, _, err = run(["setup", "nothing"], capsys)
    assert code == 2 and "unknown asset 'nothing'" in err and "spice" in err


REFERENCES_2 = "file_name,caption_1,caption_2\na.wav,a dog,a cat\nb.wav,rain,wind\n"


@pytest.mark.parametrize(
    "predictions, references, message",
    [
        # an unquoted comma: the caption would be cut to "rain" and scored
        (b"file_name,caption\na.wav,x\nb.wav,rain, falling\n", None, "p.csv line 3: expected 2"),
        (b"file_name,caption\na.wav,x\nb.wav,caf\xe9\n", None, "p.csv line 3: not valid UTF-8"),
        (b"file_name,caption\na.wav,x\nb.wav,ra\x00in\n", None, "p.csv line 3: NUL byte"),
        (b'file_name,caption\na.wav,"x\nb.wav,rain\n', None, "p.csv line 2: unterminated quote"),
        # an empty reference cell: b.wav would be scored against 1 reference instead of 2
        (
            b"file_name,caption\na.wav,x\nb.wav,rain\n",
            "file_name,caption_1,caption_2\na.wav,a dog,a cat\nb.wav,rain,\n",
            "r.csv line 3, column caption_2: empty caption for b.wav",
        ),
        # a reference row shifted by an unquoted comma
        (
            b"file_name,caption\na.wav,x\nb.wav,rain\n",
            "file_name,caption_1,caption_2\na.wav,a dog,a cat\nb.wav,rain, heavy,wind\n",
            "r.csv line 3: expected 3 fields, found 4",
        ),
    ],
)
def test_bad_rows_are_one_line_errors_not_scores(
    tmp_path, capsys, predictions, references, message
):
    p = tmp_path / "p.csv"
    p.write_bytes(predictions)
    r = write(tmp_path / "r.csv", references or REFERENCES_2)
    code, printed, err = run(
        ["evaluate", "captions", "--predictions", str(p), "--references", r, "--metrics", "bleu"],
        capsys,
    )
    assert code == 2 and printed == ""
    assert err.startswith("aacr evaluate: error:") and err.count("\n") == 1
    assert message in err and "Traceback" not in err


def test_retrieval_top5_ranking_is_an_error_not_a_score(tmp_path, capsys):
    clips = [f"c{i}.wav" for i in range(12)]
    references = write(
        tmp_path / "r.csv",
        "file_name,caption_1\n" + "".join(f"{c},caption {i}\n" for i, c in enumerate(clips)),
    )
    ranking = write(
        tmp_path / "top5.csv",
        "caption,"
        + ",".join(f"file_name_{k}" for k in range(1, 6))
        + "\n"
        + "".join(
            f"caption {i}," + ",".join(clips[(i + k) % 12] for k in range(5)) + "\n"
            for i in range(12)
        ),
    )
    code, printed, err = run(
        ["evaluate", "retrieval", "--ranking", ranking, "--references", references], capsys
    )
    assert code == 2 and printed == "" and err.count("\n") == 1
    assert "top5.csv: the ranking lists 5 file name(s)" in err
    assert "fewer than the 10 that R@10 and mAP@10 need" in err


def test_retrieval_ranking_with_bad_bytes_names_line(tmp_path, capsys):
    references = write(tmp_path / "r.csv", "file_name,caption_1\na.wav,a dog barks\n")
    ranking = tmp_path / "t.csv"
    ranking.write_bytes(b"caption,file_name_1\na dog barks,a\xff.wav\n")
    code, printed, err = run(
        ["evaluate", "retrieval", "--ranking", str(ranking), "--references", references], capsys
    )
    assert code == 2 and printed == "" and "t.csv line 2: not valid UTF-8" in err
