"""Same records, record keys and ptable: boroughkit's cell-key tables equal the ONS package's.

The reference is ``create_perturbed_table`` from the ONS ``cell-key-perturbation`` package, called
on the very records, keys (drawn by :class:`KeyStore`, so fresh on every run) and ptable given to
:func:`perturb_counts`; every cell is compared, suppressed ones included.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import cell_key_perturbation.create_perturbed_table as ons
import cell_key_perturbation.utils.generate_test_ptable as ons_ptables
import numpy as np
import pandas as pd
import pytest

from boroughkit.anonymise.cellkey import perturb_counts
from boroughkit.anonymise.keystore import KeyStore
from boroughkit.anonymise.ptable import PTable, generate_ptable, load_ptable
from tests.helpers.shared_data import SHARED_DATA

DATA = SHARED_DATA
NIST = DATA / "nist_crc" / "ma2019.csv"


@pytest.fixture(scope="module")
def ptables(tmp_path_factory) -> dict[str, tuple[PTable, pd.DataFrame, int]]:
    """name -> (our ptable, the same ptable as the ONS package takes it, our rounding base)."""
    folder = tmp_path_factory.mktemp("ptables")
    ons_csv = folder / "ptable_10_5_rule.csv"
    ons_ptables.generate_ptable_10_5_rule().to_csv(ons_csv, index=False)
    generated = generate_ptable(D=5, V=2.0, js=4)
    generated_csv = folder / "generated.csv"
    generated.to_frame().to_csv(generated_csv, index=False)
    return {
        # the ONS 10/5 ptable rounds by itself; base-5 rounding afterwards must change nothing
        "ons_10_5_rule": (load_ptable(ons_csv), pd.read_csv(ons_csv), 5),
        # a ptable that does not round: the ONS package applies no rounding, so neither do we
        "generated_D5_V2_js4": (load_ptable(generated_csv), pd.read_csv(generated_csv), 1),
    }


def _ons_table(
    records: pd.DataFrame, group_by: list[str], ptable: pd.DataFrame, threshold: int
) -> pd.DataFrame:
    """The ONS package's table, its progress messages silenced (its pandas deprecation notes are
    named in pyproject.toml's filterwarnings)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return ons.create_perturbed_table(
            data=records,
            ptable=ptable,
            geog=group_by[:1],
            tab_vars=group_by[1:],
            record_key="record_key",
            use_existing_ons_id=False,
            threshold=threshold,
        )


def _assert_same_cells(records: pd.DataFrame, group_by: list[str], ptables, threshold: int):
    for name, (ours_ptable, ons_ptable, base) in ptables.items():
        ours = perturb_counts(
            records,
            group_by=group_by,
            record_key="record_key",
            ptable=ours_ptable,
            threshold=threshold,
            rounding_base=base,
        ).table
        theirs = _ons_table(records[[*group_by, "record_key"]], group_by, ons_ptable, threshold)
        context = f"{name}, {group_by}, threshold {threshold}"
        assert len(ours) == len(theirs), context
        # same cells in the same order, so the comparison below is cell by cell
        for column in group_by:
            assert ours[column].astype(str).tolist() == theirs[column].astype(str).tolist()
        ours_counts = ours["count"].astype("Float64").to_numpy(np.float64, na_value=np.nan)
        ons_counts = theirs["count"].astype("Float64").to_numpy(np.float64, na_value=np.nan)
        np.testing.assert_array_equal(ours_counts, ons_counts, err_msg=context)
        assert (ours["status"] == "suppressed").tolist() == theirs["count"].isna().tolist()
        # the comparison must have had something to compare (a handful of cells can all
        # draw a zero perturbation by chance, so only larger tables are held to this)
        assert len(theirs) < 50 or (theirs["pvalue"] != 0).any(), context


def _demo_records(tmp_path: Path, n: int = 4000) -> pd.DataFrame:
    """Demo-like residents: an OA-like area code and two categorical characteristics."""
    rng = np.random.default_rng()
    areas = [f"E0003{i:04d}" for i in range(25)]
    records = pd.DataFrame(
        {
            "person_id": [f"P{i:06d}" for i in rng.permutation(n)],
            "ward": rng.choice(["E05014060", "E05014061", "E05014062"], n, p=[0.5, 0.3, 0.2]),
            "area": rng.choice(areas, n, p=np.linspace(1, 3, len(areas)) / 50),
            "tenure": rng.choice(
                ["owned", "social_rented", "private_rented"], n, p=[0.5, 0.3, 0.2]
            ),
            # a category nobody holds: the grid must still carry its (empty) cells
            "age_band": pd.Categorical(
                rng.choice(["0-15", "16-24", "25-64", "65+"], n, p=[0.2, 0.15, 0.5, 0.15]),
                categories=["0-15", "16-24", "25-64", "65+", "unknown"],
            ),
        }
    )
    records["record_key"] = KeyStore(tmp_path / "record_keys.parquet").keys_for(
        records["person_id"]
    )
    return records


@pytest.mark.parametrize("threshold", [10, 0])
@pytest.mark.parametrize(
    "group_by",
    [["area", "tenure"], ["area", "tenure", "age_band"], ["ward"], ["ward", "age_band"]],
)
def test_demo_records_match_the_ons_package(tmp_path: Path, ptables, group_by, threshold):
    _assert_same_cells(_demo_records(tmp_path), group_by, ptables, threshold)


def test_listed_groups_in_ons_order_match_too(tmp_path: Path, ptables):
    records = _demo_records(tmp_path)
    group_by = ["area", "tenure"]
    grid = _ons_table(records, group_by, ptables["ons_10_5_rule"][1], 10)[group_by]
    ours_ptable, _, base = ptables["ons_10_5_rule"]
    listed = perturb_counts(
        records,
        group_by=group_by,
        record_key="record_key",
        ptable=ours_ptable,
        all_groups=grid,
        rounding_base=base,
    ).table
    free = perturb_counts(
        records,
        group_by=group_by,
        record_key="record_key",
        ptable=ours_ptable,
        rounding_base=base,
    ).table
    assert listed.equals(free)


@pytest.fixture(scope="module")
def nist_records(tmp_path_factory) -> pd.DataFrame:
    records = pd.read_csv(NIST, na_values="N")
    # missing answers become an explicit category, as a publisher would label them
    records["EDU"] = records["EDU"].fillna(-1).astype(int)
    records["DPHY"] = records["DPHY"].fillna(-1).astype(int)
    keys = KeyStore(tmp_path_factory.mktemp("nist") / "record_keys.parquet")
    records["record_key"] = keys.keys_for(pd.Series(records.index, name="row"))
    return records


@pytest.mark.parametrize("threshold", [10, 0])
@pytest.mark.parametrize(
    "group_by",
    [
        ["PUMA"],  # 1,221-2,254 people per PUMA: counts above 750 reuse ptable rows 501-750
        ["PUMA", "SEX"],
        ["PUMA", "EDU"],
        ["PUMA", "SEX", "OWN_RENT"],
        ["PUMA", "RAC1P", "DPHY"],
        ["PUMA", "AGEP"],
    ],
)
def test_nist_microdata_match_the_ons_package(nist_records, ptables, group_by, threshold):
    _assert_same_cells(nist_records, group_by, ptables, threshold)
