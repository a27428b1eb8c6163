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

import pandas as pd

from boroughkit.errors import ConfigError, DisclosureError
from boroughkit.methods.synthetic_extract.bundle import terms_text, write_bundle
from boroughkit.methods.synthetic_extract.config import DP_SYNTHESIS, SyntheticExtractRelease
from boroughkit.methods.synthetic_extract.gate import (
    extract_checks,
    extract_gate_report,
    public_values,
)
from boroughkit.methods.synthetic_extract.manifest import extract_manifest, extract_statement
from boroughkit.methods.synthetic_extract.parts import (
    declared_outputs,
    make_extract_synthesiser,
    rows_to_draw,
    terms_of_use,
)
from boroughkit.methods.synthetic_extract.schema import area_column, build_schema, people_frame
from boroughkit.publish.catalogue import commit_release, staged_release
from boroughkit.publish.release_writer import write_manifest
from boroughkit.release.budgeting import ChargeHook, state_charge
from boroughkit.release.job import ReleaseJob
from boroughkit.release.manifest import approval_commands, write_input_facts
from boroughkit.release.outcome import RunResult, settle_gate
from boroughkit.release.records import LoadedRecords
from boroughkit.synth import SynthSchema
from boroughkit.synth.evaluate.report import evaluate_extract, split_holdout
from boroughkit.synth.evaluate.sharing import for_recipient, public_synthesiser
from boroughkit.version import __version__


def extract_release(release: object) -> SyntheticExtractRelease:
    """The ``release:`` section, typed (the registry guarantees the method)."""
    assert isinstance(release, SyntheticExtractRelease)
    return release


@dataclass(frozen=True)
class PreparedExtract:
    """A checked extract job: the records read, one real row per person, the terms."""

    job: ReleaseJob
    records: LoadedRecords
    schema: SynthSchema
    people: pd.DataFrame
    terms: str | None

    def build(self, charge: ChargeHook) -> RunResult:
        """Hold out, synthesise, evaluate, gate, charge and stage the extract."""
        return _build(self, charge)


def prepare_extract(job: ReleaseJob, method_columns: list[str]) -> PreparedExtract:
    """Check the agreement and schema, read the records, make one real row per person."""
    loaded, config = job.plan.loaded, job.config
    release = extract_release(config.release)
    codes = job.bundle.areas(release.area_level)["code"].astype(str).tolist()
    try:
        schema = build_schema(config, codes)
    except ConfigError as error:
        where = loaded.path or "config"
        raise ConfigError(f"{where}: release: {error.message}", fix=error.fix) from error
    expires = release.recipient.expires
    if expires < job.context.now().date():
        raise ConfigError(
            f"{loaded.path or 'config'}: release.recipient.expires {expires} is in the past",
            fix="an extract can only be issued under an agreement that is still in force",
        )
    terms = terms_of_use(job.plan, release)
    records = LoadedRecords(job, method_columns)
    people = people_frame(
        records.frame, schema, job.bundle.oa_to_level(release.area_level), area_column(release)
    )
    return PreparedExtract(job, records, schema, people, terms)


def _build(inputs: PreparedExtract, charge: ChargeHook) -> RunResult:
    job = inputs.job
    plan, context, config = job.plan, job.context, job.config
    release = extract_release(config.release)
    private = release.synthesiser in DP_SYNTHESIS
    seed = None if private else (release.seed if release.seed is not None else entropy.randbits(32))
    split_seed = seed if seed is not None else entropy.randbits(32)
    context.step("split off the hold-out")
    train, holdout = split_holdout(
        inputs.people,
        release.holdout_fraction,
        seed=split_seed,
        group_column=inputs.schema.household_column,
    )
    context.step(f"fit the {release.synthesiser} synthesiser")
    synthesiser = make_extract_synthesiser(release, inputs.schema, seed, plan.rho).fit(train)
    rows = rows_to_draw(release, synthesiser, len(inputs.people))
    context.step(f"sample {rows:,} synthetic rows")
    synthetic = synthesiser.sample(rows)
    # A drawn seed is private (it redraws the hold-out split); one set in the config is public.
    described = public_synthesiser(synthesiser.describe(), None if private else release.seed)
    context.step("evaluate fidelity and disclosure risk")
    evaluation = evaluate_extract(
        train,
        holdout,
        synthetic,
        inputs.schema,
        method=release.synthesiser,
        target=release.utility_target,
        synthesiser=described,
        seed=split_seed,
    )
    checks = extract_checks(release, evaluation, synthetic, inputs.people, inputs.schema, train)
    # Everything written into the bundle describes real people only in rounded figures.
    shared = for_recipient(evaluation)
    with staged_release(job.catalogue, job.release_id) as staging:
        context.step("write the researcher bundle")
        files = write_bundle(
            staging,
            name=config.name,
            synthetic=synthetic,
            schema=inputs.schema,
            evaluation=shared,
            checks=checks,
            statement=extract_statement(plan, shared),
            terms=terms_text(
                release, config.name, config.publish.publisher.organisation, inputs.terms
            ),
        )
        document = extract_manifest(
            plan,
            job.release_id,
            context,
            job.bundle,
            described,
            shared,
            job.dataset,
            __version__,
            [str(column) for column in synthetic.columns],
            inputs.schema,
        )
        manifest_path = write_manifest(staging, document, files, config.publish)
        write_input_facts(
            staging, inputs.records.facts, split_seed=split_seed, synthesiser_seed=seed
        )  # private: goes to audit/, not extracts/
        paths = [*(staging / f.path for f in files), manifest_path]
        context.step("run the disclosure gate")
        report = extract_gate_report(
            job.release_id,
            checks,
            paths,
            declared_outputs(inputs.schema),
            inputs.records.secrets(),
            public_values(inputs.schema, job.bundle),
            differentially_private=private,
        )
        report.write(staging)
        try:
            checked = settle_gate(
                report, staging, job.reports_dir, job.release_id, job.dry_run, files
            )
        except DisclosureError:
            # The gate judged a DP synthesis against real records: choosing among syntheses
            # by that verdict must not be free, so a refused DP extract spends its budget.
            charge()
            raise
        if checked is not None:
            return checked
        context.step("stage for approval")
        state_charge(staging, document, files, config.publish, charge())
        final = commit_release(job.catalogue, staging, job.release_id)
    open_ = report.inconclusive()
    accepts = "".join(f" --accept {finding.id}" for finding in open_)
    commands = [
        command + accepts if command.startswith("boroughkit approve") else command
        for command in approval_commands(job)
    ]
    verdict = (
        f"the gate found no evidence of risk, but {len(open_)} finding(s) are inconclusive "
        f"({', '.join(finding.id for finding in open_)}): the approver must accept each by name"
        if open_
        else "the gate passed"
    )
    summary = (
        f"Built synthetic extract {job.release_id} ({release.synthesiser}, "
        f"{len(synthetic)} rows): {verdict}; it waits for approval\n"
        f"  staged in: {final}\n  k-marginal {evaluation.fidelity.score:.0f} "
        f"(real hold-out {evaluation.ceiling.score:.0f}; synthetic samples of the hold-out's "
        f"size)"
        + (
            f"; SDNist k-marginal {evaluation.sdnist.synthetic:.0f} "
            f"(hold-out {evaluation.sdnist.holdout_ceiling:.0f})"
            if evaluation.sdnist
            else ""
        )
        + f"; people read: {len(inputs.people)}\n"
        f"  next: read risk-report.md and evaluation.html in {final}, then approve and publish:\n"
        + "\n".join(f"    {command}" for command in commands)
    )
    return RunResult(job.release_id, final, files, report, summary)
