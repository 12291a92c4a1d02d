/** The timeline ladder under the stream: waits on the upper rungs, step times on the lower. */

import { formatDays, formatDuration, formatPercent } from "./format";
import { svg, text, title, truncate } from "./icons";
import { type Layout, TOTALS_W } from "./layout";
import type { MapDocument, Metrics } from "./types";

const UPPER = 24;
const LOWER = 66;

/** A drawn rung, or the way to draw it later. */
export interface Rung {
  el: SVGElement | null;
  build?: () => SVGElement;
  x0: number;
  x1: number;
}

interface Segment {
  id: string;
  kind: "process" | "gap";
  left: number;
  right: number;
}

/** Segments under the steps: under their drawn boxes when those run left to right, else the auto columns. */
function segments(lay: Layout): Segment[] {
  const centres = lay.columns.map((c) => {
    const b = lay.boxes.get(c.id);
    return b ? b.x + b.w / 2 : (c.left + c.right) / 2;
  });
  const increasing = centres.every((x, i) => i === 0 || x > centres[i - 1] + 20);
  if (!increasing) return lay.columns.map((c) => ({ ...c }));
  return lay.columns.map((c, i) => {
    const half = (c.right - c.left) / 2;
    const left = i === 0 ? centres[i] - half : (centres[i - 1] + centres[i]) / 2;
    const right = i === centres.length - 1 ? centres[i] + half : (centres[i] + centres[i + 1]) / 2;
    return { id: c.id, kind: c.kind, left, right };
  });
}

/** Draw the ladder; returns each rung with its x range (for culling far-off parts). */
export function drawTimeline(
  layer: SVGGElement,
  doc: MapDocument,
  metrics: Metrics,
  lay: Layout,
  day: number,
  inView: ((x0: number, x1: number) => boolean) | null = null,
): Rung[] {
  const rungs: Rung[] = [];
  const items = new Map(doc.stream.map((s) => [s.id, s]));
  const top = lay.timelineTop;
  const frag = document.createDocumentFragment();
  const steps = new Map((metrics.steps ?? []).map((s) => [s.id, s]));
  const gaps = new Map((metrics.gaps ?? []).map((g) => [g.id, g]));
  const segs = segments(lay);
  let previousY: number | null = null;
  let previousRight = 0;
  const drawRung = (seg: Segment, y: number, upper: boolean, previous: number | null, parent: Node): SVGGElement => {
    const g = svg(
      "g",
      { class: `vsm-el vsm-rung vsm-rung-${upper ? "wait" : "step"}`, "data-vsm-kind": "rung", "data-vsm-id": seg.id },
      parent,
    );
    svg("rect", { x: seg.left, y: y - 10, width: seg.right - seg.left, height: 20, class: "vsm-hit" }, g);
    if (previous !== null && previous !== y) svg("line", { x1: seg.left, y1: previous, x2: seg.left, y2: y, class: "vsm-ladder" }, g);
    svg("line", { x1: seg.left, y1: y, x2: seg.right, y2: y, class: "vsm-ladder" }, g);
    const cx = (seg.left + seg.right) / 2;
    const width = seg.right - seg.left - 6;
    if (upper) {
      // Same figure as under the triangle: days of demand for counted stock, else the wait.
      const gm = gaps.get(seg.id);
      const item = items.get(seg.id);
      const counted = item?.type === "gap" && item.wait_time === null && typeof gm?.inventory_days === "number";
      const label = truncate(counted ? formatDays(gm?.inventory_days) : formatDuration(gm?.wait_time, day), width, 11.5, true);
      text(g, cx, y - 7, label, "vsm-rung-text vsm-rung-wait", { "text-anchor": "middle" });
    } else {
      const step = steps.get(seg.id);
      const label = truncate(formatDuration(step?.lead_time, day), width, 11.5, true);
      text(g, cx, y + 16, label, "vsm-rung-text", { "text-anchor": "middle" });
      if (step && step.touch_time !== null && step.lead_time !== null && Math.abs(step.touch_time - step.lead_time) > 1e-9)
        text(g, cx, y + 30, truncate(`PT ${formatDuration(step.touch_time, day)}`, width, 10), "vsm-small", { "text-anchor": "middle" });
      const item = items.get(seg.id);
      if (item?.type === "process") title(g, item.name);
    }
    return g;
  };
  for (const seg of segs) {
    const upper = seg.kind === "gap";
    const y = top + (upper ? UPPER : LOWER);
    const previous = previousY;
    const x0 = seg.left - 40;
    const x1 = seg.right + 40;
    // Far-off rungs of long maps are drawn when they come into view (see MapView.cull).
    if (!inView || inView(x0, x1)) rungs.push({ el: drawRung(seg, y, upper, previous, frag), x0, x1 });
    else rungs.push({ el: null, build: () => drawRung(seg, y, upper, previous, layer), x0, x1 });
    previousY = y;
    previousRight = seg.right;
  }

  const left = Math.max(previousRight + 18, lay.totalsLeft);
  const box = svg("g", { class: "vsm-totals" }, frag);
  svg("rect", { x: left, y: top, width: TOTALS_W, height: 96, rx: 3, class: "vsm-totals-box" }, box);
  const complete = metrics.lead_time_complete !== false;
  const rows: [string, string, string][] = [
    ["Lead time", `${complete ? "" : "≥ "}${formatDuration(metrics.lead_time, day)}`, "vsm-total-lead"],
    ["Process time", formatDuration(metrics.process_time, day), "vsm-total-process"],
    ["Efficiency", formatPercent(metrics.efficiency), "vsm-total-efficiency"],
  ];
  rows.forEach(([label, value, cls], i) => {
    const y = top + 22 + i * 20;
    text(box, left + 10, y, label, "vsm-label");
    const v = text(box, left + TOTALS_W - 10, y, value, `vsm-total ${cls}`, { "text-anchor": "end" });
    if (!complete && i === 0) title(v, "Some gaps have no quantity or wait: lead time is at least this.");
  });
  const dayLength = metrics.day_length ?? day;
  const basis =
    doc.day_basis === "calendar"
      ? "1 d = 24 h (calendar)"
      : `1 d = ${formatDuration(dayLength, Number.POSITIVE_INFINITY, "h")} working day`;
  const note = truncate(basis, TOTALS_W - 20, 10);
  text(box, left + 10, top + 86, note, "vsm-small");
  layer.appendChild(frag);
  return rungs;
}
