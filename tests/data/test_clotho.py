import csv
import dataclasses

import pytest

from aacr_lib.data.clotho import (
    CAPTIONS_HEADER,
    SPLITS,
    ClothoItem,
    captions_frame,
    decode_text,
    is_safe_file_name,
    pairs_frame,
    read_clotho,
    read_split,
    write_captions_csv,
)
from aacr_lib.errors import DataError


def write_captions(path, rows, header=CAPTIONS_HEADER):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def good_row(name):
    return [name, "one a", "two b", "three c", "four d", "five e"]


def test_read_split_items(clotho_root):
    items = read_split(clotho_root, "development")
    assert [i.file_name for i in items] == [
        "Rain, on a tin roof 01.wav",
        "development_clip_01.wav",
        "development_clip_02.wav",
    ]
    first = items[0]
    assert first.split == "development"
    assert first.audio_path == clotho_root / "development" / "Rain, on a tin roof 01.wav"
    assert first.audio_path.is_file()
    assert len(first.captions) == 5
    assert first.captions[0] == "A sound number 0, heard in the development split."
    assert first.captions[1] == "Someone's café door creaks 0 times"
    assert first.normalized_captions[0] == "a sound number 0 heard in the development split"
    # The metadata CSV is latin-1, as Clotho v2.1's is: decoded, not mangled.
    assert first.metadata["manufacturer"] == "José Müller"
    assert first.metadata["keywords"] == "rain;roof;tin"
    assert set(first.metadata) == {
        "keywords",
        "sound_id",
        "sound_link",
        "start_end_samples",
        "manufacturer",
        "license",
    }


def test_item_is_frozen_and_hashable(clotho_root):
    item = read_split(clotho_root, "validation")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.file_name = "x"  # type: ignore[misc]
    assert item in {item}


def test_utf8_metadata_also_read(make_clotho):
    root = make_clotho(metadata_encoding="utf-8")
    assert read_split(root, "evaluation")[0].metadata["manufacturer"] == "José Müller"


def test_metadata_optional(make_clotho):
    root = make_clotho(metadata=False)
    items = read_split(root, "development")
    assert all(item.metadata == {} for item in items)


def test_read_clotho_all_and_present(make_clotho):
    root = make_clotho()
    data = read_clotho(root)
    assert list(data) == list(SPLITS)
    assert [len(v) for v in data.values()] == [3, 2, 2]
    partial = make_clotho("partial", clips={"validation": 2})
    assert list(read_clotho(partial)) == ["validation"]
    with pytest.raises(DataError, match="clotho_captions_development.csv"):
        read_clotho(partial, splits=["development"])


def test_missing_csv_says_how_to_get_data(tmp_path):
    with pytest.raises(DataError) as info:
        read_split(tmp_path, "development")
    message = str(info.value)
    assert "clotho_captions_development.csv" in message
    assert f"aacr data clotho --root {tmp_path}" in message
    assert "aacr data demo" in message
    with pytest.raises(DataError, match="aacr data demo"):
        read_clotho(tmp_path / "nowhere")
    with pytest.raises(DataError, match="aacr data demo"):
        read_clotho(tmp_path)


def test_wrong_columns(tmp_path):
    write_captions(
        tmp_path / "clotho_captions_development.csv",
        [["a.wav", "x", "y"]],
        header=["file_name", "caption_1", "caption_two"],
    )
    with pytest.raises(DataError) as info:
        read_split(tmp_path, "development")
    message = str(info.value)
    assert "clotho_captions_development.csv line 1" in message
    assert "caption_2" in message


def test_wrong_field_count_names_line(tmp_path):
    write_captions(
        tmp_path / "clotho_captions_validation.csv",
        [good_row("a.wav"), ["b.wav", "only", "three"]],
    )
    with pytest.raises(DataError, match=r"clotho_captions_validation.csv line 3.*expected 6"):
        read_split(tmp_path, "validation")


def test_empty_caption_names_line_and_column(tmp_path):
    row = good_row("b.wav")
    row[3] = "  "
    write_captions(tmp_path / "clotho_captions_development.csv", [good_row("a.wav"), row])
    with pytest.raises(DataError, match=r"line 3, column caption_3: empty caption for b.wav"):
        read_split(tmp_path, "development")


def test_duplicate_file_name(tmp_path):
    write_captions(
        tmp_path / "clotho_captions_development.csv",
        [good_row("a.wav"), good_row("b.wav"), good_row("a.wav")],
    )
    with pytest.raises(DataError, match=r"line 4, column file_name: a.wav is listed twice"):
        read_split(tmp_path, "development")


@pytest.mark.parametrize("name", ["../escape.wav", "/etc/passwd", "sub/../../x.wav", "..\\x.wav"])
def test_escaping_file_names_rejected(tmp_path, name):
    write_captions(tmp_path / "clotho_captions_development.csv", [good_row(name)])
    with pytest.raises(DataError, match="outside the dataset directory"):
        read_split(tmp_path, "development")


def test_is_safe_file_name():
    assert is_safe_file_name("Rain, on a tin roof 01.wav")
    assert is_safe_file_name("sub/clip.wav")
    assert is_safe_file_name("a..b.wav")
    for bad in ["", "  ", "../a.wav", "/abs.wav", "C:\\x.wav", "a/../../b.wav", "a\x00.wav"]:
        assert not is_safe_file_name(bad), bad


def test_require_audio(clotho_root):
    (clotho_root / "validation" / "validation_clip_01.wav").unlink()
    assert len(read_split(clotho_root, "validation")) == 2
    with pytest.raises(DataError, match="validation_clip_01.wav"):
        read_split(clotho_root, "validation", require_audio=True)


def test_broken_metadata_raises_unless_skipped(clotho_root):
    path = clotho_root / "clotho_metadata_development.csv"
    with open(path, "a", encoding="latin-1") as f:
        f.write("extra.wav,too,few\n")
    with pytest.raises(DataError, match=r"clotho_metadata_development.csv line 5.*metadata=False"):
        read_split(clotho_root, "development")
    assert len(read_split(clotho_root, "development", metadata=False)) == 3


def test_decode_text_mixed_encodings():
    data = b"name,value\n" + "a,café\n".encode() + "b,José\n".encode("latin-1")
    assert decode_text(data) == "name,value\na,café\nb,José\n"
    assert decode_text("\ufeffx,y\n".encode()) == "x,y\n"
    # cp1252-only characters (curly quote 0x92) are decoded as cp1252, not latin-1 controls.
    assert decode_text(b"it\x92s\n") == "it\u2019s\n"


def test_blank_lines_and_bom_tolerated(tmp_path):
    path = tmp_path / "clotho_captions_evaluation.csv"
    text = ",".join(CAPTIONS_HEADER) + "\n" + ",".join(good_row("a.wav")) + "\n\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert [i.file_name for i in read_split(tmp_path, "evaluation")] == ["a.wav"]


def test_frames_and_roundtrip(clotho_root, tmp_path):
    items = read_split(clotho_root, "development")
    frame = captions_frame(items)
    assert list(frame.columns) == list(CAPTIONS_HEADER)
    assert len(frame) == 3
    normalized = captions_frame(items, normalize=True)
    assert normalized.loc[0, "caption_1"] == "a sound number 0 heard in the development split"
    pairs = pairs_frame(items)
    assert len(pairs) == 15
    assert list(pairs.columns) == ["split", "file_name", "caption_index", "caption"]
    assert pairs.caption_index.tolist()[:5] == [1, 2, 3, 4, 5]

    out = tmp_path / "copy" / "clotho_captions_development.csv"
    write_captions_csv(items, out)
    again = read_split(out.parent, "development")
    assert [(i.file_name, i.captions) for i in again] == [(i.file_name, i.captions) for i in items]


def test_item_constructible_by_hand(tmp_path):
    item = ClothoItem("x.wav", tmp_path / "x.wav", ("a", "b"), "development")
    assert item.metadata == {}


# --- strict reading of captions CSVs (the rules `aacr evaluate` shares) ---------------------


def write_captions_bytes(path, body: bytes):
    path.write_bytes((",".join(CAPTIONS_HEADER) + "\n").encode() + body)


def test_non_utf8_captions_name_the_line_no_fallback(tmp_path):
    """Only metadata CSVs are decoded leniently: a latin-1 caption is an error, not "José"."""
    write_captions_bytes(
        tmp_path / "clotho_captions_evaluation.csv",
        b"a.wav,1,2,3,4,5\nb.wav,Jos\xe9 sings,2,3,4,5\n",
    )
    with pytest.raises(
        DataError, match=r"clotho_captions_evaluation.csv line 3: not valid UTF-8 \(byte 0xe9"
    ):
        read_split(tmp_path, "evaluation")


def test_nul_byte_in_captions_names_the_line(tmp_path):
    write_captions_bytes(
        tmp_path / "clotho_captions_evaluation.csv", b"a.wav,1,2,3,4,5\nb.wav,1,2\x00,3,4,5\n"
    )
    with pytest.raises(DataError, match=r"clotho_captions_evaluation.csv line 3: NUL byte"):
        read_split(tmp_path, "evaluation")


def test_unterminated_quote_in_captions_names_where_it_opens(tmp_path):
    write_captions_bytes(
        tmp_path / "clotho_captions_evaluation.csv",
        b'a.wav,1,2,3,4,5\nb.wav,"1,2,3,4,5\nc.wav,1,2,3,4,5\nd.wav,1,2,3,4,5\n',
    )
    with pytest.raises(
        DataError, match=r"clotho_captions_evaluation.csv line 3: unterminated quote"
    ):
        read_split(tmp_path, "evaluation")


def test_parse_captions_problems_for_bad_bytes(tmp_path):
    from aacr_lib.data.clotho import parse_captions_csv

    path = tmp_path / "clotho_captions_evaluation.csv"
    write_captions_bytes(path, b"a.wav,1,2,3,4,5\nb.wav,\x92,2,3,4,5\nc.wav,\xff,2,3,4,5\n")
    rows, problems = parse_captions_csv(path)
    assert rows == []
    assert [(p.code, p.line) for p in problems] == [
        ("captions_csv_unreadable", 3),
        ("captions_csv_unreadable", 4),
    ]
