"""Privacy invariants of the DP path: OpenDP's samplers, never seeded, no unsafe features."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from boroughkit.privacy.opendp_adapter import add_discrete_gaussian, enabled_features

PACKAGE = Path(__file__).resolve().parents[2] / "boroughkit"


def test_only_contrib_feature_is_enabled():
    assert enabled_features() == ("contrib",)
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "enable_features":
                literals = [a.value for a in node.args if isinstance(a, ast.Constant)]
                assert set(literals) <= {"contrib"}, path


def test_opendp_is_imported_by_the_privacy_layers_adapters_only():
    importers = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            if any(name.startswith("opendp") for name in names):
                importers.append(path.relative_to(PACKAGE).as_posix())
    # The adapters are the privacy layer's modules named opendp_*; nothing else touches OpenDP.
    assert "privacy/opendp_adapter.py" in importers
    assert all(re.fullmatch(r"privacy/opendp_\w+\.py", path) for path in importers), importers


def test_noise_is_not_reproducible_between_calls():
    # Two releases of the same zeros must differ: nothing seeds OpenDP's sampler.
    first = add_discrete_gaussian(np.zeros(2000, dtype=np.int64), 3.0)
    second = add_discrete_gaussian(np.zeros(2000, dtype=np.int64), 3.0)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("sigma", [0.8, 2.5, 10.0])
def test_noise_is_unbiased_with_the_declared_scale(sigma):
    n = 20_000
    noise = add_discrete_gaussian(np.zeros(n, dtype=np.int64), sigma)
    # mean within 5 standard errors; variance within 5 standard errors of its estimate.
    assert abs(noise.mean()) < 5 * sigma / np.sqrt(n)
    assert abs(noise.var() - sigma**2) < 5 * sigma**2 * np.sqrt(2 / n)
    assert noise.dtype == np.int64
