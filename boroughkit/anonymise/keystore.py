"""The record-key store: one secret key (0–255) per privacy unit, drawn once and kept for good.

Cell-key perturbation is consistent only if a person keeps the same record key in every table and
every release, so keys are drawn once from the operating system's CSPRNG and stored in a Parquet
file (columns ``person_id`` as text, ``record_key`` as uint8). Whoever holds the keys can undo
the perturbation: the store is as sensitive as the source data, lives beside it, is written with
owner-only permissions and must never be published. Deleting it changes every later table.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from boroughkit.errors import DataError

KEY_RANGE = 256
_STORE_FIX = (
    "restore the key store from its backup; never edit it by hand (a new store changes the "
    "perturbation of every later table)"
)


class KeyStore:
    """Secret record keys per person id, persisted atomically in the Parquet file ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __len__(self) -> int:
        """How many person ids hold a key."""
        return len(self._read())

    def keys_for(self, person_ids: pd.Series) -> pd.Series:
        """The record key of each id (same index), drawing and saving keys for ids not seen yet.

        Ids are compared by their text form (the integer 17 and the text "17" are one person).
        Concurrent callers are serialised with a lock file so no drawn key is ever lost.
        """
        ids = _canonical_ids(person_ids)
        wanted = pd.Index(pd.unique(ids.to_numpy()))
        with self._locked():
            store = self._read()
            known = pd.Index(store["person_id"].to_numpy())
            new_ids = wanted[known.get_indexer(wanted) < 0]
            if len(new_ids):
                fresh = np.frombuffer(secrets.token_bytes(len(new_ids)), dtype=np.uint8)
                store = pd.concat(
                    [store, pd.DataFrame({"person_id": new_ids, "record_key": fresh})],
                    ignore_index=True,
                )
                self._write(store)
        positions = pd.Index(store["person_id"].to_numpy()).get_indexer(ids.to_numpy())
        keys = store["record_key"].to_numpy(np.int64)[positions]
        return pd.Series(keys, index=person_ids.index, name="record_key", dtype="int64")

    def _read(self) -> pd.DataFrame:
        """The stored ids and keys (empty when the file does not exist yet), validated."""
        if not self.path.exists():
            return pd.DataFrame(
                {"person_id": pd.Series(dtype=object), "record_key": pd.Series(dtype=np.uint8)}
            )
        try:
            frame = pq.read_table(self.path).to_pandas()
        except (OSError, pa.ArrowException) as error:
            raise DataError(
                f"{self.path}: key store unreadable ({error})", fix=_STORE_FIX
            ) from error
        if list(frame.columns) != ["person_id", "record_key"]:
            raise DataError(
                f"{self.path}: key store columns are {list(frame.columns)}, "
                "expected ['person_id', 'record_key']",
                fix=_STORE_FIX,
            )
        keys = pd.to_numeric(frame["record_key"], errors="coerce")
        bad = keys.isna() | (keys < 0) | (keys >= KEY_RANGE) | frame["person_id"].isna()
        bad |= frame["person_id"].duplicated()
        if bad.any():
            raise DataError(
                f"{self.path}: {int(bad.sum())} key store row(s) are missing, repeated or out of "
                f"0..255, e.g. rows {', '.join(map(str, frame.index[bad][:5]))}",
                fix=_STORE_FIX,
            )
        return pd.DataFrame(
            {"person_id": frame["person_id"].astype(object), "record_key": keys.astype(np.uint8)}
        )

    def _write(self, store: pd.DataFrame) -> None:
        """Replace the file atomically: readers see the old store or the new one, never a mix."""
        table = pa.table(
            {
                "person_id": pa.array(store["person_id"], pa.string()),
                "record_key": pa.array(store["record_key"], pa.uint8()),
            }
        )
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


def _canonical_ids(person_ids: pd.Series) -> pd.Series:
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
    return person_ids.astype(str)


def _fsync_directory(folder: Path) -> None:
    """Make the rename durable where the platform allows syncing a directory."""
    if sys.platform == "win32":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
