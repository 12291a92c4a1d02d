"""A live room: the map's canvas served from the kernel to participants' browsers.

``room = m.share()`` starts a small web server (tornado, which every Jupyter kernel
already runs on) that serves the canvas alone, with no notebook, code or files, at a
link carrying a random token. Each participant's page opens one WebSocket to the room
and speaks the canvas's own edit protocol (``docs/sync-protocol.md``): the room keeps
one :class:`~vsm_widget.jupyter.widget.MapWidget` of its own, never displayed, that
validates and applies every participant's edit through the map (so edits are ordered by
the map, and none is lost) and sends every change to every participant as the same
patches the notebook's canvas gets. The notebook's own editor observes the same map, so
it follows too.

Threads. In a Jupyter kernel (any thread with a running asyncio loop) the room serves
on that loop: participants' edits, the notebook's canvas and the cells all run on the
kernel's one thread, one after the other. In a plain Python process without a running
loop, the room runs its own loop in a thread of its own and applies participants' edits
there; make Python edits on that thread too, with :meth:`Room.call` (``room.call(m.update,
"p1", cycle_time="50 s")``), so that the map is only ever changed from one thread. (A
thread whose loop is set as running but runs only now and then, as Playwright's sync API
leaves it, must open the room from another thread.)

What a participant may send is fixed here and nowhere else: the edit messages of the
protocol (``kind: "edit"``), workshop messages (``kind: "workshop"``: votes and whys),
picture requests (``kind: "export"``) and presence (``kind: "presence"``: who they are,
what they have selected). A socket's client and key are fixed by its first presence
message, and an edit's ``person`` is always the socket's own key, so nobody can act or
show as someone else. The facilitator's commands (lock, timer, walk, follow) are taken
only from sockets of the facilitator's link (:attr:`Room.facilitator_url`, a token of its
own) and from Python (:meth:`Room.lock`, ``m.workshop``); while the map is locked, a
participant's edits are refused. Every message is bounded in size
(:data:`MAX_MESSAGE_BYTES`) and rate (:data:`MAX_MESSAGES_PER_SECOND` per connection): a
message over either bound is refused with a message and the connection is kept (a message over
:data:`HARD_MESSAGE_BYTES`, which no canvas sends, closes it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import html
import importlib.util
import ipaddress
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

from ..core.model import Change, Map
from .presence import Role, presence_for
from .widget import (
    _STATIC,
    LOCKED_REASON,
    PARTICIPANT_WORKSHOP_OPS,
    MapWidget,
    _css,
    _seq,
    _workshop_result,
    edits_from_elsewhere,
    presence_refusal,
)

__all__ = [
    "HARD_MESSAGE_BYTES",
    "MAX_MESSAGES_PER_SECOND",
    "MAX_MESSAGE_BYTES",
    "Room",
    "share",
]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: The largest message a participant may send (bytes of JSON text); larger ones are refused.
MAX_MESSAGE_BYTES = 64 * 1024
#: A message this large closes the connection (WebSocket code 1009): no canvas sends one.
HARD_MESSAGE_BYTES = 1024 * 1024
#: Messages a connection may send per second (a burst of as many is allowed); more are refused.
MAX_MESSAGES_PER_SECOND = 50
#: The WebSocket close code the page reads as "the room is closed" (it stops reconnecting).
CLOSED_CODE = 4000
#: The message kinds a participant may send; anything else is refused.
_PARTICIPANT_KINDS = ("edit", "export", "presence", "refresh", "workshop")
#: Traits a page that asks for the map whole (``kind: "refresh"``) gets.
_REFRESHED = ("scene", "document", "history", "revision")
#: Traits a change sends after its patch (as the widget sends them after its patch).
_AFTER_PATCH = ("history", "revision")
#: Traits of the whole state a participant gets on connecting (the widget's synced traits).
_STATE = ("scene", "document", "metrics", "fields", "history", "height", "revision", "presence", "workshop")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="room.css">
<script type="module" src="room.js"></script>
</head>
<body class="vsm-room-page">
<main class="vsm-room" aria-label="Value stream map room">
<p class="vsm-room-status" role="status">Connecting...</p>
</main>
</body>
</html>
"""

# The page's own layout around the canvas (the canvas's stylesheet follows it).
_PAGE_CSS = """
body.vsm-room-page { margin: 0; font-family: Inter, system-ui, sans-serif; background: #fff; }
.vsm-room { padding: 8px; }
.vsm-room-status { margin: 0 0 6px; font-size: 13px; color: #555; min-height: 1.2em; }
.vsm-room-status.vsm-room-offline { color: #a40000; font-weight: 600; }
@media (prefers-color-scheme: dark) { body.vsm-room-page { background: #111; }
  .vsm-room-status { color: #bbb; } }
"""

# The page loads only its own files and talks only to its own room (no CDN, no inline
# script). Styles set from script through the DOM are allowed by this policy.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data: blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class _RoomCanvas(MapWidget):
    """The room's own canvas: a MapWidget with no front end in the notebook.

    It never opens a comm; what it would send to its canvas goes to the room's
    participants instead. It lays the map out once per turn of the room's loop, however
    many edits that turn applied (several participants' edits read in one turn are one
    patch), and the answers to those edits follow that patch, as the protocol asks.
    """

    _room: Room | None = None
    _outbox: list[Any] | None = None
    # The change waiting to be laid out and sent this turn (None: nothing pending).
    _pending: Change | None = None

    def open(self) -> None:
        """Open no comm: this canvas is drawn by the room's participants, not by a notebook."""

    def send(self, content: Any, buffers: Any = None) -> None:
        """Send to every participant (a change's patch is held back and sent with its traits)."""
        if self._outbox is not None:
            self._outbox.append(content)
        elif self._room is not None:
            self._room._broadcast([content])

    def _on_map_change(self, change: Change) -> None:
        pending = self._pending
        self._pending = Change(
            op=change.op, layout_only=change.layout_only and (pending is None or pending.layout_only)
        )
        if pending is None and self._room is not None:
            self._room._soon(self.flush_changes)

    def flush_changes(self) -> None:
        """Lay out and send the changes of this turn: the patch, then the traits, in one frame."""
        change, self._pending = self._pending, None
        if change is None or self._unobserve is None:
            return
        self._outbox = []
        frame: list[Any] | None = None
        try:
            self._relay(change.layout_only, 1)
            frame = [*self._outbox, {"kind": "state", "state": {n: getattr(self, n) for n in _AFTER_PATCH}}]
        except Exception:
            # The edits are in the map already (and answered below); participants get the
            # whole map when they next connect. A bug, so it is logged with its traceback.
            _log.exception("vsm_widget: the room could not lay out the map")
        finally:
            self._outbox = None
        if self._room is not None:
            if frame is not None:
                self._room._broadcast(frame)
            self._room._answer_waiting()

    def _schedule_flush(self) -> None:
        # Participants get the whole state on connecting; nothing to flush between edits.
        pass

    def _on_workshop_change(self, op: str) -> None:
        before = self.workshop
        super()._on_workshop_change(op)
        if self.workshop is not before:
            # With this turn's patch when there is one (a burst removed), else on its own.
            self.send({"kind": "state", "state": {"workshop": self.workshop}})


def _refusal(seq: int | None, field: str, reason: str) -> dict[str, Any]:
    """A result message refusing a message, in the protocol's shape."""
    error = {"target": None, "field": field, "reason": reason, "message": f"{field}: {reason}"}
    return {"kind": "result", "seq": seq, "ok": False, "error": error}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _clock() -> float:
    """The rate limit's clock (a function of its own, so that tests can hold it still)."""
    return time.monotonic()


class _Bucket:
    """A token bucket: ``rate`` messages a second, bursts of up to ``rate``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.stamp = _clock()

    def take(self) -> bool:
        now = _clock()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _plain_error(handler: tornado.web.RequestHandler, status_code: int) -> None:
    # A refusal says nothing else: no map data, no traceback.
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.finish(f"{status_code}\n")


def _check_token(handler: tornado.web.RequestHandler, token: str) -> bool:
    """Refuse a request whose token is neither of the room's; whether it is the facilitator's."""
    room: Room = handler.room  # type: ignore[attr-defined]
    given = token.encode()
    # Both compared every time, in constant time: which one matched takes no longer to find.
    participant = secrets.compare_digest(given, room._token.encode())
    facilitator = secrets.compare_digest(given, room._facilitator_token.encode())
    if not (participant or facilitator):
        raise tornado.web.HTTPError(403)
    return facilitator


class _Guarded(tornado.web.RequestHandler):
    """Every handler of a room checks the link's token first (in constant time)."""

    room: Room

    def initialize(self, room: Room) -> None:
        self.room = room

    def prepare(self) -> None:
        _check_token(self, self.path_args[0] if self.path_args else "")

    def set_default_headers(self) -> None:
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        _plain_error(self, status_code)


class _NotFound(_Guarded):
    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


class _Page(_Guarded):
    def get(self, token: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", _CSP)
        self.finish(_PAGE.format(title=html.escape(self.room.title)))


class _Asset(_Guarded):
    def get(self, token: str, name: str) -> None:
        if name == "js":
            path = _STATIC / "room.js"
            if not path.is_file():
                raise tornado.web.HTTPError(404)
            self.set_header("Content-Type", "text/javascript; charset=utf-8")
            self.finish(path.read_bytes())
        else:
            self.set_header("Content-Type", "text/css; charset=utf-8")
            self.finish(_PAGE_CSS + _css())


class _Socket(tornado.websocket.WebSocketHandler):
    """One participant's connection: the whole state on connecting, then edits and patches."""

    room: Room
    #: The presence client and person key this socket speaks for, fixed by its first
    #: presence message.
    client: str | None = None
    key: str | None = None

    def initialize(self, room: Room) -> None:
        self.room = room
        self.bucket = _Bucket(MAX_MESSAGES_PER_SECOND)
        #: Whether this socket came in on the facilitator's link.
        self.facilitator = False

    def prepare(self) -> None:
        self.facilitator = _check_token(self, self.path_args[0] if self.path_args else "")

    @property
    def role(self) -> Role:
        """``"facilitator"`` on the facilitator's link, else ``"participant"``."""
        return "facilitator" if self.facilitator else "participant"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        _plain_error(self, status_code)

    def check_origin(self, origin: str) -> bool:
        # Only the room's own page may connect from a browser (a page elsewhere that knew
        # the link could otherwise drive it); clients without an Origin are not browsers.
        netloc = urlsplit(origin).netloc.lower()
        if netloc in self.room._origins():
            return True
        # Through a proxy on this machine (jupyter-server-proxy, behind the Jupyter
        # server's login: Room.proxy_url): the page was served from the proxy's address,
        # which the proxy passes on as the Host. The token was checked before this.
        return netloc == self.request.host.lower() and _loopback(self.request.remote_ip)

    def open(self, *args: str, **kwargs: str) -> None:
        self.room._joined(self)

    def on_close(self) -> None:
        self.room._left(self)

    def on_message(self, message: str | bytes) -> None:
        self.room._receive(self, message)

    def deliver(self, text: str) -> None:
        """Write one frame, ignoring a connection that has just gone (it is being removed)."""
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            self.write_message(text)


class Room:
    """A live room for one map: participants' browsers edit it over a link with a token.

    Made by :meth:`vsm_widget.ValueStreamMap.share` (or :func:`share`). ``url`` is the
    link to hand out; :meth:`close` ends the room and disconnects everyone. In a notebook
    the room shows as its link (and a QR code when ``segno`` is installed).
    """

    def __init__(
        self,
        map: Map,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        edit: bool = True,
        title: str | None = None,
    ) -> None:
        if not isinstance(map, Map):
            raise TypeError(f"Room() takes a ValueStreamMap, not {type(map).__name__}")
        if not isinstance(host, str) or not host:
            raise ValueError(f"host must be an address such as '127.0.0.1' or '0.0.0.0', not {host!r}")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 0 (any free port) to 65535, not {port!r}")
        self.map = map
        self.host = host
        self.edit = bool(edit)
        self._title = title
        self._token = secrets.token_urlsafe(24)
        self._facilitator_token = secrets.token_urlsafe(24)
        self._sockets: set[_Socket] = set()
        # Answers held until the change they made has been sent (this turn).
        self._waiting: list[tuple[_Socket, str]] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        # Bound first: a port in use raises before the room follows the map.
        sockets = tornado.netutil.bind_sockets(port, address=host)
        self.port = int(sockets[0].getsockname()[1])
        self.canvas = _RoomCanvas(map)
        self.canvas._room = self
        # Presence clients of this room's sockets, by client id.
        self._owners: dict[str, _Socket] = {}
        self._presence = presence_for(map)
        self._presence_pending = False
        self._unobserve_presence = self._presence.observe(self._presence_changed)
        self._app = tornado.web.Application(
            [
                (r"/([^/]+)/", _Page, {"room": self}),
                (r"/([^/]+)/room\.(js|css)", _Asset, {"room": self}),
                (r"/([^/]+)/ws", _Socket, {"room": self}),
            ],
            default_handler_class=_NotFound,
            default_handler_args={"room": self},
            websocket_max_message_size=HARD_MESSAGE_BYTES,
            # Finds participants whose network went away without a goodbye.
            websocket_ping_interval=10,
        )
        self._server = tornado.httpserver.HTTPServer(self._app)
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._start_thread(sockets)
        else:
            self._loop_thread = threading.get_ident()
            self._server.add_sockets(sockets)

    def _start_thread(self, sockets: list[socket.socket]) -> None:
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            self._loop_thread = threading.get_ident()
            loop.call_soon(lambda: (self._server.add_sockets(sockets), ready.set()))
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="vsm-room", daemon=True)
        self._thread.start()
        ready.wait()

    # ----------------------------------------------------------------- public API

    @property
    def title(self) -> str:
        """The page's title: the map's title unless the room was given one."""
        return self._title or self.map.state.title or "Value stream map"

    @property
    def url(self) -> str:
        """The link participants open (it carries the room's token: share it only with them)."""
        return f"http://{self._public_host()}:{self.port}/{self._token}/"

    @property
    def facilitator_url(self) -> str:
        """The facilitator's link: the room's page with the facilitator's controls (lock,
        timer, walk, follow), for a coach projecting from a browser. Keep it to yourself.
        """
        return f"http://{self._public_host()}:{self.port}/{self._facilitator_token}/"

    def proxy_url(self, server: str | None = None, *, facilitator: bool = False) -> str:
        """The room's link through a Jupyter server, behind that server's own login.

        For a team on a shared Jupyter server (JupyterHub, Binder, a lab server with
        a login) where only the server's address is reachable: with jupyter-server-proxy
        installed on that server, the room is at ``<server>proxy/<port>/<token>/``, and
        only people logged in to the server get there. ``server`` is the address they
        open JupyterLab at, base URL included (``"https://hub.example.org/user/coach/"``);
        by default, that of the Jupyter server that started this kernel, as it is known on
        this machine. ``facilitator=True`` gives the facilitator's link that way.
        Raises ``LookupError`` when no server is given and none started this kernel.
        """
        if server is None:
            server = _jupyter_server_url()
            if server is None:
                raise LookupError(
                    "server: no Jupyter server started this kernel; give the address "
                    "participants open JupyterLab at, e.g. room.proxy_url('https://hub.example.org/user/coach/')"
                )
        token = self._facilitator_token if facilitator else self._token
        return f"{server.rstrip('/')}/proxy/{self.port}/{token}/"

    def lock(self) -> None:
        """Make the map view only for participants: their edits and votes are refused."""
        self.call(self.map.workshop.lock)

    def unlock(self) -> None:
        """Let participants edit and vote again."""
        self.call(self.map.workshop.unlock)

    @property
    def locked(self) -> bool:
        """Whether the facilitator has locked the map."""
        return self.map.workshop.locked

    @property
    def participants(self) -> int:
        """How many browsers are connected now."""
        return len(self._sockets)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has ended the room."""
        return self._closed

    def call(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run ``fn(*args, **kwargs)`` on the room's thread and return its result.

        In a kernel that is the calling thread (it is called at once). In a plain Python
        process the room runs in a thread of its own; make Python edits of the map through
        this, so that the map is only changed from that one thread.
        """
        if self._thread is None or threading.get_ident() == self._loop_thread:
            return fn(*args, **kwargs)
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:  # handed back to the caller
                future.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return future.result()

    def close(self) -> None:
        """End the room: disconnect every participant and stop serving the link."""
        if self._closed:
            return
        self._closed = True

        def stop() -> None:
            self._server.stop()
            self._unobserve_presence()
            for ws in list(self._sockets):
                ws.close(CLOSED_CODE, "the room is closed")
            self._sockets.clear()
            for client in list(self._owners):
                self._presence.leave(client)
            self._owners.clear()
            self.canvas.close()

        self.call(stop)
        if self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if threading.get_ident() != self._loop_thread:  # closed from its own thread: it ends after this
                self._thread.join(timeout=5)

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self.participants} connected"
        mode = "edit" if self.edit else "view only"
        return f"<Room {self.url} ({mode}, {state})>"

    def _repr_html_(self) -> str:
        """The link as text (and as a QR code, when segno is installed) for the notebook."""
        url = html.escape(self.url)
        qr = _qr_svg(self.url)
        mode = "participants can edit" if self.edit else "view only"
        status = " (closed)" if self._closed else ""
        through = ""
        server = _jupyter_server_url() if _server_proxy_installed() else None
        if server is not None:
            proxied = html.escape(self.proxy_url(server))
            through = (
                f'<p>Through this Jupyter server, for people logged in to it: <a href="{proxied}" '
                f'target="_blank" rel="noopener noreferrer"><code>{proxied}</code></a></p>'
            )
        return (
            '<div class="vsm-room-link">'
            f'<p>Live room{status}, {mode}: <a href="{url}" target="_blank" rel="noopener noreferrer">'
            f"<code>{url}</code></a></p>{qr}{through}</div>"
        )

    # ----------------------------------------------------------------- participants

    def _public_host(self) -> str:
        if self.host in ("0.0.0.0", "::", ""):
            return _lan_address()
        return f"[{self.host}]" if ":" in self.host else self.host

    def _origins(self) -> set[str]:
        """The netlocs the room's page may be served from."""
        hosts = {self._public_host(), self.host}
        if self.host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
            hosts |= {"127.0.0.1", "localhost", "[::1]"}
        return {f"{h}:{self.port}".lower() for h in hosts}

    def _joined(self, ws: _Socket) -> None:
        c = self.canvas
        c.flush_changes()  # the whole state below is then the map as it is
        self._sockets.add(ws)
        state = {name: getattr(c, name) for name in _STATE}
        ws.deliver(
            json.dumps(
                [
                    {
                        "kind": "state",
                        "state": {**state, "error": {}, "selection": []},
                        "room": {"edit": self.edit, "role": ws.role},
                    }
                ]
            )
        )

    def _left(self, ws: _Socket) -> None:
        self._sockets.discard(ws)
        # A page that reconnected may own its client on a new socket already.
        if ws.client is not None and self._owners.get(ws.client) is ws:
            del self._owners[ws.client]
            self._presence.leave(ws.client)

    def _presence_changed(self) -> None:
        # Once per turn of the loop, however many presence messages it read: each frame
        # goes to every participant, so a busy room sends the list as it is at the end.
        if not self._presence_pending:
            self._presence_pending = True
            self._soon(self._send_presence)

    def _send_presence(self) -> None:
        self._presence_pending = False
        self._broadcast([{"kind": "state", "state": {"presence": self._presence.to_list()}}])

    def _on_presence(self, ws: _Socket, content: Mapping[str, Any]) -> dict[str, Any] | None:
        """A participant's presence message: the socket's first fixes its client and key."""
        client, key = content.get("client"), content.get("key")
        if ws.client is None:
            if content.get("leave") or not isinstance(client, str) or not isinstance(key, str):
                return presence_refusal("client", "the first presence message names the client and its key")
            owner = self._owners.get(client)
            here = self._presence.participant(client)
            if here is not None and owner is None:
                return presence_refusal("client", "this client id is another view's")
            # A page that reconnects takes its client over from its old socket; the key
            # decides whether it is the same person (the hub refuses anyone else).
            refused = self.canvas.handle_presence(content, role=ws.role)
            if refused is None:
                ws.client, ws.key = client, key
                self._owners[client] = ws
            return refused
        if client != ws.client:
            return presence_refusal("client", "a connection speaks for one client only")
        if not content.get("leave") and key != ws.key:
            return presence_refusal("key", "a connection speaks for one person only")
        if content.get("leave"):
            content = {"kind": "presence", "client": client, "leave": True}
        return self.canvas.handle_presence(content, role=ws.role)

    def _broadcast(self, frame: list[Any]) -> None:
        """Send one frame to every participant (from any thread: it is written on the room's)."""
        if not self._sockets:
            return
        text = json.dumps(frame)

        def write() -> None:
            for ws in list(self._sockets):
                ws.deliver(text)

        if threading.get_ident() == self._loop_thread:
            write()
        else:
            self._loop.call_soon_threadsafe(write)

    def _receive(self, ws: _Socket, message: str | bytes) -> None:
        content = self._answer(ws, message)
        if content is None:  # taken presence: everyone hears it in the presence state
            return
        answer = json.dumps([content])
        if self.canvas._pending is not None or self._waiting:
            # The change is sent this turn: its sender hears the answer after it.
            self._waiting.append((ws, answer))
        else:
            ws.deliver(answer)

    def _answer_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for ws, answer in waiting:
            ws.deliver(answer)

    def _soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the room's loop once the current turn is done (from any thread)."""
        if threading.get_ident() == self._loop_thread:
            self._loop.call_soon(fn)
        else:
            self._loop.call_soon_threadsafe(fn)

    def _answer(self, ws: _Socket, message: str | bytes) -> dict[str, Any] | None:
        """Check and carry out one participant message; the answer to send back to its sender."""
        if not ws.bucket.take():
            return _refusal(
                None,
                "rate",
                f"too many messages: at most {MAX_MESSAGES_PER_SECOND} a second; this one was not applied",
            )
        if isinstance(message, bytes):
            return _refusal(None, "message", "messages are JSON text, not binary")
        if (
            len(message) > MAX_MESSAGE_BYTES // 4
            and len(message.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES
        ):
            return _refusal(
                None, "message", f"the message is larger than {MAX_MESSAGE_BYTES // 1024} KiB; not applied"
            )
        try:
            content = json.loads(message, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return _refusal(None, "message", "the message is not valid JSON; not applied")
        seq = _seq(content)
        kind = content.get("kind") if isinstance(content, Mapping) else None
        if kind not in _PARTICIPANT_KINDS:
            shown = json.dumps(kind)[:60] if isinstance(kind, str) else "missing"
            return _refusal(
                seq,
                "kind",
                f"unknown message kind {shown}; "
                "a participant may send 'edit', 'export', 'presence', 'refresh' or 'workshop'",
            )
        if kind == "export":
            return self.canvas._export(content)
        if kind == "refresh":
            # A page that missed a patch asks for the map whole: the map as it is now.
            self.canvas.flush_changes()
            return {"kind": "state", "state": {name: getattr(self.canvas, name) for name in _REFRESHED}}
        if kind == "presence":
            return self._on_presence(ws, content)
        if kind == "workshop":
            return self._workshop(ws, content)
        if self.map.workshop.locked and not ws.facilitator:
            return _refusal(seq, "lock", f"{LOCKED_REASON}: view only; your edit was not applied")
        if not self.edit:
            return _refusal(
                seq, "edit", "this room is view only: the facilitator has not opened it for editing"
            )
        if "person" in content:
            # Who made the edit is who this connection is, whatever the message says.
            content = {**content, "person": ws.key}
        with edits_from_elsewhere():
            # The notebook's canvas lays the turn's edits out together, as this room's does.
            return dict(self.canvas.handle_edit(content))

    def _workshop(self, ws: _Socket, content: Mapping[str, Any]) -> dict[str, Any]:
        """A workshop message, carried out with the role of the link the socket came in on.

        A vote or a why is the person's whose presence client the socket joined as (its
        first presence message); naming any other client is refused, so nobody votes as
        someone else.
        """
        if content.get("op") in PARTICIPANT_WORKSHOP_OPS and content.get("client") != getattr(
            ws, "client", None
        ):
            client = content.get("client")
            reason = "this connection speaks for its own view only (it joins with a presence message first)"
            return _workshop_result(
                _seq(content),
                client if isinstance(client, str) else None,
                {"field": "client", "reason": reason},
            )
        return self.canvas.handle_workshop(content, role=ws.role)


def _loopback(address: str | None) -> bool:
    """Whether a peer's address is this machine's own (a proxy running beside the room)."""
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _jupyter_server_url() -> str | None:
    """The address of the Jupyter server that started this kernel (from the server's
    runtime file; the kernel is its child process), base URL included; ``None`` outside one.
    """
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return None
    parent = os.getppid()
    for info in list_running_servers():
        if info.get("pid") == parent and isinstance(info.get("url"), str):
            return str(info["url"])
    return None


def _server_proxy_installed() -> bool:
    """Whether jupyter-server-proxy is installed beside this kernel (so, most likely, on its server)."""
    return importlib.util.find_spec("jupyter_server_proxy") is not None


def _lan_address() -> str:
    """The address of this machine on its network (what a participant's browser can reach)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            # No packet is sent: connecting a UDP socket only picks the outgoing interface.
            s.connect(("192.0.2.1", 9))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def _qr_svg(url: str) -> str:
    """The link as an inline SVG QR code, or ``""`` when the optional ``segno`` is not installed."""
    try:
        import segno
    except ImportError:
        return ""
    # Dark modules on white, whatever the notebook's theme: phones read it either way.
    return str(segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="Room link"))


def share(map: Map, host: str = "127.0.0.1", port: int = 0, *, edit: bool = True) -> Room:
    """Open a live room for ``map`` (see :class:`Room`): ``host`` and ``port`` to serve on
    (``port=0``: any free one; ``host="0.0.0.0"`` for participants on other machines),
    ``edit=False`` for a view-only room.
    """
    return Room(map, host=host, port=port, edit=edit)
