"""The pictures in docs/images/ are refreshed by one explicit command, never by the suite.

``docs/refresh_images.py`` names, for every picture, the browser test that takes it (into
tests/artifacts/); these checks keep that table true as pictures and tests change.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_images", ROOT / "docs" / "refresh_images.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_picture_of_the_docs_has_a_test_that_takes_it() -> None:
    pictures: dict[str, str] = _script().PICTURES
    assert set(pictures) == {path.name for path in (ROOT / "docs" / "images").glob("*.png")}
    for node in pictures.values():
        path, _, test = node.partition("::")
        function, _, case = test.partition("[")
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {re.escape(function)}\(", source, re.MULTILINE), node
        if case:
            # A parametrized case: the example notebook it runs exists.
            assert (ROOT / "examples" / f"{case.rstrip(']')}.ipynb").is_file(), node
