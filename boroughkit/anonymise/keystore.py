"""The record-key store: one secret key (0–255) per privacy unit, the same in every release.

Cell-key perturbation is consistent only if a person keeps the same record key in every table and
every release. A person's key is the first byte of SHA-256 over the store's secret (256 bits
drawn once from the operating system's CSPRNG) and the person's id as text, so every engine
(DuckDB, PostgreSQL, Spark) derives the same key where the records are, and no table of ids
has to grow or travel. Keys stored per id by earlier versions (columns ``person_id`` as text,
``record_key`` as uint8) are kept and take precedence. Whoever holds the secret can undo the
perturbation: the store is as sensitive as the source data, lives beside it, is written with
owner-only permissions and must never be published. Deleting it changes every later table.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from boroughkit.errors import DataError

_SCHEMA = pa.schema([("person_id", pa.string()), ("record_key", pa.uint8())])
#: Where the secret lives: the store file's Parquet key-value metadata.
SECRET_FIELD = b"boroughkit.record_key_secret"
_STORE_FIX = (
    "restore the key store from its backup; never edit it by hand (a new store changes the "
    "perturbation of every later table)"
)


@dataclass(frozen=True)
class RecordKeys:
    """What an engine needs to give each person their key: the secret (hex) and any keys
    stored per id by earlier versions (which take precedence)."""

    secret: str
    stored_ids: tuple[str, ...] = ()
    stored_keys: tuple[int, ...] = ()


def derived_key(secret: str, person_id: str) -> int:
    """A person's record key: the first byte of SHA-256 of ``secret|person_id`` (UTF-8)."""
    return hashlib.sha256(f"{secret}|{person_id}".encode()).digest()[0]


class KeyStore:
    """Secret record keys per person id, derived from a secret kept in the Parquet file ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def record_keys(self) -> RecordKeys:
        """The secret (drawn and saved on first use) and the keys stored per id, if any."""
        store = self._with_secret()
        return RecordKeys(
            _secret_of(store),
            tuple(store.column("person_id").to_pylist()),
            tuple(int(key) for key in store.column("record_key").to_pylist()),
        )

    def keys_for(self, person_ids: pd.Series) -> pd.Series:
        """The record key of each id (same index).

        Ids are compared by their text form (the integer 17 and the text "17" are one person).
        """
        encoded = pc.dictionary_encode(_canonical_ids(person_ids))
        wanted = encoded.dictionary  # each distinct id once; encoded.indices maps rows to it
        store = self._with_secret()
        secret = _secret_of(store)
        keys = np.fromiter(
            (derived_key(secret, person) for person in wanted.to_pylist()),
            dtype=np.int64,
            count=len(wanted),
        )
        positions = pc.index_in(wanted, value_set=store.column("person_id")).to_numpy(
            zero_copy_only=False
        )
        stored = ~np.isnan(positions)
        if stored.any():
            kept = store.column("record_key").to_numpy().astype(np.int64)
            keys[stored] = kept[positions[stored].astype(np.int64)]
        return pd.Series(
            keys[encoded.indices.to_numpy()], index=person_ids.index, name="record_key"
        )

    def _with_secret(self) -> pa.Table:
        """The store, given a secret first if it has none (under the lock, so concurrent
        callers agree on one secret)."""
        store = self._read()
        if _secret_of(store, required=False):
            return store
        with self._locked():
            store = self._read()
            if not _secret_of(store, required=False):
                metadata = {**(store.schema.metadata or {}), SECRET_FIELD: secrets.token_hex(32)}
                store = store.replace_schema_metadata(metadata)
                self._write(store)
        return store

    def _read(self) -> pa.Table:
        """The stored ids and keys (empty when the file does not exist yet), validated."""
        if not self.path.exists():
            return _SCHEMA.empty_table()
        try:
            table = pq.read_table(self.path)
        except (OSError, pa.ArrowException) as error:
            raise DataError(
                f"{self.path}: key store unreadable ({error})", fix=_STORE_FIX
            ) from error
        if not table.schema.equals(_SCHEMA, check_metadata=False):
            raise DataError(
                f"{self.path}: key store schema is {table.schema.to_string()!r}, expected "
                "person_id: string, record_key: uint8",
                fix=_STORE_FIX,
            )
        # ids are unique by construction (earlier versions appended only unseen ids)
        if table.column("person_id").null_count or table.column("record_key").null_count:
            raise DataError(f"{self.path}: key store has empty rows", fix=_STORE_FIX)
        return table.combine_chunks()

    def _write(self, table: pa.Table) -> None:
        """Replace the file atomically: readers see the old store or the new one, never a mix."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            os.chmod(temporary, 0o600)  # the keys undo the perturbation: owner only
            with os.fdopen(handle, "wb") as stream:
                pq.write_table(table, stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(self.path.parent)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive lock on ``<store>.lock`` while reading, drawing and writing."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as lock_file:
            if sys.platform == "win32":
                import msvcrt

                lock_file.seek(0)
                msvcrt.locking(lock_file.fileno(), msvcrt.LK_LOCK, 1)
            else:
                import fcntl

                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            yield  # the lock is released when the file is closed


def _secret_of(store: pa.Table, *, required: bool = True) -> str:
    """The store's secret (hex), or "" when it has none yet and ``required`` is False."""
    secret = (store.schema.metadata or {}).get(SECRET_FIELD, b"").decode()
    if required and len(secret) != 64:
        raise DataError("record-key store has no valid secret", fix=_STORE_FIX)
    return secret


def _canonical_ids(person_ids: pd.Series) -> pa.Array:
    """Person ids as text; a DataError names the column and rows of missing or decimal ids."""
    name = person_ids.name if person_ids.name is not None else "person id"
    missing = person_ids.isna().to_numpy()
    if missing.any():
        rows = ", ".join(map(str, person_ids.index[missing][:5]))
        raise DataError(
            f"column '{name}': {int(missing.sum())} row(s) have no person id, e.g. rows {rows}",
            fix="remove or repair records without a privacy-unit id before tabulating",
        )
    if pd.api.types.is_float_dtype(person_ids.dtype):
        raise DataError(
            f"column '{name}' holds decimal numbers, which are not stable person ids",
            fix="read the id column as text (or as whole numbers)",
        )
    if pd.api.types.is_integer_dtype(person_ids.dtype):
        # arrow's integer-to-text cast gives the same text as str(), without Python objects
        return pc.cast(pa.array(person_ids.to_numpy(np.int64)), pa.string())
    return pa.array(person_ids.astype(str).to_numpy(object), type=pa.string())


def _fsync_directory(folder: Path) -> None:
    """Make the rename durable where the platform allows syncing a directory."""
    if sys.platform == "win32":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
