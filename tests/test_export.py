"""The Excel summary: one call writes every sheet, with the map's values, atomically."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.data.export import EXCEL_CELL_LIMIT, SHEETS, to_excel
from vsm_widget.data.templates import load_template

pytest.importorskip("openpyxl")

INVENTORIES = [4600, 4600 + 2400, 1100 + 600, 1600 + 850, 1200 + 640, 2700 + 1440]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    path = tmp_path_factory.mktemp("excel") / "stamping.xlsx"
    assert to_excel(load_template("stamping_plant"), path) == path
    return pd.read_excel(path, sheet_name=None)


def test_every_sheet_is_written_in_order(workbook: dict[str, pd.DataFrame]) -> None:
    assert tuple(workbook) == SHEETS
    assert {"Steps", "Gaps", "Metrics", "Kaizen"} <= set(SHEETS)


def test_steps_sheet(workbook: dict[str, pd.DataFrame]) -> None:
    steps = workbook["Steps"]
    process = steps[steps["type"] == "process"]
    assert list(process["name"]) == ["Stamping", "S. Weld #1", "S. Weld #2", "Assembly #1", "Assembly #2"]
    assert list(process["cycle_time"]) == [1, 39, 46, 62, 40]
    assert list(process["uptime"]) == [0.85, 1, 0.8, 1, 1]
    assert list(process["is_bottleneck"]) == [False, False, False, True, False]
    # the gap before each step rides on its row; the last gap gets an "end" row
    assert list(steps["gap_quantity"]) == INVENTORIES


def test_gaps_sheet(workbook: dict[str, pd.DataFrame]) -> None:
    gaps = workbook["Gaps"]
    assert list(gaps["quantity"]) == INVENTORIES
    assert gaps["variants"].iloc[1] == "LH 4600; RH 2400"
    assert [round(d, 1) for d in gaps["inventory_days"]] == [5, 7.6, 1.8, 2.7, 2, 4.5]
    assert gaps["before_step"].iloc[0] == "Stamping"
    assert gaps["after_step"].iloc[-1] == "Assembly #2"
    assert gaps["wait_days"].sum() == pytest.approx(sum(INVENTORIES) / 920)


def test_metrics_sheet(workbook: dict[str, pd.DataFrame]) -> None:
    metrics = workbook["Metrics"].set_index("metric")
    assert float(metrics.loc["takt_time", "value"]) == pytest.approx(27_600 * 2 / 920)
    assert float(metrics.loc["process_time", "value"]) == pytest.approx(188)
    lead_days = float(metrics.loc["lead_time", "value"]) / (2 * 27_600)
    assert lead_days == pytest.approx(sum(INVENTORIES) / 920 + 188 / 55_200)
    assert metrics.loc["lead_time", "display"] == "23.6 d"
    assert metrics.loc["bottleneck_name", "value"] == "Assembly #1"
    assert metrics.loc["available_time", "display"] == "15.3 h"


def test_kaizen_and_map_sheets(workbook: dict[str, pd.DataFrame]) -> None:
    kaizen = workbook["Kaizen"]
    m = load_template("stamping_plant")
    assert list(kaizen["text"]) == [b.text for b in m.bursts]
    assert list(kaizen["where"]) == ["Stamping", "S. Weld #2", "whole map"]
    assert set(kaizen["status"]) == {"idea"}
    facts = workbook["Map"].set_index("field")["value"]
    assert facts["customer"] == "State Street Assembly"
    assert float(facts["demand"]) == 18_400
    assert facts["supplier"] == "Michigan Steel Co."
    readiness = workbook["Readiness"]
    assert list(readiness[readiness["severity"] == "missing"]["step"]) == [10]


def test_steps_sheet_reads_back_into_a_map(tmp_path: Path) -> None:
    m = load_template("software_delivery")
    path = to_excel(m, tmp_path / "software.xlsx")
    frame = pd.read_excel(path, sheet_name="Steps")
    again = ValueStreamMap.from_frame(
        frame, title="again", demand=40, period="month", working_days=20, available_time="8 h"
    )
    assert [s.name for s in again.steps] == [s.name for s in m.steps]
    assert again.metrics().lead_time == pytest.approx(m.metrics().lead_time)


def test_empty_map_writes_empty_sheets(tmp_path: Path) -> None:
    path = to_excel(ValueStreamMap(), tmp_path / "empty.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert tuple(sheets) == SHEETS
    assert sheets["Gaps"].empty
    assert sheets["Kaizen"].empty


def test_bad_path_names_the_field_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        to_excel(ValueStreamMap(), tmp_path / "summary.csv")
    assert caught.value.field == "path"
    assert list(tmp_path.iterdir()) == []


def test_replaces_atomically_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "map.xlsx"
    target.write_bytes(b"old")
    to_excel(load_template("order_to_cash"), target)
    assert target.read_bytes()[:2] == b"PK"  # a zip container: the workbook
    assert [p.name for p in tmp_path.iterdir()] == ["map.xlsx"]


def test_missing_openpyxl_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(ImportError, match=r"vsm_widget\[excel\]"):
        to_excel(ValueStreamMap(), tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- text stays text

# What a person may type that a spreadsheet would run or read as something else.
FORMULAS = [
    "=1+1",
    "=cmd|' /C calc'!A0",  # a DDE payload
    '=HYPERLINK("http://example.invalid","click")',
    "+1-2",
    "-2+3",
    "@SUM(A1:A9)",
    "#N/A",
    "#DIV/0!",
]


def typed_everywhere(texts: list[str]) -> ValueStreamMap:
    """A map whose every kind of user text is one of ``texts``."""
    first = texts[0]
    m = ValueStreamMap(first, demand=100, available_time="8 h", customer=texts[1], scope=texts[2])
    m.set_supplier(texts[3], supplies=texts[4], frequency=texts[5])
    m.set_control(texts[6], notes=texts[7])
    for index, text in enumerate(texts):
        m.add_process(text, cycle_time="10 s", notes=text, id=f"p{index}")
        m.add_inventory({text: 5, f"{text} (B)": 7}, notes=text, id=f"g{index}")
        m.add_burst(text, target=f"p{index}", owner=text, due=text)
    m.add_shipment("out", frequency=first, mode=texts[1], notes=texts[2])
    return m


def text_cells(path: Path) -> dict[str, list[Any]]:
    """Every cell that holds text, by sheet, read back with openpyxl."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    return {
        sheet.title: [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
        for sheet in book.worksheets
    }


def test_typed_formulas_are_written_as_the_text_typed(tmp_path: Path) -> None:
    path = tmp_path / "hostile.xlsx"
    to_excel(typed_everywhere(FORMULAS), path)
    cells = text_cells(path)
    seen: set[str] = set()
    for sheet, found in cells.items():
        for cell in found:
            # openpyxl reads a formula back as data type "f" and an error code as "e".
            where = f"{sheet}!{cell.coordinate}"
            assert cell.data_type == "s", f"{where} holds {cell.value!r} as {cell.data_type}"
            seen.add(cell.value)
    # Each typed text is there exactly as typed (names, notes, bursts, the map's title...).
    assert set(FORMULAS) <= seen
    names = [cell.value for cell in cells["Steps"] if cell.column_letter == "C"]
    assert names[1:] == FORMULAS  # below the header, one row per step, in order


def test_the_steps_sheet_reads_back_as_the_map(tmp_path: Path) -> None:
    m = typed_everywhere(FORMULAS)
    path = tmp_path / "hostile.xlsx"
    to_excel(m, path)
    steps = pd.read_excel(path, sheet_name="Steps", dtype=str, keep_default_na=False)
    back = ValueStreamMap.from_frame(steps, demand=100, available_time="8 h")
    assert [s.name for s in back.steps] == FORMULAS
    assert [g.variants for g in back.gaps] == [g.variants for g in m.gaps]


def test_a_derived_text_longer_than_a_cell_is_cut_and_says_so(tmp_path: Path) -> None:
    # 600 steps with 60-character ids over takt: their list is 600 x 62 - 2 = 37,198 characters,
    # more than the 32,767 an Excel cell holds.
    m = ValueStreamMap("Long", demand=1000, available_time="8 h")  # takt 28.8 s
    with m.batch():
        for index in range(600):
            m.add_process(f"Step {index}", cycle_time="60 s", id=f"s{index:059d}")
    path = tmp_path / "long.xlsx"
    to_excel(m, path)
    cells = {cell.value.split(",")[0]: cell for cell in text_cells(path)["Metrics"]}
    over = cells[f"s{0:059d}"]
    assert len(over.value) == EXCEL_CELL_LIMIT
    assert over.value.endswith("[cut: Excel holds 32,767 characters in a cell]")


def test_formulas_that_came_by_a_document_a_frame_or_the_canvas_stay_text(tmp_path: Path) -> None:
    from vsm_widget.data import io
    from vsm_widget.jupyter.widget import MapWidget

    by_document = io.from_json(io.to_json(typed_everywhere(FORMULAS)))
    by_frame = ValueStreamMap.from_frame(pd.DataFrame({"name": FORMULAS, "notes": FORMULAS}))
    by_canvas = ValueStreamMap("Canvas")
    widget = MapWidget(by_canvas)
    for seq, text in enumerate(FORMULAS):
        result = widget.handle_edit({"kind": "edit", "seq": seq, "op": "add_process", "name": text})
        assert result["ok"] is True
    for name, m in (("document", by_document), ("frame", by_frame), ("canvas", by_canvas)):
        path = tmp_path / f"{name}.xlsx"
        to_excel(m, path)
        cells = [cell for found in text_cells(path).values() for cell in found]
        assert {cell.data_type for cell in cells} == {"s"}
        assert set(FORMULAS) <= {cell.value for cell in cells}
