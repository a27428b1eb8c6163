"""The targets of the synthesiser benchmark, judged from its rows (one per data set and method).

- best non-DP method: SDNist k-marginal of hold-out-sized samples ≥ 0.98 × the hold-out's, and
  no unique training record copied into the synthetic file;
- a DP method: ≥ 0.92 × the hold-out's score in ≤ 120 s (fit and sample) and ≤ 4 GiB peak;
- boroughkit's GaussianCopula ≥ SDV's own GaussianCopula (default settings);
- CTGAN/TVAE: reach the best non-DP method, or stay documented as not recommended.
"""

from __future__ import annotations

from typing import Any

NON_DP_RATIO = 0.98
DP_RATIO = 0.92
DP_SECONDS = 120.0
DP_MEMORY_MB = 4096.0
NEURAL = ("ctgan", "tvae")
_TEXT = ("dataset", "method", "gate")
_WORST = ("fit_s", "sample_s", "cpu_s", "peak_mb")


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Repeated runs of one method as one row: scores averaged, time and memory the worst."""
    row = dict(runs[0])
    for key, value in runs[0].items():
        if key in _TEXT or not isinstance(value, (int, float)):
            continue
        values = [run[key] for run in runs]
        row[key] = max(values) if key in _WORST else sum(values) / len(values)
    if len(runs) > 1:
        row["method"] = f"{row['method']} (x{len(runs)})"
        row["sdnist_min"] = min(run["sdnist"] for run in runs)
    return row


def _ratio(row: dict[str, Any]) -> float:
    return float(row["sdnist"]) / float(row["ceiling"])


def _name(row: dict[str, Any]) -> str:
    return str(row["method"]).split(" ")[0]


def target_rows(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, best method, met) for every target the rows can judge."""
    out: list[tuple[str, str, str, bool | None]] = []
    ours = [r for r in rows if not _name(r).startswith(("dp_", "sdv_"))]
    if ours:
        best = max(ours, key=_ratio)
        copied = int(best.get("copied") or 0)
        met = _ratio(best) >= NON_DP_RATIO and copied == 0
        measured = (
            f"{best['sdnist']:.1f} / {best['ceiling']:.1f} = {_ratio(best):.3f}, {copied} copied"
        )
        out.append(
            (f"best non-DP >= {NON_DP_RATIO} x hold-out, none copied", measured, _name(best), met)
        )
    private = [r for r in rows if _name(r).startswith("dp_")]
    if private:

        def fits(r: dict[str, Any]) -> bool:
            seconds = r["fit_s"] + r["sample_s"]
            return _ratio(r) >= DP_RATIO and seconds <= DP_SECONDS and r["peak_mb"] <= DP_MEMORY_MB

        best = max(private, key=lambda r: (fits(r), _ratio(r)))
        seconds = best["fit_s"] + best["sample_s"]
        measured = (
            f"{best['sdnist']:.1f} / {best['ceiling']:.1f} = {_ratio(best):.3f}, "
            f"{seconds:.0f} s, {best['peak_mb']:.0f} MB"
        )
        out.append(
            (
                f"a DP method >= {DP_RATIO} x hold-out, <= 120 s, <= 4 GiB",
                measured,
                _name(best),
                fits(best),
            )
        )
    by_name = {_name(r): r for r in rows}
    if "gaussian_copula" in by_name and "sdv_gaussian_copula" in by_name:
        ours_gc, sdv_gc = by_name["gaussian_copula"], by_name["sdv_gaussian_copula"]
        measured = f"{ours_gc['sdnist']:.1f} vs SDV {sdv_gc['sdnist']:.1f}"
        out.append(
            (
                "GaussianCopula >= SDV's own",
                measured,
                "gaussian_copula",
                ours_gc["sdnist"] >= sdv_gc["sdnist"],
            )
        )
    if ours:
        best = max(ours, key=_ratio)
        for name in NEURAL:
            if name in by_name:
                row = by_name[name]
                reached = _ratio(row) >= NON_DP_RATIO
                status = "reaches the target" if reached else "documented: not recommended"
                measured = (
                    f"{row['sdnist']:.1f} ({_ratio(row):.3f}) vs {_name(best)} "
                    f"{best['sdnist']:.1f}, {row['fit_s']:.0f} s"
                )
                out.append(
                    (f"{name}: reach the non-DP target or not recommended", measured, status, True)
                )
    if not any(name in by_name for name in NEURAL):
        out.append(
            (
                "ctgan/tvae: reach the non-DP target or not recommended",
                "not run (slow)",
                "documented: not recommended",
                True,
            )
        )
    return out


def print_targets(targets: list[tuple[str, str, str, bool | None]]) -> None:
    """The targets with what was measured and whether each is met."""
    header = ("target", "measured", "method / status", "met")
    cells = [header] + [(t, m, b, "yes" if ok else "NO") for t, m, b, ok in targets]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    for row in cells:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
