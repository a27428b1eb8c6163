"""Configs are read within limits and refused when they declare something impossible.

The YAML reader bounds the file's size, its nesting and what its aliases expand to, so that a
self-referencing alias or an alias bomb is a ConfigError naming its line, not a RecursionError
or a hang; exact numbers are read without building huge integers; and every model refuses zero,
negative and absurd numbers with the key, the line and a fix.
"""

from __future__ import annotations

import tracemalloc
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from boroughkit import build_plan, load_config
from boroughkit.config.common import LARGEST_RHO, SMALLEST_RHO, exact_fraction
from boroughkit.config.yaml_source import MAX_CONFIG_BYTES, MAX_NESTING, MAX_VALUES, read_yaml
from boroughkit.errors import ConfigError
from tests.helpers.configs import extract_config, minimal_config

BILLION_LAUGHS = (
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
    "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
    "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
    "name: *i\n"
)


def refused(write_config, content: dict | str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(content))
    assert caught.value.exit_code == 2
    return caught.value


# --- the YAML reader's limits -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: x\nx: &x [*x]\n", 2),  # the input
        ("name: x\nx: &x {inner: {again: *x}}\n", 2),
        ("name: x\nx: &x\n  - 1\n  - [2, *x]\n", 4),
    ],
)
def test_an_alias_inside_its_own_value_is_refused_with_its_line(write_config, text, line):
    error = refused(write_config, text)
    assert f"pipeline.yaml:{line}:" in error.message and "*x" in error.message
    assert "never end" in error.message and error.fix


def test_an_alias_bomb_is_refused_without_expanding_it(write_config):
    path = write_config(BILLION_LAUGHS)
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as caught:
            read_yaml(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"more than {MAX_VALUES:,} values" in caught.value.message
    assert "pipeline.yaml:6:" in caught.value.message  # f: 597,871 values, the first too many
    assert "aliases" in caught.value.message and "fewer aliases" in caught.value.fix
    assert peak < 20_000_000  # bounded work: 1e9 strings were never built


def test_aliases_within_the_limits_still_work(write_config):
    document = read_yaml(write_config("base: &base {a: 1, b: [x, y]}\ncopy: *base\n"))
    assert document.data == {"base": {"a": 1, "b": ["x", "y"]}, "copy": {"a": 1, "b": ["x", "y"]}}
    assert document.line_of(("copy", "b")) == 1


def test_a_long_flat_list_is_refused_before_it_is_all_read(write_config):
    error = refused(write_config, "name: x\nvalues: [" + "1, " * (MAX_VALUES + 5) + "1]\n")
    assert (
        f"more than {MAX_VALUES:,} values" in error.message and "pipeline.yaml:2:" in error.message
    )


@pytest.mark.parametrize("style", ["flow", "block"])
def test_nesting_deeper_than_the_limit_is_refused_with_its_line(write_config, style):
    depth = MAX_NESTING + 1
    if style == "flow":
        text = "name: x\ndeep: " + "[" * depth + "]" * depth + "\n"
        line = 2
    else:
        text = (
            "".join("  " * level + f"k{level}:\n" for level in range(depth)) + "  " * depth + "v\n"
        )
        line = MAX_NESTING + 1
    error = refused(write_config, text)
    assert f"pipeline.yaml:{line}:" in error.message
    assert f"more than {MAX_NESTING} levels" in error.message and "nesting" in error.fix


def test_nesting_at_the_limit_is_read(write_config):
    depth = MAX_NESTING - 1  # under the top-level mapping
    document = read_yaml(write_config("deep: " + "[" * depth + "1" + "]" * depth + "\n"))
    value = document.data["deep"]
    for _ in range(depth):
        value = value[0]
    assert value == 1


def test_nesting_reached_through_aliases_counts(write_config):
    half = MAX_NESTING // 2 + 2
    text = "a: &a " + "[" * half + "1" + "]" * half + "\nb: " + "[" * half + "*a" + "]" * half
    error = refused(write_config, text + "\n")
    assert (
        f"more than {MAX_NESTING} levels" in error.message and "pipeline.yaml:2:" in error.message
    )


def test_a_config_larger_than_the_limit_is_refused_naming_the_limit(write_config):
    path = write_config("name: x\n# " + "x" * MAX_CONFIG_BYTES + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"larger than {MAX_CONFIG_BYTES:,} bytes (1 MB)" in caught.value.message
    assert "data file" in caught.value.fix


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nwhen: 2024-02-30\n", "pipeline.yaml:2: cannot read the value '2024-02-30'"),
        ("name: x\nbig: " + "9" * 5000 + "\n", "a number with thousands of digits"),
        ("name: x\n? [a, b]\n: 1\n", "pipeline.yaml:2: a key must be a plain name"),
        ("name: x\n---\nname: y\n", "a second document begins here"),
        ("name: x\nname: y\n", "pipeline.yaml:2: duplicate key 'name' (first given on line 1)"),
    ],
)
def test_values_yaml_cannot_build_are_config_errors_with_the_line(write_config, text, expected):
    error = refused(write_config, text)
    assert expected in error.message and error.fix


def test_unreadable_config_paths_are_config_errors(tmp_path):
    for path, expected in [
        (tmp_path, "is a folder"),
        (tmp_path / ("x" * 5000 + ".yaml"), "cannot be read"),
        (tmp_path / "nul\0.yaml", "cannot be read"),
    ]:
        with pytest.raises(ConfigError, match=expected):
            load_config(path)


# --- exact numbers ------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_reading_any_text_as_a_number_returns_or_refuses(text):
    try:
        result = exact_fraction(text)
    except PydanticCustomError as error:
        assert error.context and error.context["fix"]
    else:
        assert isinstance(result, Fraction)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_finite_floats_are_read_through_their_decimal_text(value):
    result = exact_fraction(value)
    if 1e-100 <= abs(value) <= 1e100 or value == 0:
        assert result == Fraction(repr(value))


def test_huge_exponents_are_not_computed():
    assert exact_fraction("1e999999999999") > LARGEST_RHO
    assert 0 < exact_fraction("1e-999999999999") < SMALLEST_RHO
    assert exact_fraction("-1e999999999999") < 0


# --- impossible values, refused before any data is read -----------------------------------


def _table(config: dict) -> dict:
    return config["release"]["tables"][0]


IMPOSSIBLE = [
    # (change, the key named, the words of the message, the words of the fix)
    (
        lambda c: c["release"]["budget"].update(rho=0),
        "release.budget.rho",
        "more than 0",
        "0.000001 to 100",
    ),
    (
        lambda c: c["release"]["budget"].update(rho="1e-1000000"),
        "release.budget.rho",
        "below 0.000001",
        "0.000001 to 100",
    ),
    (
        lambda c: c["release"]["budget"].update(rho="1e1000000"),
        "release.budget.rho",
        "above 100",
        "0.000001 to 100",
    ),
    (
        lambda c: c["release"]["budget"].update(rho=-0.5),
        "release.budget.rho",
        "not negative",
        "such as 0.5",
    ),
    (
        lambda c: c["release"]["budget"].update(rho=".inf"),
        "release.budget.rho",
        "finite",
        "such as 0.5",
    ),
    (
        lambda c: c["release"]["budget"].update(rho="1/0"),
        "release.budget.rho",
        "must be a number",
        "such as 0.5",
    ),
    (
        lambda c: _table(c).update(weight=0),
        "release.tables[0].weight",
        "more than 0",
        "positive weight",
    ),
    (
        lambda c: _table(c).update(level_split={"oa": 0, "ward": 1, "borough": 1}),
        "release.tables[0].level_split.oa",
        "more than 0",
        "positive weight",
    ),
    (
        lambda c: _table(c).update(level_split={"oa": 6, "ward": 3}),
        "release.tables[0]",
        "needs a positive share for borough",
        "every level",
    ),
    (
        lambda c: _table(c).update(level_split={"oa": 6, "ward": 3, "borough": 1, "lsoa": 2}),
        "release.tables[0]",
        "lsoa, which is not in levels",
        "remove that share",
    ),
    (
        lambda c: c["release"]["tables"].append({"name": "tiny", "weight": "1e-30"}),
        "release",
        "standard deviation over",
        "larger weight",
    ),
    (
        lambda c: _table(c).update(statistic="sum", value="rent", bounds=[0, 10**12]),
        "release.tables[0]",
        "above 1,000,000,000",
        "upper bound",
    ),
    (
        lambda c: _table(c).update(count_by=["tenure", "tenure"]),
        "release.tables[0].count_by",
        "tenure more than once",
        "once",
    ),
    (
        lambda c: c["release"]["tables"].append(dict(_table(c))),
        "release.tables",
        "share the name tenure",
        "own name",
    ),
    (
        lambda c: _table(c).update(max_categories_per_person=0),
        "release.tables[0].max_categories_per_person",
        "greater than or equal to 1",
        "at least 1",
    ),
    (
        lambda c: _table(c).update(max_categories_per_person=10**30),
        "release.tables[0].max_categories_per_person",
        "less than or equal to 50",
        "at most 50",
    ),
    (
        lambda c: c["source"]["columns"]["tenure"]["values"].append("social_rented"),
        "source.columns.tenure.values",
        "'social_rented' is listed twice (items 2 and 4)",
        "keep one 'social_rented'",
    ),
    (
        lambda c: c["source"]["columns"]["tenure"].update(values=[]),
        "source.columns.tenure.values",
        "lists no values",
        "public values",
    ),
    (
        lambda c: c["source"]["columns"].update(age={"type": "number", "min": 90, "max": 0}),
        "source.columns.age",
        "min (90) is above max (0)",
        "swap",
    ),
    (
        lambda c: c["publish"].update(formats=[]),
        "publish.formats",
        "no formats",
        "at least one of parquet, geojson, csv",
    ),
    (
        lambda c: c["publish"].update(formats=["csv", "csv"]),
        "publish.formats",
        "csv more than once",
        "each format once",
    ),
    (
        lambda c: c.update(disclosure={"min_cell": 10**30}),
        "disclosure.min_cell",
        "less than or equal to 100000",
        "at most 100000",
    ),
    (
        lambda c: c.update(disclosure={"protection_width": ".nan"}),
        "disclosure.protection_width",
        "finite number",
        "finite number",
    ),
    (
        lambda c: c.update(disclosure={"canary": ""}),
        "disclosure.canary",
        "at least 4",
        "at least 4",
    ),
]


@pytest.mark.parametrize(("change", "key", "message", "fix"), IMPOSSIBLE)
def test_impossible_dp_tables_configs_are_refused_with_key_line_and_fix(
    write_config, change, key, message, fix
):
    config = minimal_config()
    config["source"]["columns"]["rent"] = {"type": "number", "min": 0, "max": 1000}
    change(config)
    text = _with_special_floats(config)
    error = refused(write_config, text)
    assert f"{key}: " in error.message and message in error.message
    assert "line " in error.message and fix in (error.fix or "")


def _with_special_floats(config: dict) -> str:
    import yaml

    # YAML's own spellings, so that the reader (not the test) turns them into floats
    return (
        yaml.safe_dump(config, sort_keys=False).replace("'.inf'", ".inf").replace("'.nan'", ".nan")
    )


@pytest.mark.parametrize(
    ("release", "key", "message"),
    [
        (
            {"method": "sdc-tables", "threshold": 10**6, "tables": [{"name": "t"}]},
            "release.threshold",
            "less than or equal to 1000",
        ),
        (
            {"method": "sdc-tables", "rounding_base": 0, "tables": [{"name": "t"}]},
            "release.rounding_base",
            "greater than or equal to 1",
        ),
        (
            {
                "method": "sdc-tables",
                "ptable_parameters": {"D": 3, "js": 4},
                "tables": [{"name": "t"}],
            },
            "release.ptable_parameters",
            "js = 4 must be below D = 3",
        ),
        (
            {
                "method": "sdc-tables",
                "ptable_parameters": {"D": 2, "V": 9},
                "tables": [{"name": "t"}],
            },
            "release.ptable_parameters",
            "V = 9 must be below D² = 4",
        ),
    ],
)
def test_impossible_sdc_tables_configs_are_refused(write_config, release, key, message):
    error = refused(write_config, minimal_config(release=release))
    assert f"{key}: " in error.message and message in error.message and error.fix


@pytest.mark.parametrize(
    ("options", "key", "message"),
    [
        ({"synthesiser": "dp_mst", "budget": {"rho": 0}}, "release.budget.rho", "more than 0"),
        (
            {"synthesiser": "dp_mst", "budget": {"rho": "1e1000000"}},
            "release.budget.rho",
            "above 100",
        ),
        ({"holdout_fraction": 0}, "release.holdout_fraction", "greater than 0"),
        ({"holdout_fraction": 0.9}, "release.holdout_fraction", "less than or equal to 0.5"),
        ({"rows": 0}, "release.rows", "greater than or equal to 10"),
        ({"rows": 10**12}, "release.rows", "less than or equal to 10000000"),
        ({"synthesiser": "ctgan", "epochs": 0}, "release.epochs", "greater than or equal to 1"),
        ({"seed": 2**64}, "release.seed", "less than or equal to 4294967295"),
    ],
)
def test_impossible_extract_configs_are_refused(write_config, options, key, message):
    error = refused(write_config, extract_config(**options))
    assert f"{key}: " in error.message and message in error.message and error.fix


def test_a_budget_at_the_edges_plans_without_error(write_config):
    for rho in ("0.000001", "100", "1/3"):
        config = minimal_config()
        config["release"]["budget"]["rho"] = rho
        plan = build_plan(load_config(write_config(config)))
        assert all(
            level.sigma > 0
            for table in plan.tables
            for measure in table.measures
            for level in measure.levels
        )
