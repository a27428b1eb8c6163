"""`synthetic-extract`: the researcher bundle, its register entry, the gate and the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.cli import main
from boroughkit.disclosure.report import CheckResult
from boroughkit.errors import BudgetError, ConfigError, DisclosureError, PublishError
from boroughkit.methods.synthetic_extract import run as extract_run
from boroughkit.privacy.ledger import Ledger, default_ledger_path
from boroughkit.publish import approve_release, publish_release
from boroughkit.publish.explorer import public_files
from tests.helpers.configs import extract_config
from tests.helpers.files import tree_snapshot
from tests.helpers.ledger import register

BUNDLE = [
    "data/test-extract.parquet",
    "data/test-extract.csv",
    "data-dictionary.csv",
    "evaluation.html",
    "evaluation.json",
    "method-and-privacy.md",
    "terms-of-use.md",
    "manifest.json",
]


def run(workspace: Path, config: dict, name: str = "extract.yaml"):
    path = workspace / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return run_pipeline(build_plan(load_config(path)))


def test_cart_extract_is_issued_with_bundle_and_register_entry(demo_workspace, demo_residents):
    result = run(demo_workspace, extract_config(seed=11))
    catalogue = demo_workspace / "catalogue"
    manifest = json.loads((result.release_dir / "manifest.json").read_text())
    assert manifest["access"] == "restricted"
    # Figures about real people in the bundle are rounded (counts to 10, shares to 0.1 %).
    utility = manifest["evaluation"]["utility"]
    assert (
        utility["holdout_rows"] % 10 == 0
        and round(utility["positive_share"], 3) == utility["positive_share"]
    )
    shared = json.loads((result.release_dir / "evaluation.json").read_text())
    assert all(count % 10 == 0 for count in shared["rows"].values())
    assert manifest["extract"]["synthesiser"]["seed"] == 11
    approve_release(catalogue, result.release_id, by="Dana Approver")
    issued = publish_release(catalogue, result.release_id)
    folder = catalogue / "extracts" / result.release_id
    assert issued.folder == folder and "University of Testing" in issued.status
    for relative in BUNDLE:
        assert (folder / relative).is_file(), relative
    data = pd.read_parquet(folder / "data" / "test-extract.parquet")
    people = demo_residents["person_id"].nunique()
    assert len(data) == people
    assert set(data.columns) == {
        "ward_code",
        "age_band",
        "sex",
        "tenure",
        "council_tax_support",
        "rent_arrears_gbp",
    }
    assert not ((data["age_band"] == "0-15") & data["council_tax_support"]).any()
    assert "person_id" not in pd.read_csv(folder / "data" / "test-extract.csv").columns
    dictionary = pd.read_csv(folder / "data-dictionary.csv")
    assert dictionary["column"].tolist() == list(data.columns)
    assert "quasi-identifier" in set(dictionary["role"].dropna())
    register = json.loads((catalogue / "registers" / "data-sharing.json").read_text())
    entry = register["entries"][-1]
    assert entry["recipient_organisation"] == "University of Testing"
    assert entry["agreement_reference"] == "DSA-TEST-001"
    assert entry["approved_by"] == "Dana Approver"
    assert entry["expiry"] == "2099-12-31" and entry["release_id"] == result.release_id
    assert "University of Testing" in (catalogue / "registers" / "data-sharing.csv").read_text()
    # Shared under agreement, not open data: nothing of it is served or listed publicly.
    assert not any("extracts" in path for path in public_files(catalogue))
    assert (catalogue / "audit" / result.release_id / "approval.json").is_file()
    assert "DSA-TEST-001" in (folder / "terms-of-use.md").read_text()
    assert "<svg" in (folder / "evaluation.html").read_text()
    # Shared under an agreement: never copied to a public target.
    staged_again = run(demo_workspace, extract_config(seed=12), "again.yaml")
    approve_release(catalogue, staged_again.release_id, by="Dana Approver")
    with pytest.raises(PublishError, match="never copied to a public target"):
        publish_release(catalogue, staged_again.release_id, to=str(demo_workspace / "mirror"))
    checked = CliRunner().invoke(main, ["check", str(folder)])
    assert checked.exit_code == 0, checked.output
    (folder / "data" / "test-extract.csv").write_text("ward_code\nW1\n")
    assert CliRunner().invoke(main, ["check", str(folder)]).exit_code == 3


def test_withdrawn_extract_moves_aside_and_the_register_says_so(demo_workspace):
    result = run(demo_workspace, extract_config(seed=8))
    catalogue = demo_workspace / "catalogue"
    approve_release(catalogue, result.release_id, by="Dana Approver")
    publish_release(catalogue, result.release_id)
    register = catalogue / "registers" / "data-sharing.json"
    issued = json.loads(register.read_text())["entries"]
    outcome = CliRunner().invoke(
        main,
        [
            "retract",
            result.release_id,
            "--catalogue",
            str(catalogue),
            "--reason",
            "Agreement ended early by the university",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert not (catalogue / "extracts" / result.release_id).exists()
    kept = catalogue / "retracted" / result.release_id
    assert (kept / "data" / "test-extract.parquet").is_file()
    assert json.loads((kept / "retraction.json").read_text())["reason"].startswith("Agreement")
    entries = json.loads(register.read_text())["entries"]
    assert entries[: len(issued)] == issued  # earlier rows never change
    [withdrawal] = entries[len(issued) :]
    assert withdrawal["release_id"] == result.release_id
    assert withdrawal["withdrawal_reason"] == "Agreement ended early by the university"
    assert withdrawal["withdrawn_on"] and withdrawal["agreement_reference"] == "DSA-TEST-001"
    assert "Agreement ended early" in (catalogue / "registers" / "data-sharing.csv").read_text()
    again = CliRunner().invoke(
        main,
        [
            "retract",
            result.release_id,
            "--catalogue",
            str(catalogue),
            "--reason",
            "twice",
        ],
    )
    assert again.exit_code != 0 and "not published" in again.output


def test_same_seed_gives_the_same_extract(demo_workspace):
    first = run(demo_workspace, extract_config(seed=5), "a.yaml")
    second = run(demo_workspace, extract_config(seed=5), "b.yaml")
    other = run(demo_workspace, extract_config(seed=6), "c.yaml")

    def data(result):
        return pd.read_parquet(result.release_dir / "data" / "test-extract.parquet")

    pd.testing.assert_frame_equal(data(first), data(second))
    assert not data(first).equals(data(other))


def dp_extract_config(rho: float = 1) -> dict:
    """A DP extract of the dataset ``three``, which the caller registers with lifetime ρ = 3."""
    config = extract_config(synthesiser="dp_mst", budget={"rho": rho})
    config["source"]["dataset"] = "three"
    return config


def test_dp_extract_draws_on_the_ledger_and_refuses_an_overspend(demo_workspace):
    register(demo_workspace / "catalogue", "three", rho=3)
    config = dp_extract_config()
    result = run(demo_workspace, config)
    manifest = json.loads((result.release_dir / "manifest.json").read_text())
    assert manifest["privacy"]["rho"] == "1"
    bins = manifest["extract"]["numeric_bins"]["rent_arrears_gbp"]
    assert bins["source"].startswith("ten equal-width") and bins["edges"][-1] == 25000
    assert "seed" not in manifest["extract"]["synthesiser"]  # DP synthesis is never seeded
    ledger = Ledger(default_ledger_path(demo_workspace / "catalogue"))
    dataset = "three"
    assert ledger.status(dataset).spent.value == 1
    assert manifest["budget"] == ledger.charge_of(result.release_id).statement()
    run(demo_workspace, config, "second.yaml")
    assert ledger.status(dataset).spent.value == 2
    greedy = dp_extract_config(rho=2)
    before = tree_snapshot(demo_workspace / "catalogue")
    with pytest.raises(BudgetError):
        run(demo_workspace, greedy, "greedy.yaml")
    assert ledger.status(dataset).spent.value == 2
    assert tree_snapshot(demo_workspace / "catalogue") == before


def test_refused_dp_extract_is_charged_but_nothing_is_staged(demo_workspace, monkeypatch):
    """Its gate judged the synthesis against real people: retrying until one passes would
    otherwise spend budget uncounted."""
    register(demo_workspace / "catalogue", "three", rho=3)
    config = dp_extract_config()
    checks = extract_run.extract_checks

    def with_risk_shown(*args, **kwargs):
        # Whichever check refuses: here one that found evidence of risk.
        shown = CheckResult("an attack works", False, "shown", id="synthetic-risk-shown")
        return [*checks(*args, **kwargs), shown]

    monkeypatch.setattr(extract_run, "extract_checks", with_risk_shown)
    with pytest.raises(DisclosureError):
        run(demo_workspace, config)
    ledger = Ledger(default_ledger_path(demo_workspace / "catalogue"))
    status = ledger.status("three")
    assert status.spent.value == 1 and status.in_flight.value == 0
    staging = demo_workspace / "catalogue" / "staging"
    assert not staging.exists() or not any(staging.iterdir())


@pytest.mark.parametrize(
    ("release", "words"),
    [
        ({"columns": ["age_band", "shoe_size"]}, "release.columns[1]"),
        ({"columns": ["age_band", "uprn"]}, "release.columns[1]: 'uprn' identifies"),
        ({"quasi_identifiers": ["ward_code"]}, "release.quasi_identifiers"),
        ({"terms_of_use": "no-such-terms.md"}, "release.terms_of_use"),
        ({"synthesiser": "dp_mst", "budget": {"rho": 0}}, "more than 0"),
        ({"quasi_identifiers": ["ward_code", "postcode_sector"]}, "release.quasi_identifiers[1]"),
        ({"households": True, "synthesiser": "ctgan"}, "households"),
        ({"synthesiser": "dp_aim"}, "budget"),
        ({"synthesiser": "dp_mst", "seed": 4, "budget": {"rho": 1}}, "never seeded"),
        ({"budget": {"rho": 1}}, "remove budget"),
        (
            {
                "recipient": {
                    "organisation": "Uni",
                    "purpose": "x" * 20,
                    "legal_basis": "public task",
                    "agreement": "DSA-1",
                    "expires": "2001-01-01",
                }
            },
            "in the past",
        ),
    ],
)
def test_bad_extract_configs_name_the_key(demo_workspace, release, words):
    config = extract_config(**release)
    path = demo_workspace / "bad.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    before = tree_snapshot(demo_workspace)
    outcome = CliRunner().invoke(main, ["run", str(path)])
    assert outcome.exit_code == 2, outcome.output
    assert words in outcome.output
    after = tree_snapshot(demo_workspace)
    assert after == before
    with pytest.raises(ConfigError):
        run_pipeline(build_plan(load_config(path)))


def test_check_runs_the_extract_gate_without_staging_or_charging(demo_workspace):
    config = extract_config(synthesiser="dp_mst", budget={"rho": 1})
    path = demo_workspace / "check.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    plan = CliRunner().invoke(main, ["plan", str(path)])
    assert plan.exit_code == 0 and "rho = 1 from the dataset's privacy ledger" in plan.output
    outcome = CliRunner().invoke(main, ["check", str(path)])
    assert outcome.exit_code == 0, outcome.output
    assert list((demo_workspace / "reports").glob("*/risk-report.md"))
    catalogue = demo_workspace / "catalogue"
    assert not list(catalogue.glob("staging/*")) and not list(catalogue.glob("extracts/*"))
    status = Ledger(default_ledger_path(catalogue)).status("residents")
    assert status.spent.value == 0 and status.in_flight.value == 0


@pytest.mark.parametrize(
    "release",
    [
        {"synthesiser": "gaussian_copula", "seed": 2},
        {"households": True, "household_attributes": ["tenure"], "seed": 2},
    ],
)
def test_other_synthesisers_and_households_through_the_pipeline(demo_workspace, release):
    result = run(demo_workspace, extract_config(**release))
    manifest = json.loads((result.release_dir / "manifest.json").read_text())
    described = manifest["extract"]["synthesiser"]
    assert described["seed"] == 2
    data = pd.read_parquet(result.release_dir / "data" / "test-extract.parquet")
    assert not ((data["age_band"] == "0-15") & data["council_tax_support"]).any()
    if release.get("households"):
        assert described["method"] == "cart_households"
        # Members of one synthetic household share its tenure.
        assert (data.groupby("uprn")["tenure"].nunique() == 1).all()
    else:
        assert described["method"] == "sdv_gaussian_copula"
