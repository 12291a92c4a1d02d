import { describe, expect, it } from "vitest";
import { clipToBox, GAP_ICON_W, layout, PROCESS_W, processRows, STREAM_TOP } from "./layout";
import { stampingDocument, stampingMetrics } from "./stamping.fixture";

const DAY = 55200;

describe("layout", () => {
  it("places the stream left to right in document order", () => {
    const doc = stampingDocument();
    const lay = layout(doc, stampingMetrics(), DAY);
    const xs = doc.stream.map((item) => lay.boxes.get(item.id)?.x ?? Number.NaN);
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1]);
    // Boxes of neighbours never overlap.
    doc.stream.forEach((item, i) => {
      const next = doc.stream[i + 1];
      if (!next) return;
      const a = lay.boxes.get(item.id);
      const b = lay.boxes.get(next.id);
      expect(a && b && a.x + a.w < b.x).toBe(true);
    });
    const processTops = doc.stream.filter((s) => s.type === "process").map((s) => lay.boxes.get(s.id)?.y);
    expect(new Set(processTops)).toEqual(new Set([STREAM_TOP]));
    expect(lay.boxes.get("p1")?.w).toBe(PROCESS_W);
    expect(lay.boxes.get("g1")?.w).toBe(GAP_ICON_W);
  });

  it("puts the supplier left, the customer right of every step, and the ladder below", () => {
    const doc = stampingDocument();
    const lay = layout(doc, stampingMetrics(), DAY);
    const supplier = lay.boxes.get("supplier");
    const customer = lay.boxes.get("customer");
    const last = lay.boxes.get("g6");
    expect(supplier && customer && last).toBeTruthy();
    if (!supplier || !customer || !last) return;
    expect(supplier.x).toBeLessThan(lay.boxes.get("g1")?.x ?? 0);
    expect(customer.x + customer.w).toBeGreaterThan(last.x + last.w);
    for (const item of doc.stream) {
      const b = lay.boxes.get(item.id);
      expect(b && b.y + b.h < lay.timelineTop).toBe(true);
    }
    expect(lay.columns.map((c) => c.id)).toEqual(doc.stream.map((s) => s.id));
  });

  it("respects stored positions and leaves every other element where it was", () => {
    const doc = stampingDocument();
    const before = layout(doc, stampingMetrics(), DAY);
    const moved = stampingDocument();
    const p2 = moved.stream.find((s) => s.id === "p2");
    if (!p2) throw new Error("fixture");
    p2.x = 999;
    p2.y = 777;
    moved.customer.x = -50;
    moved.customer.y = 10;
    const after = layout(moved, stampingMetrics(), DAY);
    expect(after.boxes.get("p2")).toMatchObject({ x: 999, y: 777 });
    expect(after.boxes.get("customer")).toMatchObject({ x: -50, y: 10 });
    for (const id of ["p1", "g2", "g3", "p3", "p5", "supplier", "control"]) expect(after.boxes.get(id)).toEqual(before.boxes.get(id));
    expect(after.bounds.x).toBeLessThanOrEqual(-50);
  });

  it("is a pure function of the document", () => {
    const doc = stampingDocument();
    const copy = JSON.parse(JSON.stringify(doc));
    const a = layout(doc, stampingMetrics(), DAY);
    const b = layout(doc, stampingMetrics(), DAY);
    expect(a).toEqual(b);
    expect(doc).toEqual(copy);
  });

  it("places a kaizen burst under its step, clear of every box and above the timeline", () => {
    const doc = stampingDocument();
    const lay = layout(doc, stampingMetrics(), DAY);
    const burst = lay.boxes.get("k1");
    const step = lay.boxes.get("p1");
    if (!burst || !step) throw new Error("burst or step not laid out");
    expect(burst.y).toBeGreaterThan(step.y + step.h);
    expect(burst.x < step.x + step.w && burst.x + burst.w > step.x).toBe(true);
    expect(burst.y + burst.h).toBeLessThan(lay.timelineTop);
    for (const [id, b] of lay.boxes) {
      if (id === "k1" || id.startsWith("__")) continue;
      const overlaps = b.x < burst.x + burst.w && burst.x < b.x + b.w && b.y < burst.y + burst.h && burst.y < b.y + b.h;
      expect(overlaps, id).toBe(false);
    }
  });

  it("lists only the data a step has", () => {
    const doc = stampingDocument();
    const stamping = doc.stream.find((s) => s.id === "p1");
    const weld = doc.stream.find((s) => s.id === "p2");
    if (stamping?.type !== "process" || weld?.type !== "process") throw new Error("fixture");
    expect(processRows(stamping, DAY).map((r) => r.field)).toEqual([
      "cycle_time",
      "changeover",
      "uptime",
      "batch_size",
      "shifts",
      "operators",
    ]);
    expect(processRows(weld, DAY).map((r) => [r.field, r.text])).toEqual([
      ["cycle_time", "39 s"],
      ["shifts", "2"],
      ["operators", "1"],
    ]);
  });

  it("clips connector ends to box edges", () => {
    const box = { x: 0, y: 0, w: 100, h: 50 };
    expect(clipToBox(box, { x: 300, y: 25 }, 0)).toEqual({ x: 100, y: 25 });
    expect(clipToBox(box, { x: 50, y: -200 }, 0)).toEqual({ x: 50, y: 0 });
  });
});
