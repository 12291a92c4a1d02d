/**
 * Automatic left-to-right layout: a pure function from the document to positions.
 *
 * Stored x/y (the top-left corner of an element's main shape, in canvas units) always
 * win; elements without them are placed from their order alone, so moving one element
 * never shifts the automatic position of another (the layout is stable).
 */

import { formatDuration, formatNumber, formatPercent } from "./format";
import { textWidth } from "./icons";
import type { Burst, Customer, GapItem, MapDocument, Metrics, ProcessItem, Supplier } from "./types";

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

/** One line of a data box: its label, the field it edits (if any) and its text. */
export interface DataRow {
  label: string;
  field: string | null;
  text: string;
}

/** A column of the stream: where a step or gap sits left to right, for the timeline. */
export interface Column {
  id: string;
  kind: "process" | "gap";
  left: number;
  right: number;
}

export interface Layout {
  /** Main shape of every placed element, by id (customer, supplier, control, steps, gaps, bursts). */
  boxes: Map<string, Box>;
  /** Automatic columns of the stream in order (the timeline follows these). */
  columns: Column[];
  /** Top of the process row (auto layout). */
  streamTop: number;
  /** Height of the material-flow arrows (auto layout). */
  arrowY: number;
  /** Top of the timeline ladder. */
  timelineTop: number;
  /** Left edge of the timeline totals box. */
  totalsLeft: number;
  /** Extent of everything drawn, for fit-to-view. */
  bounds: Box;
}

export const MARGIN = 24;
export const TOP_ROW = 64;
export const FACTORY_W = 150;
export const FACTORY_ICON_H = 66;
export const ROW_H = 16;
export const CONTROL_W = 184;
export const CONTROL_H = 62;
export const STREAM_TOP = 296;
export const PROCESS_W = 140;
export const PROCESS_HEAD_H = 52;
/** Height of the value-class strip at the top of a process box. */
export const CLASS_STRIP_H = 14;
export const PROCESS_COL = 172;
export const GAP_COL = 110;
export const GAP_ICON_W = 50;
export const GAP_ICON_H = 44;
export const GAP_ICON_TOP = 64;
export const BURST_W = 150;
export const BURST_H = 88;
const BURST_MAX_W = 260;

/** Width of a burst star that holds its text in about three lines (the text uses 60% of it). */
export function burstWidth(content: string): number {
  // 1.3: word wrapping leaves lines shorter than the width.
  const line = (textWidth(content, 10, true) / 3) * 1.3;
  return Math.round(Math.min(BURST_MAX_W, Math.max(BURST_W, line / 0.6)));
}
export const TOTALS_W = 172;
export const TIMELINE_H = 112;
const STREAM_LEFT = MARGIN + 24;

/** Rows of a process data box: only the fields that are given (as on a paper map). */
export function processRows(p: ProcessItem, day: number): DataRow[] {
  const rows: DataRow[] = [];
  const dur = (label: string, field: keyof ProcessItem) => {
    const value = p[field];
    if (typeof value === "number") rows.push({ label, field, text: formatDuration(value, day) });
  };
  dur("C/T", "cycle_time");
  dur("PT", "process_time");
  dur("LT", "lead_time");
  dur("C/O", "changeover");
  if (p.uptime !== null) rows.push({ label: "Uptime", field: "uptime", text: formatPercent(p.uptime) });
  if (p.complete_accurate !== null) rows.push({ label: "%C&A", field: "complete_accurate", text: formatPercent(p.complete_accurate) });
  if (p.batch_size !== null) rows.push({ label: "Batch", field: "batch_size", text: formatNumber(p.batch_size) });
  if (p.shifts !== null) rows.push({ label: "Shifts", field: "shifts", text: formatNumber(p.shifts) });
  if (p.parallel > 1) rows.push({ label: "Stations", field: "parallel", text: formatNumber(p.parallel) });
  if (p.operators !== null) rows.push({ label: "Operators", field: "operators", text: formatNumber(p.operators) });
  if (rows.length === 0) rows.push({ label: "C/T", field: "cycle_time", text: "–" });
  return rows;
}

/** Rows under the customer icon: demand, calendar, shifts, takt (takt comes from metrics). */
export function customerRows(c: Customer, metrics: Metrics, day: number): DataRow[] {
  const rows: DataRow[] = [];
  rows.push({ label: "", field: "demand", text: c.demand === null ? "Demand –" : `${formatNumber(c.demand)} / ${c.period}` });
  rows.push({
    label: "",
    field: "working_days",
    text: c.working_days === null ? "Working days –" : `${formatNumber(c.working_days)} working days`,
  });
  rows.push({
    label: "",
    field: "shift_length",
    text: `${formatNumber(c.shifts)} shift${c.shifts === 1 ? "" : "s"} × ${formatDuration(c.shift_length, day)}`,
  });
  if (c.breaks) rows.push({ label: "Breaks", field: "breaks", text: formatDuration(c.breaks, day) });
  if (typeof metrics.available_time === "number")
    rows.push({ label: "Avail.", field: null, text: `${formatDuration(metrics.available_time, day, "h")} / day` });
  rows.push({ label: "Takt", field: null, text: formatDuration(metrics.takt_time, day) });
  return rows;
}

export function supplierRows(s: Supplier): DataRow[] {
  const rows: DataRow[] = [];
  if (s.supplies) rows.push({ label: "", field: "supplies", text: s.supplies });
  if (s.frequency) rows.push({ label: "", field: "frequency", text: s.frequency });
  return rows;
}

/** Height of a data box with n rows. */
export function dataBoxHeight(rows: number): number {
  return rows * ROW_H + 10;
}

export function processHeight(p: ProcessItem, day: number): number {
  return PROCESS_HEAD_H + dataBoxHeight(processRows(p, day).length);
}

function placed(x: number | null, y: number | null, auto: Point): Point {
  return { x: typeof x === "number" ? x : auto.x, y: typeof y === "number" ? y : auto.y };
}

function gapBelow(g: GapItem): number {
  // Labels under the triangle: quantity, days, variants; waste tags below those.
  return 14 + 3 * 15 + (g.waste.length ? 20 : 0);
}

/** Lay out the whole map. `day` is the working-day length used for formatting rows. */
export function layout(doc: MapDocument, metrics: Metrics = {}, day = 8 * 3600): Layout {
  const boxes = new Map<string, Box>();
  const columns: Column[] = [];
  let x = STREAM_LEFT;
  let bottom = STREAM_TOP + PROCESS_HEAD_H + dataBoxHeight(3);
  for (const item of doc.stream) {
    if (item.type === "process") {
      const h = processHeight(item, day);
      const left = x + (PROCESS_COL - PROCESS_W) / 2;
      const at = placed(item.x, item.y, { x: left, y: STREAM_TOP });
      boxes.set(item.id, { x: at.x, y: at.y, w: PROCESS_W, h });
      columns.push({ id: item.id, kind: "process", left: x, right: x + PROCESS_COL });
      bottom = Math.max(bottom, at.y + h + (item.waste.length ? 24 : 0));
      x += PROCESS_COL;
    } else {
      const left = x + (GAP_COL - GAP_ICON_W) / 2;
      const at = placed(item.x, item.y, { x: left, y: STREAM_TOP + GAP_ICON_TOP });
      boxes.set(item.id, { x: at.x, y: at.y, w: GAP_ICON_W, h: GAP_ICON_H });
      columns.push({ id: item.id, kind: "gap", left: x, right: x + GAP_COL });
      bottom = Math.max(bottom, at.y + GAP_ICON_H + gapBelow(item));
      x += GAP_COL;
    }
  }
  const streamRight = Math.max(x, STREAM_LEFT + PROCESS_COL);
  const totalsLeft = streamRight + 16;
  const contentRight = Math.max(totalsLeft + TOTALS_W, MARGIN + 2 * FACTORY_W + CONTROL_W + 160);

  const customerH = FACTORY_ICON_H + dataBoxHeight(customerRows(doc.customer, metrics, day).length);
  const customerAt = placed(doc.customer.x, doc.customer.y, { x: contentRight - FACTORY_W, y: TOP_ROW });
  boxes.set("customer", { x: customerAt.x, y: customerAt.y, w: FACTORY_W, h: customerH });

  let supplierRight = MARGIN;
  if (doc.supplier) {
    const rows = supplierRows(doc.supplier).length;
    const at = placed(doc.supplier.x, doc.supplier.y, { x: MARGIN, y: TOP_ROW });
    boxes.set("supplier", { x: at.x, y: at.y, w: FACTORY_W, h: FACTORY_ICON_H + (rows ? dataBoxHeight(rows) : 0) });
    supplierRight = MARGIN + FACTORY_W;
  }
  if (doc.control) {
    const mid = (supplierRight + contentRight - FACTORY_W) / 2;
    const at = placed(doc.control.x, doc.control.y, { x: mid - CONTROL_W / 2, y: TOP_ROW });
    boxes.set("control", { x: at.x, y: at.y, w: CONTROL_W, h: CONTROL_H });
  }

  placeBursts(doc.bursts, boxes, contentRight, bottom);

  let maxX = contentRight;
  let maxY = bottom;
  let minX = 0;
  let minY = 0;
  for (const [id, b] of boxes) {
    maxX = Math.max(maxX, b.x + b.w);
    minX = Math.min(minX, b.x);
    minY = Math.min(minY, b.y);
    if (!id.startsWith("__")) maxY = Math.max(maxY, b.y + b.h);
  }
  const timelineTop = Math.max(bottom, maxY) + 34;
  return {
    boxes,
    columns,
    streamTop: STREAM_TOP,
    arrowY: STREAM_TOP + PROCESS_HEAD_H / 2,
    timelineTop,
    totalsLeft,
    bounds: { x: minX, y: minY, w: maxX + MARGIN - minX, h: timelineTop + TIMELINE_H - minY },
  };
}

function placeBursts(bursts: Burst[], boxes: Map<string, Box>, contentRight: number, streamBottom: number): void {
  const perTarget = new Map<string, number>();
  let mapRight = contentRight - FACTORY_W - 16;
  for (const burst of bursts) {
    const key = burst.target ?? "__map";
    const index = perTarget.get(key) ?? 0;
    perTarget.set(key, index + 1);
    let auto: Point;
    const w = burstWidth(burst.text);
    const target = burst.target ? boxes.get(burst.target) : undefined;
    if (target) {
      // In a lane of their own under the stream's data boxes and labels, centred on the target:
      // above the stream they would sit on the information arrows and their labels.
      auto = { x: target.x + target.w / 2 - w / 2, y: streamBottom + 8 + index * (BURST_H + 4) };
    } else {
      // Map-level ideas line up leftwards from the customer, between the control box and it.
      mapRight -= w + 8;
      auto = { x: mapRight, y: TOP_ROW + CONTROL_H + 40 };
    }
    const at = placed(burst.x, burst.y, auto);
    boxes.set(burst.id, { x: at.x, y: at.y, w, h: BURST_H });
  }
}

/** Centre of a box. */
export function center(b: Box): Point {
  return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
}

/** Where the segment from the centre of `b` towards `toward` leaves the box. */
export function clipToBox(b: Box, toward: Point, pad = 4): Point {
  const c = center(b);
  const dx = toward.x - c.x;
  const dy = toward.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const hw = b.w / 2 + pad;
  const hh = b.h / 2 + pad;
  const t = Math.min(dx === 0 ? Number.POSITIVE_INFINITY : hw / Math.abs(dx), dy === 0 ? Number.POSITIVE_INFINITY : hh / Math.abs(dy));
  return { x: c.x + dx * t, y: c.y + dy * t };
}
