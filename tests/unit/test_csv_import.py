"""Importing a member's CSV: features, label column, dropped columns, label maps, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from community_node.csv_import import load_csv, parse_csv
from protocol.errors import CsvError, HayekError

pytestmark = pytest.mark.unit


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv_reads_features_and_maps_labels(tmp_path):
    path = write(tmp_path, "id,x1,x2,outcome\n1,0.5,-2,yes\n2,1.25,3,no\n3,0,1e-9,yes\n")
    features, labels, label_map, names = load_csv(path, "outcome", drop_columns=["id"])
    assert names == ("x1", "x2")
    assert features == [(500_000_000, -2_000_000_000), (1_250_000_000, 3_000_000_000), (0, 1)]
    assert label_map == {"no": 0, "yes": 1}
    assert labels == [1, 0, 1]


def test_numeric_labels_sort_by_value():
    data = parse_csv("x,y\n1,10\n2,9\n3,10\n", "y")
    assert data.label_map == {"9": 0, "10": 1}
    assert data.labels == [1, 0, 1]


def test_up_to_four_classes_are_accepted():
    data = parse_csv("x,y\n1,c\n2,a\n3,d\n4,b\n", "y")
    assert data.label_map == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert data.labels == [2, 0, 3, 1]


def test_the_game_label_map_is_used_when_given():
    data = parse_csv("x,y\n1,up\n2,down\n", "y", label_map={"up": 0, "down": 1})
    assert data.labels == [0, 1]
    # A member's file may hold only some of the game's classes.
    assert parse_csv("x,y\n1,up\n", "y", label_map={"up": 0, "down": 1}).labels == [0]


def test_a_label_outside_the_given_map_is_refused_with_its_row():
    with pytest.raises(CsvError) as err:
        parse_csv("x,y\n1,up\n2,sideways\n", "y", label_map={"up": 0, "down": 1})
    assert (err.value.row, err.value.column) == (3, "y")
    assert "'sideways'" in str(err.value)


def test_an_invalid_label_map_is_refused():
    with pytest.raises(CsvError, match=r"0\.\.1"):
        parse_csv("x,y\n1,a\n", "y", label_map={"a": 0, "b": 2})
    with pytest.raises(CsvError, match=r"2\.\.4"):
        parse_csv("x,y\n1,a\n", "y", label_map={"a": 0})


def test_bom_blank_lines_and_spaces_are_tolerated(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx , y\n\n 1.5 , a \n2,b\n\n".encode())
    data = load_csv(path, "y")
    assert data.feature_names == ("x",)
    assert data.features == [(1_500_000_000,), (2_000_000_000,)]
    assert data.labels == [0, 1]


def test_missing_label_column_is_refused_and_names_the_columns():
    with pytest.raises(CsvError) as err:
        parse_csv("a,b\n1,2\n", "label")
    assert "'label' not found" in str(err.value) and "a, b" in str(err.value)


def test_unknown_drop_column_is_refused():
    with pytest.raises(CsvError, match="'zz' not found"):
        parse_csv("a,y\n1,0\n2,1\n", "y", drop_columns=["zz"])


def test_dropping_the_label_or_every_feature_is_refused():
    with pytest.raises(CsvError, match="cannot be dropped"):
        parse_csv("a,y\n1,0\n", "y", drop_columns=["y"])
    with pytest.raises(CsvError, match="no feature columns"):
        parse_csv("a,y\n1,0\n", "y", drop_columns=["a"])


def test_non_numeric_feature_names_row_and_column():
    with pytest.raises(CsvError) as err:
        parse_csv("a,b,y\n1,2,0\n3,oops,1\n", "y")
    assert (err.value.row, err.value.column) == (3, "b")
    assert "row 3" in str(err.value) and "'b'" in str(err.value) and "'oops'" in str(err.value)


@pytest.mark.parametrize("cell", ["", "nan", "inf"])
def test_missing_or_non_finite_features_are_refused(cell):
    with pytest.raises(CsvError) as err:
        parse_csv(f"a,y\n1,0\n{cell},1\n", "y")
    assert (err.value.row, err.value.column) == (3, "a")


def test_one_class_only_is_refused():
    with pytest.raises(CsvError, match="one class only"):
        parse_csv("a,y\n1,spam\n2,spam\n", "y")


def test_more_than_four_classes_is_refused():
    with pytest.raises(CsvError, match="at most 4"):
        parse_csv("a,y\n1,a\n2,b\n3,c\n4,d\n5,e\n", "y")


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(CsvError, match="empty"):
        load_csv(write(tmp_path, ""), "y")


def test_header_without_rows_is_refused():
    with pytest.raises(CsvError, match="no data rows"):
        parse_csv("a,y\n", "y")


def test_ragged_rows_are_refused_with_the_row():
    with pytest.raises(CsvError) as err:
        parse_csv("a,b,y\n1,2,0\n3,1\n", "y")
    assert err.value.row == 3
    assert "2 fields" in str(err.value) and "header has 3" in str(err.value)


def test_duplicate_or_unnamed_columns_are_refused():
    with pytest.raises(CsvError, match="twice"):
        parse_csv("a,a,y\n1,2,0\n", "y")
    with pytest.raises(CsvError, match="no name"):
        parse_csv("a,,y\n1,2,0\n", "y")


def test_empty_label_is_refused():
    with pytest.raises(CsvError) as err:
        parse_csv("a,y\n1,\n2,b\n", "y")
    assert (err.value.row, err.value.column) == (2, "y")


def test_unreadable_files_are_csv_errors(tmp_path):
    with pytest.raises(CsvError, match="cannot read"):
        load_csv(tmp_path / "missing.csv", "y")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"a,y\n1,\xe9\n")
    with pytest.raises(CsvError, match="not UTF-8"):
        load_csv(bad, "y")
    assert issubclass(CsvError, HayekError)
