/** One view of the map: DOM scaffold, redraws, selection, drag, pan/zoom and keyboard. */

import type { AnyModel } from "@anywidget/types";
import { type Connector, type Cullable, type DefIds, type Drawn, drawDefs, drawMap } from "./canvas";
import { buildToolbar, cssEscape, editText, fieldSpec, findElement, InlineEditor, Inspector, primaryField } from "./editing";
import { documentJson, download, fileName, mapPicture, pictureToPng } from "./export";
import { DEFAULT_DAY } from "./format";
import { svg } from "./icons";
import { type Box, type Layout, layout } from "./layout";
import { type Edit, type EditResult, Sync } from "./sync";
import type { EditError, MapDocument, WidgetTraits } from "./types";

let viewCount = 0;

/** Drag updates to Python at most this often (ms); the element itself follows every frame. */
const MOVE_INTERVAL = 150;
const DRAG_THRESHOLD = 3;
const MIN_ZOOM = 0.1;
/** The smallest zoom the first view uses to show the whole map; longer maps open at their left end. */
const READABLE_ZOOM = 0.6;
/** The zoom a map too long to show whole opens at (data-box text about 9 px high). */
const READING_ZOOM = 0.8;
const MAX_ZOOM = 3;
/** Stream length from which far-off groups are detached from the document (see `cull`). */
const VIRTUAL_FROM = 80;
/**
 * The largest map document "Open…" reads (bytes). A real map is a few hundred kB; the
 * kernel connection refuses messages over 10 MiB, and quoting the text as JSON adds to it.
 */
export const MAX_OPEN_BYTES = 4 * 1024 * 1024;
const DRAGGABLE = new Set(["customer", "supplier", "control", "process", "inventory", "wait", "burst"]);

interface Pending {
  x: number;
  y: number;
  seq: number;
  acked: boolean;
}

interface DragState {
  pointerId: number;
  startX: number;
  startY: number;
  id: string | null;
  moved: boolean;
  shift: boolean;
  /** Pan the view instead of moving an element. */
  pan: boolean;
  tx0: number;
  ty0: number;
  groups: SVGGElement[];
  boxes: Map<string, Box>;
  moving: string[];
  lastSent: number;
  dx: number;
  dy: number;
}

export class MapView {
  readonly root: HTMLDivElement;
  private readonly sync: Sync;
  private readonly svgEl: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly layers: { links: SVGGElement; nodes: SVGGElement; timeline: SVGGElement; bursts: SVGGElement };
  private readonly stage: HTMLDivElement;
  private readonly toolbar: HTMLDivElement;
  private readonly inspector: Inspector;
  private readonly editor: InlineEditor;
  private readonly errorEl: HTMLDivElement;
  private readonly ids: DefIds;
  private readonly cleanups: (() => void)[] = [];
  private drawn: Drawn = { nodes: new Map(), connectorsOf: new Map(), followers: new Map(), cullables: [] };
  private cullFrame = 0;
  private resizeObserver: ResizeObserver | null = null;
  private lay: Layout | null = null;
  private doc: MapDocument;
  private day = DEFAULT_DAY;
  private zoom = { k: 1, tx: 0, ty: 0 };
  private fitted = false;
  /**
   * Until the user zooms or pans, a map that grows out of the view (steps added in later
   * cells, as a workshop notebook does) is fitted again, while it still fits readably.
   */
  private autoFit = true;
  /** How many elements the map had when last drawn: only added elements trigger a new fit. */
  private drawnCount = 0;
  private drag: DragState | null = null;
  private deferred = false;
  private readonly pending = new Map<string, Pending>();
  private expectNew: Set<string> | null = null;
  private localError: EditError | null = null;
  private renderQueued = false;
  /** The details panel stays open without a selection once the user asks for it. */
  private inspectorPinned = false;
  /** Seq of the "open" edit in flight: the view fits the new map when Python accepts it. */
  private openSeq = 0;
  private openName = "";
  /** The document when "open" was sent: a different one means the opened map has arrived. */
  private openFrom: MapDocument | null = null;
  /** Seq of the Earlier/Later move Python has not answered yet. */
  private shiftSeq = 0;
  /** Python accepted the open before its document arrived: fit the map when it does. */
  private fitOnDocument = false;

  constructor(
    model: AnyModel<WidgetTraits>,
    private readonly host: HTMLElement,
  ) {
    this.sync = new Sync(model);
    this.doc = this.sync.document;
    const uid = `vsm${++viewCount}`;
    this.ids = { arrow: `${uid}-arrow`, stripes: `${uid}-stripes`, hatch: `${uid}-hatch` };

    this.root = document.createElement("div");
    this.root.className = "vsm-canvas";
    this.root.tabIndex = 0;
    this.root.setAttribute("role", "application");
    this.root.setAttribute("aria-label", "Value stream map editor");
    this.root.setAttribute("aria-roledescription", "value stream map");
    // Lumino (JupyterLab, Notebook 7) skips its shortcuts for keys from inside this element;
    // keydown also stops propagating here (see onKey), for hosts without that attribute.
    this.root.setAttribute("data-lm-suppress-shortcuts", "true");
    this.root.setAttribute(
      "aria-description",
      "Click to select, shift-click to add, drag to move, double-click or Enter to edit a field. " +
        "] and [ select the next and previous step, Delete removes, Ctrl+Z undoes, Ctrl+Shift+Z or Ctrl+Y redoes, + and - zoom, 0 fits.",
    );

    this.toolbar = buildToolbar();
    const body = document.createElement("div");
    body.className = "vsm-body";
    this.stage = document.createElement("div");
    this.stage.className = "vsm-stage";
    this.svgEl = svg("svg", { class: "vsm-svg", role: "img" });
    const defs = svg("defs", {}, this.svgEl);
    drawDefs(defs, this.ids);
    this.viewport = svg("g", { class: "vsm-viewport" }, this.svgEl);
    this.layers = {
      timeline: svg("g", { class: "vsm-layer-timeline" }, this.viewport),
      links: svg("g", { class: "vsm-layer-links" }, this.viewport),
      nodes: svg("g", { class: "vsm-layer-nodes" }, this.viewport),
      bursts: svg("g", { class: "vsm-layer-bursts" }, this.viewport),
    };
    this.editor = new InlineEditor(
      (id, field, value) => this.update(id, field, value),
      () => this.root.focus({ preventScroll: true }),
    );
    this.errorEl = document.createElement("div");
    this.errorEl.className = "vsm-error";
    this.errorEl.setAttribute("role", "alert");
    this.errorEl.hidden = true;
    this.stage.append(this.svgEl, this.editor.el, this.errorEl);
    this.inspector = new Inspector((id, field, value) => this.update(id, field, value), {
      can: (id, step) => this.shiftEdit(id, step) !== null,
      go: (id, step) => this.shift(id, step),
    });
    body.append(this.stage, this.inspector.el);
    this.root.append(this.toolbar, body);
    this.host.appendChild(this.root);
    this.applyHeight();

    this.listen(model);
    this.render();
    if (typeof ResizeObserver === "function") {
      // The output may be attached (and sized) after render: fit then, and re-cull on resize.
      this.resizeObserver = new ResizeObserver(() => {
        if (!this.fitted) this.initialView();
        this.scheduleCull();
      });
      this.resizeObserver.observe(this.stage);
      this.cleanups.push(() => this.resizeObserver?.disconnect());
    }
  }

  // ------------------------------------------------------------------ wiring

  private on<K extends keyof HTMLElementEventMap>(
    target: HTMLElement | SVGElement,
    type: K,
    handler: (e: HTMLElementEventMap[K]) => void,
    options?: AddEventListenerOptions,
  ): void {
    target.addEventListener(type, handler as EventListener, options);
    this.cleanups.push(() => target.removeEventListener(type, handler as EventListener, options));
  }

  private listen(model: AnyModel<WidgetTraits>): void {
    const trait = (name: string, handler: () => void) => {
      model.on(`change:${name}`, handler);
      this.cleanups.push(() => model.off(`change:${name}` as never, handler));
    };
    trait("document", () => this.onDocument());
    trait("metrics", () => this.scheduleRender());
    trait("selection", () => this.applySelection());
    trait("error", () => this.onError());
    trait("history", () => this.applyHistory());
    trait("height", () => this.applyHeight());
    this.cleanups.push(this.sync.onResult((r) => this.onResult(r)));
    this.cleanups.push(() => this.sync.dispose());

    this.on(this.root, "keydown", (e) => this.onKey(e));
    // Keys typed in the widget belong to it, not to the notebook's shortcuts.
    this.on(this.root, "keyup", (e) => e.stopPropagation());
    this.on(this.root, "keypress", (e) => e.stopPropagation());
    this.on(this.toolbar, "click", (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>("[data-vsm-action]");
      if (button && !button.disabled) this.action(button.dataset.vsmAction ?? "");
    });
    const picker = this.toolbar.querySelector<HTMLInputElement>(".vsm-file-picker");
    if (picker) this.on(picker, "change", () => this.openFile(picker));
    // A click anywhere else closes the export menu.
    // composedPath, not target: inside a shadow root (marimo) the target is the shadow host.
    const outside = (e: Event) => {
      const wrap = this.toolbar.querySelector(".vsm-menu-wrap");
      if (!wrap || !e.composedPath().includes(wrap)) this.showMenu(false);
    };
    document.addEventListener("pointerdown", outside, true);
    this.cleanups.push(() => document.removeEventListener("pointerdown", outside, true));
    const fullscreen = () => this.onFullscreen();
    document.addEventListener("fullscreenchange", fullscreen);
    this.cleanups.push(() => document.removeEventListener("fullscreenchange", fullscreen));
    this.on(this.svgEl, "pointerdown", (e) => this.onPointerDown(e));
    this.on(this.svgEl, "pointermove", (e) => this.onPointerMove(e));
    this.on(this.svgEl, "pointerup", (e) => this.onPointerUp(e));
    this.on(this.svgEl, "pointercancel", (e) => this.onPointerUp(e, true));
    this.on(this.svgEl, "dblclick", (e) => this.onDoubleClick(e));
    this.on(this.svgEl, "wheel", (e) => this.onWheel(e), { passive: false });
  }

  /** Remove every listener and the DOM this view added. */
  destroy(): void {
    this.renderQueued = false;
    if (this.cullFrame) cancelAnimationFrame(this.cullFrame);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.root.remove();
  }

  private applyHeight(): void {
    this.root.style.height = document.fullscreenElement === this.root ? "100%" : `${this.sync.height}px`;
  }

  private toggleFullscreen(): void {
    if (document.fullscreenElement === this.root) {
      void document.exitFullscreen();
      return;
    }
    if (typeof this.root.requestFullscreen !== "function") {
      this.status("This browser cannot show the canvas full screen.");
      return;
    }
    this.root.requestFullscreen().catch(() => this.status("The browser refused full screen here."));
  }

  /** Entering or leaving full screen: take the new size and show the whole map again. */
  private onFullscreen(): void {
    const on = document.fullscreenElement === this.root;
    // Every view hears the page's event: only the one entering or leaving acts on it.
    if (on === this.root.classList.contains("vsm-fullscreen")) return;
    this.root.classList.toggle("vsm-fullscreen", on);
    this.toolbar.querySelector('[data-vsm-action="fullscreen"]')?.setAttribute("aria-pressed", String(on));
    this.applyHeight();
    this.fitted = false;
    this.autoFit = true;
    this.scheduleRender();
  }

  // ------------------------------------------------------------------ drawing

  private onDocument(): void {
    const doc = this.sync.document;
    if (this.fitOnDocument) {
      this.fitOnDocument = false;
      this.fitted = false;
    }
    // Positions confirmed by Python (or refused) need no local override any more.
    for (const [id, p] of this.pending) {
      const found = findElement(doc, id);
      const el = found?.element as { x?: number | null; y?: number | null } | undefined;
      if (!el || p.acked || (el.x === p.x && el.y === p.y)) this.pending.delete(id);
    }
    if (this.expectNew) {
      const before = this.expectNew;
      const fresh = allIds(doc).filter((id) => !before.has(id));
      if (fresh.length) {
        this.expectNew = null;
        this.sync.select([fresh[0]]);
      }
    }
    this.scheduleRender();
  }

  private scheduleRender(): void {
    if (this.drag?.moved) {
      this.deferred = true;
      return;
    }
    // Python sets document and metrics in one message, as two change events in a row:
    // draw once for both, as soon as the message is handled (a microtask, not the next
    // animation frame, which would add up to a frame's wait to every edit).
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      if (this.renderQueued) this.render();
    });
  }

  /** The document with positions the user has just dropped but Python has not confirmed. */
  private effectiveDocument(): MapDocument {
    const doc = this.sync.document;
    if (this.pending.size === 0) return doc;
    const place = <T extends { x: number | null; y: number | null }>(id: string, el: T): T => {
      const p = this.pending.get(id);
      return p ? { ...el, x: p.x, y: p.y } : el;
    };
    return {
      ...doc,
      customer: place("customer", doc.customer),
      supplier: doc.supplier ? place("supplier", doc.supplier) : null,
      control: doc.control ? place("control", doc.control) : null,
      stream: doc.stream.map((s) => place(s.id, s)),
      bursts: doc.bursts.map((b) => place(b.id, b)),
    };
  }

  /** Redraw everything from the document and metrics. */
  render(): void {
    this.renderQueued = false;
    this.doc = this.effectiveDocument();
    const metrics = this.sync.metrics;
    this.day = typeof metrics.day_length === "number" && metrics.day_length > 0 ? metrics.day_length : DEFAULT_DAY;
    this.lay = layout(this.doc, metrics, this.day);
    // Size and zoom are settled before drawing, so that no layout is forced on the new nodes
    // before the far-off ones are hidden.
    const count = elementCount(this.doc);
    if (!this.fitted) this.initialView();
    else if (this.autoFit && count > this.drawnCount) this.followGrowth();
    this.drawnCount = count;
    const size = this.stageSize();
    this.drawn = drawMap(this.layers, this.doc, metrics, this.lay, this.day, this.ids, this.cullWindow(size));
    this.cull(size);
    this.svgEl.setAttribute("aria-label", `Value stream map: ${this.doc.title}`);
    this.applySelection();
    this.applyHistory();
    this.onError();
  }

  private applySelection(): void {
    const selected = new Set(this.sync.selection);
    for (const el of this.layers.nodes.querySelectorAll(".vsm-selected")) el.classList.remove("vsm-selected");
    for (const el of this.layers.links.querySelectorAll(".vsm-selected")) el.classList.remove("vsm-selected");
    for (const el of this.layers.bursts.querySelectorAll(".vsm-selected")) el.classList.remove("vsm-selected");
    for (const id of selected) {
      this.drawn.nodes.get(id)?.classList.add("vsm-selected");
      for (const el of this.layers.links.querySelectorAll(`[data-vsm-id="${cssEscape(id)}"]`)) el.classList.add("vsm-selected");
    }
    this.inspector.render(this.sync.document, [...selected], this.day);
    const open = this.inspectorPinned || selected.size > 0;
    this.root.classList.toggle("vsm-insp-open", open);
    this.toolbar.querySelector('[data-vsm-action="inspector"]')?.setAttribute("aria-pressed", String(this.inspectorPinned));
    this.setButton("delete", selected.size > 0);
    this.placeError();
  }

  private applyHistory(): void {
    const history = this.sync.history;
    this.setButton("undo", Boolean(history.can_undo));
    this.setButton("redo", Boolean(history.can_redo));
  }

  private setButton(action: string, enabled: boolean): void {
    const button = this.toolbar.querySelector<HTMLButtonElement>(`[data-vsm-action="${action}"]`);
    if (button) button.disabled = !enabled;
  }

  private status(message: string): void {
    const el = this.toolbar.querySelector(".vsm-status");
    if (el) el.textContent = message;
  }

  // ------------------------------------------------------------------ errors

  private currentError(): EditError | null {
    const error = this.sync.error;
    if (error && typeof error === "object" && (error.reason || error.message)) return error;
    return this.localError;
  }

  private onError(): void {
    const error = this.sync.error;
    if (error && (error.reason || error.message)) this.localError = null;
    this.placeError();
  }

  /** Show the reason next to the field it is about: the inspector row, else the drawn field. */
  private placeError(): void {
    const error = this.currentError();
    const el = this.errorEl;
    if (!error) {
      el.hidden = true;
      el.textContent = "";
      if (el.parentElement !== this.stage) this.stage.appendChild(el);
      return;
    }
    el.hidden = false;
    el.textContent = error.reason || error.message || "The edit was refused.";
    el.title = error.message || "";
    const target = error.target ?? "";
    const field = error.field ?? "";
    const row = this.inspector.fieldRow(target, field);
    if (row) {
      el.classList.add("vsm-error-inline");
      el.style.left = "";
      el.style.top = "";
      row.appendChild(el);
      return;
    }
    el.classList.remove("vsm-error-inline");
    if (el.parentElement !== this.stage) this.stage.appendChild(el);
    const node = target ? this.drawn.nodes.get(target) : undefined;
    const anchor = (field && node?.querySelector(`[data-vsm-field="${cssEscape(field)}"]`)) || node;
    const stageRect = this.stage.getBoundingClientRect();
    if (anchor) {
      const r = (anchor as Element).getBoundingClientRect();
      el.style.left = `${Math.max(4, Math.round(r.right - stageRect.left + 6))}px`;
      el.style.top = `${Math.max(4, Math.round(r.top - stageRect.top - 2))}px`;
    } else {
      el.style.left = "8px";
      el.style.top = "8px";
    }
  }

  // ------------------------------------------------------------------ edits

  private send(edit: Edit): number {
    return this.sync.send(edit);
  }

  private update(id: string, field: string, value: string | null): void {
    this.send({ op: "update", id, field, value });
  }

  private onResult(result: EditResult): void {
    for (const p of this.pending.values()) if (p.seq <= result.seq) p.acked = true;
    if (this.shiftSeq && result.seq >= this.shiftSeq) {
      this.shiftSeq = 0;
      if (!result.ok) this.status("");
    }
    if (this.openSeq && result.seq === this.openSeq) {
      this.openSeq = 0;
      this.status(result.ok ? `Opened ${this.openName}; Undo brings the previous map back` : "");
      if (result.ok) {
        // A new map: show it whole, as on first display, once its document is here.
        this.pending.clear();
        if (this.sync.document !== this.openFrom) {
          this.fitted = false;
          this.scheduleRender();
        } else this.fitOnDocument = true;
      }
      this.openFrom = null;
    }
    if (!result.ok) {
      for (const [id, p] of this.pending) if (p.seq <= result.seq) this.pending.delete(id);
      this.expectNew = null;
      const error = result.error;
      if (error && !(this.sync.error && (this.sync.error.reason || this.sync.error.message))) {
        this.localError = { seq: result.seq, ...error };
      }
      this.scheduleRender();
    } else {
      this.localError = null;
      this.placeError();
    }
  }

  private selectedStreamIndex(): number | null {
    const selection = this.sync.selection;
    let best: number | null = null;
    for (const id of selection) {
      const index = this.doc.stream.findIndex((s) => s.id === id);
      if (index >= 0) best = best === null ? index : Math.max(best, index);
    }
    return best;
  }

  private action(name: string): void {
    const after = this.selectedStreamIndex();
    const at = after === null ? null : after + 1;
    const selection = this.sync.selection;
    switch (name) {
      case "add-process":
        this.expectNew = new Set(allIds(this.sync.document));
        this.send({ op: "add_process", at, name: null });
        break;
      case "add-inventory":
        this.expectNew = new Set(allIds(this.sync.document));
        // A counted triangle from the start (null would draw a wait icon): the user types the count.
        this.send({ op: "add_inventory", at, quantity: 0 });
        break;
      case "add-wait":
        this.expectNew = new Set(allIds(this.sync.document));
        this.send({ op: "add_wait", at, wait_time: null });
        break;
      case "add-burst":
        this.expectNew = new Set(allIds(this.sync.document));
        this.send({ op: "add_burst", target: selection.length === 1 ? selection[0] : null, text: null });
        break;
      case "add-flow":
        if (selection.length < 2) {
          this.status("Select two elements (shift-click) to connect them.");
          return;
        }
        this.send({ op: "add_flow", source: selection[0], target: selection[1], medium: "manual" });
        break;
      case "delete":
        this.deleteSelection();
        break;
      case "undo":
        this.send({ op: "undo" });
        break;
      case "redo":
        this.send({ op: "redo" });
        break;
      case "zoom-in":
        this.zoomBy(1.25);
        break;
      case "zoom-out":
        this.zoomBy(0.8);
        break;
      case "fit":
        this.fit();
        break;
      case "inspector":
        this.inspectorPinned = !this.inspectorPinned;
        this.applySelection();
        break;
      case "layout":
        this.pending.clear();
        this.send({ op: "layout" });
        break;
      case "export":
        this.showMenu(this.toolbar.querySelector(".vsm-menu")?.hasAttribute("hidden") ?? false);
        return;
      case "export-svg":
      case "export-png":
      case "export-json":
        this.showMenu(false);
        void this.exportAs(name.slice("export-".length) as "svg" | "png" | "json");
        return;
      case "open":
        this.toolbar.querySelector<HTMLInputElement>(".vsm-file-picker")?.click();
        return;
      case "fullscreen":
        this.toggleFullscreen();
        return;
    }
    this.status("");
  }

  // ------------------------------------------------------------------ files

  private showMenu(open: boolean): void {
    const menu = this.toolbar.querySelector<HTMLElement>(".vsm-menu");
    if (!menu || menu.hidden === !open) return;
    menu.hidden = !open;
    this.toolbar.querySelector('[data-vsm-action="export"]')?.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector<HTMLButtonElement>("button")?.focus();
  }

  private moveMenuFocus(step: number): void {
    const items = [...this.toolbar.querySelectorAll<HTMLButtonElement>(".vsm-menu-item")];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const next = items[(at + step + items.length) % items.length];
    next?.focus();
  }

  /** Download the whole map: a picture of what the canvas shows, or the document Python holds. */
  async exportAs(format: "svg" | "png" | "json"): Promise<void> {
    const doc = this.sync.document;
    const name = fileName(doc.title, format);
    try {
      let data: Blob;
      if (format === "json") data = new Blob([documentJson(doc)], { type: "application/json" });
      else {
        const shown = this.effectiveDocument();
        const metrics = this.sync.metrics;
        const picture = mapPicture(this.root, shown, metrics, layout(shown, metrics, this.day), this.day);
        data = format === "svg" ? new Blob([picture.text], { type: "image/svg+xml" }) : await pictureToPng(picture);
      }
      download(this.root, data, name);
      this.status(`Downloaded ${name}`);
    } catch (error) {
      this.refuseHere("export", `Could not make ${name}: ${errorText(error)}`);
    }
  }

  /** Show a refusal decided in the browser (nothing reached Python), like Python's own. */
  private refuseHere(field: string, reason: string): void {
    this.localError = { target: null, field, reason, message: reason };
    this.placeError();
  }

  /** Read the chosen file and ask Python to open it; Python checks it and keeps this map on Undo. */
  private async openFile(picker: HTMLInputElement): Promise<void> {
    const file = picker.files?.[0];
    picker.value = "";
    if (!file) return;
    if (file.size > MAX_OPEN_BYTES) {
      const size = `${(file.size / 1048576).toFixed(1)} MB; a map document is at most ${MAX_OPEN_BYTES / 1048576} MB`;
      this.refuseHere("open", `Not opened: ${file.name} is ${size}. The map is unchanged.`);
      return;
    }
    let text: string;
    try {
      // Strict: a file in another encoding is refused, not opened with its accents replaced.
      text = new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer());
    } catch (error) {
      const why = error instanceof TypeError ? "is not UTF-8 text" : `could not be read (${errorText(error)})`;
      this.refuseHere("open", `Not opened: ${file.name} ${why}. The map is unchanged.`);
      return;
    }
    this.openName = file.name;
    this.openFrom = this.sync.document;
    this.openSeq = this.send({ op: "open", text, name: file.name });
    this.status(`Opening ${file.name}…`);
  }

  /**
   * The edit that moves a stream item one place: a step swaps with the next step that way
   * (the gaps between stay); a gap hops over the next step, or trades places with the gap
   * beyond it (two gaps never stand side by side). Null at either end.
   */
  private shiftEdit(id: string, step: -1 | 1): Edit | null {
    const stream = this.sync.document.stream;
    const at = stream.findIndex((item) => item.id === id);
    if (at < 0) return null;
    let k = at + step;
    while (k >= 0 && k < stream.length && stream[k].type !== "process") k += step;
    if (k < 0 || k >= stream.length) return null;
    if (stream[at].type === "process") return { op: "swap", id, other: stream[k].id };
    const beyond = stream[k + step];
    return beyond?.type === "gap" ? { op: "swap", id, other: beyond.id } : { op: "reorder", id, index: k };
  }

  private shift(id: string, step: -1 | 1): void {
    // One move at a time: the next is worked out from the document this one produces
    // (a double click would otherwise send the same swap twice, and undo it).
    if (this.shiftSeq) return;
    const edit = this.shiftEdit(id, step);
    if (!edit) return;
    this.shiftSeq = this.send(edit);
    this.status(step < 0 ? "Moved upstream" : "Moved downstream");
  }

  private deleteSelection(): void {
    const ids = this.sync.selection.filter((id) => id !== "customer" && id !== "map");
    if (!ids.length) return;
    for (const id of ids) this.send({ op: "remove", id });
    this.sync.select([]);
  }

  // ------------------------------------------------------------------ keyboard

  private onKey(e: KeyboardEvent): void {
    e.stopPropagation();
    const target = e.target as HTMLElement;
    if (target.closest("input, textarea, select")) return;
    // Enter and Space on a button press it; the arrow keys on the toolbar move through the
    // Export menu. Neither may edit or move the selection.
    if (target.closest("button") && (e.key === "Enter" || e.key === " ")) return;
    if (target.closest(".vsm-toolbar") && e.key.startsWith("Arrow")) {
      if (target.closest(".vsm-menu") && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
        e.preventDefault();
        this.moveMenuFocus(e.key === "ArrowDown" ? 1 : -1);
      }
      return;
    }
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key;
    if (mod && (key === "z" || key === "Z")) {
      e.preventDefault();
      this.send({ op: e.shiftKey ? "redo" : "undo" });
    } else if (mod && (key === "y" || key === "Y")) {
      e.preventDefault();
      this.send({ op: "redo" });
    } else if (key === "Delete" || key === "Backspace") {
      e.preventDefault();
      this.deleteSelection();
    } else if (key === "Enter") {
      const selection = this.sync.selection;
      if (selection.length === 1) {
        e.preventDefault();
        this.openEditor(selection[0], null);
      }
    } else if (key === "Escape") {
      const menu = this.toolbar.querySelector<HTMLElement>(".vsm-menu");
      if (menu && !menu.hidden) {
        this.showMenu(false);
        this.toolbar.querySelector<HTMLElement>('[data-vsm-action="export"]')?.focus();
        return;
      }
      this.sync.select([]);
    } else if (key === "+" || key === "=") {
      this.zoomBy(1.25);
    } else if (key === "-") {
      this.zoomBy(0.8);
    } else if (key === "0") {
      this.fit();
    } else if (key === "]" || key === "[" || key === "Home" || key === "End") {
      // Keyboard selection along the stream: next, previous, first, last.
      e.preventDefault();
      this.selectAlong(key);
    } else if (
      e.altKey &&
      (key === "ArrowLeft" || key === "ArrowRight") &&
      this.sync.selection.length === 1 &&
      this.sync.document.stream.some((item) => item.id === this.sync.selection[0])
    ) {
      // Alt+arrow: the selected step or gap trades places along the stream.
      e.preventDefault();
      this.shift(this.sync.selection[0], key === "ArrowLeft" ? -1 : 1);
    } else if (key.startsWith("Arrow") && this.sync.selection.length) {
      e.preventDefault();
      const step = e.shiftKey ? 40 : 8;
      const dx = key === "ArrowLeft" ? -step : key === "ArrowRight" ? step : 0;
      const dy = key === "ArrowUp" ? -step : key === "ArrowDown" ? step : 0;
      for (const id of this.sync.selection) {
        const box = this.lay?.boxes.get(id);
        if (box && this.isDraggable(id)) this.commitMove(id, box.x + dx, box.y + dy);
      }
    }
  }

  private selectAlong(key: string): void {
    const stream = this.doc.stream;
    if (!stream.length) return;
    const current = this.selectedStreamIndex();
    let index: number;
    if (key === "Home") index = 0;
    else if (key === "End") index = stream.length - 1;
    else if (current === null) index = key === "]" ? 0 : stream.length - 1;
    else index = Math.min(stream.length - 1, Math.max(0, current + (key === "]" ? 1 : -1)));
    const id = stream[index].id;
    this.sync.select([id]);
    this.reveal(id);
    this.status(`${index + 1} of ${stream.length}`);
  }

  /** Pan just enough to bring an element into view. */
  private reveal(id: string): void {
    const b = this.lay?.boxes.get(id);
    if (!b) return;
    const { w, h } = this.stageSize();
    const { k } = this.zoom;
    const left = b.x * k + this.zoom.tx;
    const right = (b.x + b.w) * k + this.zoom.tx;
    const top = b.y * k + this.zoom.ty;
    const bottom = (b.y + b.h) * k + this.zoom.ty;
    let dx = 0;
    let dy = 0;
    if (left < 20) dx = 20 - left;
    else if (right > w - 20) dx = w - 20 - right;
    if (top < 20) dy = 20 - top;
    else if (bottom > h - 20) dy = h - 20 - bottom;
    if (dx || dy) {
      this.autoFit = false;
      this.zoom = { k, tx: this.zoom.tx + dx, ty: this.zoom.ty + dy };
      this.applyZoom();
    }
  }

  // ------------------------------------------------------------------ in-place editing

  private onDoubleClick(e: MouseEvent): void {
    const hit = this.hit(e.target);
    if (!hit) return;
    e.preventDefault();
    const fieldEl = (e.target as Element).closest("[data-vsm-field]");
    this.openEditor(hit.id, fieldEl?.getAttribute("data-vsm-field") ?? null);
  }

  /** Open the input over a drawn field (or the element's main field). */
  openEditor(id: string, field: string | null): void {
    const found = findElement(this.sync.document, id);
    if (!found) return;
    const name = field ?? primaryField(found.kind, found.element);
    const spec = fieldSpec(found.kind, name);
    if (!spec || spec.type === "readonly") return;
    if (spec.type === "choice" || spec.type === "waste" || spec.type === "longtext") {
      // Those are easier in the inspector: focus its input.
      this.sync.select([id]);
      this.inspector.render(this.sync.document, [id], this.day);
      this.inspector.fieldRow(id, name)?.querySelector<HTMLElement>("input, select, textarea")?.focus();
      if (spec.type !== "longtext") return;
    }
    const node = this.drawn.nodes.get(id) ?? (this.layers.links.querySelector(`[data-vsm-id="${cssEscape(id)}"]`) as SVGGElement | null);
    const anchor = (node?.querySelector(`[data-vsm-field="${cssEscape(name)}"]`) as Element | null) ?? node;
    const stageRect = this.stage.getBoundingClientRect();
    const r = anchor ? anchor.getBoundingClientRect() : { left: stageRect.left + 40, top: stageRect.top + 40, width: 120, height: 22 };
    this.editor.show(id, name, editText(spec, found.element[name], this.day), {
      left: r.left - stageRect.left - 4,
      top: r.top - stageRect.top - 3,
      width: r.width + 10,
      height: r.height + 6,
    });
  }

  // ------------------------------------------------------------------ pointer: select, drag, pan

  private hit(target: EventTarget | null): { id: string; kind: string } | null {
    const el = (target as Element | null)?.closest?.("[data-vsm-id]");
    if (!el || !this.svgEl.contains(el)) return null;
    return { id: el.getAttribute("data-vsm-id") ?? "", kind: el.getAttribute("data-vsm-kind") ?? "" };
  }

  private isDraggable(id: string): boolean {
    const node = this.drawn.nodes.get(id);
    return Boolean(node && DRAGGABLE.has(node.getAttribute("data-vsm-kind") ?? ""));
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    if (this.editor.open) this.editor.finish(true);
    const hit = this.hit(e.target);
    const draggable = hit !== null && this.isDraggable(hit.id);
    this.drag = {
      pointerId: e.pointerId,
      startX: e.clientX,
      startY: e.clientY,
      id: hit?.id ?? null,
      moved: false,
      shift: e.shiftKey,
      pan: hit === null,
      tx0: this.zoom.tx,
      ty0: this.zoom.ty,
      groups: [],
      boxes: new Map(),
      moving: [],
      lastSent: 0,
      dx: 0,
      dy: 0,
    };
    if (hit && !draggable) this.drag.pan = false;
    this.root.focus({ preventScroll: true });
    // No pointer capture yet: capturing here would retarget click and dblclick to the <svg>,
    // and a double-click on a field would never reach it. Capture starts with a real drag.
  }

  private onPointerMove(e: PointerEvent): void {
    const drag = this.drag;
    if (!drag || drag.pointerId !== e.pointerId) return;
    const sx = e.clientX - drag.startX;
    const sy = e.clientY - drag.startY;
    if (!drag.moved) {
      if (Math.hypot(sx, sy) < DRAG_THRESHOLD) return;
      if (!drag.pan && !(drag.id && this.isDraggable(drag.id))) return;
      drag.moved = true;
      try {
        this.svgEl.setPointerCapture(e.pointerId);
      } catch {
        // Synthetic events in tests have no active pointer to capture.
      }
      if (!drag.pan && drag.id) this.startMove(drag);
      this.root.classList.add(drag.pan ? "vsm-panning" : "vsm-dragging");
    }
    if (drag.pan) {
      this.autoFit = false;
      this.zoom.tx = drag.tx0 + sx;
      this.zoom.ty = drag.ty0 + sy;
      this.applyZoom();
      return;
    }
    drag.dx = sx / this.zoom.k;
    drag.dy = sy / this.zoom.k;
    this.followPointer(drag);
    const now = performance.now();
    if (drag.id && now - drag.lastSent >= MOVE_INTERVAL) {
      drag.lastSent = now;
      const box = this.lay?.boxes.get(drag.id);
      if (box) this.send({ op: "move", id: drag.id, x: Math.round(box.x + drag.dx), y: Math.round(box.y + drag.dy) });
    }
  }

  private startMove(drag: DragState): void {
    const id = drag.id as string;
    drag.moving = [id, ...(this.drawn.followers.get(id) ?? [])];
    drag.groups = drag.moving.map((m) => this.drawn.nodes.get(m)).filter((g): g is SVGGElement => Boolean(g));
    drag.boxes = new Map(this.lay?.boxes);
    if (drag.lastSent === 0) drag.lastSent = performance.now();
  }

  /** Move only the dragged groups and redraw only their connectors. */
  private followPointer(drag: DragState): void {
    const transform = `translate(${drag.dx},${drag.dy})`;
    for (const g of drag.groups) g.setAttribute("transform", transform);
    const base = this.lay?.boxes;
    if (!base) return;
    const touched = new Set<Connector>();
    for (const id of drag.moving) {
      const b = base.get(id);
      if (b) drag.boxes.set(id, { ...b, x: b.x + drag.dx, y: b.y + drag.dy });
      for (const c of this.drawn.connectorsOf.get(id) ?? []) touched.add(c);
    }
    for (const c of touched) c.draw(drag.boxes);
  }

  private onPointerUp(e: PointerEvent, cancelled = false): void {
    const drag = this.drag;
    if (!drag || drag.pointerId !== e.pointerId) return;
    this.drag = null;
    this.root.classList.remove("vsm-panning", "vsm-dragging");
    try {
      this.svgEl.releasePointerCapture(e.pointerId);
    } catch {
      // Not captured (synthetic events).
    }
    if (!drag.moved) {
      if (cancelled) return;
      this.click(drag.id, drag.shift);
      return;
    }
    if (drag.pan || !drag.id) return;
    const box = this.lay?.boxes.get(drag.id);
    if (box && !cancelled) {
      if (!this.sync.selection.includes(drag.id)) this.sync.select([drag.id]);
      this.commitMove(drag.id, box.x + drag.dx, box.y + drag.dy);
    } else this.render();
    if (this.deferred) {
      this.deferred = false;
      this.render();
    }
  }

  /** Send the drop position and draw it at once; Python's document confirms it later. */
  private commitMove(id: string, x: number, y: number): void {
    const rx = Math.round(x);
    const ry = Math.round(y);
    const seq = this.send({ op: "move", id, x: rx, y: ry });
    this.pending.set(id, { x: rx, y: ry, seq, acked: false });
    this.render();
  }

  private click(id: string | null, shift: boolean): void {
    const current = this.sync.selection;
    if (!id) {
      if (!shift) this.sync.select([]);
      return;
    }
    if (shift) this.sync.select(current.includes(id) ? current.filter((s) => s !== id) : [...current, id]);
    else this.sync.select([id]);
  }

  // ------------------------------------------------------------------ zoom

  /**
   * On long maps, keep only the groups within a screen of the view in the document. Chromium
   * spends its time laying out SVG text even under display: none, so far-off groups are
   * detached (kept in memory, with their listeners delegated) and come back on pan or zoom.
   * Far-off steps and rungs of a long map are not even drawn until first needed. Maps of
   * fewer than VIRTUAL_FROM stream items keep every element in the document.
   */
  private cull(size = this.stageSize()): void {
    const inView = this.cullWindow(size);
    for (const c of this.drawn.cullables) {
      const show = !inView || inView(c.x0, c.x1);
      if (show === c.shown) continue;
      if (show) this.attach(c);
      else {
        c.shown = false;
        c.el?.remove();
      }
    }
  }

  /** Which canvas x ranges are near enough to the view to be in the document (null: all). */
  private cullWindow(size: { w: number; h: number }): ((x0: number, x1: number) => boolean) | null {
    if (this.doc.stream.length < VIRTUAL_FROM) return null;
    const { k, tx } = this.zoom;
    const width = size.w / k;
    const left = -tx / k - width;
    const right = -tx / k + 2 * width;
    return (x0, x1) => x1 >= left && x0 <= right;
  }

  private attach(c: Cullable): void {
    c.shown = true;
    // Drawn for the first time: build appends it to its layer.
    if (!c.el && c.build) c.el = c.build();
    else if (c.el) c.parent.appendChild(c.el);
    const id = c.el?.getAttribute("data-vsm-id");
    if (c.el && id) c.el.classList.toggle("vsm-selected", this.sync.selection.includes(id));
  }

  private scheduleCull(): void {
    if (this.cullFrame || typeof requestAnimationFrame !== "function") return;
    this.cullFrame = requestAnimationFrame(() => {
      this.cullFrame = 0;
      this.cull();
    });
  }

  private applyZoom(): void {
    this.scheduleCull();
    const { k, tx, ty } = this.zoom;
    this.viewport.setAttribute(
      "transform",
      `translate(${Math.round(tx * 10) / 10},${Math.round(ty * 10) / 10}) scale(${Math.round(k * 1000) / 1000})`,
    );
    if (this.editor.open) this.editor.finish(true);
    this.placeError();
  }

  private stageSize(): { w: number; h: number } {
    const r = this.stage.getBoundingClientRect();
    return { w: r.width || this.stage.clientWidth || 900, h: r.height || this.stage.clientHeight || this.sync.height - 40 };
  }

  private zoomBy(factor: number, at?: { x: number; y: number }): void {
    this.autoFit = false;
    const { w, h } = this.stageSize();
    const point = at ?? { x: w / 2, y: h / 2 };
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom.k * factor));
    const ratio = k / this.zoom.k;
    this.zoom = { k, tx: point.x - (point.x - this.zoom.tx) * ratio, ty: point.y - (point.y - this.zoom.ty) * ratio };
    this.applyZoom();
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const r = this.stage.getBoundingClientRect();
    const factor = Math.exp(-Math.max(-60, Math.min(60, e.deltaY)) * (e.ctrlKey ? 0.01 : 0.0025));
    this.zoomBy(factor, { x: e.clientX - r.left, y: e.clientY - r.top });
  }

  /** Show the whole map (and keep showing it as it grows, until the user zooms or pans). */
  fit(): void {
    if (!this.lay) return;
    this.autoFit = true;
    const { w, h } = this.stageSize();
    const b = this.lay.bounds;
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.min((w - 16) / b.w, (h - 16) / b.h, 1.5)));
    // In a cell the map sits at the top; on a projected full screen, in the middle.
    const top = document.fullscreenElement === this.root ? (h - b.h * k) / 2 : Math.min(12, (h - b.h * k) / 2);
    this.zoom = { k, tx: (w - b.w * k) / 2 - b.x * k, ty: top - b.y * k };
    this.applyZoom();
  }

  /** The whole map, at most at full size, if it fits at a readable size; false if it does not. */
  private showWhole(w: number, h: number): boolean {
    if (!this.lay) return false;
    const b = this.lay.bounds;
    const fitK = Math.min((w - 16) / b.w, (h - 16) / b.h);
    if (fitK < READABLE_ZOOM) return false;
    this.fit();
    if (this.zoom.k > 1) {
      this.zoom = { k: 1, tx: (w - b.w) / 2 - b.x, ty: 8 - b.y };
      this.applyZoom();
    }
    return true;
  }

  /** The map has grown: if part of it is now out of view, show it whole again when readable. */
  private followGrowth(): void {
    if (!this.lay) return;
    const { w, h } = this.stageSize();
    const { k, tx, ty } = this.zoom;
    const b = this.lay.bounds;
    const inside = b.x * k + tx >= -1 && b.y * k + ty >= -1 && (b.x + b.w) * k + tx <= w + 1 && (b.y + b.h) * k + ty <= h + 1;
    if (!inside) this.showWhole(w, h);
  }

  /** First view: the whole map when it fits at a readable size, else its left end at a readable size. */
  private initialView(): void {
    if (!this.lay) return;
    // Not in the page yet (anywidget may render before attaching): the ResizeObserver calls
    // again once the stage has a size.
    const rect = this.stage.getBoundingClientRect();
    if (rect.width < 40 || rect.height < 40) {
      this.zoom = { k: READABLE_ZOOM, tx: 8, ty: 8 };
      this.applyZoom();
      return;
    }
    const { w, h } = { w: rect.width, h: rect.height };
    this.fitted = true;
    const b = this.lay.bounds;
    if (this.showWhole(w, h)) return;
    // Too long to show whole at a readable size: open at its left end, at a size for reading.
    const k = Math.max(MIN_ZOOM, Math.min(READING_ZOOM, (h - 16) / b.h));
    this.zoom = { k, tx: 8 - b.x * k, ty: 8 - b.y * k };
    this.applyZoom();
  }
}

/** How many elements the stream, bursts, flows and shipments hold (to notice a map growing). */
function elementCount(doc: MapDocument): number {
  return doc.stream.length + doc.bursts.length + doc.flows.length + doc.shipments.length;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Every id in the document (to find what an add created). */
function allIds(doc: MapDocument): string[] {
  return [...doc.stream.map((s) => s.id), ...doc.bursts.map((b) => b.id), ...doc.flows.map((f) => f.id), ...doc.shipments.map((s) => s.id)];
}
