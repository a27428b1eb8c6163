"""The motivated intruder scenarios the disclosure checks answer, in plain English.

The ICO's motivated intruder test asks whether a person with no specialist skills or inside
access, but determined and with public information to hand, could identify someone. Each kind
of check (its ``category``) answers one way such a person could try; the report quotes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boroughkit.disclosure.report import CheckResult


@dataclass(frozen=True)
class IntruderScenario:
    """The motivated intruder question a kind of check answers, in plain English."""

    who: str
    attempt: str
    public_information: str
    answer: str


SCENARIOS: dict[str, IntruderScenario] = {
    "small-cells": IntruderScenario(
        "a neighbour, relative or journalist",
        "look up a table cell for their street's area and see that only one or two residents "
        "fall in it",
        "the published table and what they already know about who lives nearby",
        "counts from 1 to just below the threshold are withheld or protected, so no published "
        "figure describes a handful of identifiable residents",
    ),
    "dominance": IntruderScenario(
        "a rival, landlord or local business",
        "work out one large contributor's amount from a total that they dominate",
        "the published sum and their own contribution",
        "totals where one or two contributors make up most of the amount are withheld",
    ),
    "zeros": IntruderScenario(
        "anyone living in the area",
        "read an empty cell as telling them something about every one of their neighbours "
        "(none of them has the attribute, or all of them have the other one)",
        "the published table and knowing who lives in the area",
        "empty cells that would reveal something about a whole group are protected",
    ),
    "min-contributors": IntruderScenario(
        "a neighbour, colleague or relative",
        "work back from an average or a rate over a few people to one person's value",
        "the published figure and what they know about the others in the group",
        "means and rates are only published over enough contributors",
    ),
    "area-population": IntruderScenario(
        "anyone living in or near a small area",
        "treat figures for a tiny area as figures about the few people they know live there",
        "the area's boundary on a map and local knowledge",
        "every published area has at least the minimum number of residents",
    ),
    "suppression-audit": IntruderScenario(
        "a numerate member of the public with a spreadsheet",
        "recover a withheld cell from the row and column totals that were published",
        "all the other cells and totals of the same table",
        "the withheld cells are solved for their tightest possible range; the check fails if "
        "any range is narrow enough to reveal the true value",
    ),
    "geographic-differencing": IntruderScenario(
        "someone comparing two maps published for the same data (for example wards and a "
        "housing estate)",
        "subtract one published area from an overlapping one to get figures for the small "
        "sliver left over",
        "the boundaries of both areas and both published tables",
        "every sliver left by overlapping areas is tested: it must hold enough residents and "
        "no derived count may fall below the threshold",
    ),
    "release-differencing": IntruderScenario(
        "someone comparing this release with an earlier one of the same data",
        "subtract the old figures from the new to isolate the residents who changed, or the "
        "strip of land where an area's boundary moved",
        "the earlier release, still in the public catalogue",
        "areas that changed shape and cells that changed by a small number between releases "
        "of the same date are tested",
    ),
    "record-k-anonymity": IntruderScenario(
        "an acquaintance who knows a resident's age, sex and area",
        "find the one record in the extract that matches those details",
        "what anyone knows about a neighbour or colleague",
        "every record shares its combination of those details with enough other records",
    ),
    "record-uniques": IntruderScenario(
        "an acquaintance or a data broker",
        "link a record that is one of a kind on known details to a named person",
        "social media, the electoral register and local knowledge",
        "the share of one-of-a-kind records is measured and limited",
    ),
    "record-households": IntruderScenario(
        "a neighbour",
        "recognise a household by its make-up (the ages and sexes of the people living there)",
        "who lives next door",
        "households sharing an address are tested together, not only one person at a time",
    ),
    "record-exact-matches": IntruderScenario(
        "anyone holding or guessing a real resident's details",
        "find that resident copied unchanged into a synthetic or sampled extract",
        "the resident's own details",
        "output records are compared with the real input; copies of unusual real residents "
        "fail the check",
    ),
    "leaks": IntruderScenario(
        "anyone who downloads the files",
        "search the files, their column names and metadata for ids, UPRNs, postcodes, names "
        "or free text that came from residents' records",
        "the published files themselves",
        "every published file is searched for every distinctive value of the input, "
        "including a planted canary string",
    ),
    "declared-outputs": IntruderScenario(
        "anyone who downloads the files",
        "use a column that was never meant to be published, such as an exact date of birth",
        "the published files",
        "only the columns declared for the release may appear in an output file",
    ),
    "differential-privacy": IntruderScenario(
        "an intruder with any amount of other information",
        "use the published figures, alone or with other releases, to learn about one resident",
        "anything at all",
        "differential privacy bounds how much any one resident can change what is published; "
        "the privacy budget ledger adds up every release of the same data",
    ),
}
#: Scenarios of checks that set no ``category``, by check id (other ids name their scenario).
_ID_SCENARIOS = {
    "output-columns": "declared-outputs",
    "leak-scan": "leaks",
    "min-area-population": "area-population",
    "secondary-suppression": "suppression-audit",
    "cross-release-differencing": "release-differencing",
    "synthetic-unique-exact-matches": "record-uniques",
}


def scenario_for(check: CheckResult) -> IntruderScenario | None:
    """The intruder scenario of ``check``: by its category, else by its id."""
    if check.category in SCENARIOS:
        return SCENARIOS[check.category]
    return SCENARIOS.get(_ID_SCENARIOS.get(check.id, check.id))
