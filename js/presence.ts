/**
 * Presence on the canvas: who is here, and what each of the others has selected or is
 * editing. Each view tells Python its own presence (`{kind: "presence", client, key, name,
 * color, selection, editing}`) on start, when its selection or what it edits changes, every
 * `HEARTBEAT` ms, and says it leaves when it goes; Python's `presence` trait (the map's
 * presence hub, see docs/live.md) comes back to every view. Another participant's
 * selection carries a ring in their colour and a badge with their initials, and the
 * element gets `data-vsm-presence` (their initials). Colour is never the only carrier:
 * initials and names are shown too, and every name is text (textContent only).
 */

import type { AnyModel } from "@anywidget/types";
import { svg } from "./draw";
import { cleanName, jupyterUser, type Person, person, rememberPerson } from "./identity";
import type { Box } from "./scene";
import { listenTo } from "./sync";
import type { WidgetTraits } from "./types";

/** How often a view says it is still here (ms); Python drops a client silent for 60 s. */
export const HEARTBEAT = 20_000;
/** Changes within this long (ms) go as one message (a shift-click run, focus moving between inputs). */
const SETTLE = 40;
const COLOUR = /^#[0-9a-f]{6}$/i;

/** One client as Python's `presence` trait lists it. */
export interface PresenceEntry {
  client: string;
  /** The person's public id (the same for each of their tabs). */
  id: string;
  name: string;
  initials: string;
  color: string;
  role: "facilitator" | "participant";
  selection: string[];
  editing: string | null;
}

/** What the presence layer needs of its view. */
export interface PresenceHost {
  root: HTMLElement;
  toolbar: HTMLElement;
  /** The group the rings are drawn in (inside the pan and zoom transform). */
  rings: SVGGElement;
  selection(): string[];
  /** The drawn groups of an element (empty when it is not drawn). */
  groupsOf(id: string): SVGGElement[];
  box(id: string): Box | null;
}

/** The entries of a `presence` trait value that have the shape views get (anything else is skipped). */
export function readPresence(value: unknown): PresenceEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (p): p is PresenceEntry =>
      !!p &&
      typeof p === "object" &&
      typeof p.client === "string" &&
      typeof p.id === "string" &&
      typeof p.name === "string" &&
      typeof p.initials === "string" &&
      typeof p.color === "string" &&
      COLOUR.test(p.color) &&
      Array.isArray(p.selection),
  );
}

/** Who marks each element: the other clients that have it selected or are editing it, by id. */
export function marksByElement(entries: PresenceEntry[], own: string): Map<string, { who: PresenceEntry; editing: boolean }[]> {
  const marks = new Map<string, { who: PresenceEntry; editing: boolean }[]>();
  for (const who of entries) {
    if (who.client === own) continue;
    const ids = new Set(who.selection);
    if (who.editing) ids.add(who.editing);
    for (const id of ids) {
      const list = marks.get(id) ?? [];
      list.push({ who, editing: who.editing === id });
      marks.set(id, list);
    }
  }
  return marks;
}

/** One line per person (their tabs are one person), in the order they came, with whether it is `ownId`. */
export function people(entries: PresenceEntry[], ownId: string | null): { who: PresenceEntry; you: boolean }[] {
  const seen = new Map<string, { who: PresenceEntry; you: boolean }>();
  for (const who of entries) if (!seen.has(who.id)) seen.set(who.id, { who, you: who.id === ownId });
  return [...seen.values()];
}

/** Black or white, whichever reads better on `colour` (a badge's initials). */
export function inkOn(colour: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(colour.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white is (1.05)/(L+0.05), with black (L+0.05)/0.05: pick the larger.
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? "#ffffff" : "#000000";
}

export class PresenceLayer {
  private entries: PresenceEntry[] = [];
  private me: Person | null = null;
  private sent = "";
  private timer: ReturnType<typeof setTimeout> | null = null;
  private refused = false;
  /** Said goodbye (the page is going): nothing more is sent until it shows again. */
  private left = false;
  private readonly list: HTMLElement;
  private ask: HTMLElement | null = null;
  private readonly cleanups: (() => void)[] = [];
  private marked: SVGGElement[] = [];

  constructor(
    private readonly model: AnyModel<WidgetTraits>,
    private readonly client: string,
    private readonly host: PresenceHost,
  ) {
    this.list = document.createElement("div");
    this.list.className = "vsm-people";
    this.list.setAttribute("role", "list");
    this.list.setAttribute("aria-label", "Who is here");
    host.toolbar.appendChild(this.list);

    this.cleanups.push(
      listenTo(model, {
        "change:presence": () => this.received(),
        "change:selection": () => this.soon(),
        "msg:custom": (msg: unknown) => this.onMessage(msg),
      }),
    );
    const focus = () => this.soon();
    host.root.addEventListener("focusin", focus);
    host.root.addEventListener("focusout", focus);
    this.cleanups.push(() => {
      host.root.removeEventListener("focusin", focus);
      host.root.removeEventListener("focusout", focus);
    });
    const heartbeat = setInterval(() => this.send(true), HEARTBEAT);
    const leave = () => this.leave();
    // A page kept in the back-forward cache comes back: it is here again.
    const back = () => {
      this.left = false;
      this.send(false);
    };
    window.addEventListener("pagehide", leave);
    window.addEventListener("pageshow", back);
    this.cleanups.push(() => {
      clearInterval(heartbeat);
      window.removeEventListener("pagehide", leave);
      window.removeEventListener("pageshow", back);
    });
    this.entries = readPresence(model.get("presence"));
    this.showPeople();
    void this.whoAmI();
  }

  /** Say this view leaves, and remove what the layer added. */
  destroy(): void {
    this.leave();
    if (this.timer) clearTimeout(this.timer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.clearMarks();
    this.list.remove();
    this.ask?.remove();
  }

  /** Mark the others' elements again (after a redraw replaced groups, or a pan drew new ones). */
  draw(): void {
    this.clearMarks();
    const rings = this.host.rings;
    for (const [id, marks] of marksByElement(this.entries, this.client)) {
      const groups = this.host.groupsOf(id);
      const box = this.host.box(id);
      if (!groups.length || !box) continue;
      const initials = marks.map((m) => m.who.initials).join(" ");
      const told = marks.map((m) => `${m.editing ? "edited" : "selected"} by ${m.who.name}`).join(", ");
      for (const g of groups) {
        g.setAttribute("data-vsm-presence", initials);
        g.setAttribute("aria-description", told);
        this.marked.push(g);
      }
      // Badges hang under the bottom right corner, outside every ring: the scene's own
      // tags (bottleneck, over takt) sit above the box.
      const below = box.y + box.h + 4 + 3 * marks.length;
      let right = box.x + box.w + 4;
      marks.forEach(({ who, editing }, i) => {
        const pad = 4 + 3 * i;
        svg(
          "rect",
          {
            class: `vsm-presence-ring${editing ? " vsm-presence-editing" : ""}`,
            x: box.x - pad,
            y: box.y - pad,
            width: box.w + 2 * pad,
            height: box.h + 2 * pad,
            rx: 5,
            stroke: who.color,
            "data-vsm-presence-of": id,
          },
          rings,
        );
        const label = editing ? `${who.initials} editing` : who.initials;
        const width = 10 + 7 * label.length;
        right -= width;
        const badge = svg("g", { class: "vsm-presence-badge", "data-vsm-presence-of": id }, rings);
        svg("rect", { x: right, y: below, width: width - 2, height: 15, rx: 3, fill: who.color }, badge);
        const text = svg("text", { x: right + (width - 2) / 2, y: below + 11, fill: inkOn(who.color), "text-anchor": "middle" }, badge);
        text.textContent = label;
        svg("title", {}, badge).textContent = `${who.name}${editing ? " is editing this" : " has this selected"}`;
        right -= 2;
      });
    }
  }

  // ------------------------------------------------------------------ inside

  private clearMarks(): void {
    for (const g of this.marked) {
      g.removeAttribute("data-vsm-presence");
      g.removeAttribute("aria-description");
    }
    this.marked = [];
    this.host.rings.replaceChildren();
  }

  /** The person this view speaks for: JupyterLab's user, the remembered name, or ask once. */
  private async whoAmI(): Promise<void> {
    const p = person();
    const jupyter = await jupyterUser();
    if (jupyter) this.me = { ...p, name: jupyter.name, color: jupyter.color ?? p.color };
    else if (p.name) this.me = p;
    else {
      this.askName();
      return;
    }
    this.send(false);
  }

  private askName(): void {
    const wrap = document.createElement("span");
    wrap.className = "vsm-name-ask";
    const label = document.createElement("label");
    label.textContent = "Your name ";
    const input = document.createElement("input");
    input.type = "text";
    input.className = "vsm-name-input";
    input.maxLength = 40;
    input.autocomplete = "name";
    input.placeholder = "shown to the others here";
    label.appendChild(input);
    const ok = document.createElement("button");
    ok.type = "button";
    ok.className = "vsm-btn vsm-name-ok";
    ok.textContent = "Join";
    const take = () => {
      const name = cleanName(input.value);
      if (!name) {
        input.focus();
        return;
      }
      this.me = rememberPerson(name);
      wrap.remove();
      this.ask = null;
      this.send(false);
    };
    ok.addEventListener("click", take);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") take();
    });
    wrap.append(label, ok);
    this.host.toolbar.insertBefore(wrap, this.list);
    this.ask = wrap;
  }

  /** What this view is editing: the element of the focused inline editor or details-panel input. */
  private editing(): string | null {
    const rootNode = this.host.root.getRootNode() as Document | ShadowRoot;
    const active = rootNode.activeElement;
    if (!(active instanceof HTMLElement) || !this.host.root.contains(active)) return null;
    if (active.classList.contains("vsm-inline")) return active.dataset.vsmId ?? null;
    const row = active.closest<HTMLElement>("[data-vsm-row]")?.dataset.vsmRow;
    return row ? row.slice(0, row.lastIndexOf(":")) : null;
  }

  private soon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.send(false);
    }, SETTLE);
  }

  /** Tell Python this view's presence (when it changed, or always for a heartbeat). */
  private send(heartbeat: boolean): void {
    const me = this.me;
    if (!me || this.refused || this.left) return;
    const message = {
      kind: "presence",
      client: this.client,
      key: me.key,
      name: me.name,
      color: me.color,
      selection: this.host.selection(),
      editing: this.editing(),
    };
    const text = JSON.stringify(message);
    if (!heartbeat && text === this.sent) return;
    // Nobody else to show it to (a coach alone at the notebook): a view joins once, and its
    // selection and editing wait until someone comes (received() sends them then), so a
    // click or a focus costs the kernel no message.
    if (!heartbeat && this.sent && this.alone()) return;
    this.sent = text;
    this.model.send(message);
  }

  /** Whether no other view is on the list. */
  private alone(): boolean {
    return !this.entries.some((p) => p.client !== this.client);
  }

  private leave(): void {
    const joined = this.me && this.sent && !this.left;
    this.left = true;
    this.sent = "";
    if (joined) this.model.send({ kind: "presence", client: this.client, leave: true });
  }

  private onMessage(msg: unknown): void {
    const m = msg as { kind?: unknown; ok?: unknown; error?: { reason?: unknown } } | null;
    if (m?.kind !== "presence" || m.ok !== false) return;
    // Refused (another view holds this client, a name Python would not take): stop
    // sending rather than ask again on every change; the list says why.
    this.refused = true;
    this.list.title = `Your presence was refused: ${String(m.error?.reason ?? "")}`;
  }

  private received(): void {
    this.entries = readPresence(this.model.get("presence"));
    // Gone from the list while still here (a reconnect, a laptop asleep past the
    // timeout, a restarted room): join again.
    if (this.me && !this.entries.some((p) => p.client === this.client)) {
      this.sent = "";
      this.send(false);
    } else if (this.me && !this.alone()) this.send(false); // someone came: what this view has now
    this.showPeople();
    this.draw();
  }

  private showPeople(): void {
    const ownId = this.entries.find((p) => p.client === this.client)?.id ?? null;
    const rows = people(this.entries, ownId);
    this.list.replaceChildren();
    this.list.hidden = rows.length === 0;
    for (const { who, you } of rows) {
      const item = document.createElement("span");
      item.className = "vsm-person";
      item.setAttribute("role", "listitem");
      item.dataset.vsmPerson = who.id;
      item.title = `${who.name}${you ? " (you)" : ""}, ${who.role}`;
      const dot = document.createElement("span");
      dot.className = "vsm-person-dot";
      dot.setAttribute("aria-hidden", "true");
      dot.style.background = who.color;
      dot.textContent = who.initials;
      dot.style.color = inkOn(who.color);
      const name = document.createElement("span");
      name.className = "vsm-person-name";
      name.textContent = who.name;
      item.append(dot, name);
      if (you) {
        const mark = document.createElement("span");
        mark.className = "vsm-person-you";
        mark.textContent = "(you)";
        item.append(mark);
      }
      this.list.append(item);
    }
  }
}
