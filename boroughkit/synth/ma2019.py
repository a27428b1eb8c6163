"""The declared schema of NIST's Massachusetts 2019 excerpt, built from its public data dictionary.

Everything comes from ``data_dictionary.json`` read at run time (categories, bounds, "N/A when
age < 15" notes turned into structural rules) plus public cut points chosen here. The dictionary
does not list the industry codes (INDP); they come from NIST's published per-column value list
(``ma2019.json``) when its path is given, otherwise INDP is left out of the extract.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from boroughkit.errors import DataError
from boroughkit.synth.rules import parse_rules
from boroughkit.synth.schema import ColumnKind, ColumnSpec, Hierarchy, SynthSchema

MA_STATE_PREFIX = "25-"  # Massachusetts PUMAs are coded 25-xxxxx
MA2019_QUASI_IDENTIFIERS = ("PUMA", "AGEP", "SEX", "RAC1P", "HISP", "MSP")
# Health, disability and income: what an intruder would want to learn about a person.
MA2019_SENSITIVE = ("DPHY", "DREM", "DEYE", "DEAR", "DVET", "PINCP_DECILE", "POVPIP")

# Public cut points. Age edges sit on the dictionary's N/A thresholds (3, 5, 15, 16) so that the
# structural rules hold cell by cell in a binned model; the others are round numbers.
MA2019_BINS: dict[str, tuple[float, ...]] = {
    "AGEP": (0, 3, 5, 15, 16, 25, 35, 45, 55, 65, 75, 99),
    "NOC": (0, 1, 2, 3, 4, 5, 19),
    "NPF": (2, 3, 4, 5, 6, 7, 20),
    "DENSITY": (16.3, 500, 1000, 1500, 2000, 2500, 3000, 4000, 6000, 10000, 52864.7),
    "PINCP": (-9000, 0, 1, 10000, 20000, 30000, 45000, 60000, 80000, 110000, 160000, 1341000),
    # 501 ("above 5 x poverty line") is a top code: it gets a bin of its own.
    "POVPIP": (0, 50, 100, 150, 200, 300, 400, 500.5, 501),
    "PWGTP": (1, 10, 20, 30, 40, 50, 75, 100, 150, 250, 9999),
    "WGTP": (0, 1, 10, 20, 30, 40, 50, 75, 100, 150, 250, 9999),
}
_INTEGER_COLUMNS = {"AGEP", "NOC", "NPF", "PINCP", "POVPIP", "PWGTP", "WGTP"}
_FLAG_COLUMNS = {"DREM", "DPHY", "DEYE", "DEAR"}  # 1 = yes, 2 = no

# ACS PUMS 2019 industry codes: the recode category of each code range (public code structure).
INDUSTRY_CODE_RANGES: dict[int, tuple[int, int]] = {
    0: (170, 290),
    1: (370, 490),
    2: (570, 690),
    3: (770, 770),
    4: (1070, 3990),
    5: (4070, 4590),
    6: (4670, 5790),
    7: (6070, 6390),
    8: (6470, 6780),
    9: (6870, 7190),
    10: (7270, 7790),
    11: (7860, 7890),
    12: (7970, 8290),
    13: (8370, 8470),
    14: (8560, 8690),
    15: (8770, 9290),
    16: (9370, 9590),
    17: (9670, 9870),
    18: (9920, 9920),
}

_AGE_RULES = [
    ("AGEP < 15", ["MSP", "PINCP", "PINCP_DECILE"]),
    ("AGEP < 16", ["INDP", "INDP_CAT"]),
    ("AGEP < 5", ["DREM", "DPHY"]),
    ("AGEP < 3", ["EDU"]),
]
_PRESENCE_RULES = [
    "when AGEP >= 15 then MSP is present",
    "when AGEP >= 15 then PINCP is present",
    "when PINCP is present then PINCP_DECILE is present",
    "when PINCP is missing then PINCP_DECILE is missing",
    "when INDP is missing then INDP_CAT is missing",
    "when INDP is present then INDP_CAT is present",
    "when AGEP >= 5 then DREM is present and DPHY is present",
    "when AGEP >= 3 then EDU is present",
    "when HOUSING_TYPE in [2, 3] then OWN_RENT == 0",
    "when HOUSING_TYPE == 1 then OWN_RENT in [1, 2]",
    "when OWN_RENT == 0 then WGTP == 0",
    "when OWN_RENT in [1, 2] then WGTP >= 1",
]


def ma2019_rules(*, with_industry_codes: bool = True) -> list[str]:
    """The structural rules of the excerpt, from the dictionary's N/A notes and code structure."""
    rules = [
        f"when {when} then {column} is missing" for when, cols in _AGE_RULES for column in cols
    ]
    rules += _PRESENCE_RULES
    if with_industry_codes:
        rules += [
            f"when INDP >= {low} and INDP <= {high} then INDP_CAT == {category}"
            for category, (low, high) in INDUSTRY_CODE_RANGES.items()
        ]
    else:
        rules = [rule for rule in rules if "INDP " not in rule]
    return rules


def schema_for_ma2019(
    dictionary_path: Path,
    *,
    code_list_path: Path | None = None,
    state_prefix: str = MA_STATE_PREFIX,
) -> SynthSchema:
    """The declared schema of ``ma2019.csv`` from NIST's ``data_dictionary.json``.

    ``code_list_path`` is NIST's published ``ma2019.json``; only its INDP code list is used.
    Read the data with ``pandas.read_csv(path, na_values="N")``.
    """
    dictionary = _read_json(dictionary_path)
    industry_codes = _industry_codes(code_list_path) if code_list_path else None
    columns = []
    for name, entry in dictionary.items():
        if name == "INDP":
            if industry_codes is None:
                columns.append(ColumnSpec(name, "id", description=entry.get("description", "")))
            else:
                columns.append(ColumnSpec(name, "category", values=industry_codes, nullable=True))
            continue
        columns.append(_column(name, entry, state_prefix))
    hierarchies: tuple[Hierarchy, ...] = ()
    if industry_codes is not None:
        hierarchies = (Hierarchy("INDP", "INDP_CAT", _industry_parents(industry_codes)),)
    notes = ["cut points are public round numbers; age edges follow the dictionary's N/A notes"]
    if industry_codes is None:
        notes.append("INDP left out: the dictionary does not list industry codes")
    return SynthSchema(
        columns=tuple(columns),
        quasi_identifiers=MA2019_QUASI_IDENTIFIERS,
        sensitive=MA2019_SENSITIVE,
        rules=parse_rules(ma2019_rules(with_industry_codes=industry_codes is not None)),
        hierarchies=hierarchies,
        name="ma2019",
        notes=tuple(notes),
    )


def _column(name: str, entry: dict[str, Any], state_prefix: str) -> ColumnSpec:
    values: dict[str, Any] = entry.get("values", {})
    description = entry.get("description", "")
    nullable = "N" in values
    if name == "PUMA":
        pumas = tuple(code for code in values if code.startswith(state_prefix))
        return ColumnSpec(name, "area", values=pumas, description=description)
    if name in MA2019_BINS:
        bins = MA2019_BINS[name]
        numeric: ColumnKind = "integer" if name in _INTEGER_COLUMNS else "number"
        return ColumnSpec(
            name,
            numeric,
            lower=bins[0],
            upper=bins[-1],
            bins=bins,
            nullable=nullable,
            description=description,
        )
    codes = tuple(int(code) for code in values if code != "N")
    kind: ColumnKind = "flag" if name in _FLAG_COLUMNS else "category"
    positive = 1 if kind == "flag" else None
    return ColumnSpec(
        name, kind, values=codes, nullable=nullable, positive=positive, description=description
    )


def _industry_parents(codes: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    pairs = []
    for code in codes:
        parent = next(
            (cat for cat, (low, high) in INDUSTRY_CODE_RANGES.items() if low <= code <= high), None
        )
        if parent is None:
            raise DataError(
                f"industry code {code} is outside every published INDP range",
                fix="check the code list against the ACS PUMS 2019 industry codes",
            )
        pairs.append((code, parent))
    return tuple(pairs)


def _industry_codes(path: Path) -> tuple[int, ...]:
    schema = _read_json(path).get("schema", {})
    try:
        raw = schema["INDP"]["values"]
    except KeyError as error:
        raise DataError(
            f"{path}: no INDP value list under schema.INDP.values",
            fix="pass NIST's ma2019.json, or no code list to leave INDP out",
        ) from error
    return tuple(int(code) for code in raw if code != "N")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise DataError(f"cannot read {path}: {error}", fix="check the path") from error
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object", fix="pass the NIST JSON file")
    return data
