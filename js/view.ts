/**
 * One view of the map: puts the parts together. Python lays the map out (the scene); this
 * view draws it (draw.ts), pans and zooms it (viewport.ts), takes the pointer and the
 * keyboard (pointer.ts, keyboard.ts), shows edits in flight (pending.ts) and refusals
 * (errors.ts), and reads and writes files (files.ts).
 */

import type { AnyModel } from "@anywidget/types";
import { type DefIds, Drawing, drawDefs, svg, VIRTUAL_FROM } from "./draw";
import {
  buildToolbar,
  cssEscape,
  editText,
  elementName,
  everyElement,
  FLOW_ENDS,
  fieldSpec,
  findElement,
  heldText,
  InlineEditor,
  Inspector,
  type Place,
  primaryField,
} from "./editing";
import { DEFAULT_DAY } from "./edittext";
import { ErrorChannel } from "./errors";
import { documentJson, download, errorText, fileName, pictureToPng, readMapFile } from "./files";
import { loadFont } from "./fonts";
import { newClientId } from "./identity";
import { KEY_HELP, type KeyHost, onKey } from "./keyboard";
import { ChoiceMenu } from "./menu";
import { Pending } from "./pending";
import { type Hit, Pointer, type PointerHost } from "./pointer";
import { PresenceLayer } from "./presence";
import { LAYERS, type Layer, toBox } from "./scene";
import { SlotMenu } from "./slots";
import { type Edit, type EditResult, Sync } from "./sync";
import { followTheme } from "./theme";
import type { MapDocument, StreamItem, WidgetTraits } from "./types";
import { Viewport } from "./viewport";
import { WorkshopLayer } from "./workshop";

let viewCount = 0;

/** Drag updates to Python at most this often (ms); the element itself follows every frame. */
const MOVE_INTERVAL = 150;
/** At most this long (ms) before the details panel shows an edit, even on a busy page. */
const PANEL_LATEST = 50;
const ADD_OPS = { process: "add_process", inventory: "add_inventory", wait: "add_wait" } as const;

export class MapView {
  /** This canvas among every view of the model, on this page and others (sync.ts). */
  readonly client = newClientId();
  readonly root: HTMLDivElement;
  /** This canvas's own id: its results, its selection and its presence are told apart by it. */
  private readonly sync: Sync;
  private readonly svgEl: SVGSVGElement;
  private readonly stage: HTMLDivElement;
  private readonly toolbar: HTMLDivElement;
  private readonly inspector: Inspector;
  private readonly editor: InlineEditor;
  private readonly slots: SlotMenu;
  /** "Information flow to": the other end of a flow drawn from the one selected element. */
  private readonly flowMenu: ChoiceMenu;
  /** The information flow sent last and not yet answered: the status line tells its answer. */
  private flowSent: { seq: number; between: string } | null = null;
  private readonly errors: ErrorChannel;
  private readonly drawing: Drawing;
  private readonly viewport: Viewport;
  private readonly pending = new Pending();
  private readonly cleanups: (() => void)[] = [];
  private renderQueued = false;
  /** The details panel waits for the page to be idle after a redraw (`applySelection`). */
  private panelQueued = false;
  /** A redraw that waits until the element being dragged is dropped. */
  private deferred = false;
  /** How many elements the map had when last drawn: only added elements trigger a new fit. */
  private drawnCount = 0;
  /** The selection is to take focus once drawn (an add selects what it created). */
  private focusPending = false;
  /** The details panel: opened with the selection unless the user closed it. */
  private panel: "auto" | "pinned" | "closed" = "auto";
  private lastMoveSent = 0;
  /** The details panel opened or closed since the last resize of the stage. */
  private panelMoved = false;
  private pointer: Pointer;
  private readonly presence: PresenceLayer;
  private readonly workshop: WorkshopLayer;

  constructor(
    model: AnyModel<WidgetTraits>,
    private readonly host: HTMLElement,
  ) {
    this.sync = new Sync(model, this.client);
    const uid = `vsm${++viewCount}`;
    const ids: DefIds = { arrow: `${uid}-arrow`, stripes: `${uid}-stripes`, hatch: `${uid}-hatch` };

    this.root = document.createElement("div");
    this.root.className = "vsm-canvas";
    this.root.tabIndex = 0;
    this.root.setAttribute("role", "application");
    this.root.setAttribute("aria-label", "Value stream map editor");
    this.root.setAttribute("aria-roledescription", "value stream map");
    // Lumino (JupyterLab, Notebook 7) skips its shortcuts for keys from inside this element;
    // keydown also stops propagating here (see onKey), for hosts without that attribute.
    this.root.setAttribute("data-lm-suppress-shortcuts", "true");
    this.root.setAttribute("aria-description", KEY_HELP);

    this.toolbar = buildToolbar();
    const body = document.createElement("div");
    body.className = "vsm-body";
    this.stage = document.createElement("div");
    this.stage.className = "vsm-stage";
    this.svgEl = svg("svg", { class: "vsm-svg", role: "group" });
    drawDefs(svg("defs", {}, this.svgEl), ids);
    const viewportEl = svg("g", { class: "vsm-viewport" }, this.svgEl);
    const layers = {} as Record<Layer, SVGGElement>;
    for (const name of LAYERS) layers[name] = svg("g", { class: `vsm-layer-${name}` }, viewportEl);
    const rings = svg("g", { class: "vsm-presence-rings", "aria-hidden": "true" }, viewportEl);
    const workshopMarks = svg("g", { class: "vsm-workshop-marks", "aria-hidden": "true" }, viewportEl);
    this.drawing = new Drawing(layers, ids);
    this.viewport = new Viewport(
      this.stage,
      viewportEl,
      () => this.onViewChange(),
      () => this.sync.height - 40,
      () => document.fullscreenElement === this.root,
    );
    this.editor = new InlineEditor(
      (id, field, value) => this.update(id, field, value),
      () => this.focusMap(),
    );
    this.slots = new SlotMenu(
      (what, key) => this.addAtSlot(what, key),
      (key, refocus) => {
        this.drawing.group(key)?.classList.remove("vsm-slot-open");
        if (refocus) this.root.focus({ preventScroll: true });
      },
    );
    this.flowMenu = new ChoiceMenu(
      "vsm-flow-menu",
      "flowTo",
      (target, source) => {
        this.sendFlow(source, target);
        // The chosen item is hidden with its menu: focus goes back to the map, for the next key.
        this.focusMap();
      },
      (_source, refocus) => {
        if (refocus) this.focusMap();
      },
    );
    this.stage.append(this.svgEl, this.editor.el, this.slots.el, this.flowMenu.el);
    this.inspector = new Inspector(
      (id, field, value) => this.update(id, field, value),
      {
        can: (id, step) => this.shiftEdit(id, step) !== null,
        go: (id, step) => this.shift(id, step),
        insert: (what, place) => this.add(what, place),
        close: () => this.closePanel(),
        paths: {
          feeder: (into) => this.pending.add(this.send({ op: "add_branch", into, after: null, name: null, step: "" })),
          split: (after, into) => this.pending.add(this.send({ op: "add_branch", into, after, name: null, step: "" })),
          // The step stays selected: its panel shows the refusal, or the loop it now has.
          rework: (source, target, share) => void this.send({ op: "add_rework", source, target, share }),
          move: (id, path, after) => void this.send({ op: "move_to_path", id, path, after }),
        },
      },
      () => this.sync.fields,
    );
    this.errors = new ErrorChannel(this.stage, {
      row: (target, field) => this.inspector.fieldRow(target, field),
      drawn: (target, field) => {
        const group = this.drawing.group(target) ?? this.drawing.groupsOf(target)[0] ?? null;
        return (field && group?.querySelector(`[data-vsm-field="${cssEscape(field)}"]`)) || group;
      },
    });
    body.append(this.stage, this.inspector.el);
    this.root.append(this.toolbar, body);
    this.host.appendChild(this.root);
    this.applyHeight();
    this.cleanups.push(followTheme(this.root));

    this.presence = new PresenceLayer(model, this.client, {
      root: this.root,
      toolbar: this.toolbar,
      rings,
      selection: () => this.sync.selection,
      groupsOf: (id) => this.drawing.groupsOf(id),
      box: (id) => this.drawing.box(id),
    });
    this.cleanups.push(() => this.presence.destroy());
    this.workshop = new WorkshopLayer(model, this.client, {
      root: this.root,
      toolbar: this.toolbar,
      stage: this.stage,
      marks: workshopMarks,
      document: () => this.sync.document,
      box: (id) => this.drawing.box(id),
      groupsOf: (id) => this.drawing.groupsOf(id),
      toStage: (x, y) => this.viewport.toStage(x, y),
      zoom: () => this.viewport.zoom,
      size: () => this.viewport.size(),
      setZoom: (zoom) => {
        this.viewport.autoFit = false;
        this.viewport.zoom = zoom;
        this.viewport.apply();
      },
      refuse: (error) => (error ? this.errors.refused(error) : this.errors.clear()),
      status: (text) => this.status(text),
      seq: () => this.sync.nextSeq(),
    });
    this.cleanups.push(() => this.workshop.destroy());
    this.listen(model);
    this.pointer = new Pointer(this.svgEl, this.pointerHost(), (target, type, handler, options) => {
      target.addEventListener(type, handler, options);
      this.cleanups.push(() => target.removeEventListener(type, handler, options));
    });
    this.render();
    // Labels are laid out with Inter's widths: draw again once it is loaded (the first
    // frame may use a fallback font for a moment).
    void loadFont();
    if (typeof ResizeObserver === "function") {
      // The output may be attached (and sized) after render; the details panel and full
      // screen change the stage's width: fit again, or keep the selection in view.
      const observer = new ResizeObserver((entries) => {
        const entry = entries.at(-1);
        if (entry) this.viewport.observed(entry.borderBoxSize?.[0]?.inlineSize ?? entry.contentRect.width);
        this.onResize();
      });
      observer.observe(this.stage);
      this.cleanups.push(() => observer.disconnect());
    }
  }

  // ------------------------------------------------------------------ wiring

  private on<K extends keyof HTMLElementEventMap>(target: HTMLElement, type: K, handler: (e: HTMLElementEventMap[K]) => void): void {
    target.addEventListener(type, handler as EventListener);
    this.cleanups.push(() => target.removeEventListener(type, handler as EventListener));
  }

  private listen(model: AnyModel<WidgetTraits>): void {
    const trait = (name: string, handler: () => void) => {
      model.on(`change:${name}`, handler);
      this.cleanups.push(() => model.off(`change:${name}` as never, handler));
    };
    this.cleanups.push(this.sync.onMapChange(() => this.scheduleRender()));
    trait("selection", () => this.applySelection(true));
    trait("error", () => this.errors.fromPython(this.sync.error));
    trait("history", () => this.applyHistory());
    trait("height", () => this.applyHeight());
    this.cleanups.push(this.sync.onResult((r) => this.onResult(r)));
    this.cleanups.push(this.sync.onNotice((notice) => this.status(notice.text)));
    this.cleanups.push(() => this.sync.dispose());

    this.on(this.root, "keydown", (e) => {
      // Keyboard use shows the insertion handles and focus rings until the pointer is back.
      this.root.classList.add("vsm-keys");
      onKey(e, this.keyHost());
    });
    this.on(this.root, "pointerdown", () => this.root.classList.remove("vsm-keys"));
    // Keys typed in the widget belong to it, not to the notebook's shortcuts.
    this.on(this.root, "keyup", (e) => e.stopPropagation());
    this.on(this.root, "keypress", (e) => e.stopPropagation());
    this.on(this.toolbar, "click", (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>("[data-vsm-action]");
      if (button && !button.disabled) this.action(button.dataset.vsmAction ?? "", e.detail > 0);
    });
    const picker = this.toolbar.querySelector<HTMLInputElement>(".vsm-file-picker");
    if (picker) this.on(picker, "change", () => void this.openFile(picker));
    // A click anywhere else closes the export menu. composedPath, not target: inside a
    // shadow root (marimo) the target is the shadow host.
    const outside = (e: Event) => {
      const path = e.composedPath();
      const wrap = this.toolbar.querySelector(".vsm-menu-wrap");
      if (!wrap || !path.includes(wrap)) this.showMenu(false);
      // A press on another handle opens that one's menu instead (on its click).
      if (!path.includes(this.slots.el)) this.slots.close(false);
      if (!path.includes(this.flowMenu.el)) this.flowMenu.close(false);
    };
    document.addEventListener("pointerdown", outside, true);
    this.cleanups.push(() => document.removeEventListener("pointerdown", outside, true));
    const fullscreen = () => this.onFullscreen();
    document.addEventListener("fullscreenchange", fullscreen);
    this.cleanups.push(() => document.removeEventListener("fullscreenchange", fullscreen));
  }

  /** Remove every listener and the DOM this view added. */
  destroy(): void {
    this.renderQueued = false;
    this.panelQueued = false;
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
    // A refusal of the browser's, shown where every refusal is (the error channel).
    if (typeof this.root.requestFullscreen !== "function") {
      this.errors.refuseHere("fullscreen", "This browser cannot show the canvas full screen.");
      return;
    }
    this.root.requestFullscreen().catch(() => this.errors.refuseHere("fullscreen", "The browser refused full screen here."));
  }

  /** Entering or leaving full screen: take the new size and show the whole map again. */
  private onFullscreen(): void {
    const on = document.fullscreenElement === this.root;
    // Every view hears the page's event: only the one entering or leaving acts on it.
    if (on === this.root.classList.contains("vsm-fullscreen")) return;
    this.root.classList.toggle("vsm-fullscreen", on);
    this.toolbar.querySelector('[data-vsm-action="fullscreen"]')?.setAttribute("aria-pressed", String(on));
    this.applyHeight();
    this.viewport.fitted = false;
    this.viewport.autoFit = true;
    this.scheduleRender();
  }

  private onResize(): void {
    const bounds = toBox(this.sync.scene.bounds);
    if (!this.viewport.fitted) this.viewport.initial(bounds);
    else if (this.panelMoved) {
      // The details panel opened or closed: the map keeps its place under the pointer, and
      // the element being worked on stays in view.
      this.revealSelection();
    } else if (this.viewport.autoFit) {
      // The output got wider or narrower (a side bar of JupyterLab, a window): show it whole again.
      if (!this.viewport.showWhole(bounds)) this.revealSelection();
    } else this.revealSelection();
    this.panelMoved = false;
    this.cull();
  }

  private onViewChange(): void {
    this.cull();
    if (this.editor.open) this.editor.finish(true);
    this.slots.close(false);
    this.flowMenu.close(false);
    this.errors.place();
    this.workshop?.viewChanged();
  }

  // ------------------------------------------------------------------ drawing

  private scheduleRender(): void {
    if (this.pointer?.dragging) {
      this.deferred = true;
      return;
    }
    // A patch and a trait may arrive in one message handler: draw once, as soon as it is
    // handled (a microtask, not the next animation frame, which would add a frame's wait).
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      if (this.renderQueued) this.render();
    });
  }

  private cullWindow(): ((x0: number, x1: number) => boolean) | null {
    return this.sync.document.stream.length < VIRTUAL_FROM ? null : this.viewport.window();
  }

  private cull(): void {
    this.drawing.cull(this.cullWindow());
    this.applyDrops();
    this.drawing.select(this.sync.selection);
    this.presence.draw();
  }

  /** Draw the scene Python sent (only the nodes that changed are rebuilt). */
  render(): void {
    this.renderQueued = false;
    const scene = this.sync.scene;
    const doc = this.sync.document;
    const bounds = toBox(scene.bounds);
    // Size and zoom are settled before drawing, so that far-off nodes are never built.
    const count = elementCount(doc);
    if (!this.viewport.fitted) this.viewport.initial(bounds);
    else if (this.viewport.autoFit && count > this.drawnCount) this.viewport.followGrowth(bounds);
    this.drawnCount = count;
    // A redraw replaces the groups of changed nodes: focus on one of them stays on the map.
    const refocus = this.focusOnMap() || this.focusPending;
    this.drawing.show(scene, this.cullWindow());
    // A handle's menu belongs to its place: it closes when the place is gone or redrawn.
    const open = this.slots.openKey;
    if (open && !this.drawing.group(open)?.classList.contains("vsm-slot-open")) this.slots.close(false);
    // The flow's menu belongs to the element it starts from and lists the ends there were:
    // it closes when the element is gone or the ends changed (an undo, another view's edit).
    const source = this.flowMenu.openKey;
    if (source && (!this.drawing.node(source) || this.flowEnds(source).join(" ") !== this.flowMenu.values.join(" ")))
      this.flowMenu.close(true);
    this.applyDrops();
    this.svgEl.setAttribute("aria-label", `Value stream map: ${scene.title}`);
    this.applySelection(false, true);
    this.presence.draw();
    if (refocus && (this.focusPending || !this.root.contains(document.activeElement))) this.focusMap();
    this.focusPending = false;
    this.applyHistory();
    this.errors.fromPython(this.sync.error);
    this.workshop.draw();
  }

  /** Elements dropped but not answered yet stay where they were dropped. */
  private applyDrops(): void {
    for (const [id, drop] of this.pending.drops) this.translate(id, drop.dx, drop.dy);
  }

  private translate(id: string, dx: number, dy: number): void {
    const transform = dx || dy ? `translate(${dx},${dy})` : null;
    for (const key of [id, ...this.drawing.followers(id)]) {
      const g = this.drawing.group(key);
      if (!g) continue;
      if (transform) g.setAttribute("transform", transform);
      else g.removeAttribute("transform");
    }
  }

  private day(): number {
    const day = this.sync.scene.day;
    return typeof day === "number" && day > 0 ? day : DEFAULT_DAY;
  }

  /**
   * Show the selection: marks on the map, the details panel, the buttons. After a redraw
   * of the map (`later`), an open panel is brought up to date once the page is idle: the
   * widget messages of the same edit (cards, charts) go first, and the panel follows
   * within a few milliseconds.
   */
  private applySelection(changed: boolean, later = false): void {
    const selected = this.sync.selection;
    this.drawing.select(selected);
    // Focus follows the selection while the keyboard is on the map (never from a notebook cell).
    if (changed && this.focusOnMap()) this.focusMap();
    const open = this.panel === "pinned" || (this.panel === "auto" && selected.length > 0);
    if (later && open) this.schedulePanel();
    else this.renderPanel();
    const moved = open !== this.root.classList.contains("vsm-insp-open");
    if (moved) this.panelMoved = true;
    this.root.classList.toggle("vsm-insp-open", open);
    // The panel never covers the map: the stage makes room for it (at once, so that the
    // element stays in view before the resize is observed).
    if (moved) this.revealSelection();
    this.toolbar.querySelector('[data-vsm-action="inspector"]')?.setAttribute("aria-pressed", String(open));
    this.setButton("delete", selected.length > 0);
    this.errors.place();
    if (changed) this.revealSelection();
  }

  private renderPanel(): void {
    this.panelQueued = false;
    this.inspector.render(this.sync.document, this.sync.selection, this.day(), (id) => this.drawing.node(id)?.figures ?? []);
  }

  private schedulePanel(): void {
    if (this.panelQueued) return;
    this.panelQueued = true;
    const run = () => {
      if (!this.panelQueued) return; // drawn meanwhile (a new selection), or the view is gone
      this.renderPanel();
      this.errors.place();
    };
    if (typeof requestIdleCallback === "function") requestIdleCallback(run, { timeout: PANEL_LATEST });
    else setTimeout(run, 0);
  }

  private revealSelection(): void {
    const id = this.sync.selection.at(-1);
    const box = id ? this.drawing.box(id) : null;
    if (box) this.viewport.reveal(box);
  }

  private closePanel(): void {
    this.panel = "closed";
    this.applySelection(false);
    this.focusMap();
  }

  /** Whether keyboard focus is on the map itself: the canvas or one of its drawn elements. */
  private focusOnMap(): boolean {
    const active = document.activeElement;
    return active === this.root || (active instanceof Element && this.svgEl.contains(active));
  }

  /**
   * Give focus to the map: to the current element, so that a screen reader says what is
   * selected and keys act on it, or to the canvas when nothing is selected (or the element
   * is not drawn yet: it takes focus once drawn).
   */
  private focusMap(): void {
    const group = this.drawing.currentGroup(this.sync.selection);
    this.focusPending = !group && this.sync.selection.length > 0;
    (group ?? this.root).focus({ preventScroll: true });
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
    if (el && el.textContent !== message) el.textContent = message;
  }

  // ------------------------------------------------------------------ edits

  private send(edit: Edit): number {
    // The status line tells of the last action only: an edit (an undo and a redo too)
    // clears what the one before said.
    this.status("");
    return this.sync.send(edit);
  }

  private update(id: string, field: string, value: string | null): void {
    this.send({ op: "update", id, field, value });
  }

  private onResult(result: EditResult): void {
    const { add, dropped } = this.pending.answered(result.seq);
    // Python's layout (already drawn: its patch comes before its result) places them now;
    // a refused move puts them back.
    for (const id of dropped) this.translate(id, 0, 0);
    if (this.pending.openSeq && result.seq === this.pending.openSeq) {
      this.pending.openSeq = 0;
      this.status(result.ok ? `Opened ${this.pending.openName}; Undo brings the previous map back` : "");
      if (result.ok) {
        // A new map: show it whole, as on first display.
        this.pending.clear();
        this.viewport.fitted = false;
      }
    }
    if (this.flowSent?.seq === result.seq) {
      // The status line said the flow was on its way: now whether it is drawn.
      this.status(result.ok ? `Information flow drawn ${this.flowSent.between}.` : "");
      this.flowSent = null;
    }
    if (result.ok) {
      this.errors.clear();
      // Select what this view added (never what someone else added meanwhile): the steps
      // and gaps, not a new branch (which is not drawn as an element of its own).
      const doc = this.sync.document;
      const unseen = new Set([...(doc.branches ?? []), ...(doc.reworks ?? [])].map((x) => x.id));
      const created = (result.created ?? []).filter((id) => !unseen.has(id));
      if (add && created.length) {
        this.sync.select(created);
        this.focusMap();
      }
    } else if (result.error) this.errors.refused({ seq: result.seq, ...result.error });
    this.scheduleRender();
  }

  /** Where an add goes: after the selected stream item (or burst target), else at the end. */
  private placeFromSelection(before: boolean): Place {
    const stream = this.sync.document.stream;
    const picked = this.sync.selection.filter((id) => stream.some((s) => s.id === id));
    if (!picked.length) return before && stream.length ? { before: stream[0].id } : {};
    const index = Math.max(...picked.map((id) => stream.findIndex((s) => s.id === id)));
    return before ? { before: stream[index].id } : { after: stream[index].id };
  }

  /** Add a process, inventory, wait or kaizen burst at a place named by ids. */
  private add(what: string, place: Place): void {
    let seq: number;
    const after = place.after ?? null;
    const before = place.before ?? null;
    if (what === "burst") {
      const selection = this.sync.selection;
      seq = this.send({ op: "add_burst", target: selection.length === 1 ? selection[0] : null, text: null });
    } else {
      const op = ADD_OPS[what as keyof typeof ADD_OPS];
      if (!op) return;
      const base = { after, before, ...(place.branch ? { branch: place.branch } : {}) } as {
        after: string | null;
        before: string | null;
        branch?: string;
      };
      // A counted triangle from the start (null would draw a wait icon): the user types the count.
      if (op === "add_process") seq = this.send({ op, ...base, name: null });
      else if (op === "add_inventory") seq = this.send({ op, ...base, quantity: 0 });
      else seq = this.send({ op, ...base, wait_time: null });
    }
    this.pending.add(seq);
  }

  private action(name: string, byPointer: boolean): void {
    switch (name) {
      case "add-process":
      case "add-inventory":
      case "add-wait":
      case "add-burst":
        this.add(name.slice(4), this.placeFromSelection(false));
        // Focus goes to the canvas (where the new element is selected), not the button:
        // Enter then edits the new element instead of adding another.
        this.root.focus({ preventScroll: true });
        break;
      case "add-flow":
        // The menu, if one opened, holds focus (leaving it brings focus back to the map);
        // otherwise focus goes to the map, so that Enter does not draw the flow again.
        if (!this.connect()) this.focusMap();
        return;
      case "add-branch": {
        const doc = this.sync.document;
        const steps = this.sync.selection.filter((id) => findElement(doc, id)?.kind === "process");
        if (steps.length !== 1) {
          this.status("Select one step to add a feeder branch into it.");
          return;
        }
        this.pending.add(this.send({ op: "add_branch", into: steps[0], after: null, name: null, step: "" }));
        break;
      }
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
        this.viewport.zoomBy(1.25);
        break;
      case "zoom-out":
        this.viewport.zoomBy(0.8);
        break;
      case "fit":
        this.viewport.fit(toBox(this.sync.scene.bounds));
        break;
      case "inspector": {
        const open = this.root.classList.contains("vsm-insp-open");
        this.panel = open ? "closed" : "pinned";
        this.applySelection(false);
        break;
      }
      case "layout":
        this.pending.clear();
        this.send({ op: "layout" });
        break;
      case "export":
        this.showMenu(this.toolbar.querySelector(".vsm-menu")?.hasAttribute("hidden") ?? false);
        return;
      case "export-svg":
      case "export-png":
      case "export-svg-print":
      case "export-json":
        this.showMenu(false);
        void this.exportAs(name.slice("export-".length));
        return;
      case "open":
        this.toolbar.querySelector<HTMLInputElement>(".vsm-file-picker")?.click();
        return;
      case "fullscreen":
        this.toggleFullscreen();
        return;
    }
    if (byPointer && name !== "add-process" && name !== "add-inventory" && name !== "add-wait" && name !== "add-burst") {
      // A mouse click leaves focus on the canvas, so that keys act on the map.
      this.root.focus({ preventScroll: true });
    }
    // The status line reports the last action only; an edit clears what the one before said.
    this.status("");
  }

  // ------------------------------------------------------------------ insertion handles

  /** Open the menu of an insertion handle, under its "+". */
  private openSlot(key: string): void {
    const node = this.drawing.node(key);
    const group = this.drawing.group(key);
    if (!node?.place || !group) return;
    if (this.editor.open) this.editor.finish(true);
    const r = group.getBoundingClientRect();
    const stage = this.stage.getBoundingClientRect();
    // Inside the stage, even for a handle at its right edge.
    const left = Math.min(r.left - stage.left + r.width / 2 - 12, stage.width - 140);
    group.classList.add("vsm-slot-open");
    this.slots.openAt(key, node.label, Boolean(node.gaps), { left: Math.max(4, left), top: r.bottom - stage.top + 6 });
  }

  /** Add at a handle's place: after the item before it, or before the first. */
  private addAtSlot(what: string, key: string): void {
    const place = this.drawing.node(key)?.place;
    if (place) this.add(what, place);
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
    items[(at + step + items.length) % items.length]?.focus();
  }

  /** Download the whole map: Python's picture of the scene, or the document Python holds. */
  async exportAs(format: string): Promise<void> {
    const doc = this.sync.document;
    const extension = format === "svg-print" ? "svg" : format;
    const name = fileName(doc.title, extension);
    try {
      let data: Blob;
      if (format === "json") data = new Blob([documentJson(doc)], { type: "application/json" });
      else {
        const dark = this.root.classList.contains("vsm-dark");
        const palette = format === "svg-print" ? "print" : dark ? "dark" : "light";
        const picture = await this.sync.picture(palette, true);
        data = format === "png" ? await pictureToPng(picture) : new Blob([picture], { type: "image/svg+xml" });
      }
      download(this.root, data, name);
      this.status(`Downloaded ${name}`);
    } catch (error) {
      this.errors.refuseHere("export", `Could not make ${name}: ${errorText(error)}`);
    }
  }

  /** Read the chosen file and ask Python to open it; Python checks it and keeps this map on Undo. */
  private async openFile(picker: HTMLInputElement): Promise<void> {
    const file = picker.files?.[0];
    picker.value = "";
    if (!file) return;
    const read = await readMapFile(file);
    if ("refusal" in read) {
      this.errors.refuseHere("open", read.refusal);
      return;
    }
    this.pending.openName = file.name;
    this.pending.openSeq = this.send({ op: "open", text: read.text, name: file.name });
    this.status(`Opening ${file.name}…`);
  }

  // ------------------------------------------------------------------ along the stream

  /**
   * The edit that moves a stream item one place: a step swaps with the next step that way
   * (the gaps between stay); a gap hops over the next step, or trades places with the gap
   * beyond it (two gaps never stand side by side). Null at either end.
   */
  private shiftEdit(id: string, step: -1 | 1): Edit | null {
    // Along the item's own path: the main stream, or the branch it stands on.
    const stream = this.pathItems(id) ?? [];
    const at = stream.findIndex((item) => item.id === id);
    if (at < 0) return null;
    let k = at + step;
    while (k >= 0 && k < stream.length && stream[k].type !== "process") k += step;
    if (k < 0 || k >= stream.length) return null;
    if (stream[at].type === "process") return { op: "swap", id, other: stream[k].id };
    const beyond = stream[k + step];
    return beyond?.type === "gap" ? { op: "swap", id, other: beyond.id } : { op: "reorder", id, index: k };
  }

  /** The items of the path a step or gap stands on (the main stream or a branch), if any. */
  private pathItems(id: string): StreamItem[] | undefined {
    const doc = this.sync.document;
    return [doc.stream, ...(doc.branches ?? []).map((branch) => branch.items)].find((items) => items.some((item) => item.id === id));
  }

  private shift(id: string, step: -1 | 1): void {
    // One move at a time: the next is worked out from the document this one produces
    // (a double click would otherwise send the same swap twice, and undo it).
    if (this.pending.shiftSeq) return;
    const edit = this.shiftEdit(id, step);
    if (!edit) return;
    this.pending.shiftSeq = this.send(edit);
    this.status(step < 0 ? "Moved upstream" : "Moved downstream");
  }

  private deleteSelection(): void {
    const ids = this.sync.selection.filter((id) => id !== "customer" && id !== "map");
    if (!ids.length) return;
    for (const id of ids) this.send({ op: "remove", id });
    this.sync.select([]);
  }

  /** N and Shift+N: the next or previous element of the whole map, in reading order. */
  private selectEvery(step: 1 | -1): void {
    const doc = this.sync.document;
    const ids = everyElement(doc).filter((id) => this.drawing.node(id));
    if (!ids.length) return;
    const at = ids.indexOf(this.sync.selection.at(-1) ?? "");
    const index = at < 0 ? (step > 0 ? 0 : ids.length - 1) : (at + step + ids.length) % ids.length;
    this.sync.select([ids[index]]);
    this.status(`${elementName(doc, ids[index])}: ${index + 1} of ${ids.length}`);
  }

  /**
   * Draw an information flow from the selection: to the second selected element, or, with
   * one selected, to an element chosen in a menu at it (what a keyboard can do).
   */
  private connect(): boolean {
    const selection = this.sync.selection;
    const doc = this.sync.document;
    if (selection.length >= 2) {
      this.sendFlow(selection[0], selection[1]);
      return false;
    }
    const source = selection[0];
    if (!source || !FLOW_ENDS.has(findElement(doc, source)?.kind ?? "")) {
      this.status("Select the customer, the supplier, production control or a process to draw an information flow from.");
      return false;
    }
    const from = elementName(doc, source);
    const ends = this.flowEnds(source);
    if (!ends.length) {
      this.status(`Nothing to draw an information flow to from ${from} yet.`);
      return false;
    }
    if (this.editor.open) this.editor.finish(true);
    this.slots.close(false);
    const choices = ends.map((id) => ({
      value: id,
      text: `→ ${elementName(doc, id)}`,
      title: `An information flow from ${from} to ${elementName(doc, id)}`,
    }));
    // Under the element (at the stage's corner if it is out of view), inside the stage.
    const stage = this.stage.getBoundingClientRect();
    const group = this.drawing.group(source) ?? this.drawing.groupsOf(source)[0];
    const r = group?.getBoundingClientRect() ?? { left: stage.left, bottom: stage.top };
    const height = Math.max(60, Math.min(FLOW_MENU_HEIGHT, stage.height - 12));
    const left = Math.max(4, Math.min(r.left - stage.left, stage.width - 220));
    const top = Math.max(4, Math.min(r.bottom - stage.top + 6, stage.height - Math.min(height, 30 * choices.length) - 8));
    this.flowMenu.open(source, `Information flow from ${from} to`, choices, { left, top, height });
    return true;
  }

  /** The elements an information flow from `source` can go to, in reading order. */
  private flowEnds(source: string): string[] {
    const doc = this.sync.document;
    return everyElement(doc).filter((id) => id !== source && FLOW_ENDS.has(findElement(doc, id)?.kind ?? "") && this.drawing.node(id));
  }

  private sendFlow(source: string, target: string): void {
    const doc = this.sync.document;
    const between = `from ${elementName(doc, source)} to ${elementName(doc, target)}`;
    this.flowSent = { seq: this.send({ op: "add_flow", source, target, medium: "manual" }), between };
    this.status(`Drawing an information flow ${between}…`);
  }

  private selectAlong(key: string): void {
    const stream = this.sync.document.stream;
    if (!stream.length) return;
    const indexes = this.sync.selection.map((id) => stream.findIndex((s) => s.id === id)).filter((i) => i >= 0);
    const current = indexes.length ? Math.max(...indexes) : null;
    let index: number;
    if (key === "Home") index = 0;
    else if (key === "End") index = stream.length - 1;
    else if (current === null) index = key === "]" ? 0 : stream.length - 1;
    else index = Math.min(stream.length - 1, Math.max(0, current + (key === "]" ? 1 : -1)));
    const id = stream[index].id;
    this.sync.select([id]);
    this.status(`${index + 1} of ${stream.length}`);
  }

  // ------------------------------------------------------------------ in-place editing

  /** Open the input over a drawn field (or the element's main field). */
  openEditor(id: string, field: string | null): void {
    const found = findElement(this.sync.document, id);
    if (!found) return;
    const name = field ?? primaryField(found.kind, found.element);
    const spec = fieldSpec(this.sync.fields, found.kind, name);
    if (!spec || spec.type === "readonly") return;
    const day = this.day();
    if (spec.type === "choice" || spec.type === "waste" || spec.type === "longtext") {
      // Those are easier in the details panel: open it and focus the field's input.
      if (this.panel === "closed") this.panel = "auto";
      this.sync.select([id]);
      this.applySelection(false);
      this.inspector.fieldRow(id, name)?.querySelector<HTMLElement>("input, select, textarea")?.focus();
      return;
    }
    const group = this.drawing.group(id) ?? this.drawing.groupsOf(id)[0] ?? null;
    const anchor = (group?.querySelector(`[data-vsm-field="${cssEscape(name)}"]`) as Element | null) ?? group;
    const stageRect = this.stage.getBoundingClientRect();
    const r = anchor ? anchor.getBoundingClientRect() : { left: stageRect.left + 40, top: stageRect.top + 40, width: 120, height: 22 };
    // The unit the value was typed in, if any: the input starts in it.
    const typed = (found.element.units as Record<string, string> | undefined)?.[name];
    const text = heldText(found.element, name, day) ?? editText(spec, found.element[name], day, typed);
    this.editor.show(id, name, text, {
      left: r.left - stageRect.left - 4,
      top: r.top - stageRect.top - 3,
      width: r.width + 10,
      height: r.height + 6,
    });
  }

  // ------------------------------------------------------------------ pointer and keys

  private pointerHost(): PointerHost {
    return {
      draggable: (id) => this.drawing.draggable(id),
      zoom: () => this.viewport.zoom,
      pan: (tx, ty) => this.viewport.panTo(tx, ty),
      wheel: (e) => this.viewport.wheel(e),
      press: () => {
        if (this.editor.open) this.editor.finish(true);
        this.root.focus({ preventScroll: true });
      },
      panning: (on) => this.root.classList.toggle("vsm-panning", on),
      dragStart: (id) => {
        this.root.classList.add("vsm-dragging");
        for (const c of this.drawing.connectorsOf([id, ...this.drawing.followers(id)])) c.classList.add("vsm-stale");
        this.lastMoveSent = performance.now();
      },
      dragMove: (id, dx, dy) => {
        const prior = this.pending.drops.get(id);
        const x = dx + (prior?.dx ?? 0);
        const y = dy + (prior?.dy ?? 0);
        this.translate(id, x, y);
        const now = performance.now();
        const box = this.drawing.box(id);
        if (box && now - this.lastMoveSent >= MOVE_INTERVAL) {
          this.lastMoveSent = now;
          this.send({ op: "move", id, x: Math.round(box.x + x), y: Math.round(box.y + y) });
        }
      },
      dragEnd: (id, dx, dy, cancelled) => {
        this.root.classList.remove("vsm-dragging");
        for (const c of this.svgEl.querySelectorAll(".vsm-stale")) c.classList.remove("vsm-stale");
        if (cancelled) {
          this.translate(id, 0, 0);
          this.render();
        } else {
          if (!this.sync.selection.includes(id)) this.sync.select([id]);
          this.commitMove(id, dx, dy);
        }
        if (this.deferred) {
          this.deferred = false;
          this.render();
        }
      },
      click: (id, shift) => {
        const current = this.sync.selection;
        if (!id) {
          if (!shift) this.sync.select([]);
          return;
        }
        if (shift) this.sync.select(current.includes(id) ? current.filter((s) => s !== id) : [...current, id]);
        else this.sync.select([id]);
      },
      doubleClick: (hit: Hit) => this.openEditor(hit.id, hit.field),
      slot: (key) => this.openSlot(key),
    };
  }

  /** Send the drop position; the element stays there until Python's layout arrives. */
  private commitMove(id: string, dx: number, dy: number): void {
    const box = this.drawing.box(id);
    if (!box) return;
    // Offsets add up while Python has not answered the move before (nudges in a row).
    const prior = this.pending.drops.get(id);
    const x = Math.round(box.x + (prior?.dx ?? 0) + dx);
    const y = Math.round(box.y + (prior?.dy ?? 0) + dy);
    const seq = this.send({ op: "move", id, x, y });
    this.pending.drop(id, x - box.x, y - box.y, seq);
    this.applyDrops();
  }

  private keyHost(): KeyHost {
    return {
      selection: () => this.sync.selection,
      onPath: (id) => this.pathItems(id) !== undefined,
      undo: () => this.send({ op: "undo" }),
      redo: () => this.send({ op: "redo" }),
      remove: () => this.deleteSelection(),
      edit: (id) => this.openEditor(id, null),
      escape: () => {
        const menu = this.toolbar.querySelector<HTMLElement>(".vsm-menu");
        if (menu && !menu.hidden) {
          this.showMenu(false);
          this.toolbar.querySelector<HTMLElement>('[data-vsm-action="export"]')?.focus();
          return true;
        }
        this.sync.select([]);
        return true;
      },
      zoomBy: (factor) => this.viewport.zoomBy(factor),
      fit: () => this.viewport.fit(toBox(this.sync.scene.bounds)),
      selectAlong: (key) => this.selectAlong(key),
      selectEvery: (step) => this.selectEvery(step),
      connect: () => void this.connect(),
      shift: (id, step) => this.shift(id, step),
      nudge: (id, dx, dy) => {
        if (this.drawing.draggable(id)) this.commitMove(id, dx, dy);
      },
      add: (what, before) => this.add(what, this.placeFromSelection(before)),
      slot: (key) => this.openSlot(key),
      menuStep: (step) => this.moveMenuFocus(step),
    };
  }
}

/** The information flow menu's tallest (widget.css), to keep it inside the stage. */
const FLOW_MENU_HEIGHT = 260;

/** How many elements the stream, bursts, flows and shipments hold (to notice a map growing). */
function elementCount(doc: MapDocument): number {
  return doc.stream.length + doc.bursts.length + doc.flows.length + doc.shipments.length;
}
