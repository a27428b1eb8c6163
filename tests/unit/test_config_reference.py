"""The README's config reference is the text generated from the config models."""

from __future__ import annotations

from pathlib import Path

from boroughkit.config.reference import REGENERATE, section_of, splice
from boroughkit.methods import CONFIG_MODEL, METHODS
from boroughkit.pipeline.config_reference import config_reference

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_config_reference_matches_the_models():
    generated = config_reference()
    assert section_of(README.read_text(encoding="utf-8")) == generated, (
        f"README.md's config reference differs from the config models: run `{REGENERATE}`"
    )


def test_reference_lists_every_key_of_every_section_and_method():
    text = config_reference()
    for name in CONFIG_MODEL.model_fields:
        assert f"| `{name}` |" in text
    for method in METHODS.values():
        assert f"(method: {method.name})" in text
        for name in method.config_model.model_fields:
            assert f"| `release.{name}` |" in text, (method.name, name)
    for key in (
        "publish.publisher.organisation",
        "publish.publisher.contact",
        "publish.governance.dpia_reference",
        "publish.governance.legal_basis",
        "publish.governance.data_controller",
        "release.tables[].count_by",
        "source.columns.<name>.values",
    ):
        assert f"| `{key}` |" in text, key


def test_reference_gives_type_default_and_description():
    rows = {
        line.split(" | ")[0].strip("| `"): line
        for line in config_reference().splitlines()
        if line.startswith("| `")
    }
    assert rows["publish.licence"] == (
        "| `publish.licence` | one of `OGL-3.0`, `CC-BY-4.0`, `CC0-1.0` | `OGL-3.0` | "
        "The licence every published file carries. |"
    )
    assert "| required, except on builtin:demo |" in rows["publish.publisher"]
    assert "| required |" in rows["release.budget.rho"]


def test_splice_replaces_only_the_marked_section():
    text = "# A\n<!-- config-reference:start -->\nold\n<!-- config-reference:end -->\ntail\n"
    spliced = splice(text, "new\n")
    assert (
        spliced
        == "# A\n<!-- config-reference:start -->\nnew\n<!-- config-reference:end -->\ntail\n"
    )
    assert section_of(spliced) == "new\n"
