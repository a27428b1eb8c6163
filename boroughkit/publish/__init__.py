"""Publish releases: files, metadata, catalogue, registers and the explorer."""
