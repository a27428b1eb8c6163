"""The attack audit: how tightly could an intruder pin down each suppressed cell?

The intruder takes everything published (every cell, level and total of the release) and the
public relations between cells (:func:`~boroughkit.disclosure.tables.build_relations`), knows
that cells are non-negative and that counts are whole numbers, and bounds each suppressed cell
by linear programming (HiGHS). A cell fails when its interval is narrower than the protection
width, or when it is recovered exactly.

Cheap screens come first so a release of a million cells is audited in minutes: interval
propagation gives every cell valid outer bounds from public data alone (a cell already narrow
there fails without an LP); the relations split into independent components; inside each
component, two LPs per round find feasible tables that move many cells at once far enough to
prove them safe. Only the cells left undecided get their exact LP interval. LP bounds are those
of the continuous relaxation, rounded inward for counts: an intruder solving integer programmes
can occasionally do better (set ``integer_programs=True`` to audit with integer programmes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from boroughkit.disclosure import propagation
from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.disclosure.rules import RuleSettings
from boroughkit.disclosure.tables import KEY_COLUMNS, CellTable, Relations, build_relations
from boroughkit.errors import DataError
