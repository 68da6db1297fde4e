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
    text = "file_name,caption_1,caption_2,caption_3\na.wav,one,two,2b\nb.wav,three,3b,3c\n"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    assert read_references(path) == {"a.wav": ["one", "two", "2b"], "b.wav": ["three", "3b", "3c"]}


def test_official_reference_columns(tmp_path):
    path = write(
        tmp_path / "r.csv",
        "file_name,caption_reference_02,caption_reference_01\na.wav,second,first\n",
    )
    assert read_references(path) == {"a.wav": ["first", "second"]}


def test_reference_row_without_caption(tmp_path):
    path = write(tmp_path / "r.csv", "file_name,caption_1\na.wav,x\nb.wav,\n")
    with pytest.raises(DataError, match=r"r.csv line 3, column caption_1: empty caption for b.wav"):
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


# --- strict reading: every bad row is an error naming the file and the line -----------------

HEADER_5 = "file_name,caption_1,caption_2,caption_3,caption_4,caption_5\n"


def write_bytes(path, data):
    path.write_bytes(data)
    return path


def test_unquoted_comma_in_prediction_names_line(tmp_path):
    path = write(tmp_path / "p.csv", "file_name,caption\na.wav,ok\nb.wav,a dog, barking\n")
    with pytest.raises(DataError, match=r"p.csv line 3: expected 2 fields, found 3"):
        read_predictions(path)


def test_short_and_long_reference_rows_name_lines(tmp_path):
    path = write(
        tmp_path / "r.csv",
        "file_name,caption_1,caption_2\na.wav,one,two\nb.wav,three, four,five\nc.wav,six\n",
    )
    with pytest.raises(DataError) as caught:
        read_references(path)
    message = str(caught.value)
    assert "r.csv line 3: expected 3 fields, found 4" in message
    assert "r.csv line 4: expected 3 fields, found 2" in message


def test_ranking_row_with_extra_field_names_line(tmp_path):
    path = write(tmp_path / "t.csv", "caption,file_name_1,file_name_2\na dog, barks,x.wav,y.wav\n")
    with pytest.raises(DataError, match=r"t.csv line 2: expected 3 fields, found 4"):
        read_ranking(path)


def test_evaluation_and_data_check_agree_on_a_bad_row(tmp_path):
    """The same captions CSV: `read_references` fails on the row `parse_captions_csv` reports."""
    from aacr_lib.data.clotho import parse_captions_csv

    path = write(
        tmp_path / "clotho_captions_evaluation.csv",
        HEADER_5 + "a.wav,1,2,3,4,5\nb.wav,a dog, barking,2,3,4,5\n",
    )
    _, problems = parse_captions_csv(path)
    assert [(p.code, p.line) for p in problems] == [("captions_csv_row", 3)]
    with pytest.raises(DataError) as caught:
        read_references(path)
    assert problems[0].describe(full_path=True) == str(caught.value)


@pytest.mark.parametrize("reader", [read_predictions, read_references, read_ranking])
def test_non_utf8_bytes_name_their_line(tmp_path, reader):
    header = {
        read_predictions: b"file_name,caption\n",
        read_references: b"file_name,caption_1\n",
        read_ranking: b"caption,file_name_1\n",
    }[reader]
    path = write_bytes(tmp_path / "x.csv", header + b"a.wav,ok\nb.wav,caf\xe9\n")
    with pytest.raises(DataError, match=r"x.csv line 3: not valid UTF-8 \(byte 0xe9"):
        reader(path)


@pytest.mark.parametrize("reader", [read_predictions, read_references, read_ranking])
def test_nul_byte_names_its_line(tmp_path, reader):
    header = {
        read_predictions: b"file_name,caption\n",
        read_references: b"file_name,caption_1\n",
        read_ranking: b"caption,file_name_1\n",
    }[reader]
    path = write_bytes(tmp_path / "x.csv", header + b"a.wav,ok\nb.wav,a d\x00og\n")
    with pytest.raises(DataError, match=r"x.csv line 3: NUL byte at character 10"):
        reader(path)


def test_non_utf8_in_gzip_references_names_line(tmp_path):
    path = tmp_path / "r.csv.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b"file_name,caption_1\na.wav,ok\nb.wav,\x92quoted\x92\n")
    with pytest.raises(DataError, match=r"r.csv.gz line 3: not valid UTF-8"):
        read_references(path)


def test_unterminated_quote_does_not_swallow_the_file(tmp_path):
    path = write(
        tmp_path / "p.csv",
        'file_name,caption\na.wav,ok\nb.wav,"a dog barks\nc.wav,rain\nd.wav,wind\n',
    )
    with pytest.raises(DataError, match=r"p.csv line 3: unterminated quote"):
        read_predictions(path)


def test_quote_closed_on_a_later_line_names_where_it_opens(tmp_path):
    """A stray quote closed by another: the two lines would become one (right-sized) row."""
    path = write(
        tmp_path / "p.csv",
        'file_name,caption\na.wav,ok\nb.wav,"rain, x\nc.wav,wind"\nd.wav,fine\n',
    )
    with pytest.raises(DataError, match=r"p.csv line 3: a quoted field runs from line 3 to line 4"):
        read_predictions(path)


def test_stray_quote_after_closing_quote_names_line(tmp_path):
    path = write(tmp_path / "p.csv", 'file_name,caption\na.wav,ok\nb.wav,"a dog" barks\n')
    with pytest.raises(DataError, match=r"p.csv line 3: malformed CSV"):
        read_predictions(path)


def test_empty_reference_cell_names_line_and_column(tmp_path):
    """Not a clip scored against 4 references: an error, as `aacr data check` reports it."""
    from aacr_lib.data.clotho import parse_captions_csv

    path = write(
        tmp_path / "clotho_captions_evaluation.csv",
        HEADER_5 + "a.wav,1,2,3,4,5\nb.wav,1,2,,4,5\n",
    )
    with pytest.raises(DataError) as caught:
        read_references(path)
    assert str(caught.value) == f"{path} line 3, column caption_3: empty caption for b.wav"
    _, problems = parse_captions_csv(path)
    assert [p.describe(full_path=True) for p in problems] == [str(caught.value)]


def test_quoted_commas_and_bom_still_read(tmp_path):
    path = write_bytes(
        tmp_path / "p.csv",
        b'\xef\xbb\xbffile_name,caption\n"Rain, on a roof.wav","a dog, barking"\n\n',
    )
    assert read_predictions(path) == {"Rain, on a roof.wav": "a dog, barking"}
