"""The 2-way k-marginal score against a hand computation."""

from __future__ import annotations

import pandas as pd
import pytest

from boroughkit.synth.evaluate.kmarginal import kmarginal, total_variation
from boroughkit.synth.schema import ColumnSpec, SynthSchema


def _schema() -> SynthSchema:
    return SynthSchema(
        columns=(
            ColumnSpec("area", "area", values=("A", "B")),
            ColumnSpec("x", "category", values=("p", "q")),
            ColumnSpec("y", "category", values=("r", "s")),
            ColumnSpec("n", "integer", lower=0, upper=10, bins=(0, 5, 10)),
        )
    )


def test_total_variation_by_hand() -> None:
    assert total_variation([0, 0, 1, 1], [0, 0, 0, 1], 2) == pytest.approx(0.25)  # type: ignore[arg-type]


def test_kmarginal_matches_a_hand_computation() -> None:
    schema = _schema()
    real = pd.DataFrame(
        {
            "area": ["A", "A", "B", "B"],
            "x": ["p", "p", "q", "q"],
            "y": ["r", "s", "r", "s"],
            "n": [1, 2, 7, 8],
        }
    )
    synth = pd.DataFrame(
        {
            "area": ["A", "A", "A", "B"],
            "x": ["p", "p", "p", "q"],
            "y": ["r", "r", "s", "s"],
            "n": [1, 6, 2, 9],
        }
    )
    result = kmarginal(real, synth, schema)
    # Pairs without the area: (x,y), (x,n), (n binned [0,5) / [5,10]), (y,n).
    # (x,y): real {pr:.25, ps:.25, qr:.25, qs:.25}; synth {pr:.5, ps:.25, qs:.25} -> TVD .25
    # (x,n): real {p0:.5, q1:.5}; synth {p0:.5, p1:.25, q1:.25} -> TVD .25
    # (y,n): real {r0:.25, s0:.25, r1:.25, s1:.25}; synth {r0:.25, r1:.25, s0:.25, s1:.25} -> 0
    expected = 1000 * (1 - (0.25 + 0.25 + 0.0) / 3)
    assert result.score == pytest.approx(expected)
    assert set(result.pairs["a"] + result.pairs["b"]) == {"xy", "xn", "yn"}
    # Area A: real rows 0,1; synthetic rows 0,1,2.
    # (x,y): real {pr:.5, ps:.5}, synth {pr:2/3, ps:1/3} -> 1/6
    # (x,n): real {p0:1}, synth {p0:2/3, p1:1/3} -> 1/3
    # (y,n): {r0:.5, s0:.5} vs {r0:1/3, r1:1/3, s0:1/3} -> 1/3
    assert result.per_area["A"] == pytest.approx(1000 * (1 - (1 / 6 + 1 / 3 + 1 / 3) / 3))
    matrix = result.pair_matrix()
    assert list(matrix.index) == ["x", "y", "n"]
    assert matrix.to_numpy()[0, 1] == pytest.approx(750)
    assert matrix.to_numpy()[1, 0] == pytest.approx(750)
    assert matrix.to_numpy()[1, 2] == pytest.approx(1000)


def test_identical_data_scores_1000() -> None:
    schema = _schema()
    real = pd.DataFrame({"area": ["A", "B"], "x": ["p", "q"], "y": ["r", "s"], "n": [1, 9]})
    assert kmarginal(real, real, schema).score == pytest.approx(1000)
