/** Editing UI: the toolbar, the inspector panel and the in-place field editor. */

import { distributionEditText, durationEditText, percentEditText, plain } from "./edittext";
import { type PathActions, type PathChoices, pathSection } from "./paths";
import type { FieldCatalog, FieldSpec, MapDocument, StreamItem } from "./types";

/** The field an Enter or double-click on a whole element opens. */
export function primaryField(kind: string, element: Record<string, unknown>): string {
  switch (kind) {
    case "gap":
      // A gap without a quantity is drawn as a wait: its wait time is what to type.
      return element.quantity !== null && element.quantity !== undefined ? "quantity" : "wait_time";
    case "burst":
      return "text";
    case "flow":
      return "label";
    case "shipment":
      return "frequency";
    case "map":
      return "title";
    default:
      return "name";
  }
}

export interface Found {
  kind: string;
  element: Record<string, unknown>;
}

/** Find an element of the document by id (map, customer, supplier, control included). */
export function findElement(doc: MapDocument, id: string): Found | null {
  if (id === "map") return { kind: "map", element: doc as unknown as Record<string, unknown> };
  if (id === "customer") return { kind: "customer", element: doc.customer as unknown as Record<string, unknown> };
  if (id === "supplier") return doc.supplier ? { kind: "supplier", element: doc.supplier as unknown as Record<string, unknown> } : null;
  if (id === "control") return doc.control ? { kind: "control", element: doc.control as unknown as Record<string, unknown> } : null;
  const item = doc.stream.find((s: StreamItem) => s.id === id) ?? (doc.branches ?? []).flatMap((b) => b.items).find((s) => s.id === id);
  if (item) return { kind: item.type, element: item as unknown as Record<string, unknown> };
  const branch = doc.branches?.find((b) => b.id === id);
  if (branch) return { kind: "branch", element: branch as unknown as Record<string, unknown> };
  const rework = doc.reworks?.find((r) => r.id === id);
  if (rework) return { kind: "rework", element: rework as unknown as Record<string, unknown> };
  const shipment = doc.shipments.find((s) => s.id === id);
  if (shipment) return { kind: "shipment", element: shipment as unknown as Record<string, unknown> };
  const flow = doc.flows.find((s) => s.id === id);
  if (flow) return { kind: "flow", element: flow as unknown as Record<string, unknown> };
  const burst = doc.bursts.find((s) => s.id === id);
  if (burst) return { kind: "burst", element: burst as unknown as Record<string, unknown> };
  return null;
}

/**
 * Every element of the map in reading order, by id: the supplier, production control and
 * customer, the stream, each branch and its steps, rework loops, then kaizen bursts,
 * information flows and shipments. What N and Shift+N walk through.
 */
export function everyElement(doc: MapDocument): string[] {
  const ids: string[] = [];
  if (doc.supplier) ids.push("supplier");
  if (doc.control) ids.push("control");
  ids.push("customer");
  for (const item of doc.stream) ids.push(item.id);
  for (const branch of doc.branches ?? []) ids.push(branch.id, ...branch.items.map((item) => item.id));
  for (const rework of doc.reworks ?? []) ids.push(rework.id);
  for (const group of [doc.bursts, doc.flows, doc.shipments]) for (const element of group) ids.push(element.id);
  return ids;
}

/** Kinds an information flow joins: who sends and who receives orders, forecasts, schedules. */
export const FLOW_ENDS: ReadonlySet<string> = new Set(["customer", "supplier", "control", "process"]);

/** An element as a menu names it: its kind and its name ("Process Cut", "Customer Acme"). */
export function elementName(doc: MapDocument, id: string): string {
  const found = findElement(doc, id);
  if (!found) return id;
  const title = KIND_TITLE[found.kind] ?? found.kind;
  const name = found.element.name;
  return typeof name === "string" && name.trim() && name !== title ? `${title} ${name}` : title;
}

export function fieldSpec(fields: FieldCatalog, kind: string, field: string): FieldSpec | undefined {
  return fields[kind]?.find((s) => s.name === field);
}

/**
 * The text a duration field starts with when it holds a distribution (its `distributions`
 * record): the distribution's text form, so that Enter keeps it; undefined otherwise.
 */
export function heldText(element: Record<string, unknown>, field: string, day: number): string | undefined {
  const held = element.distributions as Record<string, unknown> | undefined;
  return held && typeof held === "object" ? distributionEditText(held[field], day) : undefined;
}

/** The unit a duration of this element was typed in (its `units` record), if any. */
export function typedUnit(element: Record<string, unknown>, field: string): string | undefined {
  const units = element.units as Record<string, string> | undefined;
  return units && typeof units[field] === "string" ? units[field] : undefined;
}

/**
 * The text an input starts with: exact, in units the model parses back to the same value;
 * a duration in the unit it was typed in (`unit`) where that is exact.
 */
export function editText(spec: FieldSpec | undefined, value: unknown, day: number, unit?: string): string {
  if (value === null || value === undefined) return "";
  switch (spec?.type) {
    case "duration":
      return durationEditText(value as number, day, unit, spec.reads !== "shift");
    case "percent":
      return percentEditText(value as number);
    case "number":
      return plain(value as number);
    case "waste":
      return Array.isArray(value) ? value.join(", ") : String(value);
    case "readonly":
      if (Array.isArray(value)) return value.map((v) => (Array.isArray(v) ? `${v[0]} ${plain(v[1] as number)}` : String(v))).join(", ");
      return String(value);
    default:
      return String(value);
  }
}

export interface ToolbarButton {
  action: string;
  label: string;
  title: string;
  icon?: string;
  /** A button that opens a menu of these actions. */
  menu?: ToolbarButton[];
}

export const TOOLBAR: (ToolbarButton | "|")[] = [
  { action: "add-process", label: "Process", title: "Add a process after the selected step" },
  { action: "add-inventory", label: "Inventory", title: "Add an inventory triangle after the selected step" },
  { action: "add-wait", label: "Wait", title: "Add a wait (queue) after the selected step" },
  { action: "add-burst", label: "Kaizen", title: "Add a kaizen burst to the selected element" },
  {
    action: "add-flow",
    label: "Info flow",
    title:
      "Draw an information arrow: between two selected elements (shift-click), or from the selected one to an element chosen in a menu (F)",
  },
  {
    action: "add-branch",
    label: "Branch",
    title: "Add a feeder branch into the selected step (its details offer a parallel path and rework too)",
  },
  "|",
  { action: "delete", label: "Delete", title: "Delete the selection (Delete)" },
  { action: "undo", label: "Undo", title: "Undo (Ctrl+Z)" },
  { action: "redo", label: "Redo", title: "Redo (Ctrl+Shift+Z, Ctrl+Y)" },
  "|",
  { action: "zoom-out", label: "−", title: "Zoom out" },
  { action: "zoom-in", label: "+", title: "Zoom in" },
  { action: "fit", label: "Fit", title: "Fit the map to the view" },
  { action: "layout", label: "Auto layout", title: "Forget moved positions: lay the map out left to right" },
  { action: "fullscreen", label: "Full screen", title: "Show the canvas on the whole screen, for projecting (Esc leaves)" },
  "|",
  { action: "inspector", label: "Details", title: "Show the details panel (map, customer, or the selected element)" },
  "|",
  { action: "open", label: "Open…", title: "Open a map document (.json) in place of this map; Undo brings this map back" },
  {
    action: "export",
    label: "Export",
    title: "Download the whole map as a picture or as its JSON document",
    menu: [
      { action: "export-svg", label: "SVG picture", title: "Download the whole map as an SVG picture (for reports and slides)" },
      { action: "export-png", label: "PNG picture", title: "Download the whole map as a PNG picture" },
      {
        action: "export-svg-print",
        label: "SVG for print",
        title: "Download the whole map as an SVG picture in print colours (light, whatever the theme)",
      },
      { action: "export-json", label: "JSON document", title: "Download the map document, which Open… and ValueStreamMap.load read" },
    ],
  },
];

/** A button with a drop-down list of actions; the list's items are toolbar actions too. */
function buildMenu(button: HTMLButtonElement, items: ToolbarButton[]): HTMLSpanElement {
  const wrap = document.createElement("span");
  wrap.className = "vsm-menu-wrap";
  const id = `vsm-menu-${++menuCount}`;
  button.setAttribute("aria-haspopup", "menu");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", id);
  const caret = document.createElement("span");
  caret.className = "vsm-caret";
  caret.textContent = "▾";
  caret.setAttribute("aria-hidden", "true");
  button.appendChild(caret);
  const menu = document.createElement("div");
  menu.className = "vsm-menu";
  menu.id = id;
  menu.setAttribute("role", "menu");
  menu.hidden = true;
  for (const item of items) {
    const entry = document.createElement("button");
    entry.type = "button";
    entry.className = "vsm-menu-item";
    entry.setAttribute("role", "menuitem");
    entry.dataset.vsmAction = item.action;
    entry.title = item.title;
    entry.textContent = item.label;
    menu.appendChild(entry);
  }
  wrap.append(button, menu);
  return wrap;
}

let menuCount = 0;

/** Build the toolbar; clicks are handled by delegation on the root. */
export function buildToolbar(): HTMLDivElement {
  const bar = document.createElement("div");
  bar.className = "vsm-toolbar";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "Value stream map tools");
  for (const item of TOOLBAR) {
    if (item === "|") {
      const sep = document.createElement("span");
      sep.className = "vsm-sep";
      bar.appendChild(sep);
      continue;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = `vsm-btn vsm-btn-${item.action}`;
    button.dataset.vsmAction = item.action;
    button.title = item.title;
    button.setAttribute("aria-label", item.title);
    if (item.action.startsWith("add-")) {
      const plus = document.createElement("span");
      plus.className = "vsm-plus";
      plus.textContent = "+";
      button.appendChild(plus);
    }
    button.appendChild(document.createTextNode(item.label));
    if (item.menu) {
      bar.appendChild(buildMenu(button, item.menu));
      continue;
    }
    bar.appendChild(button);
  }
  // The file picker behind "Open…": hidden, opened by the button.
  const picker = document.createElement("input");
  picker.type = "file";
  picker.accept = ".json,application/json";
  picker.className = "vsm-file-picker";
  picker.hidden = true;
  picker.tabIndex = -1;
  bar.appendChild(picker);
  const status = document.createElement("span");
  status.className = "vsm-status";
  status.setAttribute("aria-live", "polite");
  bar.appendChild(status);
  return bar;
}

export type Commit = (id: string, field: string, value: string | null) => void;

const KIND_TITLE: Record<string, string> = {
  map: "Map",
  customer: "Customer",
  supplier: "Supplier",
  control: "Production control",
  process: "Process",
  gap: "Gap",
  shipment: "Shipment",
  flow: "Information flow",
  burst: "Kaizen burst",
  branch: "Branch",
  rework: "Rework loop",
};

/** Where an added element goes: after or before an element, named by id (neither: at the end). */
export interface Place {
  after?: string;
  before?: string;
  /** An empty branch: the add is its first item. */
  branch?: string;
}

/** What the details panel asks of the view beside field edits. */
export interface Shifter {
  /** Whether a step or gap can move one place along the stream that way, and moving it. */
  can(id: string, step: -1 | 1): boolean;
  go(id: string, step: -1 | 1): void;
  /** Add a process, inventory or wait at a place. */
  insert(what: string, place: Place): void;
  /** Close the panel until the user opens it again. */
  close(): void;
  /** Branches, rework loops and moves between paths (the "Branches and rework" part). */
  paths?: PathActions;
}

/** The side panel: every field of the selected element (the map and customer when nothing is). */
export class Inspector {
  el: HTMLElement;
  private shown: string[] = [];
  private redrawing = false;
  private doc: MapDocument | null = null;
  private readonly pathChoices: PathChoices = new Map();

  constructor(
    private readonly commit: Commit,
    private readonly shifter: Shifter | null = null,
    private readonly fields: () => FieldCatalog = () => ({}),
  ) {
    this.el = document.createElement("aside");
    this.el.className = "vsm-inspector";
    this.el.setAttribute("aria-label", "Inspector");
  }

  /** The row input of a field, if shown (for placing error messages). */
  fieldRow(id: string, field: string): HTMLElement | null {
    return this.el.querySelector(`[data-vsm-row="${cssEscape(id)}:${cssEscape(field)}"]`);
  }

  render(doc: MapDocument, selection: string[], day: number, figures: (id: string) => [string, string][] = () => []): void {
    const active = document.activeElement;
    const keepFocus = active instanceof HTMLElement && this.el.contains(active) ? active.dataset.vsmInput : undefined;
    // Text being typed survives a redraw (the document of an earlier edit may arrive meanwhile).
    const typing =
      ((active instanceof HTMLInputElement && active.type === "text") || active instanceof HTMLTextAreaElement) &&
      (typedSinceSent.has(active) || active.value !== active.dataset.vsmInitial)
        ? { value: active.value, start: active.selectionStart, end: active.selectionEnd }
        : null;
    // Built apart, then brought into the panel: where the panel shows the same fields, its
    // elements are kept and only their values change, so focus stays where it is and the
    // page is not laid out again for a focus (what an edit in the panel costs most).
    const target = this.el;
    const fresh = document.createElement("aside");
    this.el = fresh;
    try {
      this.build(doc, selection, day, figures);
    } finally {
      this.el = target;
    }
    if (morphChildren(target, fresh)) return;
    // Taking out a focused input makes the browser blur it and fire "change": that is a
    // redraw, not the user committing what they typed (it survives the redraw, below).
    this.redrawing = true;
    try {
      target.replaceChildren(...fresh.childNodes);
    } finally {
      this.redrawing = false;
    }
    if (keepFocus) {
      let again = this.el.querySelector<HTMLElement>(`[data-vsm-input="${cssEscape(keepFocus)}"]`);
      // A move to the end of the stream disables its own button: keep focus on the other.
      if (again instanceof HTMLButtonElement && again.disabled)
        again =
          this.el.querySelector<HTMLElement>(".vsm-insp-shift:not(:disabled)") ?? (this.el.closest(".vsm-canvas") as HTMLElement | null);
      again?.focus({ preventScroll: true });
      if (typing && (again instanceof HTMLInputElement || again instanceof HTMLTextAreaElement)) {
        again.value = typing.value;
        again.setSelectionRange(typing.start, typing.end);
        typedSinceSent.add(again);
      }
    }
  }

  private build(doc: MapDocument, selection: string[], day: number, figures: (id: string) => [string, string][]): void {
    this.doc = doc;
    const ids = selection.length === 0 ? ["map", "customer"] : selection.length === 1 ? [selection[0]] : [];
    if (selection.length > 1) {
      const p = document.createElement("p");
      p.className = "vsm-insp-note";
      p.textContent = `${selection.length} elements selected. Shift-click toggles; “Info flow” connects the first two.`;
      this.el.appendChild(p);
    }
    this.shown = ids;
    if (this.shifter) {
      const close = document.createElement("button");
      close.type = "button";
      close.className = "vsm-insp-close";
      close.textContent = "×";
      close.title = "Close the details panel (the Details button opens it again)";
      close.setAttribute("aria-label", "Close the details panel");
      const shifter = this.shifter;
      close.addEventListener("click", () => shifter.close());
      this.el.appendChild(close);
    }
    for (const id of ids) {
      const found = findElement(doc, id);
      if (!found) continue;
      this.section(id, found, day, figures(id));
    }
  }

  get shownIds(): string[] {
    return this.shown;
  }

  private section(id: string, found: Found, day: number, figures: [string, string][]): void {
    const section = document.createElement("section");
    section.className = "vsm-insp-section";
    const h = document.createElement("h3");
    h.className = "vsm-insp-title";
    h.textContent = KIND_TITLE[found.kind] ?? found.kind;
    if (!["map", "customer", "supplier", "control"].includes(id)) {
      const small = document.createElement("span");
      small.className = "vsm-insp-id";
      small.textContent = id;
      h.appendChild(small);
    }
    section.appendChild(h);
    if (figures.length) {
      // What Python computed for this element, read-only, in the map's display rule.
      const list = document.createElement("dl");
      list.className = "vsm-insp-figures";
      for (const [label, text] of figures) {
        const term = document.createElement("dt");
        term.textContent = label;
        const value = document.createElement("dd");
        value.textContent = text;
        list.append(term, value);
      }
      section.appendChild(list);
    }
    if (this.shifter && (found.kind === "process" || found.kind === "gap")) {
      section.appendChild(this.orderRow(id, this.shifter));
      section.appendChild(this.insertRow(id, "before", this.shifter));
      section.appendChild(this.insertRow(id, "after", this.shifter));
    }
    for (const spec of this.fields()[found.kind] ?? [])
      section.appendChild(
        this.row(id, spec, found.element[spec.name], day, typedUnit(found.element, spec.name), heldText(found.element, spec.name, day)),
      );
    if (this.shifter?.paths && this.doc && found.kind === "process")
      section.appendChild(pathSection(this.doc, id, this.shifter.paths, this.pathChoices));
    this.el.appendChild(section);
  }

  /** "Earlier" and "Later": a step trades places with its neighbour step, a gap hops over it. */
  private orderRow(id: string, shifter: Shifter): HTMLElement {
    const row = document.createElement("div");
    row.className = "vsm-insp-order";
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "Order in the stream");
    for (const [step, label, title] of [
      [-1, "◀ Earlier", "Move one step upstream (Alt+←)"],
      [1, "Later ▶", "Move one step downstream (Alt+→)"],
    ] as const) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "vsm-btn vsm-insp-shift";
      button.dataset.vsmShift = String(step);
      // Found again after the redraw the move causes, so focus stays on the button.
      button.dataset.vsmInput = `${id}:shift:${step}`;
      button.textContent = label;
      button.title = title;
      button.disabled = !shifter.can(id, step);
      button.addEventListener("click", () => shifter.go(id, step));
      row.appendChild(button);
    }
    return row;
  }

  /** "Before: + Process + Inventory + Wait": add next to this element, in one action. */
  private insertRow(id: string, side: "before" | "after", shifter: Shifter): HTMLElement {
    const row = document.createElement("div");
    row.className = "vsm-insp-insert";
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", `Add ${side} this element`);
    const label = document.createElement("span");
    label.className = "vsm-insp-label";
    label.textContent = side === "before" ? "Add before" : "Add after";
    row.appendChild(label);
    for (const [what, text] of [
      ["process", "Process"],
      ["inventory", "Inventory"],
      ["wait", "Wait"],
    ] as const) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "vsm-btn vsm-insp-add";
      button.dataset.vsmInsert = `${side}:${what}`;
      button.dataset.vsmInput = `${id}:insert:${side}:${what}`;
      button.textContent = `+ ${text}`;
      button.title = `Add a ${what} ${side} this element`;
      button.addEventListener("click", () => shifter.insert(what, { [side]: id }));
      row.appendChild(button);
    }
    return row;
  }

  /** One field's row; `held` is the text of a distribution the field holds, if any. */
  private row(id: string, spec: FieldSpec, value: unknown, day: number, unit?: string, held?: string): HTMLElement {
    const row = document.createElement("div");
    row.className = "vsm-insp-row";
    row.dataset.vsmRow = `${id}:${spec.name}`;
    const inputId = `${id}:${spec.name}`;
    const label = document.createElement("label");
    label.className = "vsm-insp-label";
    label.textContent = spec.label;
    if (spec.help) label.title = spec.title && spec.title !== spec.label ? `${spec.title}: ${spec.help}` : spec.help;
    row.appendChild(label);
    if (spec.type === "choice") {
      const select = document.createElement("select");
      select.className = "vsm-insp-input";
      select.dataset.vsmInput = inputId;
      select.dataset.vsmField = spec.name;
      if (spec.optional) select.appendChild(option("—", ""));
      for (const value of spec.options ?? []) select.appendChild(option(value, value));
      select.value = value === null || value === undefined ? "" : String(value);
      select.addEventListener("change", () => this.commit(id, spec.name, select.value === "" ? null : select.value));
      row.appendChild(select);
    } else if (spec.type === "waste") {
      row.classList.add("vsm-insp-row-wide");
      const box = document.createElement("div");
      box.className = "vsm-insp-tags";
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Waste");
      const current = new Set(Array.isArray(value) ? (value as string[]) : []);
      const tags = spec.options ?? [];
      for (const waste of tags) {
        const tag = document.createElement("label");
        tag.className = `vsm-tag${current.has(waste) ? " vsm-tag-on" : ""}`;
        const check = document.createElement("input");
        check.type = "checkbox";
        check.checked = current.has(waste);
        check.dataset.vsmInput = `${inputId}:${waste}`;
        check.dataset.vsmField = spec.name;
        check.addEventListener("change", () => {
          // What is ticked now (the boxes may have been brought up to date since they were made).
          const ticked = [...box.querySelectorAll<HTMLInputElement>("input[type=checkbox]")].filter((c) => c.checked);
          const list = tags.filter((w) => ticked.some((c) => c.dataset.vsmInput === `${inputId}:${w}`));
          this.commit(id, spec.name, list.length ? list.join(", ") : null);
        });
        tag.appendChild(check);
        tag.appendChild(document.createTextNode(waste));
        box.appendChild(tag);
      }
      row.appendChild(box);
    } else if (spec.type === "readonly") {
      const span = document.createElement("span");
      span.className = "vsm-insp-readonly";
      span.textContent = editText(spec, value, day) || "—";
      row.appendChild(span);
    } else {
      const input = document.createElement(spec.type === "longtext" ? "textarea" : "input");
      if (input instanceof HTMLInputElement) input.type = "text";
      else input.rows = 2;
      input.className = "vsm-insp-input";
      input.dataset.vsmInput = inputId;
      input.dataset.vsmField = spec.name;
      input.spellcheck = false;
      const initial = held ?? editText(spec, value, day, unit);
      input.value = initial;
      input.dataset.vsmInitial = initial;
      if (spec.type === "duration") input.placeholder = "e.g. 45 s, 2 min";
      if (spec.type === "percent") input.placeholder = "e.g. 85%";
      // Enter and the change that follows on blur carry the same text: send it once. (The
      // state is on the element, so that a redraw that keeps the input brings it up to date.)
      input.dataset.vsmSent = initial.trim();
      const send = () => {
        if (this.redrawing || !input.isConnected) return;
        const typed = input.value.trim();
        // Sent, or the same as sent: either way nothing typed waits to be sent any more.
        typedSinceSent.delete(input);
        if (typed === input.dataset.vsmSent) return;
        input.dataset.vsmSent = typed;
        this.commit(id, spec.name, typed === "" ? null : typed);
      };
      input.addEventListener("input", () => typedSinceSent.add(input));
      // Left without a change (no "change" event): a redraw may show the model's value again.
      input.addEventListener("blur", () => {
        if (!this.redrawing) typedSinceSent.delete(input);
      });
      input.addEventListener("keydown", (event) => {
        const e = event as KeyboardEvent;
        if (e.key === "Enter" && !(input instanceof HTMLTextAreaElement && e.shiftKey)) {
          e.preventDefault();
          send();
        } else if (e.key === "Escape") {
          input.value = input.dataset.vsmInitial ?? "";
          typedSinceSent.delete(input);
          input.blur();
        }
      });
      input.addEventListener("change", send);
      // Typing replaces the value instead of adding to it ("3.75 h" + "1 d" is not "1 d").
      input.addEventListener("focus", () => input.select());
      row.appendChild(input);
    }
    const labelTarget = row.querySelector<HTMLElement>("input, select, textarea");
    if (labelTarget) {
      const uid = `vsm-f-${Math.random().toString(36).slice(2, 9)}`;
      labelTarget.id = uid;
      label.htmlFor = uid;
    }
    return row;
  }
}

/**
 * Fields typed into since their text was last sent. A value compared with the drawn one
 * is not enough: text typed back to the field's old value, before the panel has drawn the
 * first edit's answer, would read as untouched and be overwritten.
 */
const typedSinceSent = new WeakSet<Element>();

/** Whether a redraw must keep a field's text: typed into, or holding text not yet drawn. */
function isTyping(input: HTMLInputElement | HTMLTextAreaElement): boolean {
  return typedSinceSent.has(input) || input.value !== (input.dataset.vsmInitial ?? input.value);
}

/** Attributes a redraw leaves as they are: labels are tied to inputs by ids made once. */
const KEPT = new Set(["id", "for"]);

/**
 * Bring `old`'s children up to date with `fresh`'s, keeping `old`'s elements (and their
 * listeners) where both have the same shape: same tags, classes and hooks. Values of form
 * fields change in place, except a field being typed in. Returns false, changing nothing,
 * when the shapes differ (the caller then replaces the children).
 */
export function morphChildren(old: Element, fresh: Element): boolean {
  const a = old.childNodes;
  const b = fresh.childNodes;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameShape(a[i], b[i])) return false;
  for (let i = 0; i < a.length; i++) update(a[i], b[i]);
  return true;
}

function sameShape(a: Node, b: Node): boolean {
  if (a.nodeType !== b.nodeType) return false;
  if (a.nodeType === Node.TEXT_NODE) return true;
  if (!(a instanceof Element) || !(b instanceof Element)) return a.nodeName === b.nodeName;
  // A choice of every step of the map is compared in one native call, not option by option.
  if (a instanceof HTMLSelectElement && a.isEqualNode(b)) return true;
  if (a.tagName !== b.tagName || a.className !== b.className) return false;
  const hooks = ["data-vsm-input", "data-vsm-row", "data-vsm-shift", "data-vsm-insert", "type"];
  if (hooks.some((name) => a.getAttribute(name) !== b.getAttribute(name))) return false;
  if (a.childNodes.length !== b.childNodes.length) return false;
  for (let i = 0; i < a.childNodes.length; i++) if (!sameShape(a.childNodes[i], b.childNodes[i])) return false;
  return true;
}

function update(old: Node, fresh: Node): void {
  if (old.nodeType === Node.TEXT_NODE) {
    if (old.nodeValue !== fresh.nodeValue) old.nodeValue = fresh.nodeValue;
    return;
  }
  if (!(old instanceof Element) || !(fresh instanceof Element)) return;
  if (old instanceof HTMLSelectElement && old.isEqualNode(fresh)) {
    // The same choices: only the choice made may differ.
    const next = (fresh as HTMLSelectElement).value;
    if (old.value !== next) old.value = next;
    return;
  }
  // Read before the attributes change: has the user typed since this field was drawn?
  const typing = (old instanceof HTMLInputElement || old instanceof HTMLTextAreaElement) && old === document.activeElement && isTyping(old);
  for (const { name, value } of [...fresh.attributes])
    if (!KEPT.has(name) && old.getAttribute(name) !== value) old.setAttribute(name, value);
  for (const { name } of [...old.attributes]) if (!KEPT.has(name) && !fresh.hasAttribute(name)) old.removeAttribute(name);
  if (old instanceof HTMLInputElement || old instanceof HTMLTextAreaElement || old instanceof HTMLSelectElement) {
    const next = fresh as HTMLInputElement;
    if (old instanceof HTMLInputElement && old.type === "checkbox") old.checked = next.checked;
    else if (!typing && old.value !== next.value) old.value = next.value;
    if (!typing) old.dataset.vsmSent = next.dataset.vsmSent ?? "";
    return;
  }
  for (let i = 0; i < old.childNodes.length; i++) update(old.childNodes[i], fresh.childNodes[i]);
}

function option(label: string, value: string): HTMLOptionElement {
  const node = document.createElement("option");
  node.value = value;
  node.textContent = label;
  return node;
}

/** CSS.escape where available (not in every test DOM). */
export function cssEscape(value: string): string {
  const css = (globalThis as { CSS?: { escape?: (v: string) => string } }).CSS;
  if (css?.escape) return css.escape(value);
  return value.replace(/["\\\][:.#]/g, "\\$&");
}

/** The in-place editor: one input over the field being edited. */
export class InlineEditor {
  readonly el: HTMLInputElement;
  private target: { id: string; field: string; initial: string } | null = null;

  constructor(
    private readonly commit: Commit,
    private readonly onClose: () => void,
  ) {
    this.el = document.createElement("input");
    this.el.type = "text";
    this.el.className = "vsm-inline";
    this.el.hidden = true;
    this.el.spellcheck = false;
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.finish(true);
      } else if (e.key === "Escape") {
        e.preventDefault();
        this.finish(false);
      }
    });
    this.el.addEventListener("blur", () => this.finish(true));
  }

  get open(): boolean {
    return this.target !== null;
  }

  get editing(): { id: string; field: string } | null {
    return this.target;
  }

  show(id: string, field: string, initial: string, rect: { left: number; top: number; width: number; height: number }): void {
    this.target = { id, field, initial };
    this.el.hidden = false;
    this.el.dataset.vsmId = id;
    this.el.dataset.vsmField = field;
    this.el.setAttribute("aria-label", `Edit ${field}`);
    this.el.value = initial;
    this.el.style.left = `${Math.round(rect.left)}px`;
    this.el.style.top = `${Math.round(rect.top)}px`;
    this.el.style.width = `${Math.round(Math.max(rect.width, 96))}px`;
    this.el.style.height = `${Math.round(Math.max(rect.height, 22))}px`;
    this.el.focus();
    this.el.select();
  }

  /** Close; with `commit` send what was typed, if it changed. */
  finish(commit: boolean): void {
    const target = this.target;
    if (!target) return;
    this.target = null;
    const typed = this.el.value.trim();
    this.el.hidden = true;
    if (commit && typed !== target.initial.trim()) this.commit(target.id, target.field, typed === "" ? null : typed);
    this.onClose();
  }
}
