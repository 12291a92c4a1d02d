"""The scene remembers roundings, coordinates' texts and cut texts while it is built
(presentation/scene.py): what it remembers must be exactly what computing each afresh
gives. The reference here is the plain computation, written out in the test, and a scene
built with nothing remembered at all.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vsm_widget.data.templates import load_template, template_names
from vsm_widget.presentation import scene
from vsm_widget.presentation.text import text_style, truncate

coordinates = st.one_of(
    st.floats(allow_nan=False, min_value=-1e7, max_value=1e7),
    st.floats(allow_nan=False, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([0.0, -0.0, 0.05, -0.05, 0.15, 0.25, 2.675, -2.675, 1e-300, -1e-300]),
)


def _plain(value: float) -> float:
    return round(value, 1) + 0.0


@given(st.lists(coordinates, min_size=1, max_size=40))
def test_remembered_roundings_are_those_round_gives(values: list[float]) -> None:
    scene._forget_coordinates()
    for _ in range(2):  # the second time, every value is remembered
        for value in values:
            got = scene._r(value)
            assert repr(got) == repr(_plain(value))
            assert got.__class__ is float
        for x, y in zip(values, reversed(values), strict=True):
            assert scene._pt(x, y) == f"{_plain(x):g},{_plain(y):g}"
        box = (values * 4)[:4]
        shape = scene.rect(*box, "c")
        assert [repr(shape[k]) for k in ("x", "y", "width", "height")] == [repr(_plain(v)) for v in box]


texts = st.text(st.sampled_from("ab W  \t\nmé…日"), max_size=30)


@given(st.lists(st.tuples(texts, st.floats(min_value=0, max_value=200)), min_size=1, max_size=20))
def test_remembered_cut_texts_are_those_truncate_gives(cases: list[tuple[str, float]]) -> None:
    scene._forget_coordinates()
    classes = "vsm-value vsm-strong"
    font = text_style(classes.split())
    for _ in range(2):
        for content, width in cases:
            shown = truncate(" ".join(content.split()), width, *font)
            shape = scene.fit_text(10, 20, content, width, classes)
            assert shape["text"] == shown
            assert shape.get("tip") == (content if shown != content else None)
            assert scene.text(0, 0, content, classes)["text"] == " ".join(content.split())


class _Forgetful(dict):  # type: ignore[type-arg]
    """A table that never keeps what it is given: every look-up misses."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _scene_json(state: Any) -> str:
    return json.dumps(scene.build_scene(state).to_dict())


def _forgetting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_ROUNDED", "_POINTS", "_LINES", "_FITTED"):
        monkeypatch.setattr(scene, name, _Forgetful())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(template_names()),
    unit=st.sampled_from(["auto", "s", "min", "h", "d"]),
    renames=st.lists(st.text(st.sampled_from("Ab  wide-Name9"), min_size=1, max_size=60), max_size=4),
)
def test_a_scene_is_the_one_built_remembering_nothing(
    monkeypatch: pytest.MonkeyPatch, name: str, unit: str, renames: list[str]
) -> None:
    m = load_template(name)
    for i, (step, new) in enumerate(zip(m.state.all_steps, renames, strict=False)):
        if new.strip():
            m.update(step.id, name=f"{new.strip()} {i}")
    state = dataclasses.replace(m.state, lead_unit=unit)
    remembered = _scene_json(state)
    # Built again after another map's scene filled the tables: the same scene.
    _scene_json(load_template(template_names()[0]).state)
    assert _scene_json(state) == remembered
    with monkeypatch.context() as patch:
        _forgetting(patch)
        assert _scene_json(state) == remembered
