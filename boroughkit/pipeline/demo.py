"""The demo release: demo borough, demo residents, every example config, one catalogue."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from boroughkit.errors import ConfigError, DisclosureError
from boroughkit.pipeline.approving import approve, publish
from boroughkit.pipeline.ledgering import register_dataset
from boroughkit.pipeline.plan import build_plan, load_config
from boroughkit.pipeline.run import run_pipeline
from boroughkit.privacy.budget import Rho
from boroughkit.publish import PublishResult
from boroughkit.release.context import RunContext
from boroughkit.release.outcome import RunResult
from boroughkit.release.progress import ProgressCallback, prefixed
from boroughkit.release.progress import report as report_step

EXAMPLE_CONFIGS = Path(__file__).resolve().parents[2] / "configs"
DEMO_APPROVER = "boroughkit demo (synthetic data)"
#: The lifetime budget the demo registers for its freshly generated residents.
DEMO_LIFETIME = Rho(4)


@dataclass
class DemoResult:
    """What the demo published."""

    out: Path
    residents: Path
    catalogue: Path
    runs: list[RunResult] = field(default_factory=list)
    published: list[PublishResult] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # config name -> risk report

    def describe(self) -> str:
        """Where everything is, for the console."""
        lines = [
            "",
            f"Demo complete. Synthetic residents: {self.residents}",
            f"Catalogue: {self.catalogue}",
        ]
        for result, published in zip(self.runs, self.published, strict=True):
            lines.append(f"  {result.release_id}: {len(result.files)} files in {published.folder}")
        for name, report in self.refused.items():
            lines.append(f"  {name}: refused by the disclosure gate; report: {report}")
        lines.append(f"Explore it: boroughkit serve {shlex.quote(str(self.catalogue))}")
        return "\n".join(lines)


def write_demo_residents(
    geography: str,
    n: int,
    out: Path,
    *,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[Path, int, int]:
    """Generate ``n`` synthetic residents for a bundle and write them; returns path, persons,
    rows. ``progress`` is told as each step begins."""
    from boroughkit.demo import generate_residents, person_count, write_residents
    from boroughkit.geography import open_bundle

    if n < 1:
        raise ConfigError(f"--n {n}: the number of residents must be at least 1")
    report_step(progress, "open the geography")
    bundle = open_bundle(geography, base_dir=Path.cwd())
    report_step(progress, f"generate {n:,} demo residents")
    frame = generate_residents(bundle.lookup, n, postcodes=bundle.postcodes, seed=seed)
    report_step(progress, f"write {out.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_residents(frame, out), person_count(frame), len(frame)


def example_configs(folder: Path = EXAMPLE_CONFIGS) -> list[Path]:
    """The example pipeline configs shipped in ``configs/``."""
    configs = sorted(folder.glob("demo-*.yaml"))
    if not configs:
        raise ConfigError(
            f"{folder}: no demo-*.yaml configs found",
            fix="run the demo from a checkout of the boroughkit repository",
        )
    return configs


def run_demo(
    out: Path,
    *,
    n_residents: int = 200_000,
    configs: list[Path] | None = None,
    echo: Callable[[str], None] = print,
    progress: ProgressCallback | None = None,
) -> DemoResult:
    """Build demo residents under ``out`` and run every example config into ``out/catalogue``;
    ``progress`` is told as each step begins (prefixed by the config's name)."""
    out = out.resolve()
    residents = out / "residents.parquet"
    echo(f"Generating {n_residents:,} synthetic demo residents in the demo borough …")
    write_demo_residents(
        "builtin:demo", n_residents, residents, progress=prefixed(progress, "residents")
    )
    result = DemoResult(out, residents, out / "catalogue")
    # Freshly generated residents are a new dataset with a lifetime budget of their own.
    dataset = f"demo-residents-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}"
    register_dataset(
        result.catalogue,
        dataset,
        lifetime=DEMO_LIFETIME,
        by=DEMO_APPROVER,
        reason="demo release of synthetic residents",
    )
    for config in configs or example_configs():
        echo(f"Running {config.name} …")
        overrides = {
            "source.path": str(residents),
            "publish.to": str(result.catalogue),
            "source.dataset": dataset,
        }
        loaded = load_config(config, overrides=overrides)
        steps = prefixed(progress, config.stem)
        context = RunContext(by=DEMO_APPROVER, progress=steps)
        try:
            run = run_pipeline(build_plan(loaded), context, reports_dir=out / "reports")
        except DisclosureError as error:
            # A refusal is the gate doing its job (e.g. too few demo residents to show that an
            # extract is safe): report it and go on with the other releases.
            echo(f"{config.name}: {error.message}")
            result.refused[config.stem] = error.report_path or ""
            continue
        # The demo approves and publishes the release itself: its "next:" commands are not for
        # the reader.
        echo(run.summary.split("\n  next:", 1)[0])
        # The demo's data are synthetic, so the demo itself signs its releases off.
        report_step(steps, "approve and publish")
        # An extract's inconclusive findings (if any) are accepted by name, as a person would.
        accept = [finding.id for finding in run.report.inconclusive()]
        approve(result.catalogue, run.release_id, by=DEMO_APPROVER, accept=accept)
        published = publish(result.catalogue, run.release_id, by=DEMO_APPROVER)
        echo(published.describe())
        result.runs.append(run)
        result.published.append(published)
    return result
