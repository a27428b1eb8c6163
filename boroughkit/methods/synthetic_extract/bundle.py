"""The researcher bundle of a synthetic extract: data, dictionary, evaluation, statement, terms.

Layout (inside the staged release folder)::

    data/<name>.parquet, data/<name>.csv   the synthetic records
    data-dictionary.csv                     every column: type, public values or range, role
    evaluation.html, evaluation.json        fidelity, utility and privacy scores, every figure
                                            rounded (see synth.evaluate.sharing)
    method-and-privacy.md                   how the extract was made and what protects residents
    terms-of-use.md                         the conditions the recipient accepted
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from boroughkit.disclosure.report import CheckResult
from boroughkit.methods.synthetic_extract.config import SyntheticExtractRelease
from boroughkit.publish.files import WrittenFile, sha256_of
from boroughkit.synth import SynthSchema
from boroughkit.synth.evaluate.html import write_html
from boroughkit.synth.evaluate.report import ExtractEvaluation

_TERMS = """# Terms of use: {name}

Issued by {publisher} to **{organisation}** under data sharing agreement **{agreement}**
for this purpose only: {purpose}

Legal basis: {legal_basis}. The agreement and these terms end on **{expires}**.

1. The records are synthetic: no row describes a real resident. Do not treat a row as a person,
   and do not try to link rows to any other data about people or places smaller than the
   published area ({area_level}).
2. Use the extract only for the purpose above, only within {organisation}, and only by people
   named under the agreement. Do not pass it on or publish it at record level.
3. Results may be published as aggregates. Say that they come from synthetic data made by
   {publisher}, and check important findings against published statistics.
4. Tell {publisher} at once if you believe a row reveals a real person, and delete the extract
   when the agreement ends on {expires}.
"""


def write_bundle(
    folder: Path,
    *,
    name: str,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    evaluation: ExtractEvaluation,
    checks: list[CheckResult],
    statement: str,
    terms: str,
) -> list[WrittenFile]:
    """Write every file of the bundle into ``folder``; returns them for the manifest.

    ``evaluation`` is the copy fit to share (:func:`~boroughkit.synth.evaluate.sharing.
    for_recipient`): the bundle leaves the council.
    """
    (folder / "data").mkdir(parents=True, exist_ok=True)
    descriptions = {spec.name: spec.description for spec in schema.columns}
    table = pa.Table.from_pandas(synthetic.reset_index(drop=True), preserve_index=False)
    fields = [
        field.with_metadata({"description": descriptions.get(field.name) or field.name})
        for field in table.schema
    ]
    table = table.cast(pa.schema(fields, metadata={"description": f"Synthetic extract {name}"}))
    pq.write_table(table, folder / "data" / f"{name}.parquet")
    synthetic.to_csv(folder / "data" / f"{name}.csv", index=False, lineterminator="\n")
    _dictionary(folder / "data-dictionary.csv", schema, list(synthetic.columns))
    write_html(evaluation, folder / "evaluation.html", checks)
    (folder / "evaluation.json").write_text(
        json.dumps(evaluation.to_dict(), indent=2, default=_plain) + "\n", encoding="utf-8"
    )
    (folder / "method-and-privacy.md").write_text(statement, encoding="utf-8")
    (folder / "terms-of-use.md").write_text(terms, encoding="utf-8")
    rows = len(synthetic)
    listed = [
        (f"data/{name}.parquet", "parquet", rows),
        (f"data/{name}.csv", "csv", rows),
        ("data-dictionary.csv", "csv", len(synthetic.columns)),
        ("evaluation.html", "html", 0),
        ("evaluation.json", "json", 0),
        ("method-and-privacy.md", "markdown", 0),
        ("terms-of-use.md", "markdown", 0),
    ]
    return [
        WrittenFile(path, fmt, "extract", "", sha256_of(folder / path), count)
        for path, fmt, count in listed
    ]


def terms_text(
    release: SyntheticExtractRelease, name: str, publisher: str, custom: str | None
) -> str:
    """The terms of use: the config's own file, or the standard terms filled in."""
    if custom is not None:
        return custom
    recipient = release.recipient
    return _TERMS.format(
        name=name,
        publisher=publisher,
        organisation=recipient.organisation,
        agreement=recipient.agreement,
        purpose=recipient.purpose,
        legal_basis=recipient.legal_basis,
        expires=recipient.expires.isoformat(),
        area_level=release.area_level,
    )


def _dictionary(path: Path, schema: SynthSchema, columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["column", "type", "values_or_range", "role", "description"])
        for column in columns:
            spec = schema.column(column) if column in schema.names else None
            if spec is None:
                writer.writerow([column, "id", "", "household id (synthetic)", ""])
                continue
            if spec.is_numeric:
                domain = f"{spec.lower:g} to {spec.upper:g}"
            else:
                domain = "; ".join(str(value) for value in spec.values)
            role = (
                "quasi-identifier"
                if column in schema.quasi_identifiers
                else "sensitive"
                if column in schema.sensitive
                else ""
            )
            writer.writerow([column, spec.kind, domain, role, spec.description])


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
