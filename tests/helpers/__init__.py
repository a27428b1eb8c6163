"""Helpers shared by several test files (fixtures stay in ``tests/conftest.py``).

- ``shared_data``: paths to the real data in ../shared/data and the ONS lookup reader.
- ``configs``: small pipeline configs (dp-tables and synthetic-extract) and a YAML writer.
- ``files``: snapshots of folders, to prove a failed run changed nothing.
- ``ledger``: datasets registered in a catalogue's privacy ledger, as `ledger init` would.
- ``publishing``: a staged release built by hand (no pipeline, no noise).
- ``cells``: exact count tables of a small lookup, for the disclosure-control tests.
- ``consistency``: a demo-like lookup and true counts for the consistency tests.
- ``synth``: constructed people and their schema for the synthesiser tests.

Test files import helpers from here, never from another test file or from conftest.
"""
