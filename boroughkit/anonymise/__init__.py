"""Release methods: differentially private tables (OpenDP) and the ONS cell-key method."""
