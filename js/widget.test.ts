// @vitest-environment happy-dom
import type { AnyModel } from "@anywidget/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stampingDocument, stampingMetrics } from "./stamping.fixture";
import type { MapDocument, WidgetTraits } from "./types";
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
      metrics: stampingMetrics(),
      selection: [],
      error: {},
      history: { can_undo: false, can_redo: false },
      height: 500,
      revision: 0,
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
  send(content: Record<string, unknown>) {
    this.sent.push(content);
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

let el: HTMLElement;
let model: MockModel;
let cleanup: (() => void) | undefined;

async function mount(doc?: MapDocument) {
  model = new MockModel(doc);
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

describe("render", () => {
  it("draws every element of the stamping map once", () => {
    expect(el.querySelector(".vsm-canvas")).not.toBeNull();
    expect(count("customer")).toBe(1);
    expect(count("supplier")).toBe(1);
    expect(count("control")).toBe(1);
    expect(count("process")).toBe(5);
    expect(count("inventory")).toBe(6);
    expect(count("push")).toBe(6);
    expect(count("wait")).toBe(0);
    expect(count("rung")).toBe(11);
    expect(count("info")).toBe(2);
    expect(count("shipment")).toBe(2);
    expect(count("burst")).toBe(1);
    const rungs = [...el.querySelectorAll('[data-vsm-kind="rung"]')].map((r) => r.getAttribute("data-vsm-id"));
    expect(rungs).toEqual(["g1", "p1", "g2", "p2", "g3", "p3", "g4", "p4", "g5", "p5", "g6"]);
  });

  it("shows the data boxes, the inventory days and the totals", () => {
    const weld = el.querySelector('[data-vsm-kind="process"][data-vsm-id="p2"]');
    expect(weld?.querySelector('[data-vsm-field="cycle_time"]')?.textContent).toBe("39 s");
    const g1 = el.querySelector('[data-vsm-kind="inventory"][data-vsm-id="g1"]');
    // 4,600 parts / 920 a day.
    expect(g1?.textContent).toContain("4,600");
    expect(g1?.textContent).toContain("5 d");
    const totals = el.querySelector(".vsm-totals")?.textContent ?? "";
    expect(totals).toContain("23.6 d");
    expect(totals).toContain("188 s");
    expect(totals).toContain("0.0144%");
    expect(el.querySelector('[data-vsm-id="customer"]')?.textContent).toContain("60 s");
  });

  it("marks the bottleneck and steps over takt with text, not colour alone", () => {
    const p4 = el.querySelector('[data-vsm-kind="process"][data-vsm-id="p4"]');
    expect(p4?.textContent).toContain("Bottleneck");
    expect(p4?.textContent).toContain("Over takt");
    expect(el.querySelector('[data-vsm-id="p3"]')?.textContent).not.toContain("Over takt");
    expect(p4?.textContent).toContain("VALUE-ADDING");
  });

  it("draws a wait icon, FIFO and pull lanes where the map says so", async () => {
    const doc = stampingDocument();
    const g2 = doc.stream[2];
    const g3 = doc.stream[4];
    const g4 = doc.stream[6];
    if (g2.type !== "gap" || g3.type !== "gap" || g4.type !== "gap") throw new Error("fixture");
    g2.quantity = null;
    g2.wait_time = 7200;
    g3.flow = "fifo";
    g3.fifo_max = 20;
    g4.flow = "pull";
    model.set("document", doc);
    await frame();
    expect(count("wait")).toBe(1);
    expect(count("inventory")).toBe(5);
    expect(count("fifo")).toBe(1);
    expect(count("pull")).toBe(1);
    expect(count("push")).toBe(4);
    expect(el.querySelector('[data-vsm-kind="fifo"]')?.textContent).toContain("max 20");
    expect(el.querySelector('[data-vsm-kind="wait"]')?.textContent).toContain("2 h");
  });

  it("writes user text as text, never as markup", async () => {
    const doc = stampingDocument();
    const evil = "<img src=x onerror=alert(1)>";
    const first = doc.stream[1];
    if (first.type !== "process") throw new Error("fixture");
    first.name = evil;
    doc.title = evil;
    doc.bursts[0].text = evil;
    model.set("document", doc);
    await frame();
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector('[data-vsm-id="p1"] [data-vsm-field="name"]')?.textContent).toContain("<img");
    expect(el.textContent).toContain("<img src=x");
  });

  it("re-renders when Python changes the document", async () => {
    const doc = stampingDocument();
    doc.stream = doc.stream.slice(0, 3);
    model.set("document", doc);
    await frame();
    expect(count("process")).toBe(1);
    expect(count("inventory")).toBe(2);
  });
});

describe("editing", () => {
  it("sends toolbar edits with an increasing seq", () => {
    const button = (action: string) => el.querySelector<HTMLButtonElement>(`[data-vsm-action="${action}"]`);
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
      { kind: "edit", seq: 1, op: "add_process", at: null, name: null },
      { kind: "edit", seq: 2, op: "layout" },
    ]);
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

  it("selects on click, adds with shift-click, and inserts after the selection", () => {
    const p2 = el.querySelector('[data-vsm-kind="process"][data-vsm-id="p2"] .vsm-head') as Element;
    const g3 = el.querySelector('[data-vsm-kind="inventory"][data-vsm-id="g3"] path') as Element;
    const svg = el.querySelector("svg") as SVGSVGElement;
    const click = (target: Element, shiftKey = false) => {
      target.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true, button: 0, pointerId: 1, clientX: 10, clientY: 10, shiftKey }));
      svg.dispatchEvent(new PointerEvent("pointerup", { bubbles: true, button: 0, pointerId: 1, clientX: 10, clientY: 10, shiftKey }));
    };
    click(p2);
    expect(model.traits.selection).toEqual(["p2"]);
    click(g3, true);
    expect(model.traits.selection).toEqual(["p2", "g3"]);
    expect(model.saves).toBe(2);
    el.querySelector<HTMLButtonElement>('[data-vsm-action="add-process"]')?.click();
    // g3 is at stream index 4: the new step goes right after it.
    expect(model.sent.at(-1)).toMatchObject({ op: "add_process", at: 5 });
    el.querySelector<HTMLButtonElement>('[data-vsm-action="add-flow"]')?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "add_flow", source: "p2", target: "g3", medium: "manual" });
    expect(el.querySelector('[data-vsm-kind="process"][data-vsm-id="p2"]')?.classList.contains("vsm-selected")).toBe(true);
  });

  it("handles keys itself and keeps them from the notebook", () => {
    const outside: string[] = [];
    const onKey = (e: Event) => outside.push((e as KeyboardEvent).key);
    document.body.addEventListener("keydown", onKey);
    const root = el.querySelector(".vsm-canvas") as HTMLElement;
    expect(root.tabIndex).toBe(0);
    key(root, { key: "z", ctrlKey: true });
    key(root, { key: "z", ctrlKey: true, shiftKey: true });
    key(root, { key: "y", ctrlKey: true });
    key(root, { key: "Z", metaKey: true, shiftKey: true });
    key(root, { key: "a" });
    document.body.removeEventListener("keydown", onKey);
    expect(outside).toEqual([]);
    expect(model.sent.map((m) => m.op)).toEqual(["undo", "redo", "redo", "redo"]);
  });

  it("walks the stream with ] and [ and jumps with Home and End", () => {
    const root = el.querySelector(".vsm-canvas") as HTMLElement;
    key(root, { key: "]" });
    expect(model.traits.selection).toEqual(["g1"]);
    key(root, { key: "]" });
    expect(model.traits.selection).toEqual(["p1"]);
    key(root, { key: "End" });
    expect(model.traits.selection).toEqual(["g6"]);
    key(root, { key: "[" });
    expect(model.traits.selection).toEqual(["p5"]);
    expect(model.sent).toEqual([]);
  });

  it("adds an inventory as a counted triangle", () => {
    el.querySelector<HTMLButtonElement>('[data-vsm-action="add-inventory"]')?.click();
    el.querySelector<HTMLButtonElement>('[data-vsm-action="add-wait"]')?.click();
    expect(model.sent).toEqual([
      { kind: "edit", seq: 1, op: "add_inventory", at: null, quantity: 0 },
      { kind: "edit", seq: 2, op: "add_wait", at: null, wait_time: null },
    ]);
  });

  it("selects what an add created once Python sends the new document", async () => {
    el.querySelector<HTMLButtonElement>('[data-vsm-action="add-process"]')?.click();
    const doc = stampingDocument();
    const added = { ...doc.stream[1], id: "p9", name: "Process 6" } as MapDocument["stream"][number];
    doc.stream.push(added);
    model.set("document", doc);
    expect(model.traits.selection).toEqual(["p9"]);
    await frame();
    expect(count("process")).toBe(6);
  });

  it("deletes the selection with Delete", () => {
    model.set("selection", ["p3", "g2"]);
    key(el.querySelector(".vsm-canvas") as HTMLElement, { key: "Delete" });
    expect(model.sent).toEqual([
      { kind: "edit", seq: 1, op: "remove", id: "p3" },
      { kind: "edit", seq: 2, op: "remove", id: "g2" },
    ]);
    expect(model.traits.selection).toEqual([]);
  });

  it("edits a data-box field in place: Enter sends, Escape cancels", () => {
    const field = el.querySelector('[data-vsm-id="p2"] [data-vsm-field="cycle_time"]') as Element;
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

  it("opens the main field with Enter on a selected element", () => {
    model.set("selection", ["g2"]);
    key(el.querySelector(".vsm-canvas") as HTMLElement, { key: "Enter" });
    const input = el.querySelector<HTMLInputElement>("input.vsm-inline");
    expect(input?.hidden).toBe(false);
    expect(input?.value).toBe("7000");
  });

  it("edits any field in the inspector, including the customer's", () => {
    const root = el.querySelector(".vsm-canvas") as HTMLElement;
    // Without a selection the details panel is closed until asked for; then it shows the customer.
    expect(root.classList.contains("vsm-insp-open")).toBe(false);
    el.querySelector<HTMLButtonElement>('[data-vsm-action="inspector"]')?.click();
    expect(root.classList.contains("vsm-insp-open")).toBe(true);
    const demand = el.querySelector<HTMLInputElement>('[data-vsm-row="customer:demand"] input');
    expect(demand?.value).toBe("18400");
    if (!demand) return;
    demand.value = "20000";
    key(demand, { key: "Enter" });
    expect(model.sent.at(-1)).toEqual({ kind: "edit", seq: 1, op: "update", id: "customer", field: "demand", value: "20000" });
    // The change event that follows Enter (on blur) carries the same text: nothing more is sent.
    const count = model.sent.length;
    demand.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.sent.length).toBe(count);
    model.set("selection", ["p1"]);
    const cls = el.querySelector<HTMLSelectElement>('[data-vsm-row="p1:value_class"] select');
    expect(cls?.value).toBe("value-adding");
    if (!cls) return;
    cls.value = "waste";
    cls.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.sent.at(-1)).toMatchObject({ op: "update", id: "p1", field: "value_class", value: "waste" });
    const motion = el.querySelector<HTMLInputElement>('[data-vsm-row="p1:waste"] input[data-vsm-input="p1:waste:motion"]');
    motion?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "update", id: "p1", field: "waste", value: "motion" });
  });

  it("moves steps and gaps along the stream from the inspector and with Alt+arrows", () => {
    // Stream: g1 p1 g2 p2 g3 p3 g4 p4 g5 p5 g6.
    const shift = (step: string) => el.querySelector<HTMLButtonElement>(`.vsm-inspector [data-vsm-shift="${step}"]`);
    const answer = () => model.reply({ kind: "result", seq: (model.sent.at(-1) as { seq: number }).seq, ok: true });
    model.set("selection", ["p1"]);
    expect(shift("-1")?.disabled).toBe(true); // nothing but a gap upstream of the first step
    shift("1")?.click();
    // A step trades places with the next step; the gap between them stays.
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "p1", other: "p2" });
    // A second click before Python answers would swap them back: it waits.
    const sent = model.sent.length;
    shift("1")?.click();
    expect(model.sent.length).toBe(sent);
    answer();
    // A gap with a gap beyond the next step trades places with it (never two gaps together).
    model.set("selection", ["g2"]);
    shift("-1")?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "g2", other: "g1" });
    answer();
    shift("1")?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "g2", other: "g3" });
    answer();
    model.set("selection", ["g6"]);
    expect(shift("1")?.disabled).toBe(true);
    model.set("selection", ["p3"]);
    key(el.querySelector(".vsm-canvas") as HTMLElement, { key: "ArrowLeft", altKey: true });
    expect(model.sent.at(-1)).toMatchObject({ op: "swap", id: "p3", other: "p2" });
    answer();
  });

  it("lets a gap hop over a step when no gap stands beyond it", async () => {
    const doc = stampingDocument();
    doc.stream = doc.stream.slice(1); // p1 g2 p2 ...
    cleanup?.();
    el.remove();
    await mount(doc);
    model.set("selection", ["g2"]);
    el.querySelector<HTMLButtonElement>('.vsm-inspector [data-vsm-shift="-1"]')?.click();
    expect(model.sent.at(-1)).toMatchObject({ op: "reorder", id: "g2", index: 0 });
  });

  it("keeps what is being typed in the inspector when a new document arrives", async () => {
    model.set("selection", ["p2"]);
    const input = () => el.querySelector<HTMLInputElement>('[data-vsm-row="p2:changeover"] input');
    input()?.focus();
    const box = input();
    if (!box) throw new Error("no changeover input");
    box.value = "12 min";
    const doc = stampingDocument();
    doc.title = "Renamed";
    model.set("document", doc);
    await frame();
    expect(input()).not.toBe(box);
    expect(input()?.value).toBe("12 min");
    key(input() as HTMLInputElement, { key: "Enter" });
    expect(model.sent.at(-1)).toMatchObject({ op: "update", id: "p2", field: "changeover", value: "12 min" });
  });

  it("shows a rejected edit's reason next to the field", async () => {
    model.set("selection", ["p2"]);
    model.set("error", { seq: 3, target: "p2", field: "cycle_time", reason: "a duration such as 45 s", message: "cycle_time: bad" });
    const error = el.querySelector(".vsm-error");
    expect(error?.getAttribute("role")).toBe("alert");
    expect(error?.textContent).toBe("a duration such as 45 s");
    expect(error?.closest('[data-vsm-row="p2:cycle_time"]')).not.toBeNull();
    model.set("error", {});
    expect(el.querySelector(".vsm-error:not([hidden])")).toBeNull();
  });

  it("reflects the model's history on the undo and redo buttons", () => {
    const undo = el.querySelector<HTMLButtonElement>('[data-vsm-action="undo"]');
    const redo = el.querySelector<HTMLButtonElement>('[data-vsm-action="redo"]');
    expect(undo?.disabled).toBe(true);
    model.set("history", { can_undo: true, can_redo: false });
    expect(undo?.disabled).toBe(false);
    expect(redo?.disabled).toBe(true);
  });

  it("moves the dragged element at once and sends move on drag end", () => {
    const svg = el.querySelector("svg") as SVGSVGElement;
    const head = el.querySelector('[data-vsm-id="p3"] .vsm-head') as Element;
    const group = el.querySelector('[data-vsm-kind="process"][data-vsm-id="p3"]') as Element;
    const layoutBefore = el.querySelector('[data-vsm-kind="push"][data-vsm-id="g4"]')?.getAttribute("transform");
    head.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true, button: 0, pointerId: 2, clientX: 100, clientY: 100 }));
    svg.dispatchEvent(new PointerEvent("pointermove", { bubbles: true, pointerId: 2, clientX: 130, clientY: 110 }));
    expect(group.getAttribute("transform")).toMatch(/^translate\(/);
    // The flow arrow that leaves the dragged step followed it.
    expect(el.querySelector('[data-vsm-kind="push"][data-vsm-id="g4"]')?.getAttribute("transform")).not.toBe(layoutBefore);
    svg.dispatchEvent(new PointerEvent("pointerup", { bubbles: true, pointerId: 2, clientX: 130, clientY: 110 }));
    const moves = model.sent.filter((m) => m.op === "move");
    expect(moves.length).toBeGreaterThanOrEqual(1);
    expect(moves.at(-1)).toMatchObject({ op: "move", id: "p3" });
    expect(model.traits.selection).toEqual(["p3"]);
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
    model.set("document", longDocument(200));
    await frame();
    const near = count("process");
    expect(near).toBeGreaterThan(0);
    expect(near).toBeLessThan(200);
    expect(el.querySelector('[data-vsm-kind="process"][data-vsm-id="lp0"]')).not.toBeNull();
    expect(el.querySelector('[data-vsm-id="lp199"]')).toBeNull();
    // End selects the last step and pans to it: it is drawn then, with its rung.
    key(el.querySelector(".vsm-canvas") as HTMLElement, { key: "End" });
    await frame();
    expect(model.traits.selection).toEqual(["lp199"]);
    expect(el.querySelector('[data-vsm-kind="process"][data-vsm-id="lp199"]')?.classList.contains("vsm-selected")).toBe(true);
    expect(el.querySelector('[data-vsm-kind="rung"][data-vsm-id="lp199"]')).not.toBeNull();
    // What went out of view left the document.
    expect(el.querySelector('[data-vsm-kind="process"][data-vsm-id="lp0"]')).toBeNull();
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
