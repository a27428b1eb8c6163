"""Bad records files, and bad values in them, through `boroughkit run` (issue 12).

Every case is a clear error (the file, the line or rows, the column, the fix) with its exit
code, on each read path: records streamed by DuckDB (dp-tables counts and sums by OA code) and
records loaded by pandas (postcode geocoding). A failed run leaves the catalogue and the ledger
as they were. Values may be left out only where the config says so (``on_invalid: drop``), and
then how many were left out is told to the analyst and kept in the private input facts.
"""

from __future__ import annotations

import builtins
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from boroughkit import build_plan, load_config
from boroughkit.cli import main
from boroughkit.release.streamed import can_stream
from tests.helpers.configs import arrears_sum_table, minimal_config
from tests.helpers.files import tree_snapshot
from tests.helpers.ledger import catalogue_ledger

#: How records reach a release: streamed by DuckDB (counts; a sum, whose values the engine
#: checks), or loaded by pandas (for postcode geocoding).
READERS = ("stream", "postcode", "sums")


@pytest.fixture(scope="module")
def base_workspace(new_demo_workspace):
    return new_demo_workspace("bad-records")


@pytest.fixture
def workspace(base_workspace, tmp_path):
    """Each test's own copy: residents.parquet, a catalogue and its ledger (dataset
    ``residents``, lifetime ρ = 10)."""
    return shutil.copytree(base_workspace, tmp_path / "workspace")


@pytest.fixture(scope="module")
def residents(base_workspace) -> pd.DataFrame:
    return pd.read_parquet(base_workspace / "residents.parquet")


def config_for(reader: str, path: str, **source: object) -> dict:
    """A dp-tables config reading ``path`` the way ``reader`` names."""
    config = minimal_config()
    config["source"].update(path=path, dataset="residents", **source)
    if reader == "postcode":
        config["geography"]["geocode"] = {"postcode": "postcode"}
    elif reader == "sums":
        config["release"]["tables"] = [arrears_sum_table()]
    return config


def run(workspace: Path, config: dict | str, *, unchanged: bool = True):
    """Run the config through the CLI; a failed run must leave catalogue and ledger alone."""
    path = workspace / "bad.yaml"
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    catalogue = workspace / "catalogue"
    before, head = tree_snapshot(catalogue), catalogue_ledger(catalogue).head()
    result = CliRunner().invoke(main, ["run", str(path)])
    assert not result.exception or isinstance(result.exception, SystemExit), result.exception
    if unchanged:
        assert tree_snapshot(catalogue) == before, "the catalogue changed"
        assert catalogue_ledger(catalogue).head() == head, "the ledger changed"
    return result


def error_of(result) -> str:
    """The message (one line, wrapped text joined) the CLI printed."""
    return " ".join(result.output.split())


def write_csv_lines(workspace: Path, residents: pd.DataFrame, edit) -> None:
    residents.to_csv(workspace / "bad.csv", index=False)
    lines = (workspace / "bad.csv").read_text(encoding="utf-8").splitlines()
    edit(lines)
    (workspace / "bad.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("reader", READERS)
def test_the_readers_are_the_two_read_paths(workspace, reader):
    """``stream`` and ``sums`` are read by DuckDB, ``postcode`` by pandas (not streamed)."""
    path = workspace / "check.yaml"
    path.write_text(yaml.safe_dump(config_for(reader, "residents.parquet")))
    plan = build_plan(load_config(path))
    assert can_stream(plan, workspace / "residents.parquet") == (reader != "postcode")


# 1. Files pandas could not parse, and files DuckDB accepted or explained badly.


def _extra_field(lines: list[str]) -> None:
    lines[5] += ",surplus"  # data row 4, on line 6


def _unbalanced_quote(lines: list[str]) -> None:
    lines[5] = lines[5].replace(",", ',"', 1)  # a quote opened on line 6, never closed


def _missing_fields(lines: list[str]) -> None:
    lines[5] = ",".join(lines[5].split(",")[:-3])


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("edit", "message", "fix"),
    [
        (_extra_field, "line 6 has 19 field(s) where the header names 18", "double quotes"),
        (_unbalanced_quote, "line 6 opens a double quote that is never closed", "close the quote"),
        (_missing_fields, "line 6 has 15 field(s) where the header names 18", "give every"),
    ],
    ids=["extra-field", "unbalanced-quote", "missing-fields"],
)
def test_malformed_csv_lines(workspace, residents, reader, edit, message, fix):
    write_csv_lines(workspace, residents, edit)
    result = run(workspace, config_for(reader, "bad.csv"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "bad.csv" in text and message in text and fix in text
    assert "DEMO-OA" not in text  # no record is quoted


@pytest.mark.parametrize("reader", READERS)
def test_a_ten_megabyte_field_names_line_column_and_limit(workspace, residents, reader):
    def huge(lines: list[str]) -> None:
        fields = lines[3].split(",")
        fields[-1] = "x" * 10_000_000  # the last column, service
        lines[3] = ",".join(fields)

    write_csv_lines(workspace, residents.head(500), huge)
    result = run(workspace, config_for(reader, "bad.csv"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "bad.csv: line 4 is 10,000," in text and "more than the 2,000,000 bytes" in text
    assert "column 'service' holds 10,000,000 characters" in text
    assert "fix: correct column 'service' on line 4" in text and "Parquet" in text
    assert "xxxxxxxxxx" not in text


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 64, "the file is binary data (it contains NUL bytes"),
        (None, "read as csv, but the file is a Parquet file"),
        (b"", "the file is empty"),
    ],
    ids=["binary", "parquet-named-csv", "empty"],
)
def test_a_file_that_is_not_csv(workspace, reader, content, message):
    target = workspace / "bad.csv"
    if content is None:
        shutil.copy(workspace / "residents.parquet", target)
    else:
        target.write_bytes(content)
    result = run(workspace, config_for(reader, "bad.csv"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "bad.csv" in text and message in text and "fix:" in text


@pytest.mark.parametrize("reader", READERS)
def test_truncated_parquet(workspace, reader):
    data = (workspace / "residents.parquet").read_bytes()
    (workspace / "cut.parquet").write_bytes(data[: len(data) // 2])
    result = run(workspace, config_for(reader, "cut.parquet"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "cut.parquet: the Parquet file is cut short or damaged" in text
    assert "fix: copy or export the file again" in text


def test_non_utf8_csv_is_explained_on_the_pandas_path(workspace, residents):
    residents.head(50).to_csv(workspace / "bad.csv", index=False)
    data = (workspace / "bad.csv").read_bytes().replace(b"owned_outright", b"owned_outr\xe9ght", 1)
    (workspace / "bad.csv").write_bytes(data)
    result = run(workspace, config_for("postcode", "bad.csv"))
    assert result.exit_code == 1, result.output
    assert re.search(r"bad\.csv: not UTF-8 text \(byte \d+ cannot be decoded\)", result.output)


# 2. source.path values that could not be opened.


def test_a_symlink_loop(workspace):
    (workspace / "loop.parquet").symlink_to(workspace / "loop.parquet")
    result = run(workspace, config_for("stream", "loop.parquet"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "loop.parquet: a symbolic link loop" in text and "fix: point the link" in text


@pytest.mark.parametrize("reader", ["stream", "postcode"])
def test_a_nul_byte_in_the_path(workspace, reader):
    result = run(workspace, config_for(reader, "resi\x00dents.parquet"))
    assert result.exit_code == 2, result.output
    text = error_of(result)
    assert "resi\\0dents.parquet: the path contains a NUL byte" in text
    assert "fix: correct source.path" in text


@pytest.mark.parametrize("reader", ["stream", "postcode"])
def test_a_path_of_5000_characters(workspace, reader):
    result = run(workspace, config_for(reader, "a" * 5000 + ".parquet"))
    assert result.exit_code == 2, result.output
    text = error_of(result)
    assert "the path is longer than this system allows" in text and "(5" in text
    assert "fix: shorten source.path" in text
    assert len(result.output) < 1000  # the path is shortened in the message


def test_format_excel_on_a_parquet_file(workspace):
    result = run(workspace, config_for("stream", "residents.parquet", format="excel"))
    assert result.exit_code == 2, result.output
    text = error_of(result)
    assert "residents.parquet: read as excel, but the file is a Parquet file" in text
    assert "fix: set source.format: parquet" in text


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04" + b"not really a zip" * 20, b"PK\x05\x06" + bytes(18)],
    ids=["damaged-zip", "empty-zip"],
)
def test_a_broken_xlsx(workspace, content):
    (workspace / "bad.xlsx").write_bytes(content)
    result = run(workspace, config_for("stream", "bad.xlsx"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "bad.xlsx" in text and "fix:" in text
    assert "not a readable Excel workbook" in text or "Excel" in text


# 3. Bad values are errors by default; dropping them is a choice the config makes.


@pytest.mark.parametrize(
    ("values", "kinds"),
    [
        ({3: "NaN", 9: "nan"}, "2 not a number"),
        ({3: "inf", 9: "-inf"}, "2 infinite"),
        ({3: "£12", 9: "1,200"}, "2 not a number"),
        ({3: "", 9: None}, "2 empty or NaN"),
    ],
    ids=["nan-text", "infinite", "text", "empty"],
)
def test_sum_values_in_csv_must_be_finite_numbers(workspace, residents, values, kinds):
    frame = residents.astype({"rent_arrears_gbp": object})
    for row, value in values.items():
        frame.loc[row, "rent_arrears_gbp"] = value
    frame.to_csv(workspace / "bad.csv", index=False)
    result = run(workspace, config_for("sums", "bad.csv"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "bad.csv: column 'rent_arrears_gbp' needs finite numbers, but 2 row(s) are not" in text
    assert kinds in text and "rows [3, 9]" in text
    assert "on_invalid: drop" in text


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_sum_values_in_parquet_must_be_finite_numbers(workspace, residents, value):
    frame = residents.copy()
    frame.loc[[5, 7], "rent_arrears_gbp"] = value
    frame.to_parquet(workspace / "bad.parquet")
    result = run(workspace, config_for("sums", "bad.parquet"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "column 'rent_arrears_gbp' needs finite numbers, but 2 row(s)" in text
    assert "rows [5, 7]" in text


def test_sum_values_stored_as_strings_in_parquet(workspace, residents):
    frame = residents.astype({"rent_arrears_gbp": str})
    frame.to_parquet(workspace / "bad.parquet")
    result = run(workspace, config_for("sums", "bad.parquet"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "column 'rent_arrears_gbp' is stored as text" in text
    assert "fix: write 'rent_arrears_gbp' as a numeric column" in text


def _with_empty_tenure(residents: pd.DataFrame) -> pd.DataFrame:
    frame = residents.astype({"tenure": object})
    frame.loc[[5, 7, 30], "tenure"] = None
    return frame


def _write(frame: pd.DataFrame, folder: Path, fmt: str) -> str:
    name = f"bad.{fmt}"
    if fmt == "csv":
        frame.to_csv(folder / name, index=False)
    else:
        frame.to_parquet(folder / name)
    return name


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("reader", READERS)
def test_empty_category_values_are_an_error_on_both_paths(workspace, residents, reader, fmt):
    name = _write(_with_empty_tenure(residents), workspace, fmt)
    result = run(workspace, config_for(reader, name))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert f"{name}: column 'tenure' is empty in 3 row(s) (e.g. rows [5, 7, 30]" in text
    assert "fix: fill in 'tenure'" in text and "source.columns.tenure.on_invalid: drop" in text


def staged_folder(result) -> Path:
    return Path(re.search(r"staged in: (\S+)", result.output).group(1))


def assert_dropped_privately(result, dropped: dict[str, int]) -> None:
    total = max(dropped.values())
    assert f"left out for invalid values (on_invalid: drop): {total} {dropped}" in result.output
    folder = staged_folder(result)
    facts = json.loads((folder / "input-facts.json").read_text())
    assert facts["dropped_rows"] == total and facts["dropped"] == dropped
    public = [
        path
        for path in folder.rglob("*")
        if path.is_file() and path.name not in ("input-facts.json",) and "risk" not in path.name
    ]
    assert public and not any(b"dropped" in path.read_bytes() for path in public)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("reader", READERS)
def test_empty_categories_dropped_when_the_config_says_so(workspace, residents, reader, fmt):
    name = _write(_with_empty_tenure(residents), workspace, fmt)
    config = config_for(reader, name)
    config["source"]["columns"]["tenure"]["on_invalid"] = "drop"
    result = run(workspace, config, unchanged=False)
    assert result.exit_code == 0, result.output
    assert_dropped_privately(result, {"tenure": 3})


def test_sum_values_dropped_when_the_config_says_so(workspace, residents):
    frame = residents.copy()
    frame.loc[[5, 7], "rent_arrears_gbp"] = np.nan
    frame.loc[[9], "rent_arrears_gbp"] = np.inf
    frame.to_parquet(workspace / "bad.parquet")
    config = config_for("sums", "bad.parquet")
    config["source"]["columns"]["rent_arrears_gbp"] = {"type": "number", "on_invalid": "drop"}
    result = run(workspace, config, unchanged=False)
    assert result.exit_code == 0, result.output
    assert_dropped_privately(result, {"rent_arrears_gbp": 3})


def test_on_invalid_takes_only_error_or_drop(workspace):
    config = config_for("stream", "residents.parquet")
    config["source"]["columns"]["tenure"]["on_invalid"] = "ignore"
    result = run(workspace, config)
    assert result.exit_code == 2 and "on_invalid" in result.output


# 4. Operating-system failures while reading records.


@pytest.mark.parametrize("reader", READERS)
def test_permission_denied(workspace, reader, monkeypatch):
    from boroughkit.anonymise import aggregate_files

    records = workspace / "residents.parquet"

    def refuse(file, *args, **kwargs):
        if Path(file) == records:
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(aggregate_files, "open", refuse, raising=False)
    result = run(workspace, config_for(reader, "residents.parquet"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "residents.parquet: permission denied" in text and "fix: ask the file's owner" in text


@pytest.mark.parametrize("reader", READERS)
def test_out_of_memory_while_reading(workspace, reader, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("boroughkit.release.load._read_parquet", exhausted)
    monkeypatch.setattr("boroughkit.anonymise.aggregate.read_summary", exhausted)
    monkeypatch.setattr("boroughkit.engines.duckdb_engine.tally_rows", exhausted)
    result = run(workspace, config_for(reader, "residents.parquet"))
    assert result.exit_code == 1, result.output
    text = error_of(result)
    assert "residents.parquet: ran out of memory reading the records" in text
    assert "fix: close other programs to free memory" in text
