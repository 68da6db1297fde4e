"""Reading predictions, references and rankings: formats and errors that name the rows."""

from __future__ import annotations

import gzip

import pytest

from aacr_lib.errors import DataError
from aacr_lib.evaluation.io import (
    match_predictions,
    read_predictions,
    read_ranking,
    read_references,
)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_predictions_accept_both_column_names(tmp_path):
    ours = write(tmp_path / "a.csv", "file_name,caption\na.wav,a dog barks\n")
    official = write(tmp_path / "b.csv", "file_name,caption_predicted\na.wav,a dog barks\n")
    assert read_predictions(ours) == read_predictions(official) == {"a.wav": "a dog barks"}


def test_caption_na_stays_a_caption(tmp_path):
    path = write(tmp_path / "p.csv", "file_name,caption\na.wav,NA\n")
    assert read_predictions(path) == {"a.wav": "NA"}


def test_wrong_column_is_named(tmp_path):
    path = write(tmp_path / "p.csv", "file_name,text\na.wav,x\n")
    with pytest.raises(
        DataError, match="no column 'caption' or 'caption_predicted'.*file_name, text"
    ):
        read_predictions(path)


def test_empty_captions_name_their_lines(tmp_path):
    path = write(tmp_path / "p.csv", "file_name,caption\na.wav,ok\nb.wav,\nc.wav,  \n")
    with pytest.raises(DataError, match=r"empty caption on line\(s\) 3, 4"):
        read_predictions(path)


def test_duplicate_file_names_are_named(tmp_path):
    path = write(tmp_path / "p.csv", "file_name,caption\na.wav,x\na.wav,y\n")
    with pytest.raises(DataError, match=r"'a.wav' \(lines 2 and 3\)"):
        read_predictions(path)


def test_references_any_number_and_gzip(tmp_path):
    path = tmp_path / "r.csv.gz"
    text = "file_name,caption_1,caption_2,caption_3\na.wav,one,two,\nb.wav,three,,\n"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    assert read_references(path) == {"a.wav": ["one", "two"], "b.wav": ["three"]}


def test_official_reference_columns(tmp_path):
    path = write(
        tmp_path / "r.csv",
        "file_name,caption_reference_02,caption_reference_01\na.wav,second,first\n",
    )
    assert read_references(path) == {"a.wav": ["first", "second"]}


def test_reference_row_without_caption(tmp_path):
    path = write(tmp_path / "r.csv", "file_name,caption_1\na.wav,x\nb.wav,\n")
    with pytest.raises(DataError, match=r"no reference caption on line\(s\) 3"):
        read_references(path)


def test_missing_on_either_side():
    with pytest.raises(DataError) as caught:
        match_predictions({"a": "x", "z": "y"}, {"a": ["r"], "b": ["s"]}, "P.csv", "R.csv")
    message = str(caught.value)
    assert "1 file name(s) of P.csv are not in R.csv: 'z'" in message
    assert "1 file name(s) of R.csv have no prediction in P.csv: 'b'" in message


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_predictions(tmp_path / "absent.csv")


def test_ranking_format_and_errors(tmp_path):
    header = "caption," + ",".join(f"file_name_{i}" for i in range(1, 4)) + "\n"
    good = write(tmp_path / "ok.csv", header + "a dog,x.wav,y.wav,z.wav\n")
    ranking = read_ranking(good)
    assert ranking.captions == ["a dog"] and ranking.file_names == [["x.wav", "y.wav", "z.wav"]]
    repeated = write(tmp_path / "rep.csv", header + "a dog,x.wav,x.wav,z.wav\n")
    with pytest.raises(DataError, match=r"repeats within the ranking on line\(s\) 2"):
        read_ranking(repeated)
    wrong = write(tmp_path / "wrong.csv", "query,file_name_1\nq,x.wav\n")
    with pytest.raises(DataError, match="no column 'caption'"):
        read_ranking(wrong)
