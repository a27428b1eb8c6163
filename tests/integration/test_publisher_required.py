"""Outside the demo, a release names its publisher and governance, and no file mentions the demo.

A release on Barking and Dagenham (imported from ONS files) without ``publish.publisher`` and
``publish.governance`` is refused by ``validate`` with the fix; with them, no public file of the
catalogue mentions "Demo".
"""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from boroughkit.cli import main
from boroughkit.publish.catalogue import PUBLIC_ENTRIES
from tests.helpers.configs import minimal_config
from tests.helpers.ledger import register
from tests.helpers.shared_data import GEO

PUBLISH = {
    "publisher": {
        "organisation": "London Borough of Barking and Dagenham",
        "contact": "https://www.lbbd.gov.uk/open-data",
    },
    "governance": {
        "dpia_reference": "DPIA-LBBD-2026-007",
        "legal_basis": "UK GDPR Article 6(1)(e) public task",
        "data_controller": "London Borough of Barking and Dagenham",
    },
}


def _invoke(runner: CliRunner, *args: str):
    return runner.invoke(main, list(args))


@pytest.fixture(scope="module")
def lbbd(tmp_path_factory):
    work = tmp_path_factory.mktemp("lbbd-publisher")
    runner = CliRunner()
    imported = _invoke(
        runner,
        "geography",
        "import",
        "--lookup",
        str(GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"),
        "--boundaries",
        f"ward={GEO / 'wards22_bsc_lbbd.geojson'}",
        "--centroids",
        str(GEO / "oa21_pwc_points_lbbd.geojson"),
        "--out",
        str(work / "lbbd"),
    )
    assert imported.exit_code == 0, imported.output
    residents = _invoke(
        runner,
        "demo",
        "residents",
        "--geography",
        str(work / "lbbd"),
        "--n",
        "20000",
        "--out",
        str(work / "residents.csv"),
    )
    assert residents.exit_code == 0, residents.output
    return work


def _config(work, **publish) -> str:
    config = minimal_config(name="lbbd-publisher")
    config["source"]["path"] = "residents.csv"
    config["geography"]["boundaries"] = "lbbd"
    config["release"]["tables"][0]["levels"] = ["oa", "ward", "borough"]
    config["publish"].update(publish)
    path = work / f"lbbd-{len(publish)}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def test_validate_refuses_a_real_borough_without_publisher_and_governance(lbbd):
    result = _invoke(CliRunner(), "validate", _config(lbbd))
    assert result.exit_code == 2, result.output
    assert "publish.publisher (organisation, contact)" in result.output
    assert "publish.governance (dpia_reference, legal_basis, data_controller)" in result.output
    assert "'lbbd'" in result.output
    assert "fix:" in result.output and "organisation:" in result.output
    assert "data_controller:" in result.output


def test_validate_names_only_what_is_missing(lbbd):
    result = _invoke(CliRunner(), "validate", _config(lbbd, publisher=PUBLISH["publisher"]))
    assert result.exit_code == 2, result.output
    assert "publish.governance" in result.output
    assert "publish.publisher (" not in result.output


def test_old_flat_keys_are_refused_with_the_new_block(lbbd):
    result = _invoke(CliRunner(), "validate", _config(lbbd, dpia_reference="DPIA-1", **PUBLISH))
    assert result.exit_code == 2, result.output
    assert "publish.governance" in result.output and "governance:" in result.output


def test_a_contact_must_be_an_email_or_a_web_address(lbbd):
    publisher = {"organisation": "LBBD", "contact": "call us"}
    result = _invoke(CliRunner(), "validate", _config(lbbd, publisher=publisher, **_gov()))
    assert result.exit_code == 2, result.output
    assert "publish.publisher.contact" in result.output


def _gov() -> dict:
    return {"governance": PUBLISH["governance"]}


def test_with_them_no_public_file_mentions_the_demo(lbbd):
    runner = CliRunner()
    config = _config(lbbd, **PUBLISH)
    assert _invoke(runner, "validate", config).exit_code == 0
    register(lbbd / "catalogue", "residents", rho=2)
    ran = _invoke(runner, "run", config)
    assert ran.exit_code == 0, ran.output
    (staged,) = (lbbd / "catalogue" / "staging").iterdir()
    catalogue = str(lbbd / "catalogue")
    approved = _invoke(
        runner, "approve", staged.name, "--by", "A Approver", "--catalogue", catalogue
    )
    assert approved.exit_code == 0, approved.output
    published = _invoke(runner, "publish", staged.name, "--catalogue", catalogue)
    assert published.exit_code == 0, published.output

    public = [
        path
        for entry in PUBLIC_ENTRIES
        for path in [lbbd / "catalogue" / entry, *(lbbd / "catalogue" / entry).rglob("*")]
        if path.is_file()
    ]
    assert len(public) > 10
    mentions = [str(path) for path in public if b"demo" in path.read_bytes().lower()]
    assert mentions == []

    release = lbbd / "catalogue" / "releases" / staged.name
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    organisation = PUBLISH["publisher"]["organisation"]
    assert manifest["publisher"] == organisation
    assert manifest["publication"]["contact"] == "https://www.lbbd.gov.uk/open-data"
    assert manifest["publication"]["data_controller"] == organisation
    assert manifest["publication"]["dpia_reference"] == "DPIA-LBBD-2026-007"
    dcat = json.loads((release / "dcat.jsonld").read_text(encoding="utf-8"))
    assert dcat["dct:publisher"]["foaf:name"] == organisation
    assert dcat["dcat:contactPoint"]["vcard:hasURL"] == {"@id": "https://www.lbbd.gov.uk/open-data"}
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    assert package["contributors"][0]["title"] == organisation
    index = json.loads((lbbd / "catalogue" / "index.json").read_text(encoding="utf-8"))
    assert index["publisher"] == organisation
    (entry,) = index["releases"]
    assert (entry["data_controller"], entry["contact"]) == (
        organisation,
        "https://www.lbbd.gov.uk/open-data",
    )
    register_csv = (lbbd / "catalogue" / "registers" / "transparency.csv").read_text("utf-8")
    assert "DPIA-LBBD-2026-007" in register_csv and "not recorded" not in register_csv
