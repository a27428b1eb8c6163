"""Run a ``synthetic-extract`` release: load → geocode → hold-out → synthesise → evaluate → gate.

A real hold-out (a fifth of the people by default, whole households together) is kept aside
before fitting: it is the ceiling of the fidelity scores and the control group of the attacks.
A DP synthesiser's budget is reserved in the dataset's ledger before it sees any record and is
charged only when the extract is staged; a refused or failed extract charges nothing. The
bundle is staged for approval like any release; publishing files it away from the public
folders and adds its Data Sharing Register entry.
"""

from __future__ import annotations

import secrets as entropy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit import __version__
from boroughkit.config.extract_models import DP_SYNTHESIS, SyntheticExtractRelease
from boroughkit.errors import ConfigError
from boroughkit.geography import open_bundle
from boroughkit.pipeline.budgeting import charge_staged, dataset_name, reserve_budget
from boroughkit.pipeline.context import RunContext
from boroughkit.pipeline.extract_bundle import terms_text, write_bundle
from boroughkit.pipeline.extract_gate import extract_checks, extract_gate_report, public_values
from boroughkit.pipeline.extract_manifest import extract_manifest, extract_statement
from boroughkit.pipeline.extract_parts import (
    declared_outputs,
    make_extract_synthesiser,
    rows_to_draw,
    terms_of_use,
)
from boroughkit.pipeline.extract_schema import area_column, build_schema, people_frame
from boroughkit.pipeline.gating import record_secrets
from boroughkit.pipeline.outcome import RunResult, settle_gate
from boroughkit.pipeline.plan import Plan
from boroughkit.pipeline.run import LoadedRelease
from boroughkit.publish.catalogue import commit_release, staged_release
from boroughkit.publish.release_writer import write_manifest
from boroughkit.synth import SynthSchema
from boroughkit.synth.evaluate.report import evaluate_extract, split_holdout
from boroughkit.synth.evaluate.sharing import for_recipient


@dataclass(frozen=True)
class ExtractInputs:
    """What the run read: the loaded release (records, facts) and one real row per person."""

    loaded: Any
    schema: SynthSchema
    people: pd.DataFrame
    bundle: Any
    release_id: str
    catalogue: Path
    terms: str | None


def run_extract(
    plan: Plan, context: RunContext, *, reports_dir: Path | None, dry_run: bool
) -> RunResult:
    """Build, score and gate the extract; stage it for approval (or, dry, keep the report)."""
    loaded, config = plan.loaded, plan.loaded.config
    release = config.release
    assert isinstance(release, SyntheticExtractRelease)
    bundle = open_bundle(config.geography.boundaries, base_dir=loaded.base_dir)
    source = loaded.resolve(config.source.path)
    catalogue = loaded.resolve(config.publish.to)
    dataset = dataset_name(plan, source)
    codes = bundle.areas(release.area_level)["code"].astype(str).tolist()
    try:
        schema = build_schema(config, codes)
    except ConfigError as error:
        where = loaded.path or "config"
        raise ConfigError(f"{where}: release: {error.message}", fix=error.fix) from error
    expires = release.recipient.expires
    if expires < context.now().date():
        raise ConfigError(
            f"{loaded.path or 'config'}: release.recipient.expires {expires} is in the past",
            fix="an extract can only be issued under an agreement that is still in force",
        )
    terms = terms_of_use(plan, release)
    records = LoadedRelease(plan, bundle, context, source, catalogue, dataset)
    people = people_frame(
        records.geocoded.frame, schema, bundle.oa_to_level(release.area_level),
        area_column(release),
    )
    inputs = ExtractInputs(records, schema, people, bundle,
                           context.new_release_id(config.name), catalogue, terms)
    if not plan.spends_budget or dry_run:
        return _build(plan, context, inputs, dataset, reports_dir, dry_run)
    with reserve_budget(plan, catalogue, inputs.release_id, source, context) as reservation:
        result = _build(plan, context, inputs, dataset, reports_dir, dry_run)
        charge_staged(reservation, result.release_dir)
    return result


def _build(plan: Plan, context: RunContext, inputs: ExtractInputs, dataset: str,
           reports_dir: Path | None, dry_run: bool) -> RunResult:
    config = plan.loaded.config
    release = config.release
    assert isinstance(release, SyntheticExtractRelease)
    private = release.synthesiser in DP_SYNTHESIS
    seed = None if private else (release.seed if release.seed is not None
                                 else entropy.randbits(32))
    split_seed = seed if seed is not None else entropy.randbits(32)
    train, holdout = split_holdout(inputs.people, release.holdout_fraction, seed=split_seed,
                                   group_column=inputs.schema.household_column)
    synthesiser = make_extract_synthesiser(release, inputs.schema, seed, plan.rho).fit(train)
    synthetic = synthesiser.sample(rows_to_draw(release, synthesiser, len(inputs.people)))
    evaluation = evaluate_extract(
        train, holdout, synthetic, inputs.schema, method=release.synthesiser,
        target=release.utility_target, synthesiser=synthesiser.describe(), seed=split_seed,
    )
    checks = extract_checks(release, evaluation, synthetic, inputs.people, inputs.schema)
    # Everything written into the bundle describes real people only in rounded figures.
    shared = for_recipient(evaluation)
    with staged_release(inputs.catalogue, inputs.release_id) as staging:
        files = write_bundle(
            staging, name=config.name, synthetic=synthetic, schema=inputs.schema,
            evaluation=shared, checks=checks, statement=extract_statement(plan, shared),
            terms=terms_text(release, config.name, config.publish.publisher, inputs.terms),
        )
        document = extract_manifest(
            plan, inputs.release_id, context, inputs.bundle, inputs.loaded.facts,
            synthesiser.describe(), shared, dataset, split_seed, __version__,
            [str(column) for column in synthetic.columns], inputs.schema,
        )
        manifest_path = write_manifest(staging, document, files, config.publish)
        paths = [*(staging / f.path for f in files), manifest_path]
        report = extract_gate_report(
            inputs.release_id, checks, paths,
            declared_outputs(inputs.schema), record_secrets(plan, inputs.loaded.records.frame),
            public_values(inputs.schema, inputs.bundle), differentially_private=private,
        )
        report.write(staging)
        checked = settle_gate(report, staging, reports_dir or plan.loaded.base_dir / "reports",
                              inputs.release_id, dry_run, files)
        if checked is not None:
            return checked
        final = commit_release(inputs.catalogue, staging, inputs.release_id)
    summary = (
        f"Built synthetic extract {inputs.release_id} ({release.synthesiser}, "
        f"{len(synthetic)} rows): the gate passed; it waits for approval\n"
        f"  staged in: {final}\n  k-marginal {evaluation.fidelity.score:.0f} "
        f"(real hold-out {evaluation.ceiling.score:.0f}); people read: {len(inputs.people)}\n"
        f"  next: read risk-report.md and evaluation.html, then `boroughkit approve "
        f"{inputs.release_id} --by NAME` and `boroughkit publish {inputs.release_id}`"
    )
    return RunResult(inputs.release_id, final, files, report, summary)
