"""Scoring synthetic extracts: fidelity (k-marginal, SDMetrics), utility, privacy and the gate.

Entry points: :func:`boroughkit.synth.evaluate.report.split_holdout` before fitting, then
:func:`boroughkit.synth.evaluate.report.evaluate_extract`,
:class:`boroughkit.synth.evaluate.gate.ExtractGate` and
:func:`boroughkit.synth.evaluate.html.write_html`.
"""
