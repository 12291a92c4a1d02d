/**
 * Test fixture: the published stamping plant (Rother and Shook, Learning to See).
 *
 * 18,400 parts a month over 20 working days = 920 a day; 2 shifts of 27,600 s = 55,200 s a
 * day, so takt = 55,200 / 920 = 60 s. C/T 1, 39, 46, 62, 40 s (188 s). Six inventories
 * whose days of demand are quantity / 920. Metrics here are worked out from those figures,
 * not taken from the package.
 */

import type { GapItem, MapDocument, Metrics, ProcessItem } from "./types";

const DAILY_DEMAND = 18400 / 20;
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
    schema: 1,
    title: "Stamping plant",
    scope: "",
    state: "current",
    day_basis: "working",
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

export function stampingMetrics(): Metrics {
  const waitDays = QUANTITIES.map((q) => q / DAILY_DEMAND);
  const processTime = CYCLES.reduce((sum, c) => sum + c[2], 0);
  const lead = waitDays.reduce((a, b) => a + b, 0) * DAY + processTime;
  return {
    day_length: DAY,
    takt_time: DAY / DAILY_DEMAND,
    available_time: DAY,
    daily_demand: DAILY_DEMAND,
    lead_time: lead,
    process_time: processTime,
    efficiency: processTime / lead,
    bottleneck: "p4",
    steps_over_takt: ["p4"],
    lead_time_complete: true,
    steps: CYCLES.map(([id, name, ct]) => ({
      id,
      name,
      touch_time: ct,
      lead_time: ct,
      effective_cycle_time: ct,
      capacity_per_day: null,
      epei_days: null,
      over_takt: ct > 60,
      is_bottleneck: id === "p4",
    })),
    gaps: QUANTITIES.map((q, i) => ({ id: `g${i + 1}`, quantity: q, inventory_days: waitDays[i], wait_time: waitDays[i] * DAY })),
    warnings: [],
  };
}
