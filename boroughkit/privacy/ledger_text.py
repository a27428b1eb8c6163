"""Checks and messages of the privacy ledger: errors that name the fix."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from boroughkit.errors import BudgetError, ConfigError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger_replay import LedgerStatus

REASON_LIMIT = 1000


def unregistered(dataset: str, path: Path) -> BudgetError:
    """The error for a dataset that has no budget: datasets are registered on purpose."""
    return BudgetError(
        f"dataset '{dataset}' is not registered in privacy ledger {path}: nothing can be charged",
        fix=f"register it with `boroughkit ledger init --dataset {dataset} --rho TOTAL --by NAME "
        "--reason TEXT` (or `--population NAME` to share a population's budget); if you renamed "
        "the dataset, use its registered name: a new name does not get a new budget",
    )


def overspend(state: LedgerStatus, release_id: str, rho: Rho, path: Path) -> str:
    return (
        f"release '{release_id}' would overspend the privacy budget of '{state.dataset}': "
        f"requested ρ = {rho}, spent {state.spent}, in flight {state.in_flight}, remaining "
        f"{state.remaining} of lifetime {state.total} (ledger {path})"
    )


def overspend_fix(state: LedgerStatus, path: Path) -> str:
    steps = [f"lower the release's rho to at most {state.remaining}"]
    if state.in_flight_releases:
        steps.append(
            f"if a reservation in flight ({', '.join(state.in_flight_releases)}) is stale because "
            f"its run died, release it with `boroughkit ledger cancel --ledger {path} --dataset "
            f"{(state.datasets or (state.dataset,))[0]} --release ID --reason TEXT --by NAME`"
        )
    steps.append(
        "or, if the council decides to, raise the lifetime with `boroughkit ledger raise` (a "
        "published act, with a named person and a reason)"
    )
    return "; ".join(steps)


def login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # some containers have no login name
        return f"uid-{os.getuid()}"


def check_text(what: str, value: str, *, limit: int = 200) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ConfigError(
            f"{what} must be a non-empty text of at most {limit} characters, got {value!r:.300}",
            fix=f"give a {what} such as 'council-tax-support'",
        )


def positive(value: Rho, what: str) -> Rho:
    try:
        rho = Rho.parse(value)
    except ValueError as error:
        raise ConfigError(f"{what} is invalid: {error}", fix="use e.g. 0.5 or 1/4") from error
    if rho == 0:
        raise ConfigError(f"{what} must be positive, got 0", fix="use e.g. 0.5 or 1/4")
    return rho
