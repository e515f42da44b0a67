"""Import a member's CSV: feature columns plus a named label column, into fixed-point rows.

The first row is the header. The label column is named by the user; `drop_columns` are
ignored; every other column is a feature and must hold numbers (converted with
`protocol.records.to_fixed`, i.e. value * 10**9 rounded half to even). Labels may be any
2..MAX_OUTCOMES distinct values; they map to outcome indices through a label map, which
the game fixes (pass it as `label_map`) or which is inferred as the sorted distinct values
-> 0..K-1 (numerically sorted when every value is a number, else as strings).

Rows in error messages are numbered like a spreadsheet: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from protocol.errors import CsvError, MalformedRecord
from protocol.records import MAX_OUTCOMES, to_fixed


class CsvData(NamedTuple):
    """Imported rows: fixed-point features, outcome indices, the label map, feature names."""

    features: list[tuple[int, ...]]
    labels: list[int]
    label_map: dict[str, int]
    feature_names: tuple[str, ...]


def _sort_key_numeric(value: str) -> tuple[Decimal, str]:
    return Decimal(value), value


def infer_label_map(values: Iterable[str]) -> dict[str, int]:
    """Sorted distinct label values -> 0..K-1 (numeric order if all are numbers)."""
    distinct = set(values)
    try:
        numeric = all(Decimal(v).is_finite() for v in distinct)
    except InvalidOperation:
        numeric = False
    ordered = sorted(distinct, key=_sort_key_numeric) if numeric else sorted(distinct)
    return {value: index for index, value in enumerate(ordered)}


def check_label_map(label_map: Mapping[str, int]) -> dict[str, int]:
    """A given label map must send 2..MAX_OUTCOMES distinct strings onto 0..K-1."""
    k = len(label_map)
    if not 2 <= k <= MAX_OUTCOMES:
        raise CsvError(f"label map must have 2..{MAX_OUTCOMES} labels, has {k}")
    if any(not isinstance(key, str) for key in label_map):
        raise CsvError("label map keys must be strings (the CSV's label values)")
    if sorted(label_map.values()) != list(range(k)):
        raise CsvError(f"label map must map its labels onto 0..{k - 1}, got {dict(label_map)}")
    return dict(label_map)


def parse_csv(
    text: str,
    label_column: str,
    drop_columns: Iterable[str] = (),
    label_map: Mapping[str, int] | None = None,
    *,
    delimiter: str = ",",
) -> CsvData:
    """Parse CSV text; see the module docstring. Raises `CsvError` with row and column."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise CsvError(f"not a valid CSV file: {exc}") from None
    # Blank lines carry nothing; keep each row's spreadsheet number for error messages.
    numbered = [(n, [cell.strip() for cell in row]) for n, row in enumerate(rows, 1) if row]
    if not numbered:
        raise CsvError("the file is empty (expected a header row and data rows)")
    header_row, header = numbered[0]
    data = numbered[1:]

    # The header names every column once.
    for i, name in enumerate(header):
        if not name:
            raise CsvError(f"column {i + 1} has no name", row=header_row)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise CsvError("column name appears twice", row=header_row, column=name)
        seen.add(name)
    # The label column exists.
    if label_column not in seen:
        raise CsvError(f"label column {label_column!r} not found; columns are: {', '.join(header)}")
    # Every dropped column exists and is not the label.
    drop = list(drop_columns)
    for name in drop:
        if name not in seen:
            raise CsvError(f"column to drop {name!r} not found; columns are: {', '.join(header)}")
        if name == label_column:
            raise CsvError(f"the label column {name!r} cannot be dropped")
    feature_index = [i for i, n in enumerate(header) if n != label_column and n not in drop]
    # At least one feature is left.
    if not feature_index:
        raise CsvError("no feature columns left after removing the label and dropped columns")
    label_index = header.index(label_column)
    if not data:
        raise CsvError("the file has a header but no data rows")

    features: list[tuple[int, ...]] = []
    raw_labels: list[tuple[int, str]] = []
    for n, row in data:
        # Every row has one value per column.
        if len(row) != len(header):
            raise CsvError(f"has {len(row)} fields, the header has {len(header)}", row=n)
        values = []
        for i in feature_index:
            cell = row[i]
            if cell == "":
                raise CsvError("empty value (missing values are not supported)", n, header[i])
            try:
                values.append(to_fixed(cell))
            except MalformedRecord as exc:
                raise CsvError(f"{cell!r} is not a number ({exc.reason})", n, header[i]) from None
        features.append(tuple(values))
        if row[label_index] == "":
            raise CsvError("empty label", n, label_column)
        raw_labels.append((n, row[label_index]))

    if label_map is None:
        # Labels take 2..MAX_OUTCOMES distinct values.
        distinct = {value for _, value in raw_labels}
        if len(distinct) < 2:
            only = next(iter(distinct))
            raise CsvError(
                f"the label column has one class only ({only!r}); need 2..{MAX_OUTCOMES}",
                column=label_column,
            )
        if len(distinct) > MAX_OUTCOMES:
            shown = ", ".join(repr(v) for v in sorted(distinct)[: MAX_OUTCOMES + 1])
            raise CsvError(
                f"{len(distinct)} distinct labels ({shown}, ...); at most {MAX_OUTCOMES}",
                column=label_column,
            )
        mapping = infer_label_map(distinct)
    else:
        # A game's label map is fixed; a member's file may hold only some of its classes.
        mapping = check_label_map(label_map)
    labels = []
    for n, value in raw_labels:
        if value not in mapping:
            raise CsvError(f"label {value!r} is not in the label map {sorted(mapping)}", n, label_column)
        labels.append(mapping[value])
    names = tuple(header[i] for i in feature_index)
    return CsvData(features=features, labels=labels, label_map=mapping, feature_names=names)


def load_csv(
    path: str | os.PathLike[str],
    label_column: str,
    drop_columns: Iterable[str] = (),
    label_map: Mapping[str, int] | None = None,
    *,
    delimiter: str = ",",
) -> CsvData:
    """Read and parse a member's CSV file (UTF-8, optional BOM). See `parse_csv`."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise CsvError(f"{os.fspath(path)} is not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        raise CsvError(f"cannot read {os.fspath(path)}: {exc.strerror or exc}") from None
    return parse_csv(text, label_column, drop_columns, label_map, delimiter=delimiter)
