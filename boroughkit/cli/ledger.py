"""``boroughkit ledger``: create, inspect, verify and repair the privacy budget ledger."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from boroughkit.cli._errors import translate_errors
from boroughkit.errors import ConfigError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger, LedgerEntry, LedgerStatus, default_ledger_path

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
    if ledger_path is not None and catalogue is None:
        return Ledger(ledger_path)
    if catalogue is not None and ledger_path is None:
        return Ledger(default_ledger_path(catalogue))
    raise ConfigError(
        "say which privacy ledger to use: give exactly one of --ledger and --catalogue",
        fix="e.g. --ledger catalogue/privacy-ledger.sqlite, or --catalogue catalogue",
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
    """The privacy budget ledger: each dataset's lifetime ρ and every release charged to it."""


@ledger.command("init")
@_where
@click.option("--dataset", required=True, help="Name of the dataset the budget protects.")
@click.option("--rho", "rho_text", required=True, help="Lifetime ρ (zCDP), e.g. 1 or 1/2.")
@click.option("--by", help="Who sets the budget (default: your login name).")
@translate_errors
def init_command(
    ledger_path: Path | None, catalogue: Path | None, dataset: str, rho_text: str, by: str | None
) -> None:
    """Set a dataset's lifetime privacy budget (once; it can never be raised)."""
    book = _open(ledger_path, catalogue)
    total = _rho(rho_text)
    book.init(dataset, total, by=by or book.user)
    click.echo(
        f"dataset '{dataset}': lifetime ρ = {total} (ε = {total.to_epsilon(1e-7):.4g} at "
        f"δ = 1e-07) in {book.path}"
    )


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
    """Show lifetime, spent, in-flight and remaining budget, as ρ and ε, and every entry."""
    book = _open(ledger_path, catalogue)
    book.verify()  # also says so when there is no ledger at that path
    names = [dataset] if dataset else book.datasets()
    statuses = [book.status(name) for name in names]
    if as_json:
        datasets = [_as_dict(status, delta, tight) for status in statuses]
        payload = {"ledger": str(book.path), "delta": delta, "tight": tight, "datasets": datasets}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    conversion = "tight" if tight else "standard"
    click.echo(f"privacy ledger {book.path} (ε at δ = {delta:g}, {conversion} zCDP conversion)")
    if not statuses:
        click.echo("no datasets yet: create one with `boroughkit ledger init`")
    for status in statuses:
        click.echo("\n".join(_as_lines(status, delta, tight)))


@ledger.command("verify")
@_where
@translate_errors
def verify_command(ledger_path: Path | None, catalogue: Path | None) -> None:
    """Check that no entry was edited or removed outside boroughkit (exit 4 if one was)."""
    book = _open(ledger_path, catalogue)
    book.verify()
    count = sum(len(book.status(name).entries) for name in book.datasets())
    click.echo(
        f"privacy ledger {book.path}: {count} entries, hash chain intact, head {book.head()}"
    )


@ledger.command("cancel")
@_where
@click.option("--dataset", required=True, help="Dataset of the reservation.")
@click.option("--release", "release_id", required=True, help="Release id holding the budget.")
@click.option("--reason", required=True, help="Why, e.g. 'run killed at 14:02'.")
@click.option("--by", help="Who cancels (default: your login name).")
@translate_errors
def cancel_command(
    ledger_path: Path | None,
    catalogue: Path | None,
    dataset: str,
    release_id: str,
    reason: str,
    by: str | None,
) -> None:
    """Give back the budget of a stale reservation whose run died (never of a published one)."""
    book = _open(ledger_path, catalogue)
    book.cancel_stale(dataset, release_id, reason=reason, by=by or book.user)
    remaining = book.status(dataset).remaining
    click.echo(f"cancelled release '{release_id}' of '{dataset}'; remaining ρ = {remaining}")


def _as_lines(status: LedgerStatus, delta: float, tight: bool) -> list[str]:
    epsilon = status.as_epsilon(delta, tight=tight)
    lines = [f"dataset {status.dataset}", f"  {'':<11}{'ρ':<24}ε"]
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
    parts.append(f"by {entry.actor} ({entry.os_user}@{entry.host}, pid {entry.pid})")
    if entry.reason:
        parts.append(f"reason: {entry.reason}")
    return "  ".join(parts)


def _as_dict(status: LedgerStatus, delta: float, tight: bool) -> dict[str, Any]:
    epsilon = status.as_epsilon(delta, tight=tight)
    return {
        "dataset": status.dataset,
        "rho": {name: getattr(status, name).to_json() for _, name in _BUDGET_ROWS},
        "epsilon": {name: getattr(epsilon, name) for _, name in _BUDGET_ROWS},
        "releases_in_flight": list(status.in_flight_releases),
        "entries": [
            {
                "seq": entry.seq,
                "at": entry.at.isoformat(),
                "kind": entry.kind,
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
