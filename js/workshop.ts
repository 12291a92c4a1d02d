/**
 * The facilitator's tools on the canvas: dot votes on the kaizen bursts, the timer, the
 * lock, follow mode and the walk through the stream with its whys. Python owns all of it
 * (the `workshop` trait, `m.workshop`); this module draws it and sends workshop messages
 * (`{kind: "workshop", seq, client, op, ...}`, docs/sync-protocol.md) with its view's
 * client id, and shows a refusal of its own view in the canvas's error channel.
 *
 * In a notebook every view is the facilitator's; on a room's participant link the page is
 * a participant's (the room says which in its state). Every user text is set as text, and
 * colour never carries a meaning alone: each state has its words too.
 */

import type { AnyModel } from "@anywidget/types";
import { svg } from "./draw";
import type { Box } from "./scene";
import { listenTo } from "./sync";
import type { EditError, MapDocument, WidgetTraits } from "./types";

/** A facilitator's view goes to the others at most this often (ms). */
export const VIEWPORT_INTERVAL = 100;
/** The longest why (characters), as Python keeps it. */
export const WHY_MAX = 500;
const MAX_MINUTES = 480;

export type Role = "facilitator" | "participant";

export interface Timer {
  label: string;
  seconds: number;
  remaining: number;
  running: boolean;
  /** Seconds since 1970 by the kernel's clock; null while paused. */
  ends_at: number | null;
}

export interface Why {
  id: string;
  step: string;
  text: string;
  author: string;
  walk: number | null;
  at: number;
}

export interface WorkshopState {
  dots: number;
  votes: Record<string, { total: number; by: Record<string, number> }>;
  used: Record<string, number>;
  names: Record<string, string>;
  whys: Why[];
  walk: { number: number; direction: "forward" | "reverse"; step: string | null } | null;
  timer: Timer | null;
  locked: boolean;
  following: boolean;
  viewport: { x: number; y: number; zoom: number } | null;
  /** The workshop steps a timer is offered for (`vsm_widget.core.workshop.WORKSHOP_STEPS`). */
  steps: string[];
}

/** The `workshop` trait as this module reads it (anything missing or malformed: its default). */
export function readWorkshop(value: unknown): WorkshopState {
  const v = (value && typeof value === "object" ? value : {}) as Partial<WorkshopState>;
  const object = <T>(x: unknown, fallback: T): T => (x && typeof x === "object" && !Array.isArray(x) ? (x as T) : fallback);
  const view = v.viewport;
  return {
    dots: typeof v.dots === "number" ? v.dots : 3,
    votes: object(v.votes, {}),
    used: object(v.used, {}),
    names: object(v.names, {}),
    whys: Array.isArray(v.whys) ? v.whys.filter((w) => w && typeof w.step === "string" && typeof w.text === "string") : [],
    walk: v.walk && typeof v.walk === "object" ? v.walk : null,
    timer: v.timer && typeof v.timer === "object" && typeof v.timer.label === "string" ? v.timer : null,
    locked: v.locked === true,
    following: v.following === true,
    viewport: view && typeof view.x === "number" && typeof view.y === "number" && typeof view.zoom === "number" ? view : null,
    steps: Array.isArray(v.steps) ? v.steps.filter((step) => typeof step === "string") : [],
  };
}

/** A time left as the timer shows it: "04:59", "1:00:00" past an hour; seconds rounded up. */
export function countdownText(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds - 1e-9));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** Seconds left on `timer` at `now` (seconds since 1970): counted down to `ends_at` while it runs. */
export function secondsLeft(timer: Timer, now: number): number {
  return timer.running && timer.ends_at !== null ? Math.max(0, timer.ends_at - now) : Math.max(0, timer.remaining);
}

/** The controls a role gets, given the workshop's state (which of them are shown). */
export function controlsFor(role: Role, state: WorkshopState, leading = false): string[] {
  const controls = ["dots", "vote"];
  if (state.timer) controls.push("timer");
  if (state.walk) controls.push("why");
  if (role === "participant") {
    if (state.following) controls.push("stop-following");
    return controls;
  }
  controls.push(state.locked ? "unlock" : "lock");
  controls.push(state.following ? "follow-off" : "follow-on");
  // Another facilitator's view leads: this one may take the lead.
  if (state.following && !leading) controls.push("send-viewport");
  if (state.timer) controls.push(state.timer.running ? "timer-pause" : "timer-resume", "timer-stop");
  else controls.push("timer-start");
  if (state.walk) controls.push("walk-back", "walk-next", "walk-stop");
  else controls.push("walk-start", "walk-reverse");
  return controls;
}

/** Whether a box from `from` to `to` (stage pixels) shows in a stage of `stage`'s size, in part at least. */
export function inView(from: { x: number; y: number }, to: { x: number; y: number }, stage: { w: number; h: number }): boolean {
  return to.x > 0 && from.x < stage.w && to.y > 0 && from.y < stage.h;
}

/**
 * At most one call of `fn` per `interval` ms: the first at once, the last of a run at the
 * end of its interval (so the final position of a pan is always sent). `now` and `later`
 * are the clock and the timer (tests give their own).
 */
export class Throttle<A extends unknown[]> {
  private last = Number.NEGATIVE_INFINITY;
  private waiting: A | null = null;
  private timer: unknown = null;

  constructor(
    private readonly fn: (...args: A) => void,
    private readonly interval: number,
    private readonly now: () => number = () => performance.now(),
    private readonly later: (fn: () => void, ms: number) => unknown = (f, ms) => setTimeout(f, ms),
    private readonly cancel: (timer: unknown) => void = (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  ) {}

  call(...args: A): void {
    const wait = this.last + this.interval - this.now();
    if (wait <= 0 && this.timer === null) {
      this.last = this.now();
      this.fn(...args);
      return;
    }
    this.waiting = args;
    if (this.timer === null) {
      this.timer = this.later(
        () => {
          this.timer = null;
          const next = this.waiting;
          this.waiting = null;
          if (next) {
            this.last = this.now();
            this.fn(...next);
          }
        },
        Math.max(0, wait),
      );
    }
  }

  stop(): void {
    if (this.timer !== null) this.cancel(this.timer);
    this.timer = null;
    this.waiting = null;
  }
}

/** The map point at the centre of a stage of `size` under `zoom`, and the zoom (what a following view shows). */
export function centreOf(zoom: { k: number; tx: number; ty: number }, size: { w: number; h: number }) {
  return { x: (size.w / 2 - zoom.tx) / zoom.k, y: (size.h / 2 - zoom.ty) / zoom.k, zoom: zoom.k };
}

/** The pan and zoom that put map point (`x`, `y`) at the centre of a stage of `size`. */
export function zoomFor(view: { x: number; y: number; zoom: number }, size: { w: number; h: number }) {
  return { k: view.zoom, tx: size.w / 2 - view.x * view.zoom, ty: size.h / 2 - view.y * view.zoom };
}

/** The role of a view of `model`: a room says (its participant link is a participant's); a notebook's are facilitators. */
export function roleOf(model: unknown): Role {
  const room = (model as { room?: { role?: unknown } } | null)?.room;
  if (!room || typeof room !== "object") return "facilitator";
  return room.role === "facilitator" ? "facilitator" : "participant";
}

/** What the workshop needs of its view. */
export interface WorkshopHost {
  root: HTMLElement;
  toolbar: HTMLElement;
  stage: HTMLElement;
  /** The group the walk's ring and the why counts are drawn in (inside the pan and zoom). */
  marks: SVGGElement;
  document(): MapDocument;
  box(id: string): Box | null;
  groupsOf(id: string): SVGGElement[];
  toStage(x: number, y: number): { x: number; y: number };
  /** The view's pan and zoom and its stage's size. */
  zoom(): { k: number; tx: number; ty: number };
  size(): { w: number; h: number };
  setZoom(zoom: { k: number; tx: number; ty: number }): void;
  /** Show a refusal (`target`: the element it is about, if any); `null` clears this module's. */
  refuse(error: EditError | null): void;
  status(text: string): void;
  /** The next seq of the model (shared with the view's edits). */
  seq(): number;
}

type Op = Record<string, unknown> & { op: string };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label: string, ws: string, title: string): HTMLButtonElement {
  const b = el("button", "vsm-btn vsm-ws-btn", label);
  b.type = "button";
  b.dataset.vsmWs = ws;
  b.title = title;
  return b;
}

export class WorkshopLayer {
  readonly role: Role;
  private state: WorkshopState;
  private readonly bar: HTMLDivElement;
  private readonly banner: HTMLDivElement;
  private readonly layer: HTMLDivElement;
  private readonly walkPanel: HTMLDivElement;
  private readonly cleanups: (() => void)[] = [];
  private readonly sent = new Map<number, Op>();
  private readonly viewportThrottle: Throttle<[]>;
  private tick: ReturnType<typeof setInterval> | null = null;
  /** This view switched follow mode on: its pan and zoom go to the others. */
  private leading = false;
  /** A participant stopped following to look around (until they follow again, or follow mode ends). */
  private lookingAround = false;
  private wasFollowing = false;
  private wasLocked = false;
  /** The notebook's bar opened by hand (it opens by itself once the workshop has something on). */
  private opened = false;
  private readonly parts: Record<string, HTMLElement> = {};

  constructor(
    private readonly model: AnyModel<WidgetTraits>,
    private readonly client: string,
    private readonly host: WorkshopHost,
  ) {
    this.role = roleOf(model);
    this.state = readWorkshop(model.get("workshop"));
    this.viewportThrottle = new Throttle(() => this.sendViewport(), VIEWPORT_INTERVAL);
    this.bar = this.buildBar();
    host.toolbar.after(this.bar);
    this.banner = el("div", "vsm-lock-banner");
    this.banner.setAttribute("role", "status");
    this.layer = el("div", "vsm-ws-layer");
    this.walkPanel = this.buildWalkPanel();
    host.stage.append(this.banner, this.layer, this.walkPanel);
    if (this.role === "facilitator" && !this.inRoom()) {
      // The notebook's toolbar opens the workshop's bar (a map edited alone needs none of it).
      const toggle = button("Workshop", "toggle", "Show the workshop's tools: votes, timer, lock, follow mode, walking the stream");
      toggle.setAttribute("aria-pressed", "false");
      this.parts.toggle = toggle;
      host.toolbar.querySelector(".vsm-status")?.before(toggle);
    }

    this.cleanups.push(
      listenTo(model, {
        "change:workshop": () => {
          this.state = readWorkshop(model.get("workshop"));
          this.update();
        },
        "change:presence": () => this.showDots(),
        "msg:custom": (msg: unknown) => this.onMessage(msg),
      }),
    );
    const click = (e: Event) => {
      const b = (e.target as Element).closest<HTMLButtonElement>("[data-vsm-ws]");
      if (b && !b.disabled && host.root.contains(b)) this.action(b.dataset.vsmWs ?? "", b);
    };
    host.root.addEventListener("click", click);
    this.cleanups.push(() => host.root.removeEventListener("click", click));
    this.update();
  }

  destroy(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.viewportThrottle.stop();
    if (this.tick !== null) clearInterval(this.tick);
    this.tick = null;
    this.bar.remove();
    this.banner.remove();
    this.layer.remove();
    this.walkPanel.remove();
    this.parts.toggle?.remove();
  }

  private inRoom(): boolean {
    const room = (this.model as unknown as { room?: unknown }).room;
    return Boolean(room && typeof room === "object");
  }

  /** Whether the workshop's tools are shown: always in a room; in a notebook once opened or in use. */
  private get shown(): boolean {
    const s = this.state;
    return (
      this.inRoom() || this.opened || Boolean(s.timer || s.walk || s.locked || s.following || s.whys.length || Object.keys(s.votes).length)
    );
  }

  // ------------------------------------------------------------------ building

  private buildBar(): HTMLDivElement {
    const bar = el("div", "vsm-workshop");
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Workshop");
    const group = (name: string, label: string) => {
      const g = el("div", `vsm-ws-group vsm-ws-${name}`);
      g.setAttribute("role", "group");
      g.setAttribute("aria-label", label);
      bar.append(g);
      return g;
    };
    const dots = el("span", "vsm-ws-dots");
    dots.dataset.vsmDots = "";
    group("votes", "Dot voting").append(dots);
    this.parts.dots = dots;

    const timer = group("timer", "Timer");
    const shown = el("span", "vsm-ws-clock");
    shown.setAttribute("role", "timer");
    shown.dataset.vsmTimer = "";
    const label = el("span", "vsm-ws-clock-label");
    const time = el("span", "vsm-ws-clock-time");
    shown.append(label, time);
    const pick = el("select", "vsm-ws-select");
    pick.setAttribute("aria-label", "Workshop step the timer is for");
    for (const step of this.state.steps) pick.append(Object.assign(document.createElement("option"), { value: step, textContent: step }));
    const minutes = el("input", "vsm-ws-minutes");
    minutes.type = "number";
    minutes.min = "1";
    minutes.max = String(MAX_MINUTES);
    minutes.value = "10";
    minutes.setAttribute("aria-label", "Minutes");
    const unit = el("span", "vsm-ws-unit", "min");
    timer.append(
      shown,
      pick,
      minutes,
      unit,
      button("Start timer", "timer-start", "Start the timer for the chosen step"),
      button("Pause", "timer-pause", "Hold the timer where it is"),
      button("Resume", "timer-resume", "Run the timer on"),
      button("Stop timer", "timer-stop", "Take the timer away"),
    );
    Object.assign(this.parts, { clock: shown, clockLabel: label, clockTime: time, pick, minutes, unit });

    group("lock", "Lock").append(
      button("Lock map", "lock", "Make the map view only for participants"),
      button("Unlock map", "unlock", "Let participants edit and vote again"),
    );
    const follow = group("follow", "Follow mode");
    const followOn = button("Follow me", "follow-on", "Every participant's view shows what this view shows (for projecting)");
    followOn.setAttribute("aria-pressed", "false");
    const followOff = button("Stop follow mode", "follow-off", "Let every participant pan and zoom on their own");
    followOff.setAttribute("aria-pressed", "true");
    const lead = button("Lead from here", "send-viewport", "Others follow this view (another view was leading)");
    const stop = button("Stop following", "stop-following", "Look around the map on your own; the facilitator's view is not followed");
    const again = button("Follow the facilitator", "follow-again", "Show what the facilitator's view shows again");
    const followNote = el("span", "vsm-ws-note");
    follow.append(followOn, followOff, lead, stop, again, followNote);
    this.parts.followNote = followNote;

    group("walk", "Walk the stream").append(
      button("Walk the stream", "walk-start", "Start a walk at the first step"),
      button("Walk in reverse", "walk-reverse", "Start a walk at the last step (from the customer back)"),
      button("◀ Back", "walk-back", "Go back one step"),
      button("Next ▶", "walk-next", "Go to the next step"),
      button("End walk", "walk-stop", "End the walk (its whys stay)"),
    );
    return bar;
  }

  private buildWalkPanel(): HTMLDivElement {
    const panel = el("div", "vsm-walk-panel");
    panel.setAttribute("role", "region");
    panel.setAttribute("aria-label", "Walk the stream");
    const title = el("div", "vsm-walk-title");
    title.setAttribute("aria-live", "polite");
    const list = el("ol", "vsm-whys");
    list.setAttribute("aria-label", "Whys of this step");
    const empty = el("p", "vsm-whys-empty", "No whys yet: ask why this step is as it is.");
    const form = el("form", "vsm-why-form");
    const input = el("input", "vsm-why-input");
    input.type = "text";
    input.maxLength = WHY_MAX;
    input.placeholder = "Why? (e.g. why does work wait here?)";
    input.setAttribute("aria-label", "Why? Add a why to the current step");
    const add = el("button", "vsm-btn vsm-why-add", "Add why");
    add.type = "submit";
    form.append(input, add);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) {
        this.host.refuse({ target: null, field: "why", reason: "Type a why first.", message: "why: type a why first" });
        return;
      }
      if (!this.joined()) return;
      this.send({ op: "why", step: null, text });
      input.value = "";
    });
    panel.append(title, list, empty, form);
    Object.assign(this.parts, { walkTitle: title, whys: list, whysEmpty: empty, whyInput: input, whyAdd: add });
    return panel;
  }

  // ------------------------------------------------------------------ state to screen

  /** The workshop or the map changed: show it all again. */
  update(): void {
    const s = this.state;
    const shown = this.shown;
    const controls = new Set(controlsFor(this.role, s, this.leading));
    this.bar.hidden = !shown;
    this.parts.toggle?.setAttribute("aria-pressed", String(shown));
    this.host.root.classList.toggle("vsm-ws-on", shown);
    for (const b of this.bar.querySelectorAll<HTMLButtonElement>("[data-vsm-ws]")) {
      const name = b.dataset.vsmWs ?? "";
      let visible = controls.has(name);
      if (name === "stop-following") visible = visible && !this.lookingAround;
      if (name === "follow-again") visible = controls.has("stop-following") && this.lookingAround;
      b.hidden = !visible;
    }
    const facilitating = this.role === "facilitator";
    for (const name of ["pick", "minutes", "unit"]) this.parts[name].hidden = !(facilitating && !s.timer);
    const locked = s.locked && !facilitating;
    this.host.root.classList.toggle("vsm-locked", s.locked);
    this.banner.hidden = !s.locked;
    this.banner.textContent = facilitating
      ? "Map locked: participants can view only (you still edit)"
      : "The facilitator has locked the map: view only";
    this.parts.followNote.textContent =
      s.following && facilitating
        ? this.leading
          ? "Everyone follows this view"
          : "Follow mode is on"
        : s.following && !this.lookingAround
          ? "Following the facilitator"
          : "";
    (this.parts.whyInput as HTMLInputElement).disabled = locked;
    (this.parts.whyAdd as HTMLButtonElement).disabled = locked;
    if (this.wasFollowing && !s.following) {
      // Follow mode ended (here or elsewhere): the next time, everyone follows again.
      this.lookingAround = false;
      this.leading = false;
    }
    this.wasFollowing = s.following;
    // The map was unlocked: a refusal of the lock is no longer news.
    if (this.wasLocked && !s.locked) this.host.refuse(null);
    this.wasLocked = s.locked;
    this.showDots();
    this.showTimer();
    this.draw();
    this.follow();
  }

  private me(): string | null {
    const presence = this.model.get("presence");
    if (!Array.isArray(presence)) return null;
    const own = presence.find((p) => p && typeof p === "object" && (p as { client?: unknown }).client === this.client) as
      | { id?: unknown }
      | undefined;
    return typeof own?.id === "string" ? own.id : null;
  }

  /** Whether this view is someone here (votes and whys are a person's); says what to do if not. */
  private joined(): boolean {
    if (this.me() !== null) return true;
    const reason = "Give your name in the toolbar first: a dot or a why is someone's.";
    this.host.refuse({ target: null, field: "name", reason, message: `name: ${reason}` });
    return false;
  }

  private showDots(): void {
    const s = this.state;
    const me = this.me();
    const used = me ? (s.used[me] ?? 0) : 0;
    const left = Math.max(0, s.dots - used);
    this.parts.dots.textContent = `Dots left: ${left} of ${s.dots}`;
    this.parts.dots.dataset.vsmDots = String(left);
    this.drawVotes();
  }

  private showTimer(): void {
    const timer = this.state.timer;
    this.parts.clock.hidden = !timer;
    if (!timer) {
      if (this.tick !== null) clearInterval(this.tick);
      this.tick = null;
      return;
    }
    this.parts.clockLabel.textContent = timer.label;
    this.showTime();
    if (timer.running && this.tick === null) this.tick = setInterval(() => this.showTime(), 250);
    if (!timer.running && this.tick !== null) {
      clearInterval(this.tick);
      this.tick = null;
    }
  }

  /** The countdown, from `ends_at` by this browser's clock (no message a second). */
  private showTime(): void {
    const timer = this.state.timer;
    if (!timer) return;
    const left = secondsLeft(timer, Date.now() / 1000);
    const text = left <= 0 ? "time is up" : `${countdownText(left)}${timer.running ? "" : " (paused)"}`;
    const time = this.parts.clockTime;
    if (time.textContent !== text) time.textContent = text;
    this.parts.clock.dataset.vsmTimer = left <= 0 ? "up" : timer.running ? "running" : "paused";
    this.parts.clock.setAttribute("aria-label", `Timer: ${timer.label}, ${text}`);
  }

  /** The walk's ring and why counts (on the map), the vote badges and the walk's panel. */
  draw(): void {
    const s = this.state;
    const host = this.host;
    for (const g of host.root.querySelectorAll("[data-vsm-walk]")) g.removeAttribute("data-vsm-walk");
    host.marks.replaceChildren();
    const current = s.walk?.step ?? null;
    if (current) {
      for (const g of host.groupsOf(current)) g.setAttribute("data-vsm-walk", "current");
      const b = host.box(current);
      if (b) {
        svg("rect", { class: "vsm-walk-ring", x: b.x - 7, y: b.y - 7, width: b.w + 14, height: b.h + 14, rx: 6 }, host.marks);
        const tag = svg("g", { class: "vsm-walk-tag" }, host.marks);
        svg("rect", { x: b.x - 7, y: b.y - 25, width: 76, height: 16, rx: 3 }, tag);
        svg("text", { x: b.x - 1, y: b.y - 13 }, tag).textContent = `Walk ${s.walk?.number ?? ""}: here`;
      }
    }
    // A why count above each step that has whys (the chain itself is in the walk's panel).
    const counts = new Map<string, number>();
    for (const why of s.whys) counts.set(why.step, (counts.get(why.step) ?? 0) + 1);
    for (const [step, n] of counts) {
      const b = host.box(step);
      if (!b) continue;
      const tag = svg("g", { class: "vsm-why-count", "data-vsm-whys": step }, host.marks);
      svg("rect", { x: b.x + b.w - 58, y: b.y - 25, width: 58, height: 16, rx: 8 }, tag);
      svg("text", { x: b.x + b.w - 29, y: b.y - 13, "text-anchor": "middle" }, tag).textContent = `${n} ${n === 1 ? "why" : "whys"}`;
    }
    this.drawVotes();
    this.drawWalkPanel();
  }

  private drawVotes(): void {
    const s = this.state;
    const layer = this.layer;
    if (!this.shown) {
      layer.replaceChildren();
      return;
    }
    const me = this.me();
    const locked = s.locked && this.role !== "facilitator";
    const doc = this.host.document();
    const keep = new Set<string>();
    for (const burst of doc.bursts) {
      const b = this.host.box(burst.id);
      if (!b) continue;
      keep.add(burst.id);
      let badge = layer.querySelector<HTMLElement>(`[data-vsm-votes="${CSS.escape(burst.id)}"]`);
      if (!badge) {
        badge = el("div", "vsm-vote");
        badge.dataset.vsmVotes = burst.id;
        badge.setAttribute("role", "group");
        const minus = button("−", "unvote", "");
        const total = el("span", "vsm-vote-total");
        const plus = button("+", "vote", "");
        badge.append(minus, total, plus);
        layer.append(badge);
      }
      const votes = s.votes[burst.id];
      const total = votes?.total ?? 0;
      const mine = me ? (votes?.by[me] ?? 0) : 0;
      const name = burst.text || "this kaizen burst";
      badge.setAttribute("aria-label", `Votes on ${name}`);
      badge.dataset.vsmTotal = String(total);
      badge.classList.toggle("vsm-vote-mine", mine > 0);
      const [minus, count, plus] = badge.children as unknown as [HTMLButtonElement, HTMLElement, HTMLButtonElement];
      count.textContent = `${total} ${total === 1 ? "dot" : "dots"}${mine ? ` (${mine} yours)` : ""}`;
      minus.setAttribute("aria-label", `Take one of your dots back from ${name}`);
      minus.title = "Take one of your dots back";
      minus.disabled = mine === 0 || locked;
      plus.setAttribute("aria-label", `Put one of your dots on ${name}`);
      plus.title = "Put one of your dots here";
      plus.disabled = locked;
      const at = this.host.toStage(b.x + b.w, b.y + b.h);
      const stage = this.host.size();
      // A burst out of view shows no badge (badges pinned to the edge would stand for
      // bursts the coach cannot see, on top of one another).
      badge.classList.toggle("vsm-vote-away", !inView(this.host.toStage(b.x, b.y), at, stage));
      // Kept inside the stage: a burst at the right edge still shows its whole badge.
      const right = stage.w - (badge.offsetWidth || 110) - 4;
      badge.style.transform = `translate(${Math.round(Math.max(4, Math.min(at.x - 24, right)))}px, ${Math.round(at.y + 2)}px)`;
    }
    for (const badge of [...layer.children]) {
      if (!keep.has((badge as HTMLElement).dataset.vsmVotes ?? "")) badge.remove();
    }
  }

  private drawWalkPanel(): void {
    const s = this.state;
    const walk = s.walk;
    this.walkPanel.hidden = !walk;
    if (!walk) return;
    const doc = this.host.document();
    const steps = doc.stream.filter((item) => item.type === "process");
    const branchSteps = (doc.branches ?? []).flatMap((b) => (b.items ?? []).filter((item) => item.type === "process"));
    const all = walk.direction === "reverse" ? [...steps, ...branchSteps].reverse() : [...steps, ...branchSteps];
    const at = all.findIndex((step) => step.id === walk.step);
    const step = at >= 0 ? all[at] : null;
    const name = (step as { name?: unknown } | null)?.name;
    const title = step
      ? `Walk ${walk.number}${walk.direction === "reverse" ? " (in reverse)" : ""}: step ${at + 1} of ${all.length}, ${typeof name === "string" && name ? name : step.id}`
      : `Walk ${walk.number}: the map has no steps`;
    this.parts.walkTitle.textContent = title;
    this.walkPanel.dataset.vsmWalkStep = walk.step ?? "";
    const whys = s.whys.filter((w) => w.step === walk.step);
    const list = this.parts.whys;
    list.replaceChildren(
      ...whys.map((why) => {
        const item = el("li", "vsm-why");
        item.dataset.vsmWhy = why.id;
        item.append(el("span", "vsm-why-text", why.text));
        const by = [why.author, why.walk ? `walk ${why.walk}` : ""].filter(Boolean).join(", ");
        if (by) item.append(el("span", "vsm-why-by", ` (${by})`));
        return item;
      }),
    );
    this.parts.whysEmpty.hidden = whys.length > 0;
  }

  // ------------------------------------------------------------------ follow mode

  /** The view panned or zoomed: a leading facilitator's goes to the others; the badges move with the map. */
  viewChanged(): void {
    this.drawVotes();
    // Leading from the click on, before Python's answer turns follow mode on here too.
    if (this.role === "facilitator" && this.leading) this.viewportThrottle.call();
    // A following view keeps the facilitator's view through a resize or a reveal of its
    // selection (looking around is what "Stop following" is for).
    else this.follow();
  }

  private sendViewport(): void {
    if (!(this.role === "facilitator" && this.leading)) return;
    const view = centreOf(this.host.zoom(), this.host.size());
    if (![view.x, view.y, view.zoom].every(Number.isFinite)) return;
    this.send({ op: "viewport", x: Math.round(view.x * 10) / 10, y: Math.round(view.y * 10) / 10, zoom: view.zoom });
  }

  /** A participant following the facilitator shows what the facilitator's view shows. */
  private follow(): void {
    const s = this.state;
    if (this.role !== "participant" || !s.following || this.lookingAround || !s.viewport) return;
    const target = zoomFor(s.viewport, this.host.size());
    const now = this.host.zoom();
    if (Math.abs(target.k - now.k) < 1e-4 && Math.abs(target.tx - now.tx) < 0.5 && Math.abs(target.ty - now.ty) < 0.5) return;
    this.host.setZoom(target);
  }

  // ------------------------------------------------------------------ sending

  private action(name: string, b: HTMLButtonElement): void {
    const s = this.state;
    switch (name) {
      case "toggle":
        this.opened = !this.shown;
        this.update();
        return;
      case "vote":
      case "unvote": {
        if (!this.joined()) return;
        const burst = b.closest<HTMLElement>("[data-vsm-votes]")?.dataset.vsmVotes;
        if (burst) this.send({ op: name, burst });
        return;
      }
      case "lock":
      case "unlock":
      case "timer-pause":
      case "timer-resume":
      case "timer-stop":
      case "walk-back":
      case "walk-next":
      case "walk-stop":
        this.send({ op: name.replace("-", "_") });
        return;
      case "timer-start": {
        const minutes = Number((this.parts.minutes as HTMLInputElement).value);
        if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_MINUTES) {
          this.host.refuse({
            target: null,
            field: "minutes",
            reason: `The timer runs for more than 0 and at most ${MAX_MINUTES} minutes.`,
            message: "",
          });
          return;
        }
        this.send({ op: "timer_start", label: (this.parts.pick as HTMLSelectElement).value, minutes });
        return;
      }
      case "walk-start":
      case "walk-reverse":
        this.send({ op: "walk_start", direction: name === "walk-start" ? "forward" : "reverse" });
        return;
      case "follow-on":
      case "send-viewport":
        this.leading = true;
        if (!s.following) this.send({ op: "follow", on: true });
        this.sendViewportNow();
        this.update();
        return;
      case "follow-off":
        this.leading = false;
        this.send({ op: "follow", on: false });
        return;
      case "stop-following":
        this.lookingAround = true;
        this.update();
        this.host.status("You are looking around on your own; Follow the facilitator brings their view back.");
        return;
      case "follow-again":
        this.lookingAround = false;
        this.host.status("");
        this.update();
        return;
    }
  }

  private sendViewportNow(): void {
    this.viewportThrottle.stop();
    const view = centreOf(this.host.zoom(), this.host.size());
    this.send({ op: "viewport", x: Math.round(view.x * 10) / 10, y: Math.round(view.y * 10) / 10, zoom: view.zoom });
  }

  private send(op: Op): void {
    const seq = this.host.seq();
    this.sent.set(seq, op);
    this.model.send({ kind: "workshop", seq, client: this.client, ...op });
  }

  private onMessage(msg: unknown): void {
    const m = msg as { kind?: unknown; client?: unknown; seq?: unknown; ok?: unknown; error?: EditError } | null;
    if (m?.kind !== "workshop_result" || m.client !== this.client || typeof m.seq !== "number") return;
    const op = this.sent.get(m.seq);
    this.sent.delete(m.seq);
    if (!op) return;
    if (m.ok) {
      if (op.op !== "viewport") this.host.refuse(null);
      return;
    }
    const error = m.error ?? { field: op.op, reason: "refused" };
    // A vote's refusal shows at its burst; any other at the corner of the canvas.
    const target = typeof op.burst === "string" ? op.burst : null;
    this.host.refuse({ ...error, target, message: error.message ?? "" });
  }
}
