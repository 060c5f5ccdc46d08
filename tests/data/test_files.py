"""Reading record files in batches, streamed, with the line each row started on."""

from __future__ import annotations

from pathlib import Path

import pytest

from saaslens.data.ingestion.files import Format, detect_format, read_batches
from saaslens.errors import InvalidInput


def test_csv_batches_keep_line_numbers_and_drop_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        '\ufeffid,name,attributes\r\nc1,"Acme\r\nGmbH","{""tier"": 1}"\r\n'
        "\r\nc2,,\r\nc3,X,,extra\r\n"
    )

    batches = list(read_batches(path, Format.CSV, 2))

    assert [batch.lines for batch in batches] == [[2, 5], [6]]
    assert batches[0].rows == [
        {"id": "c1", "name": "Acme\r\nGmbH", "attributes": '{"tier": 1}'},
        {"id": "c2"},
    ]
    assert batches[1].rows == [{"id": "c3", "name": "X", "column 4": "extra"}]
    assert batches[-1].bytes_read == path.stat().st_size


def test_jsonl_lines_that_are_not_objects_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"id": "e1"}\n\n[1, 2]\n{"id": \n{"id": "e2"}\n')

    [batch] = list(read_batches(path, Format.JSONL, 10))

    assert batch.rows == [{"id": "e1"}, {"id": "e2"}]
    assert batch.lines == [1, 5]
    assert batch.unreadable == [
        (3, "expected a JSON object, got list"),
        (4, "not valid JSON: Expecting value at column 8"),
    ]
    assert (batch.first_line, batch.last_line) == (1, 5)


def test_the_format_follows_the_extension(tmp_path: Path) -> None:
    assert detect_format(Path("a.CSV")) is Format.CSV
    assert detect_format(Path("a.ndjson")) is Format.JSONL
    with pytest.raises(InvalidInput, match="give --format"):
        detect_format(Path("a.xlsx"))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,name\nc1,M\xfcller\n".encode("latin-1"))

    with pytest.raises(InvalidInput, match="not UTF-8"):
        list(read_batches(path, Format.CSV, 10))
