"""A self-contained HTML report of a synthetic extract: inline SVG only, no scripts, no CDN.

Sections: headline scores, gate results, per-area k-marginal scores, the pair-score heatmap,
attacks, and real-versus-synthetic marginals of every column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

from boroughkit.disclosure.report import CheckResult
from boroughkit.synth.evaluate.report import ExtractEvaluation

_REAL, _SYNTH, _CEILING = "#4a6fa5", "#e07a2f", "#9aa5b1"
_MAX_LABELS = 30  # long category lists (industry codes) show their most common values
_ROUNDED = (
    " (counts of people rounded to 10, shares and scores to 0.001, k-marginal scores to "
    "whole points)"
)
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#1d2733}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:right}
th{background:#eef}td:first-child,th:first-child{text-align:left}
.pass{color:#17723b;font-weight:600}.fail{color:#b3261e;font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:1rem}.grid figure{margin:0}
figcaption{font-size:.85rem;font-weight:600}svg text{font-size:10px;fill:#333}
"""


def _bars(
    labels: Sequence[str],
    series: Mapping[str, tuple[str, Sequence[float]]],
    *,
    width: int = 340,
    height: int = 170,
    scale_max: float | None = None,
) -> str:
    """Grouped vertical bars; ``series`` maps a name to (colour, values)."""
    n, groups = len(labels), len(series)
    top = scale_max or max([max(values, default=0) for _, values in series.values()] + [1e-9])
    left, bottom = 30, 40
    slot = (width - left) / max(n, 1)
    bar = max(slot / (groups + 1), 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">']
    for g, (name, (colour, values)) in enumerate(series.items()):
        for i, value in enumerate(values):
            h = (height - bottom - 10) * (value / top if top else 0)
            x = left + i * slot + g * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} '
                f"{escape(labels[i])}: {value:.3g}</title></rect>"
            )
    if n <= 12:
        for i, label in enumerate(labels):
            x = left + (i + 0.5) * slot
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 12}" text-anchor="end" '
                f'transform="rotate(-35 {x:.1f} {height - bottom + 12})">'
                f"{escape(label[:14])}</text>"
            )
    parts.append(f'<text x="2" y="12">{top:.3g}</text></svg>')
    return "".join(parts)


def _legend(series: dict[str, str]) -> str:
    return " ".join(
        f'<span style="color:{colour}">&#9632;</span> {escape(name)}'
        for name, colour in series.items()
    )


def _heatmap(evaluation: ExtractEvaluation) -> str:
    matrix = evaluation.fidelity.pair_matrix()
    names = list(matrix.index)
    cell, left, top = 16, 110, 110
    size = left + cell * len(names) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">']
    for i, a in enumerate(names):
        parts.append(
            f'<text x="{left - 4}" y="{top + i * cell + 12}" text-anchor="end">{escape(a)}</text>'
        )
        x = left + i * cell + 12
        parts.append(
            f'<text x="{x}" y="{top - 4}" transform="rotate(-60 {x} {top - 4})">{escape(a)}</text>'
        )
        for j, b in enumerate(names):
            score = float(matrix.loc[a, b])
            # 700 or worse is fully red, 1000 white.
            shade = max(0.0, min(1.0, (score - 700.0) / 300.0))
            colour = f"rgb(220,{int(80 + 175 * shade)},{int(80 + 175 * shade)})"
            parts.append(
                f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell - 1}" '
                f'height="{cell - 1}" fill="{colour}"><title>{escape(a)} × {escape(b)}: '
                f"{score:.0f}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _headline(evaluation: ExtractEvaluation) -> str:
    # A shared copy's shares are rounded to 0.1 %: print no digit beyond that.
    percent = ".1%" if evaluation.shared else ".4%"
    rows: list[list[object]] = [
        [
            "boroughkit 2-way k-marginal: synthetic samples as large as the hold-out vs training",
            f"{evaluation.fidelity.score:.0f}",
        ],
        [
            "boroughkit 2-way k-marginal ceiling: hold-out vs training",
            f"{evaluation.ceiling.score:.0f}",
        ],
        *_sdnist_rows(evaluation),
        ["unique exact matches, all columns", f"{evaluation.exact_all.share:{percent}}"],
        [
            "same, synthetic samples as large as the hold-out (mean)",
            f"{evaluation.exact_like_for_like[0]:{percent}}",
        ],
        [
            "same, new people by chance (the hold-out)",
            f"{evaluation.exact_like_for_like[1]:{percent}}",
        ],
        ["median distance to closest record: synthetic", evaluation.dcr.synthetic_median],
        ["median distance to closest record: hold-out", evaluation.dcr.holdout_median],
    ]
    if evaluation.exact_qi:
        rows.insert(
            3, ["unique exact matches, quasi-identifiers", f"{evaluation.exact_qi.share:{percent}}"]
        )
    if evaluation.shapes:
        rows += [
            [
                f"SDMetrics column shapes ({evaluation.shapes.rows_used} rows)",
                evaluation.shapes.column_shapes,
            ],
            ["SDMetrics column pair trends", evaluation.shapes.column_pair_trends],
        ]
    if evaluation.utility:
        u = evaluation.utility
        rows += [
            [
                f"predict {u.target}={u.positive}: accuracy, trained on synthetic",
                u.synthetic_accuracy,
            ],
            [f"predict {u.target}={u.positive}: accuracy, trained on real", u.real_accuracy],
            [f"predict {u.target}={u.positive}: AUC, trained on synthetic", u.synthetic_auc],
            [f"predict {u.target}={u.positive}: AUC, trained on real", u.real_auc],
        ]
    return _table(["measure", "value"], rows)


def _sdnist_rows(evaluation: ExtractEvaluation) -> list[list[object]]:
    figures = evaluation.sdnist
    if figures is None:
        return []
    name = (
        "SDNist 2.4 k-marginal"
        if figures.rules == "nist"
        else "SDNist-rule k-marginal (SDNist's rules applied to this schema; not comparable "
        "with published SDNist results)"
    )
    return [
        [f"{name}: synthetic samples as large as the hold-out", f"{figures.synthetic:.0f}"],
        [f"{name}: the whole synthetic file", f"{figures.synthetic_full_size:.0f}"],
        [f"{name} ceiling: hold-out vs training", f"{figures.holdout_ceiling:.0f}"],
    ]


def render_html(evaluation: ExtractEvaluation, checks: Sequence[CheckResult] = ()) -> str:
    """The whole report as one HTML string."""
    title = f"Synthetic extract report: {evaluation.method}"
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>",
        f"<p>Rows: {escape(str(evaluation.rows))}{_ROUNDED if evaluation.shared else ''}.</p>",
        _headline(evaluation),
    ]
    if checks and evaluation.shared:
        # The checks' summaries give exact figures about real people: they stay in the
        # council's risk report; the recipient sees what each check is for and its result.
        out.append("<h2>Gate</h2>")
        out.append(
            _table(
                ["check", "result", "why it matters"],
                [[c.name, _result(c), c.rationale] for c in checks],
            )
        )
    elif checks:
        out.append("<h2>Gate</h2>")
        out.append(
            _table(
                ["check", "result", "summary"],
                [[c.name, _result(c), c.summary] for c in checks],
            )
        )
    per_area, ceiling = evaluation.fidelity.per_area, evaluation.ceiling.per_area
    if len(per_area):
        areas = [str(a) for a in per_area.index]
        out += [
            "<h2>k-marginal by area</h2>",
            _legend({"synthetic": _SYNTH, "hold-out": _CEILING}),
            _bars(
                areas,
                {
                    "synthetic": (_SYNTH, list(per_area)),
                    "hold-out": (_CEILING, [float(ceiling.get(a, 0)) for a in per_area.index]),
                },
                width=600,
                scale_max=1000.0,
            ),
        ]
    out += ["<h2>Pair scores (1000 = identical 2-way distributions)</h2>", _heatmap(evaluation)]
    if evaluation.attacks:
        out.append("<h2>Attacks (training vs hold-out records)</h2>")
        out.append(
            _table(
                ["attack", "train rate", "control rate", "advantage", "95% high"],
                [
                    [a.name, a.train_rate, a.control_rate, a.advantage, a.advantage_interval[1]]
                    for a in evaluation.attacks
                ],
            )
        )
    out += [
        "<h2>Marginals</h2>",
        _legend({"real (training)": _REAL, "synthetic": _SYNTH}),
        "<div class='grid'>",
    ]
    for name, marginal in evaluation.marginals.items():
        order = sorted(range(len(marginal["labels"])), key=lambda i: -marginal["real"][i])
        keep = sorted(order[:_MAX_LABELS])
        labels = [marginal["labels"][i] for i in keep]
        series = {
            "real": (_REAL, [marginal["real"][i] for i in keep]),
            "synthetic": (_SYNTH, [marginal["synthetic"][i] for i in keep]),
        }
        out.append(
            f"<figure><figcaption>{escape(name)}</figcaption>{_bars(labels, series)}</figure>"
        )
    out.append("</div></body></html>")
    return "\n".join(out)


def write_html(
    evaluation: ExtractEvaluation, path: Path, checks: Sequence[CheckResult] = ()
) -> Path:
    """Write the report to ``path`` (UTF-8) and return it."""
    path.write_text(render_html(evaluation, checks), encoding="utf-8")
    return path


def _result(check: CheckResult) -> str:
    return {"passed": "pass", "failed": "FAIL", "inconclusive": "inconclusive: approver accepts"}[
        check.status
    ]
