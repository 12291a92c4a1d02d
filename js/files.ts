/**
 * Files from and to the canvas: the whole map as a picture (SVG or PNG) drawn by Python
 * from the same scene as the canvas, the map's JSON document, and opening a document.
 */

import type { MapDocument } from "./types";

/** The longest side of a PNG, in pixels: browsers refuse larger canvases. */
export const PNG_MAX_SIDE = 16_000;
/** The most pixels in a PNG: the smallest canvas limit among common browsers (Safari). */
export const PNG_MAX_AREA = 16_777_216;
/** Pixels per map unit in a PNG (sharp on high-density screens and in print). */
export const PNG_SCALE = 2;
/**
 * The largest map document "Open…" reads (bytes). A real map is a few hundred kB; the
 * kernel connection refuses messages over 10 MiB, and quoting the text as JSON adds to it.
 */
export const MAX_OPEN_BYTES = 4 * 1024 * 1024;

/** Width and height of an SVG picture, from its viewBox. */
export function pictureSize(svgText: string): { width: number; height: number } {
  const match = /viewBox="\s*[-\d.e]+\s+[-\d.e]+\s+([\d.e]+)\s+([\d.e]+)\s*"/.exec(svgText);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : { width: 800, height: 600 };
}

/** A PNG of an SVG picture, at `PNG_SCALE` pixels per unit, smaller if the map is very large. */
export async function pictureToPng(svgText: string): Promise<Blob> {
  const { width, height } = pictureSize(svgText);
  const scale = Math.min(PNG_SCALE, PNG_MAX_SIDE / Math.max(width, height), Math.sqrt(PNG_MAX_AREA / (width * height)));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
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

/** The text of a chosen map document, or why it cannot be opened. */
export async function readMapFile(file: File): Promise<{ text: string } | { refusal: string }> {
  if (file.size > MAX_OPEN_BYTES) {
    const size = `${(file.size / 1048576).toFixed(1)} MB; a map document is at most ${MAX_OPEN_BYTES / 1048576} MB`;
    return { refusal: `Not opened: ${file.name} is ${size}. The map is unchanged.` };
  }
  try {
    // Strict: a file in another encoding is refused, not opened with its accents replaced.
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer()) };
  } catch (error) {
    const why = error instanceof TypeError ? "is not UTF-8 text" : `could not be read (${errorText(error)})`;
    return { refusal: `Not opened: ${file.name} ${why}. The map is unchanged.` };
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
