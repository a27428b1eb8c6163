"""What every release method shares: the plan and job types, the method protocol, the run
context and outcome, loading and geocoding records, the gate, the manifest and budget steps."""
