"""Score deidentified CSV files with SDNist 2.4's own code (run by the SDNist virtual environment).

Not part of boroughkit and never imported by it: ``benchmarks/sdnist_check.py`` runs this file
with the Python of an isolated environment holding ``sdnist==2.4``. For each target CSV it lays
out the folder SDNist expects (``<root>/massachusetts/ma2019.csv`` with its ``.json`` schema,
and ``config.json``, ``mappings.json``, ``data_dictionary.json`` at ``<root>``), builds SDNist's
``Dataset`` (its validation, transforms and binning) and calls its ``KMarginal`` with PUMA as
the group feature, exactly as its report does. Prints one JSON object per line.

    python sdnist_own_score.py NIST_DIR WORK_DIR TARGET.csv DEID_1.csv [DEID_2.csv ...]
"""

import json
import shutil
import sys
from pathlib import Path


def main() -> None:
    """Lay out the target, score every deidentified file, print JSON lines."""
    # sdnist.report.dataset first: sdnist.metrics.kmarginal imports it back (a cycle).
    import sdnist.report.dataset
    from sdnist.load import TestDatasetName
    from sdnist.metrics.kmarginal import KMarginal
    from sdnist.utils import SimpleLogger

    Dataset = sdnist.report.dataset.Dataset

    nist, work, target = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    root = work / "sdnist_root"
    (root / "massachusetts").mkdir(parents=True, exist_ok=True)
    shutil.copy(target, root / "massachusetts" / "ma2019.csv")
    shutil.copy(nist / "ma2019.json", root / "massachusetts" / "ma2019.json")
    shutil.copy(nist / "data_dictionary.json", root / "data_dictionary.json")
    shutil.copy(nist / "sdnist" / "config.json", root / "config.json")
    shutil.copy(nist / "sdnist" / "mappings.json", root / "mappings.json")
    for deid in sys.argv[4:]:
        dataset = Dataset(
            Path(deid), SimpleLogger(), TestDatasetName.ma2019, data_root=root, download=False
        )
        group = dataset.config["k_marginal"]["group_features"]
        metric = KMarginal(dataset.d_target_data, dataset.d_synthetic_data, group)
        metric.compute_score()
        scores = getattr(metric, "scores", None)
        print(
            json.dumps(
                {
                    "file": Path(deid).name,
                    "score": float(metric.score),
                    "per_area": {}
                    if scores is None
                    else {
                        dataset.schema["PUMA"]["values"][int(k)]: float(v)
                        for k, v in scores.items()
                    },
                    "dropped": dataset.validation_log.get("values_out_of_bound", {}),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
