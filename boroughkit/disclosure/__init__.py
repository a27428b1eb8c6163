"""The disclosure gate: rules, suppression, attack audit, differencing, record risk, leaks."""
