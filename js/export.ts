/**
 * Files from the canvas: the whole map as a standalone SVG or PNG picture, and the map's
 * JSON document. Pictures are drawn afresh and in full (the live view leaves far-off parts
 * of long maps undrawn), with the theme's colours written into each element, so that the
 * file looks like the canvas anywhere, without the widget's stylesheet.
 */

import { type DefIds, drawDefs, drawMap } from "./canvas";
import { svg } from "./icons";
import type { Layout } from "./layout";
import type { MapDocument, Metrics } from "./types";

const SVG_NS = "http://www.w3.org/2000/svg";
/** Room around the drawing, in canvas units. */
const PADDING = 16;
/** The longest side of a PNG, in pixels: browsers refuse larger canvases. */
export const PNG_MAX_SIDE = 16_000;
/** The most pixels in a PNG: the smallest canvas limit among common browsers (Safari). */
export const PNG_MAX_AREA = 16_777_216;
/** Pixels per canvas unit in a PNG (sharp on high-density screens and in print). */
export const PNG_SCALE = 2;

/**
 * Presentation properties copied from the computed style. Inherited ones are written only
 * where they differ from the parent's, so that the file stays small; text properties only
 * on the elements that hold or pass on text (reading them everywhere doubles the time).
 */
const PAINT = [
  "fill",
  "fill-opacity",
  "stroke",
  "stroke-width",
  "stroke-opacity",
  "stroke-dasharray",
  "stroke-linejoin",
  "stroke-linecap",
  "paint-order",
] as const;
const TEXT = ["font-family", "font-size", "font-weight", "font-style", "letter-spacing", "text-anchor", "dominant-baseline"] as const;
const INHERITED = [...PAINT, ...TEXT];
const TEXT_HOLDERS = new Set(["svg", "g", "text", "tspan", "a"]);
const OWN: Record<string, string> = { opacity: "1" };
/** The CSS initial values, which the root element is compared with. */
const INITIAL: Record<string, string> = {
  fill: "rgb(0, 0, 0)",
  "fill-opacity": "1",
  stroke: "none",
  "stroke-width": "1px",
  "stroke-opacity": "1",
  "stroke-dasharray": "none",
  "stroke-linejoin": "miter",
  "stroke-linecap": "butt",
  "font-style": "normal",
  "letter-spacing": "normal",
  "text-anchor": "start",
  "dominant-baseline": "auto",
  "paint-order": "normal",
};

export interface Picture {
  /** The SVG file's text. */
  text: string;
  /** Width and height in canvas units. */
  width: number;
  height: number;
}

let exportCount = 0;

/**
 * Draw the whole map (detached from the page: laying out thousands of far-off elements
 * would be slow), copy the presentation the widget's stylesheet and theme give each
 * element into attributes, and return the SVG text.
 */
export function mapPicture(host: HTMLElement, doc: MapDocument, metrics: Metrics, lay: Layout, day: number): Picture {
  const uid = `vsm-export${++exportCount}`;
  const ids: DefIds = { arrow: `${uid}-arrow`, stripes: `${uid}-stripes`, hatch: `${uid}-hatch` };
  const root = svg("svg", { xmlns: SVG_NS, class: "vsm-svg" });
  drawDefs(svg("defs", {}, root), ids);
  const background = svg("rect", { class: "vsm-export-background" }, root);
  const layers = {
    timeline: svg("g", { class: "vsm-layer-timeline" }, root),
    links: svg("g", { class: "vsm-layer-links" }, root),
    nodes: svg("g", { class: "vsm-layer-nodes" }, root),
    bursts: svg("g", { class: "vsm-layer-bursts" }, root),
  };
  drawMap(layers, doc, metrics, lay, day, ids, null);
  const b = lay.bounds;
  const x = Math.floor(b.x - PADDING);
  const y = Math.floor(b.y - PADDING);
  const width = Math.ceil(b.w + 2 * PADDING);
  const height = Math.ceil(b.h + 2 * PADDING);
  background.setAttribute("x", String(x));
  background.setAttribute("y", String(y));
  background.setAttribute("width", String(width));
  background.setAttribute("height", String(height));
  background.setAttribute("fill", getComputedStyle(host).backgroundColor || "#ffffff");
  inlineStyles(root, host);
  root.setAttribute("viewBox", `${x} ${y} ${width} ${height}`);
  root.setAttribute("width", String(width));
  root.setAttribute("height", String(height));
  root.removeAttribute("class");
  const heading = document.createElementNS(SVG_NS, "title");
  heading.textContent = doc.title;
  root.insertBefore(heading, root.firstChild);
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(root)}\n`;
  return { text, width, height };
}

/** Attributes that change an element's presentation, and so its style. */
const STYLING = new Set<string>([...INHERITED, ...Object.keys(OWN), "class", "style", "display", "visibility"]);

/**
 * Write each element's computed presentation as attributes; drop what is not displayed.
 *
 * The widget's stylesheet selects SVG elements by their classes and their ancestors'
 * classes only, so an element's style follows from its own tag and styling attributes and
 * its parent's style. Elements alike in that (a long map repeats the same few dozen) are
 * styled once, on a copy of their chain of ancestors inside `host`: the drawing itself
 * never enters the page.
 */
function inlineStyles(root: SVGSVGElement, host: HTMLElement): void {
  const scratch = document.createElement("div");
  scratch.className = "vsm-export-scratch";
  scratch.setAttribute("aria-hidden", "true");
  host.appendChild(scratch);
  const styles = new Map<string, Record<string, string> | null>();
  const probe = (chain: Element[], names: readonly string[]): Record<string, string> | null => {
    let parent: Node = scratch;
    for (const el of chain) parent = parent.appendChild(el.cloneNode(false));
    const computed = getComputedStyle(parent as Element);
    const values: Record<string, string> | null =
      computed.display === "none"
        ? null
        : Object.fromEntries([...names, ...Object.keys(OWN)].map((n) => [n, computed.getPropertyValue(n)]));
    scratch.replaceChildren();
    return values;
  };
  const walk = (el: Element, chain: Element[], parentKey: string, inherited: Record<string, string>, inDefs: boolean) => {
    const names = TEXT_HOLDERS.has(el.localName) ? INHERITED : PAINT;
    let key = `${parentKey}/${el.localName}`;
    for (const attr of el.attributes) if (STYLING.has(attr.name)) key += ` ${attr.name}=${attr.value}`;
    const path = [...chain, el];
    let values = styles.get(key);
    if (values === undefined) {
      values = probe(path, names);
      styles.set(key, values);
    }
    // Markers and patterns are never displayed themselves, yet are used: keep them.
    if (values === null && !inDefs) {
      el.remove();
      return;
    }
    const own: Record<string, string> = { ...inherited };
    if (values) {
      for (const name of names) {
        const value = values[name];
        own[name] = value;
        if (value && value !== inherited[name]) el.setAttribute(name, value);
      }
      for (const [name, initial] of Object.entries(OWN)) {
        const value = values[name];
        if (value && value !== initial) el.setAttribute(name, value);
      }
    }
    for (const child of [...el.children]) {
      // Tooltips (<title>) are not drawn: nothing to copy.
      if (child.namespaceURI === SVG_NS && child.localName !== "title") walk(child, path, key, own, inDefs || child.localName === "defs");
    }
  };
  try {
    walk(root, [], "", INITIAL, false);
  } finally {
    scratch.remove();
  }
}

/** A PNG of an SVG picture, at `PNG_SCALE` pixels per unit, smaller if the map is very large. */
export async function pictureToPng(picture: Picture): Promise<Blob> {
  const scale = Math.min(
    PNG_SCALE,
    PNG_MAX_SIDE / Math.max(picture.width, picture.height),
    Math.sqrt(PNG_MAX_AREA / (picture.width * picture.height)),
  );
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(picture.width * scale));
  canvas.height = Math.max(1, Math.round(picture.height * scale));
  const url = URL.createObjectURL(new Blob([picture.text], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.decoding = "async";
    const loaded = new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error("the browser could not draw the map as an image"));
    });
    image.src = url;
    await loaded;
    const context = canvas.getContext("2d");
    if (!context) throw new Error("this browser cannot make PNG images");
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
  } finally {
    URL.revokeObjectURL(url);
  }
  return new Promise<Blob>((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the browser could not encode the PNG"))), "image/png");
  });
}

/** The map document as the JSON text `ValueStreamMap.load` reads. */
export function documentJson(doc: MapDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A file name from the map's title: letters, digits and dashes, never empty. */
export function fileName(title: string, extension: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "")
    .toLowerCase();
  // By characters, not UTF-16 units, so that no character is cut in half.
  const stem = Array.from(slug).slice(0, 60).join("").replace(/-+$/, "");
  return `${stem || "value-stream-map"}.${extension}`;
}

/** Hand a file to the browser's download. */
export function download(host: HTMLElement, data: Blob, name: string): void {
  const url = URL.createObjectURL(data);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  host.appendChild(link);
  link.click();
  link.remove();
  // The browser reads the data once the download starts; keep the URL until surely then.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
