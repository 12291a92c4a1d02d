/** SVG shape builders for the standard value-stream-map icon set. User text goes in text nodes only. */

import type { Point } from "./layout";

export const SVG_NS = "http://www.w3.org/2000/svg";

export type Attrs = Record<string, string | number | null | undefined>;

/** Create an SVG element with attributes, appended to `parent` when given. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, parent?: Node): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const key in attrs) {
    const value = attrs[key];
    if (value !== null && value !== undefined) node.setAttribute(key, String(value));
  }
  if (parent) parent.appendChild(node);
  return node;
}

/** A <text> with plain text content (never markup). */
export function text(parent: Node, x: number, y: number, content: string, cls: string, attrs: Attrs = {}): SVGTextElement {
  const node = svg("text", { x: round(x), y: round(y), class: cls, ...attrs }, parent);
  node.textContent = content;
  return node;
}

/** A <title> child: the native tooltip, used for names that were cut short. */
export function title(parent: Node, content: string): void {
  const node = svg("title", {}, parent);
  node.textContent = content;
}

export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Average glyph width as a share of the font size (system UI fonts); bold is a little wider. */
const GLYPH = 0.6;
const GLYPH_BOLD = 0.66;

/** Estimated text width, without touching layout (measuring thousands of labels is slow). */
export function textWidth(content: string, size: number, bold = false): number {
  let units = 0;
  for (const ch of content) {
    if (ch === " " || ch === "." || ch === "," || ch === "i" || ch === "l" || ch === "I" || ch === "'" || ch === "|") units += 0.3;
    else if (ch >= "A" && ch <= "Z") units += 1.18;
    else if (ch === "m" || ch === "w" || ch === "M" || ch === "W") units += 1.45;
    else if (ch.charCodeAt(0) > 0x2e80) units += 1.8;
    else units += 1;
  }
  return units * size * (bold ? GLYPH_BOLD : GLYPH);
}

/** Cut `content` to fit `width`, with an ellipsis. */
export function truncate(content: string, width: number, size: number, bold = false): string {
  if (textWidth(content, size, bold) <= width) return content;
  const chars = Array.from(content);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${chars.slice(0, mid).join("")}…`, size, bold) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join("").trimEnd()}…`;
}

/** Word-wrap to at most `maxLines` lines of `width`; the last line is cut with an ellipsis. */
export function wrap(content: string, width: number, size: number, maxLines: number, bold = false): { lines: string[]; cut: boolean } {
  const words = content.trim().split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  let index = 0;
  for (; index < words.length; index++) {
    const word = words[index];
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, size, bold) <= width) {
      line = candidate;
      continue;
    }
    if (line) {
      lines.push(line);
      line = "";
      if (lines.length === maxLines) break;
    }
    if (textWidth(word, size, bold) <= width) line = word;
    else {
      // One very long word: cut it so that nothing overflows the shape.
      lines.push(truncate(word, width, size, bold));
      if (lines.length === maxLines) {
        index++;
        break;
      }
    }
  }
  if (line && lines.length < maxLines) {
    lines.push(line);
    index = words.length;
  }
  const cut = index < words.length;
  if (cut && lines.length) lines[lines.length - 1] = truncate(`${lines[lines.length - 1]}…`, width, size, bold);
  return { lines, cut };
}

/** Factory with a sawtooth roof (customer, supplier). */
export function factory(parent: Node, x: number, y: number, w: number, h: number): SVGPathElement {
  const roof = h * 0.42;
  const teeth = 3;
  const tooth = w / teeth;
  let d = `M${x},${y + h} L${x},${y + roof}`;
  for (let i = 0; i < teeth; i++) {
    const left = x + i * tooth;
    d += ` L${round(left + tooth)},${round(y)} L${round(left + tooth)},${round(y + roof)}`;
  }
  d += ` L${x + w},${y + h} Z`;
  return svg("path", { d, class: "vsm-shape vsm-factory" }, parent);
}

/** Delivery truck, facing right, with its box at (x, y). */
export function truck(parent: Node, x: number, y: number, flip = false): SVGGElement {
  const g = svg("g", { class: "vsm-truck", transform: flip ? `translate(${x + 62},${y}) scale(-1,1)` : `translate(${x},${y})` }, parent);
  svg("rect", { x: 0, y: 0, width: 40, height: 24, rx: 2, class: "vsm-shape" }, g);
  svg("path", { d: "M40,8 L52,8 L60,16 L60,24 L40,24 Z", class: "vsm-shape" }, g);
  svg("path", { d: "M44,11 L51,11 L56,16 L44,16 Z", class: "vsm-window" }, g);
  svg("circle", { cx: 11, cy: 26, r: 4.5, class: "vsm-wheel" }, g);
  svg("circle", { cx: 50, cy: 26, r: 4.5, class: "vsm-wheel" }, g);
  return g;
}

/** Inventory triangle with an "I". */
export function inventoryTriangle(parent: Node, x: number, y: number, w: number, h: number): void {
  svg("path", { d: `M${x + w / 2},${y} L${x + w},${y + h} L${x},${y + h} Z`, class: "vsm-shape vsm-triangle" }, parent);
  text(parent, x + w / 2, y + h - 8, "I", "vsm-triangle-i", { "text-anchor": "middle" });
}

/** Wait icon: a clock. */
export function clock(parent: Node, cx: number, cy: number, r: number): void {
  svg("circle", { cx, cy, r, class: "vsm-shape vsm-clock" }, parent);
  svg("path", { d: `M${cx},${cy - r * 0.62} L${cx},${cy} L${cx + r * 0.48},${cy + r * 0.3}`, class: "vsm-clock-hands" }, parent);
}

/** Kaizen burst: a jagged star filling the box. */
export function burstPath(x: number, y: number, w: number, h: number): string {
  const cx = x + w / 2;
  const cy = y + h / 2;
  const points = 14;
  let d = "";
  for (let i = 0; i < points * 2; i++) {
    const angle = (Math.PI * i) / points - Math.PI / 2;
    const outer = i % 2 === 0;
    const jitter = outer ? (i % 4 === 0 ? 1 : 0.9) : 0.74;
    const px = cx + Math.cos(angle) * (w / 2) * jitter;
    const py = cy + Math.sin(angle) * (h / 2) * jitter;
    d += `${i === 0 ? "M" : "L"}${round(px)},${round(py)} `;
  }
  return `${d}Z`;
}

/** A striped push arrow from x1 to x2 at height y (material pushed downstream). */
export function pushArrow(parent: Node, x1: number, x2: number, y: number, patternId: string): void {
  const band = 6;
  const head = Math.min(16, Math.max(6, (x2 - x1) / 3));
  const tip = x2;
  const neck = tip - head;
  const d = `M${x1},${y - band} L${neck},${y - band} L${neck},${y - 12} L${tip},${y} L${neck},${y + 12} L${neck},${y + band} L${x1},${y + band} Z`;
  svg("path", { d, class: "vsm-push", fill: `url(#${patternId})` }, parent);
}

/** A plain material arrow (consecutive steps with nothing in between). */
export function plainArrow(parent: Node, x1: number, x2: number, y: number, markerId: string): void {
  svg("line", { x1, y1: y, x2, y2: y, class: "vsm-link", "marker-end": `url(#${markerId})` }, parent);
}

/** FIFO lane: two rails, "FIFO" and its maximum. */
export function fifoLane(parent: Node, x1: number, x2: number, y: number, max: string, markerId: string): void {
  svg("line", { x1, y1: y - 11, x2, y2: y - 11, class: "vsm-rail" }, parent);
  svg("line", { x1, y1: y + 11, x2, y2: y + 11, class: "vsm-rail" }, parent);
  svg("line", { x1: x1 + 2, y1: y, x2: x2 - 2, y2: y, class: "vsm-link vsm-fifo-arrow", "marker-end": `url(#${markerId})` }, parent);
  const mid = (x1 + x2) / 2;
  svg("rect", { x: mid - 20, y: y - 8, width: 40, height: 16, rx: 2, class: "vsm-fifo-tag" }, parent);
  text(parent, mid, y + 4, "FIFO", "vsm-fifo-text", { "text-anchor": "middle" });
  if (max) text(parent, mid, y - 16, max, "vsm-small", { "text-anchor": "middle" });
}

/** Pull: a supermarket (shelves open to the supplying side) and a withdrawal arrow. */
export function pull(parent: Node, x1: number, x2: number, y: number, markerId: string): void {
  const mid = (x1 + x2) / 2;
  const w = 24;
  const h = 30;
  const left = mid - w / 2;
  const top = y - h / 2;
  svg(
    "path",
    {
      d: `M${left},${top} L${left + w},${top} L${left + w},${top + h} L${left},${top + h} M${left},${top + h / 3} L${left + w},${top + h / 3} M${left},${top + (2 * h) / 3} L${left + w},${top + (2 * h) / 3}`,
      class: "vsm-supermarket",
    },
    parent,
  );
  // Material into the supermarket from upstream.
  svg("line", { x1, y1: y, x2: left - 2, y2: y, class: "vsm-link", "marker-end": `url(#${markerId})` }, parent);
  // Withdrawal: the downstream step takes from the supermarket (circular arrow).
  const from = { x: x2 - 2, y: y + 4 };
  const to = { x: left + w + 4, y: y + 8 };
  svg(
    "path",
    {
      d: `M${from.x},${from.y} C${from.x},${y + 34} ${to.x + 6},${y + 34} ${to.x},${to.y}`,
      class: "vsm-link vsm-withdrawal",
      "marker-end": `url(#${markerId})`,
    },
    parent,
  );
}

/** Operator icon (head and shoulders). */
export function operator(parent: Node, x: number, y: number): void {
  svg("circle", { cx: x, cy: y, r: 3.2, class: "vsm-operator" }, parent);
  svg(
    "path",
    { d: `M${x - 5.5},${y + 10} Q${x - 5.5},${y + 4} ${x},${y + 4} Q${x + 5.5},${y + 4} ${x + 5.5},${y + 10} Z`, class: "vsm-operator" },
    parent,
  );
}

/** Electronic information flow: a lightning zigzag from a to b. */
export function lightningPath(a: Point, b: Point): string {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy) || 1;
  const nx = -dy / length;
  const ny = dx / length;
  // One sharp lightning bolt in the middle, as on paper maps.
  const amp = Math.min(11, length / 6);
  const p1 = { x: a.x + dx * 0.44 + nx * amp, y: a.y + dy * 0.44 + ny * amp };
  const p2 = { x: a.x + dx * 0.56 - nx * amp, y: a.y + dy * 0.56 - ny * amp };
  return `M${round(a.x)},${round(a.y)} L${round(p1.x)},${round(p1.y)} L${round(p2.x)},${round(p2.y)} L${round(b.x)},${round(b.y)}`;
}

/** A broad hollow shipment arrow from a to b. */
export function broadArrow(a: Point, b: Point, width = 14): string {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy) || 1;
  const ux = dx / length;
  const uy = dy / length;
  const nx = -uy;
  const ny = ux;
  const head = Math.min(18, length / 2);
  const neck = { x: b.x - ux * head, y: b.y - uy * head };
  const half = width / 2;
  const pts = [
    [a.x + nx * half, a.y + ny * half],
    [neck.x + nx * half, neck.y + ny * half],
    [neck.x + nx * (half + 7), neck.y + ny * (half + 7)],
    [b.x, b.y],
    [neck.x - nx * (half + 7), neck.y - ny * (half + 7)],
    [neck.x - nx * half, neck.y - ny * half],
    [a.x - nx * half, a.y - ny * half],
  ];
  return `M${pts.map(([px, py]) => `${round(px)},${round(py)}`).join(" L")} Z`;
}
