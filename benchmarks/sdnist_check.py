"""Check boroughkit's SDNist-exact k-marginal against SDNist 2.4's own code, file by file.

ma2019 is split 80/20 (seed 0, as ``benchmarks/synth.py``); synthesisers run through boroughkit
on the 80 % and sample as many rows; every synthetic file and the 20 % hold-out are written as
NIST CSV (missing as ``N``) and scored against the 80 % twice: by SDNist itself, in an isolated
virtual environment with ``sdnist==2.4`` (its pins, numpy 1.24 and pandas 2.0, conflict with the
project's, so it never shares the project's environment), and by
``boroughkit.synth.evaluate.sdnist.sdnist_kmarginal``. Prints both headline scores, their
difference and the largest per-PUMA difference. Target: within 0.5 points.

    python benchmarks/sdnist_check.py                      # cart, gaussian_copula, dp_mst
    python benchmarks/sdnist_check.py --methods cart --venv /tmp/sdnist-venv

The environment is built on first use (``python3 -m venv`` then ``pip install sdnist==2.4``,
which needs the package index once) under ``~/.cache/boroughkit/sdnist-venv`` by default.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
NIST = ROOT / ".." / "shared" / "data" / "nist_crc"
DEFAULT_VENV = Path.home() / ".cache" / "boroughkit" / "sdnist-venv"
SDNIST_SCRIPT = Path(__file__).with_name("sdnist_own_score.py")


def sdnist_python(venv: Path) -> Path:
    """The Python of a virtual environment holding sdnist 2.4, built if missing."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import sdnist.version as v; print(v.__version__)"]
    if python.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python
    print(f"building the SDNist environment in {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "sdnist==2.4"], check=True)
    return python


def nist_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as a NIST CSV: whole numbers without a decimal point, missing as N."""
    out = frame.copy()
    for name in out.columns:
        values = out[name]
        if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            out[name] = values.astype("Int64")
    out.to_csv(path, index=False, na_rep="N")
    return path


def synthesise(method: str, train: pd.DataFrame, schema: object, epsilon: float) -> pd.DataFrame:
    """Fit ``method`` on the training part and sample as many rows."""
    from boroughkit.privacy.dp_budget import DPBudget
    from boroughkit.synth import make_synthesiser

    options: dict[str, object] = {}
    if method.startswith("dp_"):
        options["budget"] = DPBudget.epsilon_delta(epsilon, 1e-9)
    else:
        options["seed"] = 0
    return make_synthesiser(method, schema, **options).fit(train).sample(len(train))  # type: ignore[arg-type]


def main() -> None:
    """Synthesise, score both ways, print the comparison table."""
    from boroughkit.synth import schema_for_ma2019
    from boroughkit.synth.evaluate.report import split_holdout
    from boroughkit.synth.evaluate.sdnist import nist_rules, sdnist_kmarginal

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--methods", default="cart,gaussian_copula,dp_mst")
    parser.add_argument("--epsilon", type=float, default=1.0, help="budget of DP methods")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="SDNist environment")
    args = parser.parse_args()
    python = sdnist_python(args.venv)
    schema = schema_for_ma2019(NIST / "data_dictionary.json", code_list_path=NIST / "ma2019.json")
    real = pd.read_csv(NIST / "ma2019.csv", na_values="N")
    train, holdout = split_holdout(real, 0.2, seed=0)
    dictionary = json.loads((NIST / "data_dictionary.json").read_text())
    with tempfile.TemporaryDirectory(prefix="sdnist-check-") as tmp:
        work = Path(tmp)
        target = nist_csv(train, work / "target.csv")
        files = {"hold-out (real)": nist_csv(holdout, work / "holdout.csv")}
        for method in [m for m in args.methods.split(",") if m]:
            synthetic = synthesise(method, train, schema, args.epsilon)
            files[method] = nist_csv(synthetic[list(real.columns)], work / f"{method}.csv")
        command = [str(python), str(SDNIST_SCRIPT), str(NIST), str(work), str(target)]
        done = subprocess.run(
            [*command, *map(str, files.values())], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"SDNist failed:\n{done.stderr[-3000:]}")
        theirs = _parse(done.stdout)
        target_frame = pd.read_csv(target, na_values="N")
        print(
            f"{'file':>18} {'SDNist 2.4':>11} {'boroughkit':>11} {'diff':>7} {'max PUMA diff':>14}"
        )
        largest = 0.0
        for label, path in files.items():
            own = sdnist_kmarginal(
                target_frame, pd.read_csv(path, na_values="N"), rules=nist_rules(dictionary)
            )
            ref = theirs[path.name]
            per_area = max(
                (abs(own.per_area[k] - v) for k, v in ref["per_area"].items()), default=0.0
            )
            print(
                f"{label:>18} {ref['score']:>11.3f} {own.score:>11.3f} "
                f"{own.score - ref['score']:>+7.3f} {per_area:>14.3f}"
            )
            largest = max(largest, abs(own.score - ref["score"]))
        verdict = "within" if largest <= 0.5 else "OUTSIDE"
        print(f"largest headline difference {largest:.3f} points: {verdict} the 0.5 target")


def _parse(stdout: str) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for line in stdout.splitlines():
        if line.startswith('{"file"'):
            row = json.loads(line)
            rows[row["file"]] = row
    return rows


if __name__ == "__main__":
    main()
