"""Synthetic demo data: fictional residents of a borough, for demos, tests and benchmarks."""

from __future__ import annotations

from boroughkit.demo.residents import (
    RESIDENT_SCHEMA,
    generate_residents,
    person_count,
    write_residents,
)

__all__ = ["RESIDENT_SCHEMA", "generate_residents", "person_count", "write_residents"]
