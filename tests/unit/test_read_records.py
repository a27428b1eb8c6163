"""Reading records files: CSV parsed as pandas parsed it (but strictly), files checked before
they are read, and the value rules both read paths apply."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boroughkit.anonymise.aggregate_files import csv_header, file_kind, open_records
from boroughkit.config.models import SourceConfig
from boroughkit.errors import ConfigError, DataError
from boroughkit.release.load import check_values, read_table, value_rules

CSV_CASES = {
    "blank-lines": "a,b\n1,2\n\n3,4\n\n",
    "crlf": "a,b\r\n1,2\r\n3,4\r\n",
    "bom": "\ufeffa,b\n1,2\n",
    "quoted-header": '"a","b"\n1,2\n',
    "spaces-kept": "a,b\n 1 , 2\n",
    "empty-is-missing": 'a,b\n"",2\n,3\n',
    "no-final-newline": "a,b\n1,2",
    "quoted-newline": 'a,b\n"x\ny",2\n',
    "doubled-quote": 'a,b\n"x""y",2\n',
    "leading-zeros": "a,b\n007,0.10\n",
    "duplicate-names": "a,a,\n1,2,3\n",
}


@pytest.mark.parametrize("text", CSV_CASES.values(), ids=CSV_CASES.keys())
def test_csv_is_read_as_pandas_read_it(tmp_path, text):
    path = tmp_path / "records.csv"
    path.write_bytes(text.encode("utf-8"))
    ours = read_table(path)
    theirs = pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1\n", "line 2 has 1 field(s) where the header names 2"),
        ("a,b\n1,2,3\n", "line 2 has 3 field(s) where the header names 2"),
        ('a,b\n"1,2\n3,4\n', "line 2 opens a double quote that is never closed"),
        ("\n", "line 1 names no columns"),
    ],
)
def test_malformed_csv_is_an_error_with_its_line(tmp_path, text, message):
    path = tmp_path / "records.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(message)):
        read_table(path)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"", "empty"),
        (b"PAR1\x15\x00", "parquet"),
        (b"PK\x03\x04\x14\x00", "excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
        (b"\x1f\x8b\x08", "gzip"),
        ("a,b\n".encode("utf-16"), "binary"),
        (b"person_id,oa_code\n", "text"),
    ],
)
def test_file_kind_from_the_first_bytes(head, kind):
    assert file_kind(head) == kind


def test_files_of_another_kind_name_the_format_to_set(tmp_path):
    frame = pd.DataFrame({"a": ["1"]})
    frame.to_parquet(tmp_path / "records.csv")
    with pytest.raises(DataError, match="read as csv, but the file is a Parquet file"):
        read_table(tmp_path / "records.csv", setting="source.path")
    with pytest.raises(ConfigError, match=r"set source\.format: parquet"):
        read_table(tmp_path / "records.csv", "excel", setting="source.path")
    (tmp_path / "records.parquet").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="read as parquet, but the file is text"):
        read_table(tmp_path / "records.parquet")
    (tmp_path / "register.parquet").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"give the file the suffix of its format \(\.csv\)"):
        read_table(tmp_path / "register.parquet", setting="source.opt_outs")


def test_paths_that_cannot_be_opened(tmp_path):
    with pytest.raises(DataError, match=r"file not found[\s\S]*source\.opt_outs"):
        open_records(tmp_path / "missing.csv", "source.opt_outs")
    with pytest.raises(DataError, match="is a folder, not a file"):
        open_records(tmp_path)
    with pytest.raises(ConfigError, match="NUL byte"):
        open_records(Path("a\x00b.csv"))
    with pytest.raises(ConfigError, match="longer than this system allows"):
        open_records(tmp_path / ("x" * 300))


def test_csv_header_names_are_made_unique_as_pandas_makes_them(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("a,a,,a\n1,2,3,4\n", encoding="utf-8")
    assert csv_header(path) == ["a", "a.1", "Unnamed: 2", "a.2"]


def source(**columns: dict) -> SourceConfig:
    return SourceConfig.model_validate({"path": "records.csv", "columns": columns})


def test_value_rules_follow_the_declared_columns():
    declared = source(
        tenure={"type": "category", "values": ["a", "b"]},
        flag={"type": "boolean"},
        note={"type": "category", "values": ["x"], "optional": True},
        age={"type": "integer", "min": 0, "max": 99},
        income={"type": "number", "optional": True, "on_invalid": "drop"},
        rooms={"type": "integer", "values": ["1", "2"]},
        uprn={"type": "id"},
    )
    columns = ["tenure", "flag", "note", "age", "income", "rooms", "uprn", "arrears"]
    rules = value_rules(declared, columns, categories=["note"], numbers=["arrears"])
    assert rules.required == ("note", "tenure", "flag", "rooms")
    assert rules.numbers == ("arrears", "age", "income")
    assert rules.optional == {"income"} and rules.drop == {"income"}


def test_check_values_errors_or_drops_per_column():
    frame = pd.DataFrame(
        {"tenure": ["a", None, "b", "a"], "value": ["1.5", "x", " 2 ", "-inf"]},
        index=[0, 1, 2, 3],
    )
    rules = value_rules(
        source(tenure={"type": "category", "values": ["a", "b"]}),
        list(frame.columns),
        numbers=["value"],
    )
    with pytest.raises(
        DataError, match=r"column 'tenure' is empty in 1 row\(s\) \(e\.g\. rows \[1\]"
    ):
        check_values(frame, rules, "records.csv")
    dropping = value_rules(
        source(
            tenure={"type": "category", "values": ["a", "b"], "on_invalid": "drop"},
            value={"type": "number", "on_invalid": "drop"},
        ),
        list(frame.columns),
        numbers=["value"],
    )
    kept, dropped = check_values(frame, dropping, "records.csv")
    assert list(kept.index) == [0, 2] and dropped == {"tenure": 1, "value": 2}


def test_numbers_in_a_typed_file_must_be_stored_as_numbers():
    rules = value_rules(source(), ["value"], numbers=["value"])
    frame = pd.DataFrame({"value": ["1", "2"]})
    check_values(frame, rules, "records.csv")  # text in a CSV is parsed
    with pytest.raises(DataError, match="stored as text"):
        check_values(frame, rules, "records.parquet", typed=True)
    with pytest.raises(DataError, match=r"1 empty or NaN, 1 infinite; e\.g\. rows \[1, 2\]"):
        check_values(
            pd.DataFrame({"value": [1.0, np.nan, np.inf]}), rules, "records.parquet", typed=True
        )
