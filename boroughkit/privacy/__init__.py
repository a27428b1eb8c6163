"""The privacy layer: the exact budget type (:class:`budget.Rho`, with the (ε, δ) conversions),
:class:`dp_budget.DPBudget` for mechanisms that may also run under pure ε-DP, the persistent
ledger and its store, and the only modules that import OpenDP (``opendp_*``)."""
