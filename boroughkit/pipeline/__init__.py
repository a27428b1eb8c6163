"""Plan and run a release: load → geocode → release → disclosure gate → publish."""
