"""``boroughkit ledger``: create, inspect, verify and repair the privacy budget ledger."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from boroughkit.cli._errors import translate_errors
from boroughkit.errors import BudgetError, ConfigError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import (
    LEDGER_FILENAME,
    Ledger,
    LedgerEntry,
    LedgerStatus,
    default_ledger_path,
)

F = TypeVar("F", bound=Callable[..., Any])
_BUDGET_ROWS = (("lifetime", "total"), ("spent", "spent"), ("in flight", "in_flight"),
                ("remaining", "remaining"))  # fmt: skip


def _where(command: F) -> F:
    """Add ``--ledger PATH`` and ``--catalogue DIR`` (the ledger inside a catalogue)."""
    command = click.option(
        "--catalogue",
        type=click.Path(file_okay=False, path_type=Path),
        help="Catalogue folder; its ledger is the file DIR.privacy-ledger.sqlite beside it.",
    )(command)
    return click.option(
        "--ledger",
        "ledger_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The ledger file (e.g. catalogue.privacy-ledger.sqlite).",
    )(command)


def _open(ledger_path: Path | None, catalogue: Path | None) -> Ledger:
    """The ledger at --ledger, or beside --catalogue; runs that died holding budget are
    recovered first (and said so)."""
    if ledger_path is None and catalogue is None:
        raise ConfigError(
            "say which privacy ledger to use: give --catalogue (its ledger is beside it) or "
            "--ledger",
            fix="e.g. --catalogue catalogue",
        )
    book = Ledger(ledger_path or default_ledger_path(catalogue or Path(".")))
    for entry in book.recover_abandoned(by=book.user):
        click.echo(
            f"recovered ρ = {entry.rho} held by release {entry.release_id}: its run "
            f"({entry.owner}) has ended",
            err=True,
        )
    return book


def _catalogue(catalogue: Path | None, ledger_path: Path | None) -> Path:
    """The catalogue where budget acts are published: --catalogue, or the one the ledger sits
    beside (``<catalogue>.privacy-ledger.sqlite``)."""
    if catalogue is not None:
        return catalogue
    suffix = "." + LEDGER_FILENAME
    if ledger_path is not None and ledger_path.name.endswith(suffix):
        return ledger_path.with_name(ledger_path.name[: -len(suffix)])
    raise ConfigError(
        "this command publishes to the catalogue: give --catalogue",
        fix="e.g. --catalogue catalogue",
    )


def _rho(text: str) -> Rho:
    try:
        return Rho.parse(text)
    except ValueError as error:
        raise ConfigError(
            f"--rho {text!r} is invalid: {error}", fix="e.g. --rho 1 or --rho 1/2"
        ) from error


@click.group("ledger")
def ledger() -> None:
    """The privacy budget ledger: each population's lifetime ρ, the datasets registered to it
    and every release charged to it. It lives beside the catalogue, never inside it.

    \b
    Example:
      boroughkit ledger show --catalogue demo-output/catalogue
    """


@ledger.command("init")
@_where
@click.option("--dataset", required=True, help="Name of the dataset (source.dataset) to register.")
@click.option(
    "--population",
    default=None,
    help="The residents it describes: datasets of one population share one budget "
    "(default: a population of its own, named after the dataset).",
)
@click.option(
    "--rho", "rho_text", default=None, help="Lifetime ρ (zCDP) of a new population, e.g. 4 or 1/2."
)
@click.option("--by", required=True, help="The named person who decides the budget.")
@click.option("--reason", required=True, help="Why this budget (published).")
@translate_errors
def init_command(
    ledger_path: Path | None,
    catalogue: Path | None,
    dataset: str,
    population: str | None,
    rho_text: str | None,
    by: str,
    reason: str,
) -> None:
    """Register a dataset and its population's lifetime privacy budget; the act is published
    in the catalogue's privacy-budget register.

    \b
    Example:
      boroughkit ledger init --catalogue demo-output/catalogue --dataset demo-residents \\
          --rho 4 --by "Asha Patel" --reason "DPIA-2026-04: four releases a year"
    """
    from boroughkit.pipeline.ledgering import register_dataset

    lifetime = _rho(rho_text) if rho_text is not None else None
    folder = _catalogue(catalogue, ledger_path)
    book = _open(ledger_path, catalogue)
    entry = register_dataset(
        folder,
        dataset,
        lifetime=lifetime,
        by=by,
        reason=reason,
        population=population,
        ledger_path=ledger_path,
    )
    total = book.status(dataset).total
    click.echo(
        f"dataset '{dataset}' registered to population '{entry.population}': lifetime ρ = "
        f"{total} (ε = {total.to_epsilon(1e-7):.4g} at δ = 1e-07) in {book.path}; published "
        "in registers/privacy-budget"
    )


@ledger.command("raise")
@_where
@click.option("--population", required=True, help="The population (or one of its datasets).")
@click.option("--rho", "rho_text", required=True, help="The new, larger lifetime ρ.")
@click.option("--by", required=True, help="The named person who decides it.")
@click.option("--reason", required=True, help="Why (published).")
@translate_errors
def raise_command(
    ledger_path: Path | None,
    catalogue: Path | None,
    population: str,
    rho_text: str,
    by: str,
    reason: str,
) -> None:
    """Raise a population's lifetime privacy budget (never lower it); the act is published.

    \b
    Example:
      boroughkit ledger raise --catalogue demo-output/catalogue --population demo-residents \\
          --rho 6 --by "Asha Patel" --reason "DPIA-2026-04 review: two more releases"
    """
    from boroughkit.pipeline.ledgering import raise_lifetime

    folder = _catalogue(catalogue, ledger_path)
    _open(ledger_path, catalogue)
    entry = raise_lifetime(
        folder, population, _rho(rho_text), by=by, reason=reason, ledger_path=ledger_path
    )
    click.echo(
        f"population '{entry.population}': lifetime ρ raised to {entry.rho}; published "
        "in registers/privacy-budget"
    )


@ledger.command("publish-register")
@_where
@translate_errors
def publish_register_command(ledger_path: Path | None, catalogue: Path | None) -> None:
    """Publish (again) the ledger's register and raise acts as the privacy-budget register.

    \b
    Example:
      boroughkit ledger publish-register --catalogue demo-output/catalogue
    """
    from boroughkit.pipeline.ledgering import publish_budget_acts

    folder = _catalogue(catalogue, ledger_path)
    publish_budget_acts(folder, _open(ledger_path, catalogue))
    click.echo(f"published {folder}/registers/privacy-budget.(csv|json|html)")


@ledger.command("show")
@_where
@click.option("--dataset", help="Show only this dataset.")
@click.option(
    "--delta",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=1e-7,
    show_default=True,
    help="δ at which each ρ is also shown as ε of (ε, δ)-DP.",
)
@click.option("--tight", is_flag=True, help="Use the tighter ρ→ε conversion (as OpenDP does).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@translate_errors
def show_command(
    ledger_path: Path | None,
    catalogue: Path | None,
    dataset: str | None,
    delta: float,
    tight: bool,
    as_json: bool,
) -> None:
    """Show lifetime, spent, in-flight and remaining budget, as ρ and ε, and every entry.

    \b
    Example:
      boroughkit ledger show --catalogue demo-output/catalogue --dataset demo-residents
      boroughkit ledger show --catalogue demo-output/catalogue --json
    """
    book = _open(ledger_path, catalogue)
    book.verify()  # also says so when there is no ledger at that path
    names = [dataset] if dataset else book.populations()
    statuses = [book.status(name) for name in names]
    if as_json:
        datasets = [_as_dict(status, delta, tight) for status in statuses]
        payload = {"ledger": str(book.path), "delta": delta, "tight": tight, "datasets": datasets}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    conversion = "tight" if tight else "standard"
    click.echo(f"privacy ledger {book.path} (ε at δ = {delta:g}, {conversion} zCDP conversion)")
    if not statuses:
        click.echo("no datasets yet: register one with `boroughkit ledger init`")
    for status in statuses:
        click.echo("\n".join(_as_lines(status, delta, tight)))


@ledger.command("verify")
@_where
@translate_errors
def verify_command(ledger_path: Path | None, catalogue: Path | None) -> None:
    """Check the hash chain and, with --catalogue, that the ledger holds every charge the
    published manifests state and every published budget act (exit 4 if not).

    \b
    Example:
      boroughkit ledger verify --catalogue demo-output/catalogue
    """
    book = _open(ledger_path, catalogue)
    if catalogue is None:
        count = len(book.entries())  # verifies the chain
        click.echo(
            f"privacy ledger {book.path}: {count} entries, hash chain intact, head "
            f"{book.head()} (give --catalogue to check it against the public record)"
        )
        return
    from boroughkit.pipeline.ledgering import audit_against_catalogue, open_ledger

    audit = audit_against_catalogue(catalogue, ledger_path)
    text = audit.describe(open_ledger(catalogue, ledger_path).path, catalogue)
    if audit.problems:
        raise BudgetError(text, fix="restore the catalogue's own ledger from a backup")
    click.echo(text)


@ledger.command("cancel")
@_where
@click.option("--dataset", required=True, help="Dataset of the reservation.")
@click.option("--release", "release_id", required=True, help="Release id holding the budget.")
@click.option("--reason", required=True, help="Why, e.g. 'run killed at 14:02'.")
@click.option("--by", required=True, help="Who cancels.")
@translate_errors
def cancel_command(
    ledger_path: Path | None,
    catalogue: Path | None,
    dataset: str,
    release_id: str,
    reason: str,
    by: str,
) -> None:
    """Give back the budget of a reservation whose run died on another machine (runs that
    died on this one are recovered automatically). Refused for any release in the catalogue.

    \b
    Example:
      boroughkit ledger cancel --catalogue demo-output/catalogue --dataset demo-residents \\
          --release demo-tenure-20260401T090000Z-1a2b --reason "run killed at 14:02" \\
          --by "Sam Analyst"
    """
    from boroughkit.pipeline.ledgering import cancel_reservation

    folder = _catalogue(catalogue, ledger_path)
    _open(ledger_path, catalogue)
    remaining = cancel_reservation(
        folder, dataset, release_id, reason=reason, by=by, ledger_path=ledger_path
    )
    click.echo(f"cancelled release '{release_id}' of '{dataset}'; remaining ρ = {remaining}")


def _as_lines(status: LedgerStatus, delta: float, tight: bool) -> list[str]:
    epsilon = status.as_epsilon(delta, tight=tight)
    lines = [
        f"population {status.population} (datasets: {', '.join(status.datasets)})",
        f"  {'':<11}{'ρ':<24}ε",
    ]
    for label, name in _BUDGET_ROWS:
        rho = str(getattr(status, name))
        lines.append(f"  {label:<11}{rho:<24}{getattr(epsilon, name):.4g}")
    if status.in_flight_releases:
        lines.append(f"  releases in flight: {', '.join(status.in_flight_releases)}")
    lines.append("  entries:")
    lines.extend(f"    {_entry_line(entry)}" for entry in status.entries)
    return lines


def _entry_line(entry: LedgerEntry) -> str:
    parts = [entry.at.strftime("%Y-%m-%d %H:%M:%SZ"), f"{entry.kind:<8}"]
    if entry.release_id:
        parts.append(f"release {entry.release_id}")
    if entry.tables:
        parts.append(f"tables {', '.join(entry.tables)}")
    if entry.rho is not None:
        parts.append(f"ρ {entry.rho}")
    if entry.kind in ("register", "raise", "reserve"):
        parts.append(f"dataset {entry.dataset}")
    parts.append(f"by {entry.actor} ({entry.os_user}@{entry.host}, pid {entry.pid})")
    if entry.reason:
        parts.append(f"reason: {entry.reason}")
    return "  ".join(parts)


def _as_dict(status: LedgerStatus, delta: float, tight: bool) -> dict[str, Any]:
    epsilon = status.as_epsilon(delta, tight=tight)
    return {
        "population": status.population,
        "datasets": list(status.datasets),
        "rho": {name: getattr(status, name).to_json() for _, name in _BUDGET_ROWS},
        "epsilon": {name: getattr(epsilon, name) for _, name in _BUDGET_ROWS},
        "releases_in_flight": list(status.in_flight_releases),
        "entries": [
            {
                "seq": entry.seq,
                "at": entry.at.isoformat(),
                "kind": entry.kind,
                "dataset": entry.dataset,
                "release_id": entry.release_id,
                "tables": list(entry.tables),
                "rho": entry.rho.to_json() if entry.rho is not None else None,
                "by": entry.actor,
                "os_user": entry.os_user,
                "host": entry.host,
                "pid": entry.pid,
                "reason": entry.reason,
                "hash": entry.hash,
            }
            for entry in status.entries
        ],
    }
