"""The house reads from the bottom up: each layer imports only the layers below it, and
nothing imports in a circle, in the package or in the front end.

Every import counts: at the top of a module, inside a function (a lazy import) and under
``TYPE_CHECKING``; a cycle of lazy imports still ties its modules together.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "vsm_widget"

#: Each layer and the layers it may import (besides its own modules). data and
#: simulation are siblings: both stand on the core, neither on the other.
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "data": {"core"},
    "simulation": {"core"},
    "presentation": {"core", "data"},
    "jupyter": {"core", "data", "presentation"},
    "top": {"core", "data", "simulation", "presentation", "jupyter"},
}
#: Libraries only the Jupyter layer (and the top layer's lazy display helpers) may import.
WIDGET_LIBRARIES = {"anywidget", "ipywidgets", "bqplot", "traitlets"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in LAYERS else "top"


def _imports(path: Path) -> set[str]:
    """Every module this file imports, absolute, anywhere in the file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # "from . import units" imports the module units.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {target for target in _imports(path) if target in modules and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_is_laid_out_in_its_layers() -> None:
    # Every module lives in a layer's folder, but the package's own door and the map.
    top = {name for name in _graph() if _layer(name) == "top"}
    assert top == {"vsm_widget", "vsm_widget.map"}
    for layer in LAYERS.keys() - {"top"}:
        assert (PACKAGE / layer / "__init__.py").is_file(), layer


def test_each_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for module, targets in _graph().items():
        layer = _layer(module)
        allowed = LAYERS[layer] | {layer}
        # A package's __init__ names its own modules; that is not a layer's import.
        wrong += [f"{module} -> {t}" for t in sorted(targets) if _layer(t) not in allowed]
    assert not wrong, "\n".join(wrong)


def test_no_module_of_the_package_imports_in_a_circle() -> None:
    assert _cycles(_graph()) == []


def test_the_checks_see_a_circle_and_a_wrong_way_import() -> None:
    # The checks themselves can fail: a lazy import back up is a cycle and a wrong way.
    graph = _graph()
    graph["vsm_widget.core.model"] = {*graph["vsm_widget.core.model"], "vsm_widget.map"}
    assert ["vsm_widget.core.model", "vsm_widget.map"] in [
        [m for m in group if m in ("vsm_widget.core.model", "vsm_widget.map")] for group in _cycles(graph)
    ]
    assert "core" not in LAYERS["core"]
    assert _layer("vsm_widget.map") not in LAYERS["core"]


@pytest.mark.parametrize("layer", ["core", "data", "simulation", "presentation"])
def test_only_the_jupyter_layer_imports_widget_libraries(layer: str) -> None:
    for path in (PACKAGE / layer).rglob("*.py"):
        used = {name.split(".")[0] for name in _imports(path)} & WIDGET_LIBRARIES
        assert not used, f"{path.relative_to(ROOT)} imports {sorted(used)}"


_TS_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s+["'](\.[^"']+)["']""", re.MULTILINE)


def test_the_front_end_imports_in_no_circle() -> None:
    sources = {path.stem: path for path in (ROOT / "js").glob("*.ts") if not path.name.endswith(".test.ts")}
    graph = {
        name: {Path(target).name.removesuffix(".ts") for target in _TS_IMPORT.findall(path.read_text())}
        & set(sources)
        for name, path in sources.items()
    }
    assert sum(len(targets) for targets in graph.values()) > len(sources), (
        "the import pattern found no imports"
    )
    assert _cycles(graph) == []
