// @vitest-environment happy-dom
import type { AnyModel } from "@anywidget/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import fields from "./fields.fixture.json";
import type { SceneNode } from "./scene";
import { stampingDocument, stampingScene } from "./stamping.fixture";
import type { MapDocument, ProcessItem, WidgetTraits } from "./types";
import widget from "./widget";

type Handler = (...args: unknown[]) => void;

/** A stand-in for the anywidget model: traits, change events, custom messages. */
class MockModel {
  traits: Record<string, unknown>;
  handlers = new Map<string, Set<Handler>>();
  sent: Record<string, unknown>[] = [];
  saves = 0;

  constructor(doc: MapDocument = stampingDocument()) {
    this.traits = {
      document: doc,
      scene: stampingScene(doc),
      selection: [],
      error: {},
      history: { can_undo: false, can_redo: false },
      height: 500,
      revision: 0,
      fields,
    };
  }
  get(key: string) {
    return this.traits[key];
  }
  set(key: string, value: unknown) {
    this.traits[key] = value;
    for (const h of this.handlers.get(`change:${key}`) ?? []) h();
  }
  on(event: string, cb: Handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(cb);
  }
  off(event?: string | null, cb?: Handler | null) {
    if (!event) this.handlers.clear();
    else if (!cb) this.handlers.delete(event);
    else this.handlers.get(event)?.delete(cb);
  }
  listenerCount() {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
  /** Every message as sent; `sent` leaves out the envelope's client and person (tested apart). */
  raw: Record<string, unknown>[] = [];
  send(content: Record<string, unknown>) {
    this.raw.push(content);
    const { client: _client, person: _person, ...rest } = content;
    this.sent.push(rest);
  }
  save_changes() {
    this.saves++;
  }
  /** Python's answer to an edit. */
  reply(msg: Record<string, unknown>) {
    for (const h of this.handlers.get("msg:custom") ?? []) h(msg, []);
  }
  widget_manager = { get_model: async () => this as unknown as AnyModel };
}

const frame = () => new Promise((resolve) => setTimeout(resolve, 40));

/** Python's patch after a step's C/T became `seconds` (its document only), once drawn. */
async function answerCycleTime(id: string, seconds: number) {
  const doc = stampingDocument();
  const step = doc.stream.find((item) => item.type === "process" && item.id === id);
  if (step?.type !== "process") throw new Error(`no ${id} in the fixture`);
  step.cycle_time = seconds;
  model.reply({
    kind: "patch",
    scene: { upsert: [], remove: [], bounds: [0, 0, 1700, 640], title: doc.title },
    document: { top: {}, lists: { stream: { upsert: [step], remove: [] } } },
  });
  await frame();
}

let el: HTMLElement;
let model: MockModel;
let cleanup: (() => void) | undefined;

async function mount(doc?: MapDocument, rev?: number) {
  model = new MockModel(doc);
  if (rev !== undefined) model.traits.scene = { ...(model.traits.scene as object), rev };
  el = document.createElement("div");
  document.body.appendChild(el);
  const render = widget.render;
  const result = await render({
    model: model as unknown as AnyModel<WidgetTraits>,
    el,
    signal: new AbortController().signal,
    host: {} as never,
    experimental: {} as never,
  });
  cleanup = typeof result === "function" ? (result as () => void) : undefined;
}

const count = (kind: string) => el.querySelectorAll(`[data-vsm-kind="${kind}"]`).length;
const key = (target: Element, init: KeyboardEventInit) =>
  target.dispatchEvent(new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init }));

beforeEach(async () => {
  await mount();
});

afterEach(() => {
  cleanup?.();
  el.remove();
});

describe("drawing the scene", () => {
  it("draws one group per node, with the canvas's hooks and an accessible name", () => {
    expect(el.querySelector(".vsm-canvas")).not.toBeNull();
    expect(count("process")).toBe(5);
    expect(count("inventory")).toBe(6);
    expect(count("push")).toBe(6);
    expect(count("rung")).toBe(11);
    const rungs = [...el.querySelectorAll('[data-vsm-kind="rung"]')].map((r) => r.getAttribute("data-vsm-id"));
    expect(rungs).toEqual(["g1", "p1", "g2", "p2", "g3", "p3", "g4", "p4", "g5", "p5", "g6"]);
    const weld = el.querySelector('[data-vsm-node="p2"]');
    expect(weld?.getAttribute("data-vsm-id")).toBe("p2");
    expect(weld?.getAttribute("role")).toBe("button");
    expect(weld?.getAttribute("aria-roledescription")).toBe("process box");
    expect(weld?.getAttribute("aria-label")).toBe("Process S.Weld 1");
    expect(weld?.querySelector('[data-vsm-field="cycle_time"]')?.textContent).toBe("39 s");
    // Patterns and markers get ids of this view.
    const fill = el.querySelector('[data-vsm-node="g1/flow"] .vsm-push')?.getAttribute("fill") ?? "";
    expect(fill).toMatch(/^url\(#vsm\d+-stripes\)$/);
    expect(el.querySelector(fill.slice(4, -1))).not.toBeNull();
  });

  it("writes user text as text and refuses tags and attributes a scene may not use", async () => {
    const scene = stampingScene();
    const evil = "<img src=x onerror=alert(1)>";
    scene.nodes.push({
      key: "hostile",
      id: "p1",
      kind: "process",
      layer: "nodes",
      box: [0, 0, 10, 10],
      label: evil,
      shapes: [
        { t: "text", x: 0, y: 0, text: evil, c: "vsm-name" },
        { t: "script", text: "alert(1)" },
        { t: "image", href: "x" },
        { t: "rect", x: 0, y: 0, width: 5, height: 5, onclick: "alert(1)", href: "javascript:alert(1)", style: "fill:red" },
      ],
    });
    model.set("scene", scene);
    await frame();
    const node = el.querySelector('[data-vsm-node="hostile"]') as Element;
    expect(node.querySelector("img, script, image")).toBeNull();
    expect(node.querySelector("text")?.textContent).toBe(evil);
    const rect = node.querySelector("rect") as Element;
    expect(rect.getAttribute("onclick")).toBeNull();
    expect(rect.getAttribute("href")).toBeNull();
    expect(rect.getAttribute("style")).toBeNull();
    expect(node.getAttribute("aria-label")).toBe(evil);
  });

  it("applies a patch by key: only the changed nodes are drawn again", async () => {
    const untouched = el.querySelector('[data-vsm-node="p1"]');
    const changed = el.querySelector('[data-vsm-node="p2"]');
    const scene = stampingScene();
    const p2 = scene.nodes.find((n) => n.key === "p2") as SceneNode;
    const text = p2.shapes.find((s) => s.f === "cycle_time");
    if (text) text.text = "35 s";
    const doc = stampingDocument();
    const step = doc.stream[3];
    if (step.type === "process") step.cycle_time = 35;
    model.reply({
      kind: "patch",
      scene: { upsert: [p2], remove: ["g6/rung"], bounds: scene.bounds, title: scene.title },
      document: { top: {}, lists: { stream: { upsert: [step], remove: [] } } },
    });
    await frame();
    expect(el.querySelector('[data-vsm-node="p1"]')).toBe(untouched);
    const redrawn = el.querySelector('[data-vsm-node="p2"]');
    expect(redrawn).not.toBe(changed);
    expect(redrawn?.querySelector('[data-vsm-field="cycle_time"]')?.textContent).toBe("35 s");
    expect(el.querySelector('[data-vsm-node="g6/rung"]')).toBeNull();
    // The document patch reached the details panel too.
    model.set("selection", ["p2"]);
    expect(el.querySelector<HTMLInputElement>('[data-vsm-row="p2:cycle_time"] input')?.value).toBe("35 s");
  });

  it("keeps the groups of unchanged nodes when the scene arrives whole", async () => {
    const before = el.querySelector('[data-vsm-node="p3"]');
    model.set("scene", stampingScene());
    await frame();
    expect(el.querySelector('[data-vsm-node="p3"]')).toBe(before);
  });

  it("takes the dark palette with a dark JupyterLab theme", async () => {
    const root = el.querySelector(".vsm-canvas") as HTMLElement;
    expect(root.classList.contains("vsm-dark")).toBe(false);
    document.body.dataset.jpThemeLight = "false";
    await frame();
    expect(root.classList.contains("vsm-dark")).toBe(true);
    document.body.dataset.jpThemeLight = "true";
    await frame();
    expect(root.classList.contains("vsm-dark")).toBe(false);
    delete document.body.dataset.jpThemeLight;
  });
});

describe("editing", () => {
  const button = (action: string) => el.querySelector<HTMLButtonElement>(`[data-vsm-action="${action}"]`);
  const root = () => el.querySelector(".vsm-canvas") as HTMLElement;
  const answer = (extra: Record<string, unknown> = {}) =>
    model.reply({ kind: "result", seq: (model.sent.at(-1) as { seq: number }).seq, ok: true, ...extra });

  it("sends toolbar edits with an increasing seq, naming places by id", () => {
    for (const action of [
      "add-process",
      "add-inventory",
      "add-wait",
      "add-burst",
      "add-flow",
      "delete",
      "undo",
      "redo",
      "fit",
      "zoom-in",
      "zoom-out",
      "layout",
    ])
      expect(button(action), action).not.toBeNull();
    button("add-process")?.click();
    button("layout")?.click();
    expect(model.sent).toEqual([
      { kind: "edit", seq: 1, op: "add_process", after: null, before: null, name: null },
      { kind: "edit", seq: 2, op: "layout" },
    ]);
    // After an add, focus is on the canvas: Enter edits the new element, not another add.
    expect(document.activeElement).toBe(root());
  });

  it("writes back the revision of its own accepted edits, for hosts that re-run on page updates", () => {
    const add = () => {
      el.querySelector<HTMLButtonElement>('[data-vsm-action="add-process"]')?.click();
      return (model.sent.at(-1) as { seq: number }).seq;
    };
    // Accepted and committed: Python sends the new revision, then the result.
    let seq = add();
    model.set("revision", 1);
    model.reply({ kind: "result", seq, ok: true });
    expect(model.saves).toBe(1);
    expect(model.traits.revision).toBe(1);
    // Refused: nothing was committed, nothing to announce.
    seq = add();
    model.reply({ kind: "result", seq, ok: false, error: { target: null, field: "name", reason: "taken", message: "" } });
    // Accepted but nothing changed (the same value typed again): the revision stayed.
    seq = add();
    model.reply({ kind: "result", seq, ok: true });
    // Another view's edit (a seq this view never sent): that view announces it.
    model.set("revision", 2);
    model.reply({ kind: "result", seq: seq + 100, ok: true });
    // The same result twice: announced once.
    seq = add();
    model.set("revision", 3);
    model.reply({ kind: "result", seq, ok: true });
    model.reply({ kind: "result", seq, ok: true });
    expect(model.saves).toBe(2);
    expect(model.traits.revision).toBe(3);
  });

  it("selects on click, adds with shift-click, and adds after the selection", () => {
    const p2 = el.querySelector('[data-vsm-node="p2"] .vsm-head') as Element;
    const g3 = el.querySelector('[data-vsm-node="g3"] path') as Element;
    const svg = el.querySelector("svg") as SVGSVGElement;
    // Two elements are two places on the screen (a second press at the same place is a double-click).
    const click = (target: Element, x: number, shiftKey = false) => {
      target.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true, button: 0, pointerId: 1, clientX: x, clientY: 10, shiftKey }));
      svg.dispatchEvent(new PointerEvent("pointerup", { bubbles: true, button: 0, pointerId: 1, clientX: x, clientY: 10, shiftKey }));
    };
    click(p2, 10);
    expect(model.traits.selection).toEqual(["p2"]);
    click(g3, 200, true);
    expect(model.traits.selection).toEqual(["p2", "g3"]);
    expect(model.saves).toBe(2);
    button("add-process")?.click();
    // g3 is the later of the two: the new step goes right after it.
    expect(model.sent.at(-1)).toMatchObject({ op: "add_process", after: "g3", before: null });
    button("add-flow")?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "add_flow", source: "p2", target: "g3", medium: "manual" });
    expect(el.querySelector('[data-vsm-node="p2"]')?.classList.contains("vsm-selected")).toBe(true);
    // Every node of a selected element is marked: its rung too.
    expect(el.querySelector('[data-vsm-node="p2/rung"]')?.classList.contains("vsm-selected")).toBe(true);
  });

  it("selects what its own add created, from the result", () => {
    button("add-process")?.click();
    answer({ created: ["p9"] });
    expect(model.traits.selection).toEqual(["p9"]);
    // Someone else's add (a result this view did not ask for) selects nothing here.
    model.set("selection", []);
    model.reply({ kind: "result", seq: 99, ok: true, created: ["p10"] });
    expect(model.traits.selection).toEqual([]);
  });

  it("adds from the keyboard, after or (with Shift) before the selection", () => {
    model.set("selection", ["p1"]);
    key(root(), { key: "w", shiftKey: true });
    key(root(), { key: "p" });
    key(root(), { key: "i" });
    expect(model.sent.map(({ op, after, before }) => ({ op, after, before }))).toEqual([
      { op: "add_wait", after: null, before: "p1" },
      { op: "add_process", after: "p1", before: null },
      { op: "add_inventory", after: "p1", before: null },
    ]);
  });

  it("adds before or after an element from the details panel, in one action", () => {
    model.set("selection", ["p1"]);
    el.querySelector<HTMLButtonElement>('.vsm-inspector [data-vsm-insert="before:wait"]')?.click();
    el.querySelector<HTMLButtonElement>('.vsm-inspector [data-vsm-insert="after:process"]')?.click();
    expect(model.sent).toEqual([
      { kind: "edit", seq: 1, op: "add_wait", after: null, before: "p1", wait_time: null },
      { kind: "edit", seq: 2, op: "add_process", after: "p1", before: null, name: null },
    ]);
  });

  it("handles keys itself and keeps them from the notebook", () => {
    const outside: string[] = [];
    const onKey = (e: Event) => outside.push((e as KeyboardEvent).key);
    document.body.addEventListener("keydown", onKey);
    expect(root().tabIndex).toBe(0);
    key(root(), { key: "z", ctrlKey: true });
    key(root(), { key: "z", ctrlKey: true, shiftKey: true });
    key(root(), { key: "y", ctrlKey: true });
    key(root(), { key: "Z", metaKey: true, shiftKey: true });
    key(root(), { key: "a" });
    document.body.removeEventListener("keydown", onKey);
    expect(outside).toEqual([]);
    expect(model.sent.map((m) => m.op)).toEqual(["undo", "redo", "redo", "redo"]);
  });

  it("walks the stream with ] and [ and jumps with Home and End", () => {
    key(root(), { key: "]" });
    expect(model.traits.selection).toEqual(["g1"]);
    key(root(), { key: "]" });
    expect(model.traits.selection).toEqual(["p1"]);
    key(root(), { key: "End" });
    expect(model.traits.selection).toEqual(["g6"]);
    key(root(), { key: "[" });
    expect(model.traits.selection).toEqual(["p5"]);
    expect(model.sent).toEqual([]);
  });

  it("walks every drawn element with N and Shift+N, in reading order, and says which", () => {
    const doc = model.traits.document as MapDocument;
    // The fixture's scene draws the customer, the stream and the bursts (no supplier or
    // production control): N goes through those, the customer first.
    const drawn = ["customer", ...doc.stream.map((item) => item.id), ...doc.bursts.map((burst) => burst.id)];
    key(root(), { key: "n" });
    expect(model.traits.selection).toEqual(["customer"]);
    expect(el.querySelector(".vsm-status")?.textContent).toBe(`Customer ${doc.customer.name}: 1 of ${drawn.length}`);
    key(root(), { key: "n" });
    expect(model.traits.selection).toEqual([drawn[1]]);
    key(root(), { key: "N", shiftKey: true });
    key(root(), { key: "N", shiftKey: true });
    // Before the first comes the last: the walk goes round.
    expect(model.traits.selection).toEqual([drawn.at(-1)]);
    expect(model.sent).toEqual([]);
  });

  it("draws an information flow by keyboard: F opens a menu of the other ends at the selection", async () => {
    model.set("selection", ["customer"]);
    root().focus();
    key(root(), { key: "f" });
    const menu = el.querySelector(".vsm-flow-menu") as HTMLElement;
    expect(menu.hidden).toBe(false);
    expect(menu.getAttribute("aria-label")).toBe("Information flow from Customer State Street Assembly to");
    const items = [...menu.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    // Every process, in stream order; never the customer itself, a gap or a burst.
    const doc = model.traits.document as MapDocument;
    const steps = doc.stream.filter((item) => item.type === "process");
    expect(items.map((item) => item.dataset.vsmFlowTo)).toEqual(steps.map((step) => step.id));
    expect(items[0].textContent).toBe(`→ Process ${steps[0].name}`);
    expect(document.activeElement).toBe(items[0]);
    key(items[0], { key: "ArrowDown" });
    expect(document.activeElement).toBe(items[1]);
    // Keys in the menu act on the menu alone: no Delete, move or add reaches the map.
    for (const pressed of ["Delete", "ArrowLeft", "p", "n", "]"]) key(items[1], { key: pressed });
    expect(model.sent).toEqual([]);
    expect(model.traits.selection).toEqual(["customer"]);
    (document.activeElement as HTMLButtonElement).click();
    expect(model.sent.at(-1)).toMatchObject({ op: "add_flow", source: "customer", target: steps[1].id, medium: "manual" });
    expect(menu.hidden).toBe(true);
    // Focus is back on the map, so that the next key acts there.
    expect(root().contains(document.activeElement)).toBe(true);
    expect(menu.contains(document.activeElement)).toBe(false);
    // The status line says the flow is on its way, then that it is drawn.
    const status = () => el.querySelector(".vsm-status")?.textContent;
    const between = `from Customer State Street Assembly to Process ${steps[1].name}`;
    expect(status()).toBe(`Drawing an information flow ${between}…`);
    model.reply({ kind: "result", seq: (model.sent.at(-1) as { seq: number }).seq, ok: true });
    expect(status()).toBe(`Information flow drawn ${between}.`);
    // Escape closes it without drawing anything, and focus goes back to the map.
    key(root(), { key: "f" });
    const sent = model.sent.length;
    key(menu.querySelector("button") as HTMLButtonElement, { key: "Escape" });
    expect(menu.hidden).toBe(true);
    expect(model.sent.length).toBe(sent);
    expect(menu.contains(document.activeElement)).toBe(false);
    expect(root().contains(document.activeElement)).toBe(true);
    // A menu whose ends changed meanwhile (a step removed elsewhere) closes.
    key(root(), { key: "f" });
    expect(menu.hidden).toBe(false);
    const fewer = stampingDocument();
    const gone = fewer.stream.findIndex((item) => item.id === steps[0].id);
    fewer.stream.splice(gone, 1);
    model.set("scene", stampingScene(fewer));
    model.set("document", fewer);
    await frame();
    expect(menu.hidden).toBe(true);
    // A gap is no end of a flow: the status line says what can be.
    model.set("selection", ["g1"]);
    key(root(), { key: "f" });
    expect(menu.hidden).toBe(true);
    expect(el.querySelector(".vsm-status")?.textContent).toMatch(/^Select the customer/);
  });

  it("keeps keyboard focus on the selected element: one tab stop, aria-current, and it follows ] and [", async () => {
    root().focus();
    key(root(), { key: "]" });
    const g1 = el.querySelector('[data-vsm-node="g1"]') as SVGGElement;
    expect(document.activeElement).toBe(g1);
    expect(g1.getAttribute("aria-current")).toBe("true");
    expect(g1.tabIndex).toBe(0);
    // Keys typed on the element act on the map, as on the canvas.
    key(g1, { key: "]" });
    const p1 = el.querySelector('[data-vsm-node="p1"]') as SVGGElement;
    expect(document.activeElement).toBe(p1);
    expect([g1.tabIndex, g1.getAttribute("aria-current")]).toEqual([-1, null]);
    expect([...el.querySelectorAll('[aria-current="true"]')]).toEqual([p1]);
    expect([...el.querySelectorAll('.vsm-svg [tabindex="0"]')]).toEqual([p1]);
    // A redraw that replaces the focused group keeps focus on the element.
    const doc = stampingDocument();
    (doc.stream[1] as { name: string }).name = "Press";
    model.set("scene", stampingScene(doc));
    await frame();
    const redrawn = el.querySelector('[data-vsm-node="p1"]') as SVGGElement;
    expect(redrawn).not.toBe(p1);
    expect(document.activeElement).toBe(redrawn);
    // Clearing the selection gives focus back to the canvas.
    key(redrawn, { key: "Escape" });
    expect(document.activeElement).toBe(root());
  });

  it("never takes focus from the notebook when Python selects", () => {
    const outside = document.createElement("input");
    document.body.appendChild(outside);
    outside.focus();
    model.set("selection", ["p2"]);
    expect(document.activeElement).toBe(outside);
    outside.remove();
  });

  it("clears the status line with the next edit, an undo or a redo by key too", () => {
    const status = el.querySelector(".vsm-status") as HTMLElement;
    key(root(), { key: "End" });
    expect(status.textContent).toBe("11 of 11");
    key(root(), { key: "z", ctrlKey: true });
    expect(model.sent.at(-1)).toMatchObject({ op: "undo" });
    expect(status.textContent).toBe("");
    key(root(), { key: "Home" });
    expect(status.textContent).toBe("1 of 11");
    key(root(), { key: "y", ctrlKey: true });
    expect(status.textContent).toBe("");
  });

  it("deletes the selection with Delete", () => {
    model.set("selection", ["p3", "g2"]);
    key(root(), { key: "Delete" });
    expect(model.sent).toEqual([
      { kind: "edit", seq: 1, op: "remove", id: "p3" },
      { kind: "edit", seq: 2, op: "remove", id: "g2" },
    ]);
    expect(model.traits.selection).toEqual([]);
  });

  it("edits a drawn field in place: Enter sends, Escape cancels", () => {
    const field = el.querySelector('[data-vsm-node="p2"] [data-vsm-field="cycle_time"]') as Element;
    field.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    const input = el.querySelector<HTMLInputElement>("input.vsm-inline");
    expect(input?.hidden).toBe(false);
    expect(input?.value).toBe("39 s");
    if (!input) return;
    input.value = "45 s";
    key(input, { key: "Enter" });
    expect(input.hidden).toBe(true);
    expect(model.sent).toEqual([{ kind: "edit", seq: 1, op: "update", id: "p2", field: "cycle_time", value: "45 s" }]);
    field.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    input.value = "99 s";
    key(input, { key: "Escape" });
    expect(input.hidden).toBe(true);
    expect(model.sent.length).toBe(1);
  });

  it("edits what the first press of a double-click hit, even when the map moved in between", () => {
    const field = el.querySelector('[data-vsm-node="p2"] [data-vsm-field="cycle_time"]') as Element;
    const frame = el.querySelector('[data-vsm-node="p2"] .vsm-head') as Element;
    const svg = el.querySelector("svg") as SVGSVGElement;
    const at = { bubbles: true, button: 0, pointerId: 1, clientX: 300, clientY: 200 };
    // The first click opens the details panel and the map makes room: the second press
    // lands on the step's head, beside the field aimed at.
    field.dispatchEvent(new PointerEvent("pointerdown", at));
    svg.dispatchEvent(new PointerEvent("pointerup", at));
    expect(model.traits.selection).toEqual(["p2"]);
    frame.dispatchEvent(new PointerEvent("pointerdown", { ...at, clientX: 302 }));
    svg.dispatchEvent(new PointerEvent("pointerup", { ...at, clientX: 302 }));
    frame.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    const input = el.querySelector<HTMLInputElement>("input.vsm-inline");
    expect(input?.hidden).toBe(false);
    expect(input?.dataset.vsmField).toBe("cycle_time");
    expect(input?.value).toBe("39 s");
  });

  it("opens a wait's time, not its quantity, with Enter", () => {
    const doc = stampingDocument();
    const gap = doc.stream[0] as { quantity: number | null };
    gap.quantity = null;
    model.set("document", doc);
    model.set("selection", ["g1"]);
    key(root(), { key: "Enter" });
    expect(el.querySelector<HTMLInputElement>("input.vsm-inline")?.dataset.vsmField).toBe("wait_time");
  });

  it("opens the main field with Enter on a selected element", () => {
    model.set("selection", ["g2"]);
    key(root(), { key: "Enter" });
    const input = el.querySelector<HTMLInputElement>("input.vsm-inline");
    expect(input?.hidden).toBe(false);
    expect(input?.value).toBe("7000");
  });

  it("edits any field in the details panel, and selects the old value on focus", () => {
    expect(root().classList.contains("vsm-insp-open")).toBe(false);
    button("inspector")?.click();
    expect(root().classList.contains("vsm-insp-open")).toBe(true);
    const demand = el.querySelector<HTMLInputElement>('[data-vsm-row="customer:demand"] input');
    expect(demand?.value).toBe("18400");
    if (!demand) return;
    demand.focus();
    // Typing replaces the value rather than adding to it.
    expect([demand.selectionStart, demand.selectionEnd]).toEqual([0, 5]);
    demand.value = "20000";
    key(demand, { key: "Enter" });
    expect(model.sent.at(-1)).toEqual({ kind: "edit", seq: 1, op: "update", id: "customer", field: "demand", value: "20000" });
    const sent = model.sent.length;
    demand.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.sent.length).toBe(sent);
    model.set("selection", ["p1"]);
    const cls = el.querySelector<HTMLSelectElement>('[data-vsm-row="p1:value_class"] select');
    expect(cls?.value).toBe("value-adding");
    if (!cls) return;
    cls.value = "waste";
    cls.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.sent.at(-1)).toMatchObject({ op: "update", id: "p1", field: "value_class", value: "waste" });
  });

  it("keeps what is being typed when a new document arrives, and sends nothing until Enter", async () => {
    model.set("selection", ["p2"]);
    const input = () => el.querySelector<HTMLInputElement>('[data-vsm-row="p2:changeover"] input');
    const box = input();
    if (!box) throw new Error("no changeover input");
    box.focus();
    box.value = "12 min";
    const doc = stampingDocument();
    doc.title = "Renamed";
    model.set("document", doc);
    await frame();
    // The panel shows the same fields: it keeps its inputs, and what is being typed.
    expect(input()).toBe(box);
    expect(input()?.value).toBe("12 min");
    expect(model.sent).toEqual([]);
    // A redraw that does take the input out (another element selected and back) is not the
    // user committing either.
    model.set("selection", ["p3"]);
    box.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.sent).toEqual([]);
    model.set("selection", ["p2"]);
    input()?.focus();
    (input() as HTMLInputElement).value = "12 min";
    key(input() as HTMLInputElement, { key: "Enter" });
    expect(model.sent.at(-1)).toMatchObject({ op: "update", id: "p2", field: "changeover", value: "12 min" });
  });

  /** The selected step p2's C/T input, focused, and the text it started with. */
  const cycleTimeOfP2 = (): [HTMLInputElement, string] => {
    model.set("selection", ["p2"]);
    const box = el.querySelector<HTMLInputElement>('[data-vsm-row="p2:cycle_time"] input');
    if (!box) throw new Error("no cycle time input");
    box.focus();
    return [box, box.value];
  };
  /** Text typed into an input, as the browser reports typing. */
  const typeIn = (box: HTMLInputElement, text: string) => {
    box.value = text;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  };

  it("keeps what is typed after an Enter even when it reads as the field's old value", async () => {
    const [box, old] = cycleTimeOfP2();
    typeIn(box, "45 s");
    key(box, { key: "Enter" });
    expect(model.sent.at(-1)).toMatchObject({ op: "update", id: "p2", field: "cycle_time", value: "45 s" });
    // The user types the old value back before Python's answer to the first edit is drawn.
    typeIn(box, old);
    await answerCycleTime("p2", 45);
    // The panel drew the first edit's answer, and kept what was typed since.
    expect(box.dataset.vsmInitial).toBe("45 s");
    expect(box.value).toBe(old);
    key(box, { key: "Enter" });
    expect(model.sent.at(-1)).toMatchObject({ op: "update", id: "p2", field: "cycle_time", value: old });
  });

  it("shows another view's value in a field typed in and left unchanged", async () => {
    const [box, old] = cycleTimeOfP2();
    // Typed over with the same text, then Enter: nothing to send, nothing waiting.
    typeIn(box, old);
    key(box, { key: "Enter" });
    expect(model.sent).toEqual([]);
    await answerCycleTime("p2", 50);
    expect(box.value).toBe("50 s");
  });

  it("brings the details panel up to date in place: the same inputs, focus kept, new values", async () => {
    model.set("selection", ["p2"]);
    const input = () => el.querySelector<HTMLInputElement>('[data-vsm-row="p2:cycle_time"] input');
    const box = input();
    box?.focus();
    const doc = stampingDocument();
    const step = doc.stream[3];
    if (step.type === "process") step.cycle_time = 35;
    model.reply({
      kind: "patch",
      scene: { upsert: [], remove: [], bounds: [0, 0, 1700, 640], title: doc.title },
      document: { top: {}, lists: { stream: { upsert: [step], remove: [] } } },
    });
    await frame();
    expect(input()).toBe(box);
    expect(document.activeElement).toBe(box);
    expect(box?.value).toBe("35 s");
    // Enter on the value Python sent sends nothing (it is what the field holds).
    key(box as HTMLInputElement, { key: "Enter" });
    expect(model.sent).toEqual([]);
  });

  it("closes the details panel when asked, and opens it again from the toolbar", () => {
    model.set("selection", ["p1"]);
    expect(root().classList.contains("vsm-insp-open")).toBe(true);
    el.querySelector<HTMLButtonElement>(".vsm-insp-close")?.click();
    expect(root().classList.contains("vsm-insp-open")).toBe(false);
    // A new selection does not bring it back over the map…
    model.set("selection", ["p2"]);
    expect(root().classList.contains("vsm-insp-open")).toBe(false);
    // …the Details button does.
    button("inspector")?.click();
    expect(root().classList.contains("vsm-insp-open")).toBe(true);
  });

  it("moves steps and gaps along the stream from the details panel and with Alt+arrows", () => {
    const shift = (step: string) => el.querySelector<HTMLButtonElement>(`.vsm-inspector [data-vsm-shift="${step}"]`);
    model.set("selection", ["p1"]);
    expect(shift("-1")?.disabled).toBe(true);
    shift("1")?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "p1", other: "p2" });
    const sent = model.sent.length;
    shift("1")?.click();
    expect(model.sent.length).toBe(sent);
    answer();
    model.set("selection", ["g2"]);
    shift("-1")?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "g2", other: "g1" });
    answer();
    model.set("selection", ["p3"]);
    key(root(), { key: "ArrowLeft", altKey: true });
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "p3", other: "p2" });
  });

  it("moves a branch's steps along their branch, by key and from the panel, never by pixels", async () => {
    const doc = stampingDocument();
    const step = (id: string, name: string) => ({ ...(doc.stream[1] as ProcessItem), id, name });
    doc.branches = [{ id: "b1", into: "p4", after: null, name: "Brackets", items: [step("p8", "Bend"), step("p9", "Trim")] }];
    cleanup?.();
    el.remove();
    await mount(doc);
    model.set("selection", ["p8"]);
    key(root(), { key: "ArrowRight", altKey: true });
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "p8", other: "p9" });
    expect(model.sent.some((edit) => edit.op === "move")).toBe(false);
    answer();
    model.set("selection", ["p9"]);
    const shift = (by: string) => el.querySelector<HTMLButtonElement>(`.vsm-inspector [data-vsm-shift="${by}"]`);
    expect(shift("1")?.disabled).toBe(true);
    shift("-1")?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "p9", other: "p8" });
  });

  it("shows a refused edit's reason next to the field, from one channel", async () => {
    model.set("selection", ["p2"]);
    model.set("error", { seq: 3, target: "p2", field: "cycle_time", reason: "a duration such as 45 s", message: "cycle_time: bad" });
    const error = el.querySelector(".vsm-error");
    expect(error?.getAttribute("role")).toBe("alert");
    expect(error?.textContent).toBe("a duration such as 45 s");
    expect(error?.closest('[data-vsm-row="p2:cycle_time"]')).not.toBeNull();
    model.set("error", {});
    expect(el.querySelector(".vsm-error:not([hidden])")).toBeNull();
    // A refusal in a result, before the trait arrives, shows the same way.
    model.reply({
      kind: "result",
      seq: 4,
      ok: false,
      error: { target: "p2", field: "uptime", reason: "120% is outside 0% to 100%", message: "" },
    });
    expect(el.querySelector(".vsm-error:not([hidden])")?.textContent).toBe("120% is outside 0% to 100%");
  });

  it("reflects the model's history on the undo and redo buttons", () => {
    expect(button("undo")?.disabled).toBe(true);
    model.set("history", { can_undo: true, can_redo: false });
    expect(button("undo")?.disabled).toBe(false);
    expect(button("redo")?.disabled).toBe(true);
  });

  it("previews a drag in the browser and keeps the drop until Python answers", () => {
    const svg = el.querySelector("svg") as SVGSVGElement;
    const head = el.querySelector('[data-vsm-node="p1"] .vsm-head') as Element;
    const group = el.querySelector('[data-vsm-node="p1"]') as Element;
    const burst = el.querySelector('[data-vsm-node="k1"]') as Element;
    head.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true, button: 0, pointerId: 2, clientX: 100, clientY: 100 }));
    svg.dispatchEvent(new PointerEvent("pointermove", { bubbles: true, pointerId: 2, clientX: 130, clientY: 110 }));
    expect(group.getAttribute("transform")).toMatch(/^translate\(/);
    // The burst placed on the step moves with it; the arrows joined to it fade until Python lays out again.
    expect(burst.getAttribute("transform")).toBe(group.getAttribute("transform"));
    expect(el.querySelector('[data-vsm-node="g1/flow"]')?.classList.contains("vsm-stale")).toBe(true);
    svg.dispatchEvent(new PointerEvent("pointerup", { bubbles: true, pointerId: 2, clientX: 130, clientY: 110 }));
    const move = model.sent.at(-1) as { op: string; id: string; x: number; y: number; seq: number };
    expect(move).toMatchObject({ op: "move", id: "p1" });
    expect(model.traits.selection).toEqual(["p1"]);
    expect(el.querySelector(".vsm-stale")).toBeNull();
    // The step stays where it was dropped until the answer; a refusal puts it back.
    expect(group.getAttribute("transform")).toMatch(/^translate\(/);
    model.reply({ kind: "result", seq: move.seq, ok: false, error: { target: "p1", field: "x", reason: "off the canvas", message: "" } });
    expect(el.querySelector('[data-vsm-node="p1"]')?.getAttribute("transform")).toBeNull();
  });
});

describe("insertion handles", () => {
  const handle = (key: string) => el.querySelector(`[data-vsm-slot="${key}"]`) as SVGGElement;
  const menu = () => el.querySelector(".vsm-slot-menu") as HTMLElement;
  const choice = (what: string) => menu().querySelector(`[data-vsm-slot-add="${what}"]`) as HTMLButtonElement;

  it("draws a handle at every place of the stream, as a button named by Python", () => {
    const keys = [...el.querySelectorAll("[data-vsm-slot]")].map((g) => g.getAttribute("data-vsm-slot"));
    expect(keys).toEqual([
      "start/slot",
      "g1/slot",
      "p1/slot",
      "g2/slot",
      "p2/slot",
      "g3/slot",
      "p3/slot",
      "g4/slot",
      "p4/slot",
      "g5/slot",
      "p5/slot",
      "g6/slot",
    ]);
    const first = handle("start/slot");
    expect(first.getAttribute("role")).toBe("button");
    expect(first.getAttribute("aria-label")).toBe("Add before g1");
    // A canvas button, not an element of the map.
    expect(first.hasAttribute("data-vsm-id")).toBe(false);
  });

  it("adds at its place in one choice, without selecting or panning on the way", async () => {
    // Two steps with nothing between them: a gap may go there.
    const doc = stampingDocument();
    doc.stream.splice(4, 1); // g3, between S.Weld 1 and S.Weld 2
    model.set("document", doc);
    model.set("scene", stampingScene(doc));
    await frame();
    const slot = handle("p2/slot");
    const view = el.querySelector(".vsm-viewport")?.getAttribute("transform");
    slot.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true, button: 0, pointerId: 1 }));
    slot.dispatchEvent(new PointerEvent("pointermove", { bubbles: true, button: 0, pointerId: 1, clientX: 40, clientY: 30 }));
    slot.dispatchEvent(new PointerEvent("pointerup", { bubbles: true, button: 0, pointerId: 1, clientX: 40, clientY: 30 }));
    slot.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(model.traits.selection).toEqual([]);
    expect(el.querySelector(".vsm-viewport")?.getAttribute("transform")).toBe(view);
    expect(menu().hidden).toBe(false);
    expect(slot.classList.contains("vsm-slot-open")).toBe(true);
    expect(choice("wait").disabled).toBe(false);
    expect(document.activeElement).toBe(choice("process"));
    choice("wait").click();
    expect(model.sent).toEqual([{ kind: "edit", seq: 1, op: "add_wait", after: "p2", before: null, wait_time: null }]);
    expect(menu().hidden).toBe(true);
    // Before the first item.
    handle("start/slot").dispatchEvent(new MouseEvent("click", { bubbles: true }));
    choice("process").click();
    expect(model.sent.at(-1)).toMatchObject({ op: "add_process", after: null, before: "g1" });
  });

  it("offers no second gap beside a gap, and closes with Escape", () => {
    handle("g2/slot").dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect([choice("process").disabled, choice("inventory").disabled, choice("wait").disabled]).toEqual([false, true, true]);
    key(choice("process"), { key: "Escape" });
    expect(menu().hidden).toBe(true);
    expect(handle("g2/slot").classList.contains("vsm-slot-open")).toBe(false);
    expect(document.activeElement).toBe(el.querySelector(".vsm-canvas"));
    expect(model.sent).toEqual([]);
  });
});

describe("files", () => {
  it("asks Python for the picture, in print colours when asked", async () => {
    el.querySelector<HTMLButtonElement>('[data-vsm-action="export-svg-print"]')?.click();
    const request = model.sent.at(-1) as { kind: string; seq: number; palette: string; embed_font: boolean };
    expect(request).toMatchObject({ kind: "export", palette: "print", embed_font: true });
    const links: string[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      links.push(this.download);
    };
    try {
      model.reply({ kind: "exported", seq: request.seq, ok: true, svg: '<svg viewBox="0 0 10 10"></svg>' });
      await frame();
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
    expect(links).toEqual(["stamping-plant.svg"]);
  });

  it("shows the browser's refusal of full screen where every refusal is shown", async () => {
    const root = el.querySelector(".vsm-canvas") as HTMLElement;
    Object.defineProperty(root, "requestFullscreen", { value: () => Promise.reject(new Error("not allowed")), configurable: true });
    el.querySelector<HTMLButtonElement>('[data-vsm-action="fullscreen"]')?.click();
    await frame();
    const error = el.querySelector(".vsm-error") as HTMLElement;
    expect(error.hidden).toBe(false);
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toBe("The browser refused full screen here.");
    expect(model.sent).toEqual([]);
  });
});

describe("long maps", () => {
  function longDocument(steps: number): MapDocument {
    const doc = stampingDocument();
    const template = doc.stream[1];
    const gap = doc.stream[0];
    doc.stream = [];
    for (let i = 0; i < steps; i++) {
      doc.stream.push({ ...gap, id: `lg${i}` } as MapDocument["stream"][number]);
      doc.stream.push({ ...template, id: `lp${i}`, name: `Step ${i}` } as MapDocument["stream"][number]);
    }
    doc.bursts = [];
    doc.flows = [];
    return doc;
  }

  it("draws the part near the view first and the rest when it comes into view", async () => {
    const doc = longDocument(200);
    model.set("document", doc);
    model.set("scene", stampingScene(doc));
    await frame();
    const near = count("process");
    expect(near).toBeGreaterThan(0);
    expect(near).toBeLessThan(200);
    expect(el.querySelector('[data-vsm-node="lp0"]')).not.toBeNull();
    expect(el.querySelector('[data-vsm-node="lp199"]')).toBeNull();
    key(el.querySelector(".vsm-canvas") as HTMLElement, { key: "End" });
    await frame();
    expect(model.traits.selection).toEqual(["lp199"]);
    expect(el.querySelector('[data-vsm-node="lp199"]')?.classList.contains("vsm-selected")).toBe(true);
    expect(el.querySelector('[data-vsm-node="lp199/rung"]')).not.toBeNull();
    expect(el.querySelector('[data-vsm-node="lp0"]')).toBeNull();
  });
});

describe("branches and rework from the details panel", () => {
  const panel = (selector: string) => el.querySelector<HTMLElement>(`.vsm-inspector ${selector}`);
  const withFeeder = (): MapDocument => {
    const doc = stampingDocument();
    const bend = { ...(doc.stream[1] as ProcessItem), id: "p9", name: "Bend" };
    doc.branches = [{ id: "b1", into: "p4", after: null, name: "Brackets", items: [bend] }];
    return doc;
  };

  it("adds a feeder, a parallel path and a rework loop for the selected step", () => {
    model.set("selection", ["p2"]);
    panel('[data-vsm-path-action="feeder"]')?.click();
    const rejoin = panel('[data-vsm-input="p2:rejoins at"]') as HTMLSelectElement;
    rejoin.value = "p4";
    panel('[data-vsm-path-action="split"]')?.click();
    const back = panel('[data-vsm-input="p2:rework target"]') as HTMLSelectElement;
    back.value = "p1";
    const share = panel('[data-vsm-input="p2:rework share"]') as HTMLInputElement;
    share.value = " 15% ";
    panel('[data-vsm-path-action="rework"]')?.click();
    expect(model.sent).toEqual([
      { kind: "edit", seq: 1, op: "add_branch", into: "p2", after: null, name: null, step: "" },
      { kind: "edit", seq: 2, op: "add_branch", into: "p4", after: "p2", name: null, step: "" },
      { kind: "edit", seq: 3, op: "add_rework", source: "p2", target: "p1", share: "15%" },
    ]);
  });

  it("selects the new branch's step, not the branch, when the feeder is added", () => {
    model.set("selection", ["p2"]);
    panel('[data-vsm-path-action="feeder"]')?.click();
    const doc = withFeeder();
    model.set("document", doc);
    model.reply({ kind: "result", seq: 1, ok: true, created: ["b1", "p9"] });
    expect(model.traits.selection).toEqual(["p9"]);
  });

  it("moves a step to the end of another path, and shows a branch step's details", async () => {
    cleanup?.();
    el.remove();
    await mount(withFeeder());
    model.set("selection", ["p3"]);
    const path = panel('[data-vsm-input="p3:path"]') as HTMLSelectElement;
    expect([...path.options].map((o) => [o.value, o.textContent])).toEqual([
      ["main", "Main line"],
      ["b1", "Brackets (b1)"],
    ]);
    expect(path.value).toBe("main");
    path.value = "b1";
    path.dispatchEvent(new Event("change"));
    expect(model.sent.at(-1)).toEqual({ kind: "edit", seq: 1, op: "move_to_path", id: "p3", path: "b1", after: "p9" });
    // A step of a branch has its own panel, with its path chosen.
    model.set("selection", ["p9"]);
    expect((panel('[data-vsm-input="p9:path"]') as HTMLSelectElement).value).toBe("b1");
    expect(panel('[data-vsm-row="p9:name"] input')).not.toBeNull();
  });

  it("shows a refused share on the share row, keeping what the user picked and typed", async () => {
    model.set("selection", ["p2"]);
    const back = panel('[data-vsm-input="p2:rework target"]') as HTMLSelectElement;
    back.value = "p1";
    back.dispatchEvent(new Event("change"));
    const share = panel('[data-vsm-input="p2:rework share"]') as HTMLInputElement;
    share.value = "120%";
    share.dispatchEvent(new Event("input"));
    panel('[data-vsm-path-action="rework"]')?.click();
    const error = { target: "p2", field: "share", reason: "'120%' is more than 100%", message: "p2: share: ..." };
    model.reply({ kind: "result", seq: 1, ok: false, error });
    // The panel is drawn again (a new document arrives too): the choices stay.
    model.set("document", { ...stampingDocument(), title: "Redrawn" });
    await frame();
    expect(panel('[data-vsm-row="p2:share"] .vsm-error')?.textContent).toBe("'120%' is more than 100%");
    expect((panel('[data-vsm-input="p2:rework target"]') as HTMLSelectElement).value).toBe("p1");
    expect((panel('[data-vsm-input="p2:rework share"]') as HTMLInputElement).value).toBe("120%");
  });
});

describe("cleanup", () => {
  it("removes its DOM and every listener", () => {
    const root = el.querySelector(".vsm-canvas") as HTMLElement;
    expect(model.listenerCount()).toBeGreaterThan(0);
    cleanup?.();
    cleanup = undefined;
    expect(model.listenerCount()).toBe(0);
    expect(el.querySelector(".vsm-canvas")).toBeNull();
    key(root, { key: "z", ctrlKey: true });
    root.querySelector<HTMLButtonElement>('[data-vsm-action="undo"]')?.click();
    expect(model.sent).toEqual([]);
  });
});

describe("fields from Python", () => {
  // The field rows (a step's branch and rework controls are a group of their own).
  const rowsOf = (id: string) =>
    [...el.querySelectorAll(`.vsm-inspector .vsm-insp-section > [data-vsm-row^="${id}:"]`)].map((r) =>
      r.getAttribute("data-vsm-row")?.slice(id.length + 1),
    );

  it("lists the fields the trait declares, the map's ladder units included", () => {
    el.querySelector<HTMLButtonElement>('[data-vsm-action="inspector"]')?.click();
    expect(rowsOf("map")).toEqual(["title", "scope", "timeframe", "day_basis", "lead_unit", "process_unit"]);
    const unit = el.querySelector<HTMLSelectElement>('[data-vsm-row="map:lead_unit"] select');
    expect([...(unit?.options ?? [])].map((o) => o.value)).toEqual(["auto", "s", "min", "h", "d"]);
    if (!unit) return;
    unit.value = "d";
    unit.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.sent.at(-1)).toMatchObject({ op: "update", id: "map", field: "lead_unit", value: "d" });
    // The label explains the field, in Python's words.
    expect(el.querySelector('[data-vsm-row="map:lead_unit"] label')?.getAttribute("title")).toContain("lead time");
  });

  it("has no field list of its own: a kind the trait leaves out shows no rows", async () => {
    cleanup?.();
    el.remove();
    await mount();
    model.set("fields", { ...fields, process: [{ name: "name", label: "Name", type: "text" }] });
    model.set("selection", ["p1"]);
    expect(rowsOf("p1")).toEqual(["name"]);
    // Waste tags come from the trait too.
    model.set("fields", { ...fields, process: [{ name: "waste", label: "Waste", type: "waste", options: ["motion", "waiting"] }] });
    model.set("selection", []);
    model.set("selection", ["p1"]);
    expect([...el.querySelectorAll('[data-vsm-row="p1:waste"] input')].map((i) => (i as HTMLInputElement).dataset.vsmInput)).toEqual([
      "p1:waste:motion",
      "p1:waste:waiting",
    ]);
  });

  it("starts a duration's input in the unit it was typed in, where that is exact", async () => {
    cleanup?.();
    el.remove();
    const doc = stampingDocument();
    const stamping = doc.stream.find((s) => s.id === "p1");
    if (stamping?.type !== "process") throw new Error("no stamping step");
    stamping.units = { changeover: "min", cycle_time: "h" };
    await mount(doc);
    model.set("selection", ["p1"]);
    // C/O 3,600 s typed "60 min"; C/T 1 s typed in hours would not be exact: seconds.
    expect(el.querySelector<HTMLInputElement>('[data-vsm-row="p1:changeover"] input')?.value).toBe("60 min");
    expect(el.querySelector<HTMLInputElement>('[data-vsm-row="p1:cycle_time"] input')?.value).toBe("1 s");
    // Without a typed unit, the largest exact one.
    model.set("selection", ["p2"]);
    expect(el.querySelector<HTMLInputElement>('[data-vsm-row="p2:cycle_time"] input')?.value).toBe("39 s");
  });
});

describe("several views of one model (pages of several browsers)", () => {
  const button = (action: string, root: ParentNode = el) => root.querySelector<HTMLButtonElement>(`[data-vsm-action="${action}"]`);
  const status = (root: ParentNode = el) => root.querySelector(".vsm-status")?.textContent ?? "";
  /** A second view of the same model, as another output of the page shows it. */
  async function second() {
    const el2 = document.createElement("div");
    document.body.appendChild(el2);
    const done = await widget.render({
      model: model as unknown as AnyModel<WidgetTraits>,
      el: el2,
      signal: new AbortController().signal,
      host: {} as never,
      experimental: {} as never,
    });
    return { el: el2, close: () => (typeof done === "function" ? (done as () => void)() : undefined) };
  }
  const clientOf = (msg: Record<string, unknown> | undefined) => msg?.client as string;

  it("sends its client id and the person's key with every edit and export", async () => {
    const other = await second();
    button("add-process")?.click();
    button("add-wait", other.el)?.click();
    el.querySelector<HTMLButtonElement>('[data-vsm-action="export-svg"]')?.click();
    const [add, undo, exported] = model.raw;
    expect(clientOf(add)).toMatch(/^c[0-9a-f]{16}$/);
    expect(clientOf(undo)).toMatch(/^c[0-9a-f]{16}$/);
    expect(clientOf(undo)).not.toBe(clientOf(add));
    expect(exported).toMatchObject({ kind: "export", client: clientOf(add) });
    // The person is the browser's, the same for both views; never shown on the canvas.
    expect(add.person).toMatch(/^[0-9a-f]{32}$/);
    expect(undo.person).toBe(add.person);
    expect(el.textContent).not.toContain(add.person as string);
    other.close();
    other.el.remove();
  });

  it("takes only its own results: another client's created, refusal and error stay there", async () => {
    const other = await second();
    button("add-process")?.click();
    const mine = model.raw.at(-1) as { seq: number; client: string };
    // The other page's view sent an edit with the same seq: its answer is not for this view.
    model.reply({ kind: "result", seq: mine.seq, client: "cotherpage000000", ok: true, created: ["p9"] });
    expect(model.traits.selection).toEqual([]);
    const refusal = { target: "p2", field: "cycle_time", reason: "not a duration", message: "p2: cycle_time: not a duration" };
    model.reply({ kind: "result", seq: mine.seq, client: "cotherpage000000", ok: false, error: refusal });
    model.set("error", { seq: mine.seq, client: "cotherpage000000", ...refusal });
    expect(el.querySelector(".vsm-error:not([hidden])")).toBeNull();
    expect(other.el.querySelector(".vsm-error:not([hidden])")).toBeNull();
    // Its own answer: selects what it created, in this view and not in the other one's drawing.
    model.reply({ kind: "result", seq: mine.seq, client: mine.client, ok: true, created: ["p1"] });
    expect(model.traits.selection).toEqual(["p1"]);
    // Its own refusal shows in this view only.
    model.set("error", { seq: mine.seq, client: mine.client, ...refusal });
    expect(el.querySelector(".vsm-error:not([hidden])")?.textContent).toBe("not a duration");
    expect(other.el.querySelector(".vsm-error:not([hidden])")).toBeNull();
    // An error without a client (an older kernel) shows in every view, as before.
    model.set("error", { seq: 9, ...refusal, reason: "old kernel" });
    expect(other.el.querySelector(".vsm-error:not([hidden])")?.textContent).toBe("old kernel");
    other.close();
    other.el.remove();
  });

  it("shows a notice for its own overwritten write in the status line, and no one else's", () => {
    button("add-process")?.click();
    const client = clientOf(model.raw.at(-1));
    model.reply({ kind: "notice", client: "cotherpage000000", target: "p2", field: "cycle_time", text: "not mine" });
    expect(status()).toBe("");
    const text = "C/T of S.Weld 1 was changed again by someone else: now 50 s";
    model.reply({ kind: "notice", client, target: "p2", field: "cycle_time", text });
    expect(status()).toBe(text);
  });

  it("answers the picture request of its own client only", async () => {
    const links: string[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      links.push(this.download);
    };
    try {
      el.querySelector<HTMLButtonElement>('[data-vsm-action="export-svg"]')?.click();
      const request = model.raw.at(-1) as { seq: number; client: string };
      model.reply({ kind: "exported", seq: request.seq, client: "cotherpage000000", ok: false, reason: "not mine" });
      await frame();
      expect(links).toEqual([]);
      expect(el.querySelector(".vsm-error:not([hidden])")).toBeNull();
      model.reply({ kind: "exported", seq: request.seq, client: request.client, ok: true, svg: "<svg></svg>" });
      await frame();
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
    expect(links).toEqual(["stamping-plant.svg"]);
  });
});

describe("catching up after missed messages", () => {
  const drawnCycle = (id: string) => el.querySelector(`[data-vsm-node="${id}"] [data-vsm-field="cycle_time"]`)?.textContent;
  /** A patch of step p2's C/T text, numbered `rev`. */
  function patch(rev: number, text: string) {
    const scene = stampingScene();
    const p2 = scene.nodes.find((n) => n.key === "p2") as SceneNode;
    const shape = p2.shapes.find((s) => s.f === "cycle_time");
    if (shape) shape.text = text;
    return {
      kind: "patch",
      scene: { upsert: [p2], remove: [], bounds: scene.bounds, title: scene.title, rev },
      document: { top: {}, lists: {} },
    };
  }
  const refreshes = () => model.raw.filter((m) => m.kind === "refresh");

  beforeEach(async () => {
    cleanup?.();
    el.remove();
    await mount(undefined, 4);
  });

  it("applies the next patch, and skips one it already has", async () => {
    model.reply(patch(5, "35 s"));
    await frame();
    expect(drawnCycle("p2")).toBe("35 s");
    model.reply(patch(5, "99 s"));
    await frame();
    expect(drawnCycle("p2")).toBe("35 s");
    expect(refreshes()).toEqual([]);
  });

  it("asks for the whole map on a gap instead of drawing the patch, and draws the answer", async () => {
    const before = drawnCycle("p2");
    model.reply(patch(7, "35 s")); // 5 and 6 were missed
    await frame();
    expect(drawnCycle("p2")).toBe(before);
    model.reply(patch(8, "36 s"));
    const asked = refreshes();
    // Asked once, by this view's client, saying what it has.
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ kind: "refresh", rev: 4 });
    expect(asked[0].client).toMatch(/^c[0-9a-f]{16}$/);
    // Python answers with the map whole (revision 8).
    const scene = patch(8, "36 s").scene;
    const whole = stampingScene();
    whole.nodes = whole.nodes.map((n) => (n.key === "p2" ? scene.upsert[0] : n));
    model.reply({ kind: "state", client: asked[0].client, rev: 8, scene: { ...whole, rev: 8 }, document: stampingDocument() });
    await frame();
    expect(drawnCycle("p2")).toBe("36 s");
    // And the next patch goes on top of it.
    model.reply(patch(9, "37 s"));
    await frame();
    expect(drawnCycle("p2")).toBe("37 s");
  });

  it("ignores a state answer meant for another view", async () => {
    const before = drawnCycle("p2");
    const whole = stampingScene();
    for (const n of whole.nodes) for (const s of n.shapes) if (s.f === "cycle_time") s.text = "1 s";
    model.reply({ kind: "state", client: "cotherpage000000", rev: 9, scene: { ...whole, rev: 9 }, document: stampingDocument() });
    await frame();
    expect(drawnCycle("p2")).toBe(before);
  });

  it("asks again when the page comes back online (the kernel's connection may have dropped)", () => {
    window.dispatchEvent(new Event("online"));
    expect(refreshes()).toHaveLength(1);
    expect(refreshes()[0]).toMatchObject({ rev: 4 });
  });
});
