/**
 * Test fixture: the published stamping plant (Rother and Shook, Learning to See).
 *
 * 18,400 parts a month over 20 working days = 920 a day; 2 shifts of 27,600 s = 55,200 s a
 * day, so takt = 55,200 / 920 = 60 s. C/T 1, 39, 46, 62, 40 s (188 s). Six inventories
 * whose days of demand are quantity / 920. Metrics here are worked out from those figures,
 * not taken from the package.
 */

import { SCENE_VERSION, type Scene, type SceneNode } from "./scene";
import type { GapItem, MapDocument, ProcessItem } from "./types";

const DAY = 2 * 27600;

function process(id: string, name: string, cycle: number, extra: Partial<ProcessItem> = {}): ProcessItem {
  return {
    type: "process",
    id,
    name,
    cycle_time: cycle,
    process_time: null,
    lead_time: null,
    changeover: null,
    uptime: null,
    operators: 1,
    shifts: 2,
    batch_size: null,
    parallel: 1,
    complete_accurate: null,
    value_class: "value-adding",
    waste: [],
    notes: "",
    x: null,
    y: null,
    ...extra,
  };
}

function inventory(id: string, quantity: number): GapItem {
  return { type: "gap", id, quantity, variants: [], wait_time: null, flow: "push", fifo_max: null, waste: [], notes: "", x: null, y: null };
}

const QUANTITIES = [4600, 7000, 1700, 2450, 1840, 4140];
const CYCLES: [string, string, number][] = [
  ["p1", "Stamping", 1],
  ["p2", "S.Weld 1", 39],
  ["p3", "S.Weld 2", 46],
  ["p4", "Assembly 1", 62],
  ["p5", "Assembly 2", 40],
];

export function stampingDocument(): MapDocument {
  const stream: (ProcessItem | GapItem)[] = [];
  QUANTITIES.forEach((qty, i) => {
    stream.push(inventory(`g${i + 1}`, qty));
    const step = CYCLES[i];
    if (step) stream.push(process(step[0], step[1], step[2], i === 0 ? { changeover: 3600, uptime: 0.85, batch_size: 2000 } : {}));
  });
  return {
    schema: 2,
    title: "Stamping plant",
    scope: "",
    state: "current",
    day_basis: "working",
    lead_unit: "auto",
    process_unit: "auto",
    customer: {
      name: "State Street Assembly",
      demand: 18400,
      period: "month",
      working_days: 20,
      shifts: 2,
      shift_length: 27600,
      breaks: 0,
      x: null,
      y: null,
    },
    supplier: { name: "Michigan Steel Co.", supplies: "coils", frequency: "Tue + Thu", x: null, y: null },
    control: { name: "Production Control", notes: "MRP", x: null, y: null },
    stream,
    shipments: [
      { id: "s1", direction: "in", frequency: "Tue + Thu", mode: "truck", notes: "" },
      { id: "s2", direction: "out", frequency: "Daily", mode: "truck", notes: "" },
    ],
    flows: [
      { id: "f1", source: "customer", target: "control", medium: "electronic", label: "forecast" },
      { id: "f2", source: "control", target: "p1", medium: "manual", label: "weekly schedule" },
    ],
    bursts: [{ id: "k1", text: "Reduce changeover", target: "p1", owner: "", due: "", status: "idea", x: null, y: null }],
  };
}

/** A small hand-made scene of a document: the nodes Python would send, at simple places. */
export function stampingScene(doc: MapDocument = stampingDocument()): Scene {
  const nodes: SceneNode[] = [];
  const x = (i: number) => 60 + i * 150;
  const text = (tx: number, ty: number, content: string, c: string, f?: string) => ({
    t: "text",
    x: tx,
    y: ty,
    c,
    text: content,
    ...(f ? { f } : {}),
  });
  doc.stream.forEach((item, i) => {
    const left = x(i);
    if (item.type === "process") {
      nodes.push({
        key: item.id,
        id: item.id,
        kind: "process",
        layer: "nodes",
        box: [left, 300, 140, 100],
        label: `Process ${item.name}`,
        drag: true,
        shapes: [
          { t: "rect", x: left, y: 300, width: 140, height: 52, c: "vsm-head" },
          { t: "text", c: "vsm-name", "text-anchor": "middle", spans: [[left + 70, 330, item.name]], f: "name" },
          text(left + 62, 370, `${item.cycle_time} s`, "vsm-value", "cycle_time"),
        ],
      });
    } else {
      nodes.push({
        key: item.id,
        id: item.id,
        kind: item.quantity === null ? "wait" : "inventory",
        layer: "nodes",
        box: [left + 40, 360, 50, 44],
        label: `Inventory ${item.quantity}`,
        drag: true,
        shapes: [
          { t: "path", d: `M${left + 65},360 L${left + 90},404 L${left + 40},404 Z`, c: "vsm-shape vsm-triangle" },
          text(left + 65, 420, String(item.quantity ?? item.wait_time), "vsm-value", item.quantity === null ? "wait_time" : "quantity"),
        ],
      });
      const prev = doc.stream[i - 1];
      const next = doc.stream[i + 1];
      nodes.push({
        key: `${item.id}/flow`,
        id: item.id,
        kind: item.flow,
        layer: "links",
        box: [left, 312, 150, 28],
        label: `${item.flow} arrow`,
        ends: [prev?.id, item.id, next?.id].filter((e): e is string => Boolean(e)),
        shapes: [
          {
            t: "g",
            transform: `translate(${left},326)`,
            kids: [{ t: "path", d: "M0,-6 L150,-6 L150,6 L0,6 Z", c: "vsm-push", fill: "@stripes" }],
          },
        ],
      });
    }
    nodes.push({
      key: `${item.id}/rung`,
      id: item.id,
      kind: "rung",
      layer: "timeline",
      box: [left, 500, 150, 20],
      label: "rung",
      shapes: [{ t: "line", x1: left, y1: 510, x2: left + 150, y2: 510, c: "vsm-ladder" }],
    });
  });
  // Insertion handles, as Python places them: before the first item, after each one.
  const stream = doc.stream;
  for (let i = 0; stream.length && i <= stream.length; i++) {
    const prev = stream[i - 1];
    const next = stream[i];
    nodes.push({
      key: prev ? `${prev.id}/slot` : "start/slot",
      id: null,
      kind: "slot",
      layer: "slots",
      box: [x(i) - 9, 317, 18, 18],
      label: prev ? `Add after ${prev.id}` : `Add before ${next.id}`,
      role: "vsm-slot",
      place: prev ? { after: prev.id } : { before: next.id },
      gaps: prev?.type !== "gap" && next?.type !== "gap",
      shapes: [{ t: "circle", cx: x(i), cy: 326, r: 9, c: "vsm-slot-ring" }],
    });
  }
  nodes.push({
    key: "customer",
    id: "customer",
    kind: "customer",
    layer: "nodes",
    box: [1500, 64, 150, 160],
    label: `Customer ${doc.customer.name}`,
    drag: true,
    shapes: [text(1510, 150, "Takt 60 s", "vsm-value")],
  });
  for (const burst of doc.bursts)
    nodes.push({
      key: burst.id,
      id: burst.id,
      kind: "burst",
      layer: "bursts",
      box: [60, 440, 150, 88],
      label: `Kaizen burst: ${burst.text}`,
      drag: true,
      follows: burst.target ?? undefined,
      shapes: [{ t: "text", c: "vsm-burst-text", spans: [[135, 484, burst.text]], f: "text" }],
    });
  nodes.push({
    key: "title",
    id: "map",
    kind: "title",
    layer: "nodes",
    box: [24, 16, 200, 22],
    label: doc.title,
    shapes: [text(24, 32, doc.title, "vsm-title", "title")],
  });
  return { version: SCENE_VERSION, title: doc.title, bounds: [0, 0, 1700, 640], day: DAY, nodes };
}
