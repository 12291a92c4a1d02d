/** The viewport: zoom and pan of the drawing in its stage, fitting, and revealing an element. */

import type { Box } from "./scene";

export const MIN_ZOOM = 0.1;
export const MAX_ZOOM = 3;
/** The smallest zoom the first view uses to show the whole map; longer maps open at their left end. */
export const READABLE_ZOOM = 0.6;
/** The zoom a map too long to show whole opens at (data-box text about 9 px high). */
export const READING_ZOOM = 0.8;
/** Room kept around an element brought into view, in pixels. */
const REVEAL_MARGIN = 20;

export interface Zoom {
  k: number;
  tx: number;
  ty: number;
}

export class Viewport {
  zoom: Zoom = { k: 1, tx: 0, ty: 0 };
  /** Whether the first view has been set (the stage had a size). */
  fitted = false;
  /**
   * Until the user zooms or pans, a map that grows out of the view (steps added in later
   * cells, as a workshop notebook does) is shown whole again, while it still fits readably.
   */
  autoFit = true;

  constructor(
    private readonly stage: HTMLElement,
    private readonly viewport: SVGGElement,
    private readonly onChange: () => void,
    private readonly fallbackHeight: () => number,
    private readonly centred: () => boolean,
  ) {}

  size(): { w: number; h: number } {
    const r = this.stage.getBoundingClientRect();
    return { w: r.width || this.stage.clientWidth || 900, h: r.height || this.stage.clientHeight || this.fallbackHeight() };
  }

  apply(): void {
    const { k, tx, ty } = this.zoom;
    const transform = `translate(${Math.round(tx * 10) / 10},${Math.round(ty * 10) / 10}) scale(${Math.round(k * 1000) / 1000})`;
    // The same view again (a fit repeated on a resize) moves nothing: an open editor stays.
    if (transform === this.viewport.getAttribute("transform")) return;
    this.viewport.setAttribute("transform", transform);
    this.onChange();
  }

  /** The stage's width as last observed (a ResizeObserver reports every change). */
  private observedWidth: number | null = null;

  /** The stage was resized to `width` px (from the canvas's ResizeObserver). */
  observed(width: number): void {
    this.observedWidth = width > 0 ? width : null;
  }

  /**
   * Which map x ranges are near enough to the view to be drawn. It runs on every redraw:
   * the width observed is used, not a measure, which would make the browser lay the page
   * out again at once (an edit's redraw follows DOM changes). A resize culls again anyway.
   */
  window(): (x0: number, x1: number) => boolean {
    const w = this.observedWidth ?? this.size().w;
    const { k, tx } = this.zoom;
    const width = w / k;
    const left = -tx / k - width;
    const right = -tx / k + 2 * width;
    return (x0, x1) => x1 >= left && x0 <= right;
  }

  zoomBy(factor: number, at?: { x: number; y: number }): void {
    this.autoFit = false;
    const { w, h } = this.size();
    const point = at ?? { x: w / 2, y: h / 2 };
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom.k * factor));
    const ratio = k / this.zoom.k;
    this.zoom = { k, tx: point.x - (point.x - this.zoom.tx) * ratio, ty: point.y - (point.y - this.zoom.ty) * ratio };
    this.apply();
  }

  panTo(tx: number, ty: number): void {
    this.autoFit = false;
    this.zoom = { ...this.zoom, tx, ty };
    this.apply();
  }

  wheel(e: WheelEvent): void {
    e.preventDefault();
    const r = this.stage.getBoundingClientRect();
    const factor = Math.exp(-Math.max(-60, Math.min(60, e.deltaY)) * (e.ctrlKey ? 0.01 : 0.0025));
    this.zoomBy(factor, { x: e.clientX - r.left, y: e.clientY - r.top });
  }

  /** Show the whole map (and keep showing it as it grows, until the user zooms or pans). */
  fit(bounds: Box): void {
    this.autoFit = true;
    const { w, h } = this.size();
    const b = bounds;
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.min((w - 16) / b.w, (h - 16) / b.h, 1.5)));
    // In a cell the map sits at the top; on a projected full screen, in the middle.
    const top = this.centred() ? (h - b.h * k) / 2 : Math.min(12, (h - b.h * k) / 2);
    this.zoom = { k, tx: (w - b.w * k) / 2 - b.x * k, ty: top - b.y * k };
    this.apply();
  }

  /** The whole map, at most at full size, if it fits at a readable size; false if it does not. */
  showWhole(bounds: Box): boolean {
    const { w, h } = this.size();
    const fitK = Math.min((w - 16) / bounds.w, (h - 16) / bounds.h);
    if (fitK < READABLE_ZOOM) return false;
    this.fit(bounds);
    if (this.zoom.k > 1) {
      this.zoom = { k: 1, tx: (w - bounds.w) / 2 - bounds.x, ty: 8 - bounds.y };
      this.apply();
    }
    return true;
  }

  /** The map has grown: if part of it is now out of view, show it whole again when readable. */
  followGrowth(bounds: Box): void {
    const { w, h } = this.size();
    const { k, tx, ty } = this.zoom;
    const b = bounds;
    const inside = b.x * k + tx >= -1 && b.y * k + ty >= -1 && (b.x + b.w) * k + tx <= w + 1 && (b.y + b.h) * k + ty <= h + 1;
    if (!inside) this.showWhole(bounds);
  }

  /** First view: the whole map when it fits at a readable size, else its left end at a readable size. */
  initial(bounds: Box): void {
    // Not in the page yet (anywidget may render before attaching): the view calls again
    // once the stage has a size.
    const rect = this.stage.getBoundingClientRect();
    if (rect.width < 40 || rect.height < 40) {
      this.zoom = { k: READABLE_ZOOM, tx: 8, ty: 8 };
      this.apply();
      return;
    }
    this.fitted = true;
    if (this.showWhole(bounds)) return;
    const k = Math.max(MIN_ZOOM, Math.min(READING_ZOOM, (rect.height - 16) / bounds.h));
    this.zoom = { k, tx: 8 - bounds.x * k, ty: 8 - bounds.y * k };
    this.apply();
  }

  /** Pan just enough to bring a box into view (for keyboard selection and the details panel). */
  reveal(b: Box): void {
    const { w, h } = this.size();
    const { k, tx, ty } = this.zoom;
    const left = b.x * k + tx;
    const right = (b.x + b.w) * k + tx;
    const top = b.y * k + ty;
    const bottom = (b.y + b.h) * k + ty;
    let dx = 0;
    let dy = 0;
    if (right - left > w - 2 * REVEAL_MARGIN || left < REVEAL_MARGIN) dx = REVEAL_MARGIN - left;
    else if (right > w - REVEAL_MARGIN) dx = w - REVEAL_MARGIN - right;
    if (bottom - top > h - 2 * REVEAL_MARGIN || top < REVEAL_MARGIN) dy = REVEAL_MARGIN - top;
    else if (bottom > h - REVEAL_MARGIN) dy = h - REVEAL_MARGIN - bottom;
    if (dx || dy) this.panTo(tx + dx, ty + dy);
  }

  /** Map units to stage pixels. */
  toStage(x: number, y: number): { x: number; y: number } {
    const { k, tx, ty } = this.zoom;
    return { x: x * k + tx, y: y * k + ty };
  }
}
