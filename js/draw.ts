/**
 * Drawing: turn scene nodes into SVG groups, keep them by key, and change only the nodes
 * that changed. User text goes into text nodes only, never markup.
 */

import { type Box, LAYERS, type Layer, type Scene, type SceneNode, type SceneShape, toBox } from "./scene";

export const SVG_NS = "http://www.w3.org/2000/svg";
/** Shape keys that are not SVG attributes. */
const META = new Set(["t", "c", "f", "m", "tip", "text", "spans", "kids", "marker"]);
/** Tags a scene may use: anything else is ignored, so a scene cannot inject elements. */
const TAGS = new Set(["rect", "path", "line", "circle", "text", "g", "polygon", "polyline", "ellipse"]);
/** Attributes a scene may set (presentation and geometry, never event handlers or links). */
const ATTR = /^(?:[xy][12]?|c[xy]|r[xy]?|d|width|height|points|transform|fill|stroke|text-anchor|opacity)$/;
/** Stream length from which far-off nodes are kept out of the document (see `cull`). */
export const VIRTUAL_FROM = 80;
/** How far beyond its box a node may draw (badges, labels), for culling. */
const REACH = 200;

/** Ids of the shared <defs> of one view (ids must be unique in the page). */
export interface DefIds {
  arrow: string;
  stripes: string;
  hatch: string;
}

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

function title(parent: Node, content: string): void {
  svg("title", {}, parent).textContent = content;
}

/** The arrow marker and fill patterns, once per view. */
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
  const stripes = svg("pattern", { id: ids.stripes, width: 8, height: 8, patternUnits: "userSpaceOnUse" }, defs);
  svg("rect", { width: 8, height: 8, class: "vsm-stripe-bg" }, stripes);
  svg("rect", { width: 4, height: 8, class: "vsm-stripe" }, stripes);
  const hatch = svg(
    "pattern",
    { id: ids.hatch, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
    defs,
  );
  svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "vsm-hatch" }, hatch);
}

/** One scene shape as an SVG element. */
export function drawShape(shape: SceneShape, ids: DefIds): SVGElement | null {
  if (!TAGS.has(shape.t)) return null;
  const el = document.createElementNS(SVG_NS, shape.t) as SVGElement;
  for (const key in shape) {
    if (META.has(key) || !ATTR.test(key)) continue;
    let value = shape[key];
    if (typeof value === "string" && value.startsWith("@")) value = `url(#${ids[value.slice(1) as keyof DefIds] ?? ""})`;
    if (typeof value === "string" || typeof value === "number") el.setAttribute(key, String(value));
  }
  if (shape.c) el.setAttribute("class", shape.c);
  if (shape.marker) el.setAttribute("marker-end", `url(#${ids.arrow})`);
  if (shape.f) el.setAttribute("data-vsm-field", shape.f);
  if (shape.m) el.setAttribute("data-vsm-metric", shape.m);
  if (shape.t === "text") {
    if (shape.spans)
      for (const [x, y, content] of shape.spans) {
        const span = svg("tspan", { x, y }, el);
        span.textContent = content;
      }
    else el.textContent = shape.text ?? "";
  }
  for (const kid of shape.kids ?? []) {
    const child = drawShape(kid, ids);
    if (child) el.appendChild(child);
  }
  if (shape.tip) title(el, shape.tip);
  return el;
}

/** The kinds of element a person would name, for screen readers. */
const ROLE_NAMES: Record<string, string> = {
  process: "process box",
  inventory: "inventory",
  wait: "wait",
  customer: "customer",
  supplier: "supplier",
  control: "production control",
  burst: "kaizen burst",
  info: "information flow",
  shipment: "shipment",
  push: "push arrow",
  pull: "pull",
  fifo: "FIFO lane",
  rung: "timeline rung",
  title: "map title",
  slot: "insertion point",
  lane: "branch",
  merge: "branch joining",
  split: "branch splitting off",
  rework: "rework loop",
  paths: "path totals",
};

/** One scene node as a group with the canvas's hooks and its accessible name. */
export function drawNode(node: SceneNode, ids: DefIds): SVGGElement {
  const g = svg("g", {
    class: `vsm-el vsm-${node.kind}${node.role ? ` ${node.role}` : ""}`,
    "data-vsm-kind": node.kind,
    "data-vsm-node": node.key,
    "data-vsm-id": node.id,
    "aria-label": node.label,
  });
  if (node.kind === "slot") {
    // An insertion handle: a button of the canvas, not an element of the map (no id).
    g.setAttribute("data-vsm-slot", node.key);
  }
  if (node.id || node.kind === "slot") {
    g.setAttribute("role", "button");
    g.setAttribute("aria-roledescription", ROLE_NAMES[node.kind] ?? node.kind);
    g.tabIndex = -1;
  } else g.setAttribute("role", "img");
  for (const shape of node.shapes) {
    const el = drawShape(shape, ids);
    if (el) g.appendChild(el);
  }
  if (node.tip) title(g, node.tip);
  return g;
}

interface Drawn {
  node: SceneNode;
  el: SVGGElement | null;
  /** x range for culling. */
  x0: number;
  x1: number;
  shown: boolean;
}

/** The drawn scene of one view: groups by key, reused while their node is unchanged. */
export class Drawing {
  private readonly drawn = new Map<string, Drawn>();
  private scene: Scene | null = null;
  private byId = new Map<string, string[]>();
  private inView: ((x0: number, x1: number) => boolean) | null = null;

  constructor(
    readonly layers: Record<Layer, SVGGElement>,
    private readonly ids: DefIds,
  ) {}

  get current(): Scene | null {
    return this.scene;
  }

  /** Draw `scene`, rebuilding only the nodes that differ from what is drawn. */
  show(scene: Scene, inView: ((x0: number, x1: number) => boolean) | null): void {
    this.inView = inView;
    const seen = new Set<string>();
    const byId = new Map<string, string[]>();
    const order = emptyLayers();
    let reordered = false;
    for (const node of scene.nodes) {
      seen.add(node.key);
      let entry = this.drawn.get(node.key);
      if (!entry || !sameNode(entry.node, node)) {
        entry?.el?.remove();
        entry = { node, el: null, x0: node.box[0] - REACH, x1: node.box[0] + node.box[2] + REACH, shown: false };
        this.drawn.set(node.key, entry);
        reordered = true;
      } else entry.node = node;
      order[node.layer]?.push(entry);
      if (node.id) {
        const keys = byId.get(node.id);
        if (keys) keys.push(node.key);
        else byId.set(node.id, [node.key]);
      }
    }
    for (const [key, entry] of this.drawn)
      if (!seen.has(key)) {
        entry.el?.remove();
        this.drawn.delete(key);
      }
    this.byId = byId;
    this.scene = scene;
    for (const layer of LAYERS) this.place(layer, order[layer], reordered);
  }

  /** Put a layer's groups in the document in order; far-off ones stay out (culling). */
  private place(layer: Layer, entries: Drawn[], reordered: boolean): void {
    const parent = this.layers[layer];
    let previous: Element | null = null;
    for (const entry of entries) {
      const show = !this.inView || this.inView(entry.x0, entry.x1);
      if (!show) {
        if (entry.shown) entry.el?.remove();
        entry.shown = false;
        continue;
      }
      if (!entry.el) entry.el = drawNode(entry.node, this.ids);
      const expected: Element | null = previous ? previous.nextElementSibling : parent.firstElementChild;
      if (!entry.shown || reordered || expected !== entry.el) {
        if (expected !== entry.el) parent.insertBefore(entry.el, expected);
      }
      entry.shown = true;
      previous = entry.el;
    }
  }

  /** Re-cull after a pan or zoom: attach what came near the view, detach what went far. */
  cull(inView: ((x0: number, x1: number) => boolean) | null): void {
    if (!this.scene) return;
    this.inView = inView;
    const order = emptyLayers();
    for (const node of this.scene.nodes) {
      const entry = this.drawn.get(node.key);
      if (entry) order[node.layer]?.push(entry);
    }
    for (const layer of LAYERS) this.place(layer, order[layer], false);
  }

  /** The drawn groups of an element (its own node first). */
  groupsOf(id: string): SVGGElement[] {
    const keys = this.byId.get(id) ?? [];
    const own = keys.includes(id) ? [id, ...keys.filter((k) => k !== id)] : keys;
    return own.map((k) => this.drawn.get(k)?.el).filter((g): g is SVGGElement => Boolean(g?.isConnected));
  }

  /** The element's own group (its main node), if drawn. */
  group(id: string): SVGGElement | null {
    const entry = this.drawn.get(id);
    return entry?.el?.isConnected ? entry.el : null;
  }

  node(key: string): SceneNode | undefined {
    return this.drawn.get(key)?.node;
  }

  /** The main box of an element, in map units. */
  box(id: string): Box | null {
    const node = this.drawn.get(id)?.node;
    return node ? toBox(node.box) : null;
  }

  draggable(id: string): boolean {
    return Boolean(this.drawn.get(id)?.node.drag);
  }

  /** Nodes that move with `id` while it is dragged (bursts placed next to it). */
  followers(id: string): string[] {
    return (this.scene?.nodes ?? []).filter((n) => n.follows === id).map((n) => n.key);
  }

  /** Connectors joined to any of `ids`. */
  connectorsOf(ids: string[]): SVGGElement[] {
    const set = new Set(ids);
    const found: SVGGElement[] = [];
    for (const node of this.scene?.nodes ?? []) {
      if (!node.ends?.some((e) => set.has(e))) continue;
      const el = this.drawn.get(node.key)?.el;
      if (el) found.push(el);
    }
    return found;
  }

  /**
   * Mark the groups of the selected elements. The last one selected is the current one
   * (`aria-current`) and the canvas's one tab stop among the elements (a roving tabindex).
   */
  select(ids: string[]): void {
    for (const layer of Object.values(this.layers)) {
      for (const el of layer.querySelectorAll(".vsm-selected")) el.classList.remove("vsm-selected");
      for (const el of layer.querySelectorAll<SVGGElement>('[aria-current="true"]')) {
        el.removeAttribute("aria-current");
        el.tabIndex = -1;
      }
    }
    for (const id of ids) for (const g of this.groupsOf(id)) g.classList.add("vsm-selected");
    const current = this.currentGroup(ids);
    if (current) {
      current.setAttribute("aria-current", "true");
      current.tabIndex = 0;
    }
  }

  /** The drawn group of the current (last selected) element, if it is drawn. */
  currentGroup(ids: string[]): SVGGElement | null {
    const id = ids.at(-1);
    return id ? (this.group(id) ?? this.groupsOf(id)[0] ?? null) : null;
  }

  /** How many groups are in the document now (for tests and benchmarks). */
  get attached(): number {
    let count = 0;
    for (const entry of this.drawn.values()) if (entry.shown) count++;
    return count;
  }
}

function emptyLayers(): Record<Layer, Drawn[]> {
  return { timeline: [], links: [], nodes: [], bursts: [], slots: [] };
}

const json = new WeakMap<SceneNode, string>();

/** Whether two nodes draw the same: the same object, or the same content. */
function sameNode(a: SceneNode, b: SceneNode): boolean {
  if (a === b) return true;
  let ja = json.get(a);
  if (ja === undefined) {
    ja = JSON.stringify(a);
    json.set(a, ja);
  }
  let jb = json.get(b);
  if (jb === undefined) {
    jb = JSON.stringify(b);
    json.set(b, jb);
  }
  return ja === jb;
}
