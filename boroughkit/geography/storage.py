"""The on-disk form of a geography bundle, and its fingerprint.

A bundle folder holds::

    bundle.json                 format, version, fingerprint, info, list of files
    lookup.parquet              one row per OA
    boundaries/<level>.parquet  GeoParquet, EPSG:4326, one file per level with polygons
    postcodes.parquet           optional: postcode, oa_code
    centroids.parquet           optional: GeoParquet of OA points

Writing goes to a temporary sibling folder that is renamed into place, so a reader never sees a
half-written bundle; a full disk or a folder that may not be written leaves nothing behind and
is a :class:`GeographyError` saying what to free or change, as is a bundle too large to read.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from boroughkit.errors import ConfigError, GeographyError

if TYPE_CHECKING:
    from boroughkit.geography.bundle import GeographyBundle

FORMAT_NAME = "boroughkit-geography-bundle"
FORMAT_VERSION = 1
INFO_FILE = "bundle.json"
_REBUILD = "re-create the bundle with `boroughkit geography import`"
_SMALLER = (
    "import the geography again with `boroughkit geography import` for your borough only "
    "(--borough CODE) and with generalised boundaries (ONS 'BGC'/'BSC' files rather than "
    "full-resolution 'BFC'/'BFE'), or run on a machine with more memory"
)


def file_size(path: Path) -> str:
    """The size of ``path`` in words (for messages about files too large to read)."""
    try:
        return f"{path.stat().st_size / 1_000_000:,.1f} MB"
    except OSError:
        return "size unknown"


def too_large(what: str) -> GeographyError:
    """A GeographyError for a geography too large for this machine's memory."""
    return GeographyError(
        f"{what}: the geography is too large for this machine's memory", fix=_SMALLER
    )


def _write_failure(error: OSError, folder: Path) -> GeographyError:
    """A GeographyError for an operating-system failure while writing a bundle to ``folder``."""
    where = error.filename or folder
    message = f"cannot write the geography bundle to {folder}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        free = "unknown"
        with contextlib.suppress(OSError):
            free = f"{shutil.disk_usage(folder.parent).free / 1_000_000:,.1f} MB"
        return GeographyError(
            f"{message}: no space left on the disk (writing {where}); nothing was written",
            fix=f"free space on that disk ({free} free now), or choose --out on a disk with room",
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return GeographyError(
            f"{message}: {error.strerror} ({where}); nothing was written",
            fix=f"choose --out in a folder you may write, or give yourself write permission on "
            f"{folder.parent}",
        )
    return GeographyError(
        f"{message}: {error.strerror or error} ({where}); nothing was written",
        fix=f"check the disk and the folder {folder.parent}, then import again",
    )


@dataclass(frozen=True)
class StoredParts:
    """The raw parts read from a bundle folder, before they become a bundle."""

    info: dict[str, Any]
    info_file: Path
    fingerprint: str
    lookup: pd.DataFrame
    boundaries: dict[str, gpd.GeoDataFrame]
    postcodes: pd.DataFrame | None
    centroids: gpd.GeoDataFrame | None


def _hash_frame(digest: Any, label: str, frame: pd.DataFrame) -> None:
    # CSV text with explicit NA markers is a canonical, dtype-stable serialisation.
    digest.update(f"\n[{label}]\n".encode())
    digest.update(frame.to_csv(index=False, na_rep="<NA>", lineterminator="\n").encode())


def _with_wkb(frame: gpd.GeoDataFrame, columns: list[str]) -> pd.DataFrame:
    plain = pd.DataFrame(frame[columns]).copy()
    plain["wkb"] = shapely.to_wkb(frame.geometry.array, hex=True, byte_order=1, output_dimension=2)
    return plain


def compute_fingerprint(
    lookup: pd.DataFrame,
    boundaries: Mapping[str, gpd.GeoDataFrame],
    postcodes: pd.DataFrame | None,
    centroids: gpd.GeoDataFrame | None,
) -> str:
    """SHA-256 (hex) over a canonical serialisation of every part of a bundle."""
    digest = hashlib.sha256(f"{FORMAT_NAME}/{FORMAT_VERSION}".encode())
    # Empty optional columns (a bundle without regions) are left out, so that a bundle keeps the
    # fingerprint it had before those columns existed.
    empty = [c for c in ("region_code", "region_name") if c in lookup and lookup[c].isna().all()]
    _hash_frame(digest, "lookup", lookup.drop(columns=empty).sort_values("oa_code"))
    for level in sorted(boundaries):
        frame = boundaries[level].sort_values("code")
        _hash_frame(
            digest, f"boundaries/{level}", _with_wkb(frame, ["code", "name", "approximate"])
        )
    if postcodes is not None:
        _hash_frame(digest, "postcodes", postcodes.sort_values(["postcode", "oa_code"]))
    if centroids is not None:
        _hash_frame(digest, "centroids", _with_wkb(centroids.sort_values("oa_code"), ["oa_code"]))
    return digest.hexdigest()


def _prepare_target(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"cannot write a geography bundle to {folder}: it is a file",
            fix="choose a folder path for --out",
        )
    if folder.is_dir() and any(folder.iterdir()) and not (folder / INFO_FILE).is_file():
        raise ConfigError(
            f"cannot write a geography bundle to {folder}: the folder is not empty and does "
            "not hold a bundle",
            fix="choose a new or empty folder (an existing bundle folder is replaced)",
        )


def write_bundle(bundle: GeographyBundle, folder: Path) -> Path:
    """Write ``bundle`` to ``folder`` atomically and return the folder path."""
    _prepare_target(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    except OSError as error:
        raise _write_failure(error, folder) from error
    try:
        files = ["lookup.parquet"]
        bundle.lookup.to_parquet(staging / "lookup.parquet", index=False)
        (staging / "boundaries").mkdir()
        for level, frame in bundle.boundaries.items():
            frame.to_parquet(staging / "boundaries" / f"{level}.parquet", index=False)
            files.append(f"boundaries/{level}.parquet")
        if bundle.postcodes is not None:
            bundle.postcodes.to_parquet(staging / "postcodes.parquet", index=False)
            files.append("postcodes.parquet")
        if bundle.centroids is not None:
            bundle.centroids.to_parquet(staging / "centroids.parquet", index=False)
            files.append("centroids.parquet")
        document = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "fingerprint": bundle.fingerprint,
            "info": bundle.info.to_dict(),
            "files": files,
        }
        (staging / INFO_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        _swap_into_place(staging, folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise _write_failure(error, folder) from error
    except MemoryError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise too_large(f"writing the geography bundle {folder}") from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _swap_into_place(staging: Path, folder: Path) -> None:
    if not folder.exists():
        staging.rename(folder)
        return
    retired = folder.with_name(f".{folder.name}.old-{staging.name}")
    folder.rename(retired)
    staging.rename(folder)
    shutil.rmtree(retired, ignore_errors=True)


def _read_info(folder: Path) -> tuple[dict[str, Any], Path]:
    if not folder.is_dir():
        raise GeographyError(
            f"geography bundle folder {folder} does not exist",
            fix="check the path, or build one with `boroughkit geography import --out FOLDER`",
        )
    info_file = folder / INFO_FILE
    if not info_file.is_file():
        raise GeographyError(
            f"{folder} is not a geography bundle: {INFO_FILE} is missing", fix=_REBUILD
        )
    try:
        document = json.loads(info_file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GeographyError(f"{info_file} is corrupt: {error}", fix=_REBUILD) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise GeographyError(f"{info_file} is not a boroughkit geography bundle", fix=_REBUILD)
    if document.get("format_version") != FORMAT_VERSION:
        raise GeographyError(
            f"{info_file} has format version {document.get('format_version')!r}; this "
            f"boroughkit reads version {FORMAT_VERSION}",
            fix=_REBUILD,
        )
    for key in ("fingerprint", "info", "files"):
        if key not in document:
            raise GeographyError(f"{info_file} lacks the {key!r} entry", fix=_REBUILD)
    return document, info_file


def _read_table(path: Path, *, geo: bool) -> Any:
    if not path.is_file():
        raise GeographyError(f"geography bundle file {path} is missing", fix=_REBUILD)
    try:
        return gpd.read_parquet(path) if geo else pd.read_parquet(path)
    except MemoryError as error:
        raise too_large(f"geography bundle file {path} ({file_size(path)})") from error
    except Exception as error:  # pyarrow raises many types for a damaged file
        raise GeographyError(
            f"geography bundle file {path} is corrupt: {error}", fix=_REBUILD
        ) from error


def read_bundle(folder: Path) -> StoredParts:
    """Read every file of a bundle folder; a GeographyError names a missing or corrupt file."""
    document, info_file = _read_info(folder)
    files = set(document["files"])
    info = document["info"]
    if not isinstance(info, dict):
        raise GeographyError(f"{info_file}: 'info' is not an object", fix=_REBUILD)
    levels = [str(level) for level in info.get("polygon_levels", [])]
    boundaries = {
        level: _read_table(folder / "boundaries" / f"{level}.parquet", geo=True) for level in levels
    }
    postcodes = None
    if "postcodes.parquet" in files:
        postcodes = _read_table(folder / "postcodes.parquet", geo=False)
    centroids = None
    if "centroids.parquet" in files:
        centroids = _read_table(folder / "centroids.parquet", geo=True)
    return StoredParts(
        info=info,
        info_file=info_file,
        fingerprint=str(document["fingerprint"]),
        lookup=_read_table(folder / "lookup.parquet", geo=False),
        boundaries=boundaries,
        postcodes=postcodes,
        centroids=centroids,
    )
