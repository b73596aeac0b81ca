"""The columns of a numeric CSV file, read in bounded memory.

`read_columns(owner, path, choose, dtype)` streams the file through the
`csv` module: it gathers `CHUNK_FIELDS` fields at a time, turns each
chunk's selected columns into numbers (numpy parses the strings) of the
requested dtype, and drops the strings. No list of every row is kept: a
103 MB file of 11 columns took 1.3 GB that way, and now about as much as
its float32 values twice (the chunks, then the assembled array) plus one
chunk of strings.

The errors are those of reading the whole file first and checking it
after, in this order: an unreadable line, no header, no data, a row of
the wrong width, the column selection (`choose`), per column in the
selected order a non-numeric or empty cell before NaN or infinity, a bad
date, and last a value the dtype cannot hold. Each names the file, the
line, the data row and the column.
"""

import csv
import dataclasses
import os
import pathlib
import re

import numpy as np

CHUNK_FIELDS = 1 << 14


@dataclasses.dataclass(frozen=True)
class Selection:
    """What to read: numeric columns, an optional date column, targets.

    Attributes:
        names: the numeric columns' names, in the order of `values`.
        positions: their indices in the header.
        date: `(name, index)` of the date column, or None.
        targets: the target names (passed through for the caller).
    """

    names: tuple
    positions: tuple
    date: tuple | None = None
    targets: tuple = ()


@dataclasses.dataclass(frozen=True)
class Columns:
    """What `read_columns` returns."""

    selection: Selection
    values: np.ndarray
    dates: np.ndarray | None
    source: str


def open_text(owner, path):
    """`path` (str, PathLike or an importlib.resources file) opened as text.

    Raises:
        TypeError: `path` is no path.
        ValueError: `path` is a directory.
        FileNotFoundError: there is no such file (named).
    """
    if isinstance(path, (str, os.PathLike)):
        path = pathlib.Path(path)
        if path.is_dir():
            raise ValueError(
                f"{owner}: {path} is a directory; expected a CSV file."
            )
    elif not callable(getattr(path, "open", None)):
        raise TypeError(
            f"{owner}: `path` must be a file path (str or path-like), got "
            f"{path!r}."
        )
    try:
        return path.open("r", encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise FileNotFoundError(f"{owner}: no such file: {path}") from None


_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")


def looks_like_a_date(text):
    """Whether `text` reads as a date: ISO 8601 (as numpy parses it) or
    digits separated like 31/12/2020 or 12.31.20."""
    text = text.strip()
    if _DATE_LIKE.match(text):
        return True
    try:
        np.datetime64(text)
    except ValueError:
        return False
    return bool(text)


def where(source, line, row, name):
    """How a message names a cell."""
    return f"line {line} of {source} (data row {row}), column {name!r}"


def cast_checked(values, dtype):
    """`values` (float64, finite) as `dtype`; the first that does not fit.

    A float dtype must keep every value finite (rounding is fine); an
    integer or bool dtype must give every value back exactly (no fraction
    dropped, no overflow or wrap-around).

    Returns:
        `(converted, index)`: index of the first lost value, or None.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        converted = values.astype(dtype)
    if not converted.size:
        return converted, None
    if dtype.kind == "f":
        if np.isfinite(converted.min()) and np.isfinite(converted.max()):
            return converted, None
        bad = ~np.isfinite(converted)
    else:
        bad = converted.astype(np.float64) != values
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            bad |= (values < info.min) | (values >= float(info.max) + 1)
    lost = np.flatnonzero(bad)
    return converted, int(lost[0]) if lost.size else None


def lossy_message(owner, dtype, value, converted, place):
    return (
        f"{owner}: `dtype` {dtype} cannot hold the value {float(value)!r} "
        f"at {place} (it becomes {converted.item()!r}); pass a dtype that "
        "holds every value, e.g. 'float32' or 'float64'."
    )


class _Numbers:
    """One numeric column: its chunks (in `dtype`) and its first faults."""

    def __init__(self, name, position, dtype):
        self.name, self.position, self.dtype = name, position, dtype
        self.chunks = []
        self.text = None  # (row, line, text): non-numeric or empty
        self.infinite = None  # (row, line, text, is_nan)
        self.lossy = None  # (row, line, value, converted)

    def add(self, strings, first, lines):
        if self.text is not None:
            return  # the column fails; nothing later changes that
        try:
            values = np.array(strings, dtype=np.float64)
        except ValueError:
            values = self._one_by_one(strings, first, lines)
            if values is None:
                return
        if self.infinite is None and not (
            np.isfinite(values.min()) and np.isfinite(values.max())
        ):
            i = int(np.flatnonzero(~np.isfinite(values))[0])
            nan = bool(np.isnan(values[i]))
            self.infinite = (first + i, lines[i], strings[i].strip(), nan)
        if self.infinite is not None:
            return
        converted, i = cast_checked(values, self.dtype)
        if i is not None and self.lossy is None:
            self.lossy = (first + i, lines[i], values[i], converted[i])
        self.chunks.append(converted)

    def _one_by_one(self, strings, first, lines):
        """The values by `float`, or None after noting the first bad one."""
        values = []
        for i, text in enumerate(strings):
            text = text.strip()
            try:
                values.append(float(text))
            except ValueError:
                self.text = (first + i, lines[i], text)
                return None
        return np.array(values)

    def check(self, owner, source):
        """Raises for a non-numeric, empty, NaN or infinite cell."""
        if self.text is not None:
            row, line, text = self.text
            what = (
                "an empty cell" if not text else f"non-numeric value {text!r}"
            )
            hint = ""
            if looks_like_a_date(text):
                hint = (
                    f"; if column {self.name!r} holds the dates, name it "
                    f"the date column (date_column={self.name!r}, "
                    f"--date-column {self.name})"
                )
            raise ValueError(
                f"{owner}: {what} at {where(source, line, row, self.name)}"
                f"{hint}."
            )
        if self.infinite is not None:
            row, line, text, nan = self.infinite
            kind = "NaN" if nan else "an infinite value"
            raise ValueError(
                f"{owner}: {kind} ({text!r}) at "
                f"{where(source, line, row, self.name)}; clean or impute "
                "the file first."
            )

    def check_cast(self, owner, source):
        if self.lossy is not None:
            row, line, value, converted = self.lossy
            place = where(source, line, row, self.name)
            raise ValueError(
                lossy_message(owner, self.dtype, value, converted, place)
            )

    def fill(self, out):
        """Writes the chunks into `out` (a column of the result), drops them."""
        start = 0
        for chunk in self.chunks:
            out[start : start + len(chunk)] = chunk
            start += len(chunk)
        self.chunks = []


def _iso_date(text):
    """yyyymmdd to yyyy-mm-dd; anything else is left to numpy."""
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


class _Dates:
    """The date column: `datetime64[D]` chunks and its first bad cell."""

    def __init__(self, name, position):
        self.name, self.position = name, position
        self.chunks = []
        self.bad = None  # (row, line, text)

    def add(self, strings, first, lines):
        if self.bad is not None:
            return
        strings = [_iso_date(text.strip()) for text in strings]
        try:
            dates = np.array(strings, dtype="datetime64[D]")
            if not np.isnat(dates).any():
                self.chunks.append(dates)
                return
        except (TypeError, ValueError):
            pass
        dates = []
        for i, text in enumerate(strings):
            try:
                date = np.datetime64(text, "D")
            except (TypeError, ValueError):
                date = None
            if date is None or np.isnat(date):
                self.bad = (first + i, lines[i], text)
                return
            dates.append(date)
        self.chunks.append(np.array(dates, dtype="datetime64[D]"))

    def check(self, owner, source):
        if self.bad is not None:
            row, line, text = self.bad
            what = "an empty cell" if not text else f"{text!r}"
            raise ValueError(
                f"{owner}: {what} is not a date (yyyy-mm-dd or yyyymmdd) at "
                f"{where(source, line, row, self.name)}."
            )

    def result(self):
        dates = np.concatenate(self.chunks)
        self.chunks = []
        return dates


def read_columns(owner, path, choose, dtype):
    """Reads the columns `choose(header)` selects from a CSV file.

    Args:
        owner: the function named in error messages.
        path: the file (str, path-like or an `importlib.resources` file).
        choose: `choose(header) -> Selection`, given the stripped header
            names; a `ValueError` it raises is raised once the file is
            known to be well-formed CSV.
        dtype: a numeric `numpy.dtype` for the values.

    Returns:
        `Columns`: the selection, the `(rows, k)` values, the dates.
    """
    source = str(path)
    with open_text(owner, path) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            return _read(owner, source, reader, choose, dtype)
        except (csv.Error, UnicodeDecodeError) as error:
            raise ValueError(
                f"{owner}: cannot read line {reader.line_num} of {source} "
                f"as CSV: {error}"
            ) from None


def _read(owner, source, reader, choose, dtype):
    header = next((fields for fields in reader if fields), None)
    if header is None:
        raise ValueError(f"{owner}: {source} is empty (no header row).")
    header = [name.strip() for name in header]
    try:
        selection, failed = choose(header), None
    except ValueError as error:
        selection, failed = None, error
    numbers, parsers = [], []
    if selection is not None:
        numbers = [
            _Numbers(name, position, dtype)
            for name, position in zip(selection.names, selection.positions)
        ]
        parsers = list(numbers)
        if selection.date is not None:
            parsers.append(_Dates(*selection.date))
    width = len(header)
    per_chunk = max(1, CHUNK_FIELDS // width)
    pending, lines, rows, wrong = [], [], 0, None
    for fields in reader:
        if not fields:
            continue
        if wrong is None and len(fields) != width:
            wrong = (reader.line_num, len(fields))
        if wrong is None and parsers:
            pending.append(fields)
            lines.append(reader.line_num)
            if len(pending) == per_chunk:
                _parse(parsers, pending, lines, rows + 1 - per_chunk)
                pending, lines = [], []
        rows += 1
    if pending and wrong is None:
        _parse(parsers, pending, lines, rows - len(pending))
    del pending, lines
    if not rows:
        raise ValueError(f"{owner}: {source} has a header but no data.")
    if wrong is not None:
        raise ValueError(
            f"{owner}: line {wrong[0]} of {source} has {wrong[1]} fields, "
            f"the header has {width}."
        )
    if failed is not None:
        raise failed
    for parser in parsers:
        parser.check(owner, source)
    for column in numbers:
        column.check_cast(owner, source)
    values = np.empty((rows, len(numbers)), dtype)
    for j, column in enumerate(numbers):
        column.fill(values[:, j])
    dates = parsers[-1].result() if selection.date is not None else None
    return Columns(selection, values, dates, source)


def _parse(parsers, rows, lines, first):
    """Hands each parser its column of `rows` (data rows first, ...)."""
    for parser in parsers:
        position = parser.position
        parser.add([fields[position] for fields in rows], first, lines)
