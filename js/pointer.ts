/**
 * The pointer: click to select (shift adds), drag an element (a preview in the browser,
 * laid out again by Python on release), drag the background to pan, double-click a
 * field to edit it, wheel to zoom.
 */

const DRAG_THRESHOLD = 3;
/** Longest time between the presses of a double-click (ms), as most systems set it. */
const DOUBLE_CLICK_MS = 500;

export interface Hit {
  id: string;
  kind: string;
  field: string | null;
}

/** What the pointer asks of the view. */
export interface PointerHost {
  draggable(id: string): boolean;
  zoom(): { k: number; tx: number; ty: number };
  pan(tx: number, ty: number): void;
  wheel(e: WheelEvent): void;
  /** A drag of `id` starts, follows the pointer by (dx, dy) map units, and ends. */
  dragStart(id: string): void;
  dragMove(id: string, dx: number, dy: number): void;
  dragEnd(id: string, dx: number, dy: number, cancelled: boolean): void;
  click(id: string | null, shift: boolean): void;
  doubleClick(hit: Hit): void;
  /** A press anywhere on the map (closes the inline editor, focuses the canvas). */
  press(): void;
  /** A click on an insertion handle (a "+" in the stream), by its node key. */
  slot(key: string): void;
  panning(on: boolean): void;
}

interface Drag {
  pointerId: number;
  startX: number;
  startY: number;
  id: string | null;
  moved: boolean;
  shift: boolean;
  pan: boolean;
  tx0: number;
  ty0: number;
  dx: number;
  dy: number;
}

/** The element under a DOM event target, with the field it shows. */
export function hitOf(target: EventTarget | null, within: Element): Hit | null {
  const el = (target as Element | null)?.closest?.("[data-vsm-id]");
  if (!el || !within.contains(el)) return null;
  const field = (target as Element).closest("[data-vsm-field]")?.getAttribute("data-vsm-field") ?? null;
  return { id: el.getAttribute("data-vsm-id") ?? "", kind: el.getAttribute("data-vsm-kind") ?? "", field };
}

/** The node key of the insertion handle under a DOM event target, if any. */
export function slotOf(target: EventTarget | null): string | null {
  return (target as Element | null)?.closest?.("[data-vsm-slot]")?.getAttribute("data-vsm-slot") ?? null;
}

export class Pointer {
  private drag: Drag | null = null;
  /**
   * What the first press of a double-click hit. The first click may open the details
   * panel, and the map then makes room for it: the second press can land beside the field
   * the user aimed at, so a double-click edits what the first press hit.
   */
  private firstHit: Hit | null = null;
  private lastPress = { time: -1e9, x: 0, y: 0 };

  constructor(
    private readonly svgEl: SVGSVGElement,
    private readonly host: PointerHost,
    listen: (target: SVGSVGElement, type: string, handler: (e: Event) => void, options?: AddEventListenerOptions) => void,
  ) {
    listen(svgEl, "pointerdown", (e) => this.down(e as PointerEvent));
    listen(svgEl, "pointermove", (e) => this.move(e as PointerEvent));
    listen(svgEl, "pointerup", (e) => this.up(e as PointerEvent));
    listen(svgEl, "pointercancel", (e) => this.up(e as PointerEvent, true));
    listen(svgEl, "dblclick", (e) => this.doubleClick(e as MouseEvent));
    listen(svgEl, "click", (e) => {
      const key = slotOf(e.target);
      if (key) host.slot(key);
    });
    listen(svgEl, "wheel", (e) => host.wheel(e as WheelEvent), { passive: false });
  }

  /** Whether an element is being dragged (redraws wait until it is dropped). */
  get dragging(): boolean {
    return Boolean(this.drag?.moved && !this.drag.pan);
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.host.press();
    // An insertion handle is a button: it neither selects, drags nor pans (see "click").
    if (slotOf(e.target)) return;
    // The second press of a double-click comes soon after the first, near it (pointer
    // events carry no click count): it acts on what the first press hit, even if the map
    // moved under the pointer in between.
    const last = this.lastPress;
    const again = e.timeStamp - last.time < DOUBLE_CLICK_MS && Math.hypot(e.clientX - last.x, e.clientY - last.y) < 8;
    const hit = again ? this.firstHit : hitOf(e.target, this.svgEl);
    if (!again) this.firstHit = hit;
    this.lastPress = { time: e.timeStamp, x: e.clientX, y: e.clientY };
    const { tx, ty } = this.host.zoom();
    this.drag = {
      pointerId: e.pointerId,
      startX: e.clientX,
      startY: e.clientY,
      id: hit?.id ?? null,
      moved: false,
      shift: e.shiftKey,
      pan: hit === null,
      tx0: tx,
      ty0: ty,
      dx: 0,
      dy: 0,
    };
    // No pointer capture yet: capturing here would retarget click and dblclick to the <svg>,
    // and a double-click on a field would never reach it. Capture starts with a real drag.
  }

  private move(e: PointerEvent): void {
    const drag = this.drag;
    if (!drag || drag.pointerId !== e.pointerId) return;
    const sx = e.clientX - drag.startX;
    const sy = e.clientY - drag.startY;
    if (!drag.moved) {
      if (Math.hypot(sx, sy) < DRAG_THRESHOLD) return;
      if (!drag.pan && !(drag.id && this.host.draggable(drag.id))) return;
      drag.moved = true;
      try {
        this.svgEl.setPointerCapture(e.pointerId);
      } catch {
        // Synthetic events in tests have no active pointer to capture.
      }
      if (drag.pan) this.host.panning(true);
      else if (drag.id) this.host.dragStart(drag.id);
    }
    if (drag.pan) {
      this.host.pan(drag.tx0 + sx, drag.ty0 + sy);
      return;
    }
    const { k } = this.host.zoom();
    drag.dx = sx / k;
    drag.dy = sy / k;
    if (drag.id) this.host.dragMove(drag.id, drag.dx, drag.dy);
  }

  private up(e: PointerEvent, cancelled = false): void {
    const drag = this.drag;
    if (!drag || drag.pointerId !== e.pointerId) return;
    this.drag = null;
    try {
      this.svgEl.releasePointerCapture(e.pointerId);
    } catch {
      // Not captured (synthetic events).
    }
    if (!drag.moved) {
      if (!cancelled) this.host.click(drag.id, drag.shift);
      return;
    }
    if (drag.pan) this.host.panning(false);
    else if (drag.id) this.host.dragEnd(drag.id, drag.dx, drag.dy, cancelled);
  }

  private doubleClick(e: MouseEvent): void {
    const hit = this.firstHit ?? hitOf(e.target, this.svgEl);
    this.firstHit = null;
    if (!hit) return;
    e.preventDefault();
    this.host.doubleClick(hit);
  }
}
