/**
 * Drawing the map: every element as an SVG group with stable data-vsm-* hooks.
 *
 * The map is redrawn from the document whenever Python sends one. During a drag only
 * the dragged groups and their connectors change (see `Drawn.connectorsOf`).
 */

import { formatDays, formatDuration, formatNumber } from "./format";
import {
  broadArrow,
  burstPath,
  clock,
  factory,
  fifoLane,
  inventoryTriangle,
  lightningPath,
  operator,
  plainArrow,
  pull,
  pushArrow,
  round,
  svg,
  text,
  textWidth,
  title,
  truck as truckIcon,
  truncate,
  wrap,
} from "./icons";
import {
  type Box,
  CLASS_STRIP_H,
  center,
  clipToBox,
  customerRows,
  type DataRow,
  dataBoxHeight,
  FACTORY_ICON_H,
  GAP_COL,
  GAP_ICON_TOP,
  type Layout,
  type Point,
  PROCESS_HEAD_H,
  processRows,
  ROW_H,
  supplierRows,
} from "./layout";
import { drawTimeline } from "./timeline";
import type { GapItem, MapDocument, Metrics, ProcessItem, StreamItem } from "./types";

/** Ids of the shared <defs> of one widget view (ids must be unique in the page). */
export interface DefIds {
  arrow: string;
  stripes: string;
  hatch: string;
}

/** Something drawn between elements that must follow them while they are dragged. */
export interface Connector {
  deps: string[];
  g: SVGGElement;
  draw(boxes: Map<string, Box>): void;
}

export interface Drawn {
  /** The main group of every element by id. */
  nodes: Map<string, SVGGElement>;
  /** Connectors by the ids they depend on. */
  connectorsOf: Map<string, Connector[]>;
  /** Bursts placed automatically next to an element: they move with it. */
  followers: Map<string, string[]>;
  /** Everything that may be hidden while far off screen, with its horizontal extent. */
  cullables: Cullable[];
}

/** A drawn group and the canvas x range it covers (for skipping layout of far-off parts). */
export interface Cullable {
  /** The drawn group; null until a far-off part of a long map is first needed. */
  el: SVGElement | null;
  build?: () => SVGElement;
  parent: SVGGElement;
  x0: number;
  x1: number;
  shown: boolean;
}

const VALUE_LABEL: Record<string, string> = {
  "value-adding": "VALUE-ADDING",
  necessary: "NECESSARY NVA",
  waste: "WASTE",
};

/** Install the arrow marker and fill patterns once per view. */
export function drawDefs(defs: SVGDefsElement, ids: DefIds): void {
  const marker = svg(
    "marker",
    {
      id: ids.arrow,
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 8,
      markerHeight: 8,
      orient: "auto-start-reverse",
      markerUnits: "userSpaceOnUse",
    },
    defs,
  );
  svg("path", { d: "M0,0 L10,5 L0,10 Z", class: "vsm-marker" }, marker);
  const stripes = svg(
    "pattern",
    { id: ids.stripes, width: 8, height: 8, patternUnits: "userSpaceOnUse", patternTransform: "rotate(0)" },
    defs,
  );
  svg("rect", { width: 8, height: 8, class: "vsm-stripe-bg" }, stripes);
  svg("rect", { width: 4, height: 8, class: "vsm-stripe" }, stripes);
  const hatch = svg(
    "pattern",
    { id: ids.hatch, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
    defs,
  );
  svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "vsm-hatch" }, hatch);
}

function group(parent: Node, kind: string, id: string, cls = ""): SVGGElement {
  return svg("g", { class: `vsm-el vsm-${kind}${cls ? ` ${cls}` : ""}`, "data-vsm-kind": kind, "data-vsm-id": id }, parent);
}

/** Text cut to a width, with the full text as tooltip when it was cut. */
function fitText(
  parent: Node,
  x: number,
  y: number,
  content: string,
  width: number,
  size: number,
  cls: string,
  attrs = {},
  bold = false,
): SVGTextElement {
  const shown = truncate(content, width, size, bold);
  const node = text(parent, x, y, shown, cls, attrs);
  if (shown !== content) title(node, content);
  return node;
}

/** Wrapped lines centred on (cx, top). Returns the number of lines. */
function wrappedText(
  parent: Node,
  cx: number,
  top: number,
  content: string,
  width: number,
  size: number,
  maxLines: number,
  cls: string,
  lineHeight: number,
  field: string | null,
  bold = false,
): number {
  const { lines, cut } = wrap(content, width, size, maxLines, bold);
  const node = svg("text", { class: cls, "text-anchor": "middle", ...(field ? { "data-vsm-field": field } : {}) }, parent);
  const start = top - ((lines.length - 1) * lineHeight) / 2;
  lines.forEach((line, i) => {
    const span = svg("tspan", { x: round(cx), y: round(start + i * lineHeight) }, node);
    span.textContent = line;
  });
  if (cut) title(node, content);
  return lines.length;
}

function dataBox(parent: Node, box: Box, rows: DataRow[], labelWidth: number): void {
  svg("rect", { x: box.x, y: box.y, width: box.w, height: box.h, class: "vsm-databox" }, parent);
  rows.forEach((row, i) => {
    const y = box.y + 5 + ROW_H * i + 11.5;
    const line = svg("g", { class: "vsm-row" }, parent);
    if (row.label) {
      if (row.label === "Operators") operator(line, box.x + 12, y - 9);
      else text(line, box.x + 7, y, row.label, "vsm-label");
    }
    const x = row.label ? box.x + labelWidth : box.x + 7;
    const width = box.x + box.w - 6 - x;
    const value = fitText(line, x, y, row.text, width, 11.5, "vsm-value", row.field ? { "data-vsm-field": row.field } : {});
    if (row.label === "Operators") {
      value.textContent = `${row.text} operator${row.text === "1" ? "" : "s"}`;
      value.setAttribute("x", String(box.x + 24));
    }
  });
}

function pills(parent: Node, x: number, y: number, width: number, tags: string[], cls: string): void {
  let cursor = x;
  const room = x + width;
  tags.forEach((tag, i) => {
    const w = textWidth(tag, 10) + 12;
    const rest = tags.length - i;
    if (cursor + w > room || (rest > 1 && cursor + w + 26 > room && i > 0)) {
      const more = `+${rest}`;
      const g = svg("g", {}, parent);
      svg("rect", { x: cursor, y, width: textWidth(more, 10) + 10, height: 16, rx: 8, class: `vsm-pill ${cls}` }, g);
      text(g, cursor + 5, y + 11.5, more, "vsm-pill-text");
      title(g, tags.slice(i).join(", "));
      cursor = room + 1;
      return;
    }
    if (cursor > room) return;
    svg("rect", { x: cursor, y, width: w, height: 16, rx: 8, class: `vsm-pill ${cls}` }, parent);
    text(parent, cursor + 6, y + 11.5, tag, "vsm-pill-text");
    cursor += w + 4;
  });
}

function badgeWidth(label: string): number {
  return textWidth(label, 10, true) + 12;
}

function badge(parent: Node, x: number, y: number, label: string, cls: string, anchorRight = false): void {
  const w = badgeWidth(label);
  const left = anchorRight ? x - w : x;
  svg("rect", { x: left, y, width: w, height: 17, rx: 3, class: `vsm-badge ${cls}` }, parent);
  text(parent, left + w / 2, y + 12.5, label, `vsm-badge-text ${cls}`, { "text-anchor": "middle" });
}

function drawProcess(parent: Node, p: ProcessItem, b: Box, metrics: Metrics, day: number, ids: DefIds): SVGGElement {
  const overTakt = (metrics.steps_over_takt ?? []).includes(p.id);
  const bottleneck = metrics.bottleneck === p.id;
  const cls = [
    p.value_class ? `vsm-vc-${p.value_class}` : "vsm-vc-none",
    overTakt ? "vsm-over-takt" : "",
    bottleneck ? "vsm-is-bottleneck" : "",
  ]
    .filter(Boolean)
    .join(" ");
  const g = group(parent, "process", p.id, cls);
  svg("rect", { x: b.x - 4, y: b.y - 4, width: b.w + 8, height: b.h + 8, rx: 4, class: "vsm-halo-sel" }, g);
  svg("rect", { x: b.x, y: b.y, width: b.w, height: PROCESS_HEAD_H, class: "vsm-head" }, g);
  if (p.value_class) {
    svg("rect", { x: b.x, y: b.y, width: b.w, height: CLASS_STRIP_H, class: "vsm-strip" }, g);
    if (p.value_class === "waste")
      svg("rect", { x: b.x, y: b.y, width: b.w, height: CLASS_STRIP_H, fill: `url(#${ids.hatch})`, class: "vsm-strip-hatch" }, g);
    text(g, b.x + b.w / 2, b.y + 10.5, VALUE_LABEL[p.value_class] ?? p.value_class, "vsm-strip-text", { "text-anchor": "middle" });
  }
  const nameTop = p.value_class ? b.y + CLASS_STRIP_H : b.y;
  const nameMid = (nameTop + b.y + PROCESS_HEAD_H) / 2 + 4.5;
  wrappedText(g, b.x + b.w / 2, nameMid, p.name, b.w - 12, 12.5, 2, "vsm-name", 14, "name", true);
  const rows = processRows(p, day);
  const dataTop = b.y + PROCESS_HEAD_H;
  dataBox(g, { x: b.x, y: dataTop, w: b.w, h: dataBoxHeight(rows.length) }, rows, 62);
  if (overTakt) {
    // The C/T row turns red as well, so the mark does not depend on the badge colour.
    const ct = g.querySelector('[data-vsm-field="cycle_time"]');
    ct?.classList.add("vsm-value-over");
  }
  svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, class: "vsm-frame" }, g);
  // Both marks fit side by side on a normal box; else "Bottleneck" goes above "Over takt".
  const both = bottleneck && overTakt && badgeWidth("Bottleneck") + badgeWidth("Over takt") + 4 > b.w;
  if (bottleneck) badge(g, b.x, b.y - (both ? 40 : 21), "Bottleneck", "vsm-badge-bottleneck");
  if (overTakt) badge(g, b.x + b.w, b.y - 21, "Over takt", "vsm-badge-over", true);
  if (p.waste.length) pills(g, b.x, b.y + b.h + 5, b.w, p.waste, "vsm-pill-waste");
  if (p.notes) title(g, `${p.name}\n${p.notes}`);
  return g;
}

const gapIndex = new WeakMap<object, Map<string, NonNullable<Metrics["gaps"]>[number]>>();

/** Gap metrics by id, built once per metrics object (a find per gap is quadratic on long maps). */
function gapMetrics(metrics: Metrics): Map<string, NonNullable<Metrics["gaps"]>[number]> {
  let index = gapIndex.get(metrics);
  if (!index) {
    index = new Map((metrics.gaps ?? []).map((g) => [g.id, g]));
    gapIndex.set(metrics, index);
  }
  return index;
}

function drawGap(parent: Node, gap: GapItem, b: Box, metrics: Metrics, day: number): SVGGElement {
  const kind = gap.quantity !== null ? "inventory" : "wait";
  const g = group(parent, kind, gap.id);
  const cx = b.x + b.w / 2;
  svg("rect", { x: b.x - 16, y: b.y - 4, width: b.w + 32, height: b.h + 58, rx: 4, class: "vsm-halo-sel" }, g);
  const gm = gapMetrics(metrics).get(gap.id);
  const lines: [string, string | null, string][] = [];
  if (kind === "inventory") {
    inventoryTriangle(g, b.x, b.y, b.w, b.h);
    lines.push([formatNumber(gap.quantity), "quantity", "vsm-value vsm-strong"]);
    const days = gm?.inventory_days;
    if (gap.wait_time !== null) lines.push([formatDuration(gap.wait_time, day), "wait_time", "vsm-value"]);
    else lines.push([typeof days === "number" ? formatDays(days) : "–", null, "vsm-value"]);
    if (gap.variants.length) lines.push([gap.variants.map(([n, q]) => `${n} ${formatNumber(q)}`).join(" / "), null, "vsm-small"]);
  } else {
    clock(g, cx, b.y + b.h / 2, Math.min(b.w, b.h) / 2 - 1);
    lines.push([formatDuration(gap.wait_time, day), "wait_time", "vsm-value vsm-strong"]);
    lines.push(["wait", null, "vsm-small"]);
  }
  lines.forEach(([content, field, cls], i) => {
    const y = b.y + b.h + 15 + i * 15;
    fitText(g, cx, y, content, GAP_COL - 4, cls.includes("vsm-small") ? 10.5 : 11.5, cls, {
      "text-anchor": "middle",
      ...(field ? { "data-vsm-field": field } : {}),
    });
  });
  if (gap.waste.length)
    pills(g, cx - (GAP_COL - 10) / 2, b.y + b.h + 15 + lines.length * 15 - 6, GAP_COL - 10, gap.waste, "vsm-pill-waste");
  if (gap.notes) title(g, gap.notes);
  return g;
}

function drawFactory(parent: Node, kind: "customer" | "supplier", b: Box, name: string, rows: DataRow[]): SVGGElement {
  const g = group(parent, kind, kind);
  svg("rect", { x: b.x - 4, y: b.y - 4, width: b.w + 8, height: b.h + 8, rx: 4, class: "vsm-halo-sel" }, g);
  factory(g, b.x, b.y, b.w, FACTORY_ICON_H);
  const roof = FACTORY_ICON_H * 0.42;
  wrappedText(g, b.x + b.w / 2, b.y + roof + (FACTORY_ICON_H - roof) / 2 + 4.5, name, b.w - 14, 12, 2, "vsm-name", 13.5, "name", true);
  if (rows.length) dataBox(g, { x: b.x, y: b.y + FACTORY_ICON_H, w: b.w, h: dataBoxHeight(rows.length) }, rows, 52);
  return g;
}

function drawControl(parent: Node, doc: MapDocument, b: Box): SVGGElement {
  const g = group(parent, "control", "control");
  const control = doc.control;
  svg("rect", { x: b.x - 4, y: b.y - 4, width: b.w + 8, height: b.h + 8, rx: 4, class: "vsm-halo-sel" }, g);
  svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, class: "vsm-shape vsm-control-box" }, g);
  if (!control) return g;
  const hasNotes = Boolean(control.notes);
  fitText(
    g,
    b.x + b.w / 2,
    b.y + (hasNotes ? 25 : 36),
    control.name,
    b.w - 14,
    12.5,
    "vsm-name",
    { "text-anchor": "middle", "data-vsm-field": "name" },
    true,
  );
  if (hasNotes)
    fitText(g, b.x + b.w / 2, b.y + 44, control.notes, b.w - 14, 11, "vsm-small", { "text-anchor": "middle", "data-vsm-field": "notes" });
  return g;
}

function drawBurst(parent: Node, burst: MapDocument["bursts"][number], b: Box): SVGGElement {
  const g = group(parent, "burst", burst.id, `vsm-status-${burst.status}`);
  svg("path", { d: burstPath(b.x, b.y, b.w, b.h), class: "vsm-burst-shape" }, g);
  wrappedText(g, b.x + b.w / 2, b.y + b.h / 2 + 4, burst.text, b.w * 0.6, 10, 4, "vsm-burst-text", 12, "text", true);
  const tip = [burst.text, burst.owner && `Owner: ${burst.owner}`, burst.due && `Due: ${burst.due}`, `Status: ${burst.status}`]
    .filter(Boolean)
    .join("\n");
  title(g, tip);
  return g;
}

/** Where material enters / leaves a stream item, and its flow-arrow lane. */
function ports(item: StreamItem, b: Box): { left: Point; right: Point; lane: Point; top: Point } {
  if (item.type === "process") {
    const y = b.y + PROCESS_HEAD_H / 2;
    return { left: { x: b.x, y }, right: { x: b.x + b.w, y }, lane: { x: b.x + b.w / 2, y }, top: { x: b.x + b.w / 2, y: b.y } };
  }
  const cx = b.x + b.w / 2;
  const lane = { x: cx, y: b.y - GAP_ICON_TOP + PROCESS_HEAD_H / 2 };
  return { left: lane, right: lane, lane, top: { x: cx, y: b.y } };
}

/** Draw a horizontal shape along a to b by rotating its local frame. */
function along(g: SVGGElement, a: Point, b: Point): number {
  const length = Math.hypot(b.x - a.x, b.y - a.y);
  const angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
  g.setAttribute("transform", `translate(${round(a.x)},${round(a.y)}) rotate(${round(angle * 100) / 100})`);
  return length;
}

function streamConnectors(layer: Node, doc: MapDocument, ids: DefIds, add: (c: Connector) => void): void {
  const stream = doc.stream;
  stream.forEach((item, i) => {
    const prev = stream[i - 1];
    const next = stream[i + 1];
    if (item.type === "gap") {
      const gap = item;
      const g = svg("g", { class: `vsm-el vsm-flow vsm-${gap.flow}`, "data-vsm-kind": gap.flow, "data-vsm-id": gap.id }, layer);
      const deps = [prev?.id, gap.id, next?.id].filter((d): d is string => Boolean(d));
      add({
        deps,
        g,
        draw(boxes) {
          const own = boxes.get(gap.id);
          if (!own) return;
          const lane = ports(gap, own).lane;
          const pb = prev ? boxes.get(prev.id) : undefined;
          const nb = next ? boxes.get(next.id) : undefined;
          const a = prev && pb ? (prev.type === "process" ? ports(prev, pb).right : ports(prev, pb).lane) : { x: lane.x + 10, y: lane.y };
          const b = next && nb ? (next.type === "process" ? ports(next, nb).left : ports(next, nb).lane) : { x: lane.x, y: lane.y };
          g.replaceChildren();
          const end = next && nb ? { x: b.x - 3, y: b.y } : b;
          const start = prev && pb ? { x: a.x + 3, y: a.y } : a;
          const length = along(g, start, end);
          if (length < 8) return;
          svg("rect", { x: 0, y: -14, width: length, height: 28, class: "vsm-hit" }, g);
          if (gap.flow === "push") pushArrow(g, 0, length, 0, ids.stripes);
          else if (gap.flow === "fifo")
            fifoLane(g, 0, length, 0, gap.fifo_max === null ? "" : `max ${formatNumber(gap.fifo_max)}`, ids.arrow);
          else pull(g, 0, length, 0, ids.arrow);
          title(g, `${gap.flow === "push" ? "Push" : gap.flow === "pull" ? "Pull (supermarket)" : "FIFO lane"}`);
        },
      });
    } else if (next && next.type === "process") {
      // Two steps with nothing between them: a plain material arrow.
      const g = svg("g", { class: "vsm-flow vsm-direct" }, layer);
      add({
        deps: [item.id, next.id],
        g,
        draw(boxes) {
          const pb = boxes.get(item.id);
          const nb = boxes.get(next.id);
          if (!pb || !nb) return;
          g.replaceChildren();
          const length = along(g, ports(item, pb).right, ports(next, nb).left);
          if (length > 6) plainArrow(g, 0, length - 2, 0, ids.arrow);
        },
      });
    }
  });
}

function shipmentConnectors(layer: Node, doc: MapDocument, add: (c: Connector) => void): void {
  const first = doc.stream[0];
  const last = doc.stream[doc.stream.length - 1];
  const counts = { in: 0, out: 0 };
  for (const shipment of doc.shipments) {
    const index = counts[shipment.direction]++;
    const inbound = shipment.direction === "in";
    const end = inbound ? first : last;
    const party = inbound ? (doc.supplier ? "supplier" : null) : "customer";
    const g = svg("g", { class: "vsm-el vsm-shipment", "data-vsm-kind": "shipment", "data-vsm-id": shipment.id }, layer);
    const deps = [party, end?.id].filter((d): d is string => Boolean(d));
    add({
      deps,
      g,
      draw(boxes) {
        g.replaceChildren();
        const eb = end ? boxes.get(end.id) : undefined;
        const pb = party ? boxes.get(party) : undefined;
        let streamPoint: Point;
        if (end && eb) {
          const top = ports(end, eb).top;
          const shift = end.type === "process" ? eb.w / 2 - 26 : 14;
          streamPoint = { x: top.x + (inbound ? -shift : shift), y: top.y - (end.type === "process" ? 26 : 6) };
        } else {
          const cb = boxes.get("customer");
          streamPoint = cb ? { x: cb.x - 80, y: cb.y + cb.h + 80 } : { x: 200, y: 300 };
        }
        const partyPoint = pb ? { x: pb.x + pb.w / 2, y: pb.y + pb.h + 6 } : { x: streamPoint.x, y: streamPoint.y - 140 };
        const a = inbound ? partyPoint : streamPoint;
        const b = inbound ? streamPoint : partyPoint;
        svg("path", { d: broadArrow(a, b), class: "vsm-shipment-arrow" }, g);
        const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 + index * 44 };
        const side = inbound ? 16 : -16 - 62;
        const tx = mid.x + side;
        const ty = mid.y - 18;
        const truckG = svg("g", {}, g);
        svg("rect", { x: tx - 4, y: ty - 4, width: 70, height: 38, class: "vsm-hit" }, truckG);
        truckIcon(truckG, tx, ty, !inbound);
        const label = shipment.frequency || (inbound ? "Shipment in" : "Shipment out");
        fitText(g, tx + 31, ty + 46, label, 110, 11, "vsm-small vsm-halo-text", { "text-anchor": "middle", "data-vsm-field": "frequency" });
        title(g, [inbound ? "Shipment in" : "Shipment out", shipment.mode, shipment.frequency, shipment.notes].filter(Boolean).join(" · "));
      },
    });
  }
}

function infoConnectors(layer: Node, doc: MapDocument, ids: DefIds, add: (c: Connector) => void): void {
  // Several flows between the same two elements run side by side, not on top of each other.
  const pairKey = (f: { source: string; target: string }) => [f.source, f.target].sort().join("\u0000");
  const pairCount = new Map<string, number>();
  for (const flow of doc.flows) pairCount.set(pairKey(flow), (pairCount.get(pairKey(flow)) ?? 0) + 1);
  const pairSeen = new Map<string, number>();
  for (const flow of doc.flows) {
    const key = pairKey(flow);
    const index = pairSeen.get(key) ?? 0;
    pairSeen.set(key, index + 1);
    const shift = (index - ((pairCount.get(key) ?? 1) - 1) / 2) * 18;
    const g = svg("g", { class: `vsm-el vsm-info vsm-${flow.medium}`, "data-vsm-kind": "info", "data-vsm-id": flow.id }, layer);
    add({
      deps: [flow.source, flow.target],
      g,
      draw(boxes) {
        g.replaceChildren();
        const sb = boxes.get(flow.source);
        const tb = boxes.get(flow.target);
        if (!sb || !tb) return;
        // Schedules come down onto a step's roof, as drawn on paper maps.
        const fromAbove = sb.y + sb.h < tb.y;
        const onto = fromAbove ? { x: tb.x + tb.w / 2, y: tb.y - 6 } : clipToBox(tb, center(sb), 6);
        let a = clipToBox(sb, fromAbove ? onto : center(tb), 4);
        let b = onto;
        if (shift) {
          const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
          const nx = (-(b.y - a.y) / length) * shift;
          const ny = ((b.x - a.x) / length) * shift;
          a = { x: a.x + nx, y: a.y + ny };
          b = { x: b.x + nx, y: b.y + ny };
        }
        const d = flow.medium === "electronic" ? lightningPath(a, b) : `M${round(a.x)},${round(a.y)} L${round(b.x)},${round(b.y)}`;
        svg("path", { d, class: "vsm-hit-line" }, g);
        svg("path", { d, class: "vsm-info-line", "marker-end": `url(#${ids.arrow})` }, g);
        const label = flow.label;
        const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        if (label) {
          const horizontal = Math.abs(b.x - a.x) > Math.abs(b.y - a.y);
          fitText(g, mid.x + (horizontal ? 0 : 10), mid.y + (horizontal ? -12 : 4), label, 150, 10.5, "vsm-small vsm-halo-text", {
            "text-anchor": horizontal ? "middle" : "start",
            "data-vsm-field": "label",
          });
        }
        title(g, `${flow.medium === "electronic" ? "Electronic" : "Manual"} information${label ? `: ${label}` : ""}`);
      },
    });
  }
}

/** Draw the whole map into the given layers and return the index used for dragging. */
export function drawMap(
  layers: { links: SVGGElement; nodes: SVGGElement; timeline: SVGGElement; bursts: SVGGElement },
  doc: MapDocument,
  metrics: Metrics,
  lay: Layout,
  day: number,
  ids: DefIds,
  inView: ((x0: number, x1: number) => boolean) | null = null,
): Drawn {
  const nodes = new Map<string, SVGGElement>();
  gapIndex.delete(metrics);
  const connectorsOf = new Map<string, Connector[]>();
  const followers = new Map<string, string[]>();
  layers.links.replaceChildren();
  layers.nodes.replaceChildren();
  layers.timeline.replaceChildren();
  layers.bursts.replaceChildren();
  const burstFrag = document.createDocumentFragment();
  const nodeFrag = document.createDocumentFragment();
  const linkFrag = document.createDocumentFragment();
  const cullables: Cullable[] = [];
  const add = (c: Connector) => {
    let x0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    for (const dep of c.deps) {
      const b = lay.boxes.get(dep);
      if (b) {
        x0 = Math.min(x0, b.x);
        x1 = Math.max(x1, b.x + b.w);
      }
    }
    if (x0 <= x1) cullables.push({ el: c.g, parent: layers.links, x0: x0 - 200, x1: x1 + 200, shown: true });
    for (const dep of c.deps) {
      const list = connectorsOf.get(dep);
      if (list) list.push(c);
      else connectorsOf.set(dep, [c]);
    }
    c.draw(lay.boxes);
  };

  // Header: the title, which picture this is, scope and warnings. Tspans flow, so nothing is measured.
  const head = svg("g", { class: "vsm-title-block" }, nodeFrag);
  const room = Math.max(360, lay.bounds.w - 320);
  const heading = svg("text", { x: 24, y: 32 }, head);
  const titleSpan = svg("tspan", { class: "vsm-title", "data-vsm-field": "title" }, heading);
  titleSpan.textContent = truncate(doc.title, room, 17, true);
  if (titleSpan.textContent !== doc.title) title(heading, doc.title);
  const tag = svg("tspan", { dx: 12, class: `vsm-state-tag vsm-state-${doc.state === "future" ? "future" : "current"}` }, heading);
  tag.textContent = doc.state === "future" ? "FUTURE STATE" : "CURRENT STATE";
  const warnings = metrics.warnings ?? [];
  if (doc.scope || warnings.length) {
    const sub = svg("text", { x: 24, y: 50, class: "vsm-subtitle" }, head);
    if (doc.scope) {
      const scope = svg("tspan", { class: "vsm-small", "data-vsm-field": "scope" }, sub);
      scope.textContent = truncate(doc.scope, room * 0.6, 11);
      if (scope.textContent !== doc.scope) title(scope, doc.scope);
    }
    if (warnings.length) {
      const warn = svg("tspan", { class: "vsm-warning", dx: doc.scope ? 14 : 0 }, sub);
      warn.textContent = truncate(
        `⚠ ${warnings.length} warning${warnings.length === 1 ? "" : "s"}: ${warnings[0].message}`,
        room * 0.4,
        11,
      );
      title(sub, warnings.map((x) => x.message).join("\n"));
    }
  }

  if (doc.supplier) {
    const b = lay.boxes.get("supplier");
    if (b) nodes.set("supplier", drawFactory(nodeFrag, "supplier", b, doc.supplier.name, supplierRows(doc.supplier)));
  }
  if (doc.control) {
    const b = lay.boxes.get("control");
    if (b) nodes.set("control", drawControl(nodeFrag, doc, b));
  }
  const cb = lay.boxes.get("customer");
  if (cb) nodes.set("customer", drawFactory(nodeFrag, "customer", cb, doc.customer.name, customerRows(doc.customer, metrics, day)));

  if (doc.stream.length === 0) {
    // An empty map says how to start instead of showing a blank stream.
    const hint = svg("g", { class: "vsm-empty" }, nodeFrag);
    const x = lay.columns.length ? lay.columns[0].left : 48;
    svg("rect", { x, y: lay.streamTop, width: 420, height: 64, rx: 6, class: "vsm-empty-box" }, hint);
    text(hint, x + 210, lay.streamTop + 28, "No steps yet", "vsm-name", { "text-anchor": "middle" });
    text(hint, x + 210, lay.streamTop + 47, "Use “+ Process” to add the first step of the stream.", "vsm-small", {
      "text-anchor": "middle",
    });
  }
  for (const item of doc.stream) {
    const b = lay.boxes.get(item.id);
    if (!b) continue;
    const draw = (parent: Node) => {
      const g = item.type === "process" ? drawProcess(parent, item, b, metrics, day, ids) : drawGap(parent, item, b, metrics, day);
      nodes.set(item.id, g);
      return g;
    };
    const x0 = b.x - 80;
    const x1 = b.x + b.w + 80;
    // On long maps, steps far off screen are drawn when they first come into view.
    if (!inView || inView(x0, x1)) cullables.push({ el: draw(nodeFrag), parent: layers.nodes, x0, x1, shown: true });
    else cullables.push({ el: null, build: () => draw(layers.nodes), parent: layers.nodes, x0, x1, shown: false });
  }
  for (const burst of doc.bursts) {
    const b = lay.boxes.get(burst.id);
    if (!b) continue;
    nodes.set(burst.id, drawBurst(burstFrag, burst, b));
    if (burst.target && (burst.x === null || burst.y === null)) {
      const list = followers.get(burst.target);
      if (list) list.push(burst.id);
      else followers.set(burst.target, [burst.id]);
    }
  }

  streamConnectors(linkFrag, doc, ids, add);
  shipmentConnectors(linkFrag, doc, add);
  infoConnectors(linkFrag, doc, ids, add);
  layers.links.appendChild(linkFrag);
  layers.nodes.appendChild(nodeFrag);
  layers.bursts.appendChild(burstFrag);
  const streamIds = new Set(doc.stream.map((item) => item.id));
  for (const [id, g] of nodes) {
    const b = lay.boxes.get(id);
    if (b && !streamIds.has(id))
      cullables.push({ el: g, parent: g.parentNode as SVGGElement, x0: b.x - 80, x1: b.x + b.w + 80, shown: true });
  }
  for (const rung of drawTimeline(layers.timeline, doc, metrics, lay, day, inView))
    cullables.push({ ...rung, parent: layers.timeline, shown: rung.el !== null });
  return { nodes, connectorsOf, followers, cullables };
}
