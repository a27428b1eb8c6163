"""The records file as both readers open it: checks before reading, one CSV dialect, and errors
that say what is wrong with the file and what to change.

Records are read in two ways: pandas loads them into memory (postcode and x/y geocoding, sums and
means, sdc-tables, extracts) and DuckDB streams them (dp-tables counts by OA code). Both open the
file through :func:`open_records` and :func:`require_kind`, and both parse CSV with DuckDB in the
one dialect of :func:`csv_scan` (comma, double quotes, a header line, every row with the header's
number of fields), so a file gets the same answer, and the same message, on either path. Messages
name the file, the line or column, and the fix; they never quote a record.
"""

from __future__ import annotations

import codecs
import csv
import errno
import re
from pathlib import Path

import duckdb

from boroughkit.anonymise.aggregate_sql import quote_literal
from boroughkit.errors import BoroughkitError, ConfigError, DataError

#: Bytes read from the start of a file to tell what it is.
SNIFF_BYTES = 64 * 1024
#: The longest CSV line (record) read, in bytes: DuckDB's default, on both paths.
MAX_LINE_BYTES = 2_000_000
#: Longest path shown in a message (a longer one is shortened in the middle).
SHOWN_PATH = 160

_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_FIELDS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_LINE_SIZE = re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)")

_KIND_NAMES = {
    "parquet": "a Parquet file",
    "excel": "an Excel workbook (a zip archive)",
    "xls": "an old-style Excel workbook (.xls)",
    "gzip": "a gzip-compressed file",
    "binary": "binary data (it contains NUL bytes: not text, or text saved as UTF-16)",
    "text": "text (CSV?)",
    "empty": "empty (0 bytes)",
}
_SUFFIX_OF_KIND = {"parquet": "parquet", "excel": "excel", "text": "csv"}


def shown(path: Path | str) -> str:
    """``path`` for a message: NUL bytes made visible, a very long path shortened."""
    text = str(path).replace("\x00", "\\0")
    if len(text) > SHOWN_PATH:
        text = f"{text[:80]}…{text[-60:]} ({len(text)} characters)"
    return text


def _fix_path(setting: str | None) -> str:
    where = setting or "the path in the config"
    return f"check {where} (relative paths are resolved against the config file's folder)"


def open_records(path: Path, setting: str | None = "source.path") -> bytes:
    """The first bytes of the file at ``path``, or the error saying why it cannot be opened.

    ``setting`` names the config key that gave the path, for the fix (None: not from a key).
    """
    try:
        with open(path, "rb") as handle:
            return handle.read(SNIFF_BYTES)
    except ValueError as error:  # an embedded NUL byte
        raise ConfigError(
            f"{shown(path)}: the path contains a NUL byte, which no file name can hold",
            fix=f"correct {setting or 'the path in the config'}",
        ) from error
    except FileNotFoundError as error:
        raise DataError(f"{shown(path)}: file not found", fix=_fix_path(setting)) from error
    except IsADirectoryError as error:
        raise DataError(
            f"{shown(path)}: is a folder, not a file",
            fix=f"name the file itself in {setting or 'the config'}",
        ) from error
    except PermissionError as error:
        raise DataError(
            f"{shown(path)}: permission denied: the user running boroughkit may not read it",
            fix="ask the file's owner for read access (e.g. `chmod g+r` and membership of its "
            "group), or copy the file to a folder you can read",
        ) from error
    except OSError as error:
        raise path_error(path, error, setting) from error


def path_error(path: Path, error: OSError, setting: str | None = "source.path") -> BoroughkitError:
    """The error for an operating-system failure opening or reading ``path``."""
    code = error.errno
    if code == errno.ENAMETOOLONG:
        return ConfigError(
            f"{shown(path)}: the path is longer than this system allows (a file or folder name "
            "may have at most 255 bytes, a whole path 4,096)",
            fix=f"shorten {setting or 'the path'}: move the file to a folder with a shorter path "
            "or give it a shorter name",
        )
    if code == errno.ELOOP:
        return DataError(
            f"{shown(path)}: a symbolic link loop (the link leads back to itself)",
            fix=f"point the link at the real file, or set {setting or 'the path'} to the file "
            "itself",
        )
    if code in (errno.EACCES, errno.EPERM):
        return DataError(
            f"{shown(path)}: permission denied: the user running boroughkit may not read it",
            fix="ask the file's owner for read access, or copy the file to a folder you can read",
        )
    if code == errno.ENOENT:
        return DataError(f"{shown(path)}: file not found", fix=_fix_path(setting))
    if code == errno.EIO:
        return DataError(
            f"{shown(path)}: the disk reported an input/output error reading it",
            fix="copy the file to a healthy disk and run again",
        )
    if code == errno.ENOMEM:
        return out_of_memory(path)
    return DataError(
        f"{shown(path)}: cannot be opened ({error.strerror or error})", fix=_fix_path(setting)
    )


def file_kind(head: bytes) -> str:
    """What the first bytes say the file is: ``parquet``, ``excel`` (a zip archive, as .xlsx
    files are), ``xls``, ``gzip``, ``binary``, ``text`` or ``empty``."""
    if not head:
        return "empty"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "excel"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if b"\x00" in head:
        return "binary"
    return "text"


def require_kind(
    path: Path,
    wanted: str,
    head: bytes,
    *,
    declared: bool = False,
    setting: str | None = "source.path",
) -> None:
    """Raise when the file is not a ``wanted`` file (``csv``, ``parquet`` or ``excel``).

    ``declared``: the format was set in the config (a file of another known format is then a
    config error), rather than read from the file's suffix.
    """
    kind = file_kind(head)
    if kind == "empty":
        raise DataError(
            f"{shown(path)}: the file is empty (0 bytes)", fix="export the records again"
        )
    if {"csv": "text"}.get(wanted, wanted) == kind:
        if kind == "parquet":
            _require_parquet_end(path)
        return
    other = _SUFFIX_OF_KIND.get(kind)
    if other is not None:
        suffix = {"excel": "xlsx", "text": "csv"}.get(kind, kind)
        fix = (
            f"set source.format: {other} (or auto)"
            if setting == "source.path"
            else f"give the file the suffix of its format (.{suffix})"
        )
        error_class = ConfigError if declared else DataError
        raise error_class(
            f"{shown(path)}: read as {wanted}, but the file is {_KIND_NAMES[kind]}", fix=fix
        )
    fixes = {
        "xls": "open it in Excel and save it as .xlsx, or as CSV UTF-8",
        "gzip": "decompress it first (e.g. `gunzip`) and point the config at the result",
        "binary": "export the records as CSV UTF-8, Parquet or .xlsx",
    }
    raise DataError(
        f"{shown(path)}: read as {wanted}, but the file is {_KIND_NAMES[kind]}", fix=fixes[kind]
    )


def _require_parquet_end(path: Path) -> None:
    """A Parquet file begins and ends with ``PAR1``: one that does not end so was cut short."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(size - 4, 0))
            tail = handle.read(4)
    except OSError as error:
        raise path_error(path, error) from error
    if size < 12 or tail != b"PAR1":
        raise DataError(
            f"{shown(path)}: the Parquet file is cut short or damaged ({size:,} bytes; a Parquet "
            "file ends with the marker 'PAR1' and this one does not)",
            fix="copy or export the file again, and check that the copy finished",
        )


def csv_header(path: Path) -> list[str]:
    """The column names on the first line of a CSV file, made unique as pandas does
    (``a``, ``a.1``; an empty name becomes ``Unnamed: i``)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            row = next(csv.reader(handle, strict=True), None)
    except UnicodeDecodeError as error:
        raise not_utf8(path) from error
    except csv.Error as error:
        raise DataError(
            f"{shown(path)}: line 1 (the header) cannot be read as CSV ({error})",
            fix="the first line must name the columns, separated by commas; export the records "
            "again as CSV UTF-8",
        ) from error
    except OSError as error:
        raise path_error(path, error) from error
    if not row or not any(name.strip() for name in row):
        raise DataError(
            f"{shown(path)}: line 1 names no columns",
            fix="the first line must name the columns, separated by commas",
        )
    names: list[str] = []
    for position, name in enumerate(row):
        name = name or f"Unnamed: {position}"
        candidate, copy = name, 0
        while candidate in names:
            copy += 1
            candidate = f"{name}.{copy}"
        names.append(candidate)
    return names


def csv_scan(path: Path, header: list[str]) -> str:
    """A DuckDB table expression reading a CSV file in boroughkit's one dialect, all as text.

    Nothing is guessed: comma-separated, double quotes (doubled inside a field), one header
    line, and every row must have the header's number of fields (strict), so a row with extra
    or missing fields, or a quote left open, is an error with its line number.
    """
    columns = ", ".join(f"{quote_literal(name)}: 'VARCHAR'" for name in header)
    return (
        f"read_csv({quote_literal(str(path))}, header = true, auto_detect = false, "
        f"columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"', "
        f"strict_mode = true, null_padding = false, max_line_size = {MAX_LINE_BYTES})"
    )


def not_utf8(path: Path) -> DataError:
    """The error for a CSV file that is not UTF-8, with the first byte that cannot be decoded."""
    offset = first_invalid_utf8(path)
    where = f" (byte {offset} cannot be decoded)" if offset is not None else ""
    return DataError(
        f"{shown(path)}: not UTF-8 text{where}",
        fix="re-save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')",
    )


def first_invalid_utf8(path: Path) -> int | None:
    """The offset of the first byte of ``path`` that is not valid UTF-8, if any."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as error:
                    return offset + error.start
                offset += len(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    except OSError:
        return None
    return None


def out_of_memory(path: Path) -> DataError:
    """The error for running out of memory (or spill space) while reading ``path``."""
    try:
        size = f"; the file is {path.stat().st_size / 1e6:,.0f} MB"
    except (OSError, ValueError):
        size = ""
    return DataError(
        f"{shown(path)}: ran out of memory reading the records{size}",
        fix="close other programs to free memory, or run on a machine with more memory; free "
        "disk space in the temporary folder (or point TMPDIR at a disk with more space), where "
        "large inputs spill; dp-tables counts of records with an OA code column in CSV or "
        "Parquet are streamed and need far less memory than other releases",
    )


def read_error(path: Path, error: Exception) -> BoroughkitError:
    """The error to raise when DuckDB (or pyarrow) fails on the records file, saying what to
    change. Only DuckDB's reason is shown, never the record it quotes."""
    text = str(error)
    lowered = text.lower()
    if isinstance(error, duckdb.OutOfMemoryException | MemoryError) or "no space left" in lowered:
        return out_of_memory(path)
    if "permission denied" in lowered:
        return DataError(
            f"{shown(path)}: permission denied: the user running boroughkit may not read it",
            fix="ask the file's owner for read access, or copy the file to a folder you can read",
        )
    if "unicode" in lowered or "utf-8" in lowered or "utf8" in lowered:
        return not_utf8(path)
    if "magic bytes" in lowered:
        return DataError(
            f"{shown(path)}: the Parquet file is cut short or damaged",
            fix="copy or export the file again, and check that the copy finished",
        )
    line = _CSV_LINE.search(text)
    if line is not None:
        return _csv_line_error(path, int(line.group(1)), text)
    detail = text.splitlines()[0] if text else type(error).__name__
    return DataError(
        f"{shown(path)}: cannot be read ({detail})",
        fix="export the records again (as CSV UTF-8 or Parquet)",
    )


def _csv_line_error(path: Path, line: int, text: str) -> DataError:
    fields = _FIELDS.search(text)
    if fields is not None:
        expected, found = int(fields.group(1)), int(fields.group(2))
        more = found > expected
        return DataError(
            f"{shown(path)}: line {line} has {found} field(s) where the header names {expected}",
            fix=(
                f"correct line {line}: a value holding a comma must be in double quotes, or "
                "remove the extra fields"
                if more
                else f"correct line {line}: give every column a value (leave it empty between "
                "commas when it is missing)"
            )
            + ", then export the records again",
        )
    if "unterminated quote" in text.lower():
        return DataError(
            f"{shown(path)}: line {line} opens a double quote that is never closed",
            fix=f"close the quote on line {line}; a quote inside a quoted value is written twice "
            '("")',
        )
    size = _LINE_SIZE.search(text)
    if size is not None:
        limit, actual = int(size.group(1)), int(size.group(2))
        column = _longest_field(path, line)
        held = f" (column '{column[0]}' holds {column[1]:,} characters)" if column else ""
        return DataError(
            f"{shown(path)}: line {line} is {actual:,} bytes long, more than the {limit:,} bytes "
            f"a record may have{held}",
            fix=f"correct {('column ' + repr(column[0])) if column else 'that line'} on line "
            f"{line} (a value that long is usually a quote left open or text pasted into the "
            "export) and export again, or save the records as Parquet, which has no line limit",
        )
    return DataError(
        f"{shown(path)}: line {line} cannot be read as CSV",
        fix=f"correct line {line} and export the records again as CSV UTF-8",
    )


def _longest_field(path: Path, line: int) -> tuple[str, int] | None:
    """The column holding the longest value of record ``line`` (1-based, the header is 1), to
    point at it in a message; None when the file cannot be parsed that far."""
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(2**31 - 1)
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            for number, row in enumerate(reader, start=2):
                if number == line and row:
                    position = max(range(len(row)), key=lambda i: len(row[i]))
                    name = header[position] if position < len(header) else f"field {position + 1}"
                    return name, len(row[position])
                if number > line:
                    break
    except (OSError, UnicodeDecodeError, csv.Error, StopIteration):
        return None
    finally:
        csv.field_size_limit(limit)
    return None
