"""Every example notebook runs top to bottom, and its outputs are cleared in the repository."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.ipynb"))


def _texts(notebook: nbformat.NotebookNode) -> str:
    parts: list[str] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def test_there_are_examples() -> None:
    assert any(path.name == "quickstart.ipynb" for path in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_is_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {index} of {path.name} has stored outputs"
            assert cell.execution_count is None, f"cell {index} of {path.name} has an execution count"
    assert "widgets" not in notebook.metadata, f"{path.name} stores widget state"


@pytest.mark.notebook
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, errors


@pytest.mark.notebook
def test_quickstart_reports_the_published_figures(tmp_path: Path) -> None:
    path = next(p for p in EXAMPLES if p.name == "quickstart.ipynb")
    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources=resources).execute()
    text = _texts(notebook)
    # Learning to See: takt 60 s, bottleneck the 62 s assembly step, lead time 23.6 days.
    assert "60 s" in text
    assert "Assembly 1" in text
    assert "23.6 d" in text
    assert "refused: p" in text
    assert "uptime" in text
