/**
 * The participant page of a live room: one WebSocket to the room in the coach's kernel,
 * a `RoomModel` over it, and the same canvas (`MapView`) a notebook shows. A dropped
 * connection reconnects by itself and gets the whole map again.
 */

import { RoomModel } from "./roommodel";
import { MapView } from "./view";

/** The room's close code for "the room is closed": stop reconnecting. */
const CLOSED = 4000;
const RETRY_FIRST = 250;
const RETRY_MAX = 5000;

function start(): void {
  const main = document.querySelector<HTMLElement>(".vsm-room") ?? document.body;
  const status = main.querySelector<HTMLElement>(".vsm-room-status") ?? document.createElement("p");
  status.className = "vsm-room-status";
  status.setAttribute("role", "status");
  if (!status.parentElement) main.append(status);
  const host = document.createElement("div");
  host.className = "vsm-room-canvas";
  main.append(host);

  let socket: WebSocket | null = null;
  let view: MapView | null = null;
  let retry = RETRY_FIRST;
  const model = new RoomModel((text) => {
    if (socket?.readyState !== WebSocket.OPEN) return false;
    socket.send(text);
    return true;
  });

  const say = (text: string, offline = false) => {
    status.textContent = text;
    status.classList.toggle("vsm-room-offline", offline);
    document.body.dataset.vsmRoom = offline ? "offline" : "online";
  };
  const fitHeight = () => {
    const top = host.getBoundingClientRect().top;
    model.set("height", Math.max(240, Math.floor(window.innerHeight - top - 12)));
  };

  const connect = () => {
    const url = new URL("ws", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retry = RETRY_FIRST;
    };
    ws.onmessage = (event) => {
      model.receive(String(event.data));
      if (!model.ready) return;
      say(model.room.edit ? "Live: your edits reach everyone in the room." : "Live, view only: the facilitator edits this map.");
      if (!view) {
        view = new MapView(model.asModel(), host);
        fitHeight();
      }
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      model.dropped();
      if (event.code === CLOSED) {
        say("The room is closed.", true);
        return;
      }
      say("Connection lost: reconnecting...", true);
      window.setTimeout(connect, retry);
      retry = Math.min(RETRY_MAX, retry * 2);
    };
  };
  window.addEventListener("resize", () => {
    if (view) fitHeight();
  });
  connect();
}

start();
