"""A live room through JupyterLab's own server, behind its login (jupyter-server-proxy).

The kernel of a notebook in JupyterLab opens ``room = m.share()`` on 127.0.0.1; the
participant link through the Jupyter server, ``room.proxy_url()``, finds the server that
started the kernel. A browser that is not logged in to the server gets its login page
and no map; once logged in, the same link shows the canvas, which edits the map.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import JupyterServer, NotebookPage
from .test_room import PROCESSES, wait_text

pytestmark = pytest.mark.browser

MAP_CELL = 'm_proxy = load_template("stamping_plant")\nroom_proxy = m_proxy.share()\nm_proxy.editor()'


@pytest.fixture(scope="module")
def lab_server(lab_proxy_server: JupyterServer) -> JupyterServer:
    """This module's notebook runs on a server with jupyter-server-proxy."""
    if importlib.util.find_spec("jupyter_server_proxy") is None:
        pytest.fail("jupyter-server-proxy is not installed (pip install -e '.[test]')")
    return lab_proxy_server


@pytest.fixture(scope="module")
def proxied(lab: NotebookPage) -> Iterator[str]:
    lab.canvas("proxy", MAP_CELL)
    yield lab.value("room_proxy.proxy_url()")
    lab.py("room_proxy.close()")


def test_the_room_through_the_jupyter_server_needs_its_login_and_then_edits(
    chromium: Any, lab: NotebookPage, lab_server: JupyterServer, proxied: str, artifacts: Any
) -> None:
    port, token = lab.value("room_proxy.port"), lab.value("room_proxy.url.rstrip('/').rsplit('/', 1)[1]")
    # Found by the kernel itself: the server that started it.
    assert proxied == f"{lab_server.base}/proxy/{port}/{token}/"
    # The notebook shows that link beside the direct one.
    assert proxied in lab.value("room_proxy._repr_html_()")
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Not logged in to the Jupyter server: its login page, and nothing of the map.
        page.goto(proxied)
        assert "/login" in page.url
        assert page.locator(".vsm-canvas").count() == 0
        assert "Stamping" not in page.content()
        # Logged in (the server's token once, as from JupyterLab's own link), the same link.
        page.goto(f"{lab_server.base}/lab?token={lab_server.token}")
        page.goto(proxied)
        steps = page.locator(f".vsm-canvas {PROCESSES}")
        steps.nth(4).wait_for()
        assert steps.count() == 5
        page.locator(".vsm-room-status", has_text="Live").wait_for()
        page.screenshot(path=str(artifacts / "room-proxy-light.png"))
        # An edit through the proxy reaches the kernel's map.
        page.locator(f'{PROCESSES}[data-vsm-id="assy1"] [data-vsm-field="cycle_time"]').first.dblclick()
        box = page.locator("input.vsm-inline:focus")
        box.wait_for(state="visible")
        box.fill("58 s")
        box.press("Enter")
        assert lab.wait_value("m_proxy.get('assy1').cycle_time", lambda v: v == 58) == 58
        # And the kernel's edits reach the page through it.
        lab.py("m_proxy.update('weld1', cycle_time='41 s')")
        wait_text(page, "weld1", "cycle_time", "41 s")
        assert errors == []
    finally:
        context.close()
