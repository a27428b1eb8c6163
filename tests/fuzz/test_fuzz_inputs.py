"""Fuzzing: malformed configs, record files and geography files never end in a traceback.

Every generated input goes through the CLI as an analyst would run it. Whatever it is, the
command exits with 0 or a documented code (1 data, 2 config, 3 gate, 4 budget, 5 catalogue)
and a message, never an unhandled exception; a failed run leaves the catalogue and the ledger
byte for byte as they were. The examples are derived from a fixed seed (``derandomize``), so
CI runs the same 600 inputs every time; set ``BOROUGHKIT_FUZZ_SEED`` to explore others.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boroughkit.cli import main
from tests.helpers.configs import minimal_config
from tests.helpers.files import tree_snapshot
from tests.helpers.ledger import register

pytestmark = pytest.mark.slow

EXPLORE = os.environ.get("BOROUGHKIT_FUZZ_SEED")


def fuzz(examples: int) -> settings:
    """Settings of a fuzz test: ``examples`` inputs, no deadline, reproducible in CI."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=EXPLORE is None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        database=None,
    )


EXIT_CODES = {0, 1, 2, 3, 4, 5}

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e-1000000",
        "1e1000000",
        "1/0",
        "nan",
        "inf",
        "-inf",
        "null",
        "../../../etc/passwd",
        "a\x00b",
        "x" * 5000,
        "🙂",
        "Robert'); DROP TABLE residents;--",
        "DEMO-OA-0001",
        "oa",
        "ward",
        "dp-tables",
        "sdc-tables",
        "synthetic-extract",
    ]
)
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    ODD_TEXT,
    st.lists(st.one_of(st.integers(-3, 3), ODD_TEXT), max_size=3),
    st.dictionaries(
        st.sampled_from(["rho", "name", "oa", "x", "values"]),
        st.one_of(st.integers(-2, 2), ODD_TEXT),
        max_size=2,
    ),
)
YAML_SNIPPETS = st.sampled_from(
    [
        "x: &x [*x]\n",
        "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e]\n"
        "g: [*f,*f,*f,*f,*f,*f,*f,*f]\n",
        "name: [\n",
        "\t- tab\n",
        "---\n---\n",
        "? [a, b]\n: c\n",
        "!!python/object:os.system ls\n",
        "name: " + "[" * 200 + "]" * 200 + "\n",
        "%YAML 9.9\n---\n",
        "\x00\x01\x02",
        "\ufeffname: x\n",
    ]
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path of a config (dict keys and list positions)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


CONFIG_PATHS = _paths(minimal_config())


def _set(config: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        config = config[key]
    config[path[-1]] = value


@st.composite
def malformed_configs(draw: st.DrawFn) -> str:
    """A config made wrong in one to three places, or spliced with hostile YAML."""
    config = minimal_config()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([*CONFIG_PATHS, ("unknown_key",), ("source", "extra")]))
        try:
            _set(config, path, draw(ODD_VALUES))
        except (TypeError, KeyError, IndexError):
            continue  # an earlier mutation replaced a parent: the config is wrong already
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    if draw(st.booleans()):
        position = draw(st.integers(0, len(text)))
        text = (
            text[:position] + draw(st.one_of(YAML_SNIPPETS, st.text(max_size=8))) + text[position:]
        )
    return text


@pytest.fixture(scope="module")
def fuzz_workspace(new_demo_workspace) -> Path:
    """A workspace with residents (Parquet and CSV), a registered dataset and one release."""
    folder = new_demo_workspace("fuzz")
    frame = pd.read_parquet(folder / "residents.parquet")
    frame[frame["person_id"].isin(frame["person_id"].unique()[:400])].to_parquet(
        folder / "residents.parquet", index=False
    )
    pd.read_parquet(folder / "residents.parquet").to_csv(folder / "residents.csv", index=False)
    (folder / "good.yaml").write_text(yaml.safe_dump(minimal_config()))
    assert CliRunner().invoke(main, ["run", str(folder / "good.yaml")]).exit_code == 0
    register(folder / "catalogue", dataset="fuzzed", rho=10**6)
    return folder


def _state(folder: Path) -> tuple[dict[str, bytes], bytes]:
    ledger = folder / "catalogue.privacy-ledger.sqlite"
    return tree_snapshot(folder / "catalogue"), ledger.read_bytes()


def _assert_handled(result: Result, before: tuple, after: tuple) -> None:
    """No traceback, a documented exit code, a message; a failure changed nothing."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"unhandled {result.exception!r}\n{result.output}"
        ) from result.exception
    assert result.exit_code in EXIT_CODES, result.output
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert result.output.strip(), "a failure must say what is wrong"
        assert after == before, "a failed command changed the catalogue or the ledger"


@fuzz(300)
@given(text=malformed_configs())
def test_malformed_configs(fuzz_workspace: Path, text: str) -> None:
    path = fuzz_workspace / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for command in (["validate"], ["plan"], ["run"]):
        before = _state(fuzz_workspace)
        result = CliRunner().invoke(main, [*command, str(path)])
        _assert_handled(result, before, _state(fuzz_workspace))
        if result.exit_code != 0:
            return  # later commands would only repeat the same refusal


RECORD_COLUMNS = ["person_id", "uprn", "oa_code", "postcode", "tenure", "rent_arrears_gbp"]
CELLS = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.booleans(),
    st.text(alphabet=string.printable + "é🙂\u2028", max_size=12),
    ODD_TEXT,
)


@st.composite
def malformed_records(draw: st.DrawFn) -> tuple[str, bytes | pd.DataFrame]:
    """A records file: raw bytes under a data suffix, or a frame with hostile cells."""
    suffix = draw(st.sampled_from(["csv", "parquet", "xlsx"]))
    if draw(st.booleans()):
        return suffix, draw(st.binary(max_size=300))
    rows = draw(st.integers(0, 6))
    columns = draw(st.lists(st.sampled_from(RECORD_COLUMNS), min_size=0, max_size=6, unique=True))
    frame = pd.DataFrame({c: [draw(CELLS) for _ in range(rows)] for c in columns})
    return suffix, frame


def _write_records(folder: Path, suffix: str, content: bytes | pd.DataFrame) -> Path:
    path = folder / f"fuzzed.{suffix}"
    if isinstance(content, bytes):
        path.write_bytes(content)
        return path
    try:
        if suffix == "csv":
            content.to_csv(path, index=False)
        elif suffix == "parquet":
            content.astype(str).to_parquet(path, index=False)
        else:
            content.astype(str).to_excel(path, index=False)
    except Exception:  # a frame no writer takes: write its text instead, still malformed
        path.write_text(content.to_string(), encoding="utf-8")
    return path


def _records_config(path: Path, geocode: dict[str, str], statistic: str) -> dict:
    config = minimal_config()
    config["source"].update(path=path.name, dataset="fuzzed")
    config["geography"]["geocode"] = geocode
    if statistic == "sum":
        config["source"]["columns"]["rent_arrears_gbp"] = {"type": "number"}
        config["release"]["tables"][0].update(
            statistic="sum", value="rent_arrears_gbp", bounds=[0, 5000]
        )
    return config


@fuzz(200)
@given(
    records=malformed_records(),
    geocode=st.sampled_from([{"oa": "oa_code"}, {"postcode": "postcode"}]),
    statistic=st.sampled_from(["count", "sum"]),
)
def test_malformed_record_files(fuzz_workspace: Path, records, geocode, statistic) -> None:
    path = _write_records(fuzz_workspace, *records)
    config = fuzz_workspace / "records.yaml"
    config.write_text(yaml.safe_dump(_records_config(path, geocode, statistic)))
    before = _state(fuzz_workspace)
    result = CliRunner().invoke(main, ["run", str(config)])
    _assert_handled(result, before, _state(fuzz_workspace))


LOOKUP_COLUMNS = [
    "OA21CD",
    "LSOA21CD",
    "LSOA21NM",
    "MSOA21CD",
    "MSOA21NM",
    "WD23CD",
    "WD23NM",
    "LAD22CD",
    "LAD22NM",
    "population",
]


@st.composite
def malformed_geography(draw: st.DrawFn) -> tuple[bytes | str, bytes | str]:
    """A lookup CSV and a ward boundary file, each either raw bytes or hostile content."""
    if draw(st.booleans()):
        lookup: bytes | str = draw(st.binary(max_size=200))
    else:
        columns = draw(st.lists(st.sampled_from(LOOKUP_COLUMNS), max_size=8, unique=True))
        rows = [[str(draw(CELLS)) for _ in columns] for _ in range(draw(st.integers(0, 4)))]
        lookup = "\n".join(",".join(row) for row in [columns, *rows])
    if draw(st.booleans()):
        boundaries: bytes | str = draw(st.binary(max_size=200))
    else:
        coordinate = st.floats(-1e9, 1e9, allow_nan=False)
        ring = [[draw(coordinate), draw(coordinate)] for _ in range(draw(st.integers(0, 5)))]
        feature = {
            "type": "Feature",
            "properties": {"WD23CD": str(draw(CELLS))},
            "geometry": {
                "type": draw(st.sampled_from(["Polygon", "Point", "Nonsense"])),
                "coordinates": [ring],
            },
        }
        boundaries = json.dumps(
            {"type": "FeatureCollection", "features": [feature] * draw(st.integers(0, 2))}
        )
    return lookup, boundaries


@fuzz(100)
@given(files=malformed_geography())
def test_malformed_geography_files(tmp_path_factory, files) -> None:
    folder = tmp_path_factory.mktemp("geo")
    lookup, boundaries = folder / "lookup.csv", folder / "wards.geojson"
    for path, content in ((lookup, files[0]), (boundaries, files[1])):
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(
        main,
        [
            "geography",
            "import",
            "--lookup",
            str(lookup),
            "--boundaries",
            f"ward={boundaries}",
            "--out",
            str(folder / "bundle"),
        ],
    )
    _assert_handled(result, (), ())
    if result.exit_code != 0:
        assert not (folder / "bundle").exists(), "a refused import left a bundle behind"
