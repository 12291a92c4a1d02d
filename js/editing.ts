/** Editing UI: the toolbar, the inspector panel and the in-place field editor. */

import { durationEditText, percentEditText, plain } from "./edittext";
import type { MapDocument, StreamItem } from "./types";

export const WASTE_TYPES = ["transport", "inventory", "motion", "waiting", "overproduction", "overprocessing", "defects", "skills"];

type FieldType = "text" | "longtext" | "duration" | "percent" | "number" | "choice" | "waste" | "readonly";

export interface FieldSpec {
  name: string;
  label: string;
  type: FieldType;
  options?: string[];
  /** A choice that may be cleared (sent as null). */
  optional?: boolean;
}

const f = (name: string, label: string, type: FieldType, options?: string[], optional = false): FieldSpec => ({
  name,
  label,
  type,
  options,
  optional,
});

/** Every editable field of every kind, in the order the inspector lists them. */
export const FIELDS: Record<string, FieldSpec[]> = {
  map: [
    f("title", "Title", "text"),
    f("scope", "Scope", "longtext"),
    f("state", "State", "choice", ["current", "future"]),
    f("day_basis", "Day basis", "choice", ["working", "calendar"]),
  ],
  customer: [
    f("name", "Name", "text"),
    f("demand", "Demand", "number"),
    f("period", "Per", "choice", ["day", "week", "month", "quarter", "year"]),
    f("working_days", "Working days", "number"),
    f("shifts", "Shifts", "number"),
    f("shift_length", "Shift length", "duration"),
    f("breaks", "Breaks / shift", "duration"),
  ],
  supplier: [f("name", "Name", "text"), f("supplies", "Supplies", "text"), f("frequency", "Frequency", "text")],
  control: [f("name", "Name", "text"), f("notes", "Notes", "longtext")],
  process: [
    f("name", "Name", "text"),
    f("cycle_time", "C/T", "duration"),
    f("changeover", "C/O", "duration"),
    f("uptime", "Uptime", "percent"),
    f("operators", "Operators", "number"),
    f("shifts", "Shifts", "number"),
    f("batch_size", "Batch size", "number"),
    f("parallel", "Stations", "number"),
    f("complete_accurate", "%C&A", "percent"),
    f("process_time", "Process time", "duration"),
    f("lead_time", "Lead time", "duration"),
    f("value_class", "Value class", "choice", ["value-adding", "necessary", "waste"], true),
    f("waste", "Waste", "waste"),
    f("notes", "Notes", "longtext"),
  ],
  gap: [
    f("quantity", "Quantity", "number"),
    f("variants", "Variants", "readonly"),
    f("wait_time", "Wait time", "duration"),
    f("flow", "Flow", "choice", ["push", "pull", "fifo"]),
    f("fifo_max", "FIFO max", "number"),
    f("waste", "Waste", "waste"),
    f("notes", "Notes", "longtext"),
  ],
  shipment: [
    f("direction", "Direction", "choice", ["in", "out"]),
    f("frequency", "Frequency", "text"),
    f("mode", "Mode", "text"),
    f("notes", "Notes", "longtext"),
  ],
  flow: [
    f("source", "From", "readonly"),
    f("target", "To", "readonly"),
    f("medium", "Medium", "choice", ["manual", "electronic"]),
    f("label", "Label", "text"),
  ],
  burst: [
    f("text", "Idea", "longtext"),
    f("owner", "Owner", "text"),
    f("due", "Due", "text"),
    f("status", "Status", "choice", ["idea", "planned", "doing", "done"]),
  ],
};

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
  const item = doc.stream.find((s: StreamItem) => s.id === id);
  if (item) return { kind: item.type, element: item as unknown as Record<string, unknown> };
  const shipment = doc.shipments.find((s) => s.id === id);
  if (shipment) return { kind: "shipment", element: shipment as unknown as Record<string, unknown> };
  const flow = doc.flows.find((s) => s.id === id);
  if (flow) return { kind: "flow", element: flow as unknown as Record<string, unknown> };
  const burst = doc.bursts.find((s) => s.id === id);
  if (burst) return { kind: "burst", element: burst as unknown as Record<string, unknown> };
  return null;
}

export function fieldSpec(kind: string, field: string): FieldSpec | undefined {
  return FIELDS[kind]?.find((s) => s.name === field);
}

/** The text an input starts with: exact, in units the model parses back to the same value. */
export function editText(spec: FieldSpec | undefined, value: unknown, day: number): string {
  if (value === null || value === undefined) return "";
  switch (spec?.type) {
    case "duration":
      return durationEditText(value as number, day);
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
  { action: "add-flow", label: "Info flow", title: "Connect two selected elements with an information arrow (shift-click to select two)" },
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
};

/** Where an added element goes: after or before an element, named by id (neither: at the end). */
export interface Place {
  after?: string;
  before?: string;
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
}

/** The side panel: every field of the selected element (the map and customer when nothing is). */
export class Inspector {
  readonly el: HTMLElement;
  private shown: string[] = [];
  private redrawing = false;

  constructor(
    private readonly commit: Commit,
    private readonly shifter: Shifter | null = null,
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
      (active instanceof HTMLInputElement && active.type === "text") || active instanceof HTMLTextAreaElement
        ? active.value !== active.dataset.vsmInitial
          ? { value: active.value, start: active.selectionStart, end: active.selectionEnd }
          : null
        : null;
    // Taking out a focused input makes the browser blur it and fire "change": that is a
    // redraw, not the user committing what they typed (it survives the redraw, below).
    this.redrawing = true;
    try {
      this.el.replaceChildren();
    } finally {
      this.redrawing = false;
    }
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
      }
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
    for (const spec of FIELDS[found.kind] ?? []) section.appendChild(this.row(id, spec, found.element[spec.name], day));
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

  private row(id: string, spec: FieldSpec, value: unknown, day: number): HTMLElement {
    const row = document.createElement("div");
    row.className = "vsm-insp-row";
    row.dataset.vsmRow = `${id}:${spec.name}`;
    const inputId = `${id}:${spec.name}`;
    const label = document.createElement("label");
    label.className = "vsm-insp-label";
    label.textContent = spec.label;
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
      for (const waste of WASTE_TYPES) {
        const tag = document.createElement("label");
        tag.className = `vsm-tag${current.has(waste) ? " vsm-tag-on" : ""}`;
        const check = document.createElement("input");
        check.type = "checkbox";
        check.checked = current.has(waste);
        check.dataset.vsmInput = `${inputId}:${waste}`;
        check.dataset.vsmField = spec.name;
        check.addEventListener("change", () => {
          if (check.checked) current.add(waste);
          else current.delete(waste);
          const list = WASTE_TYPES.filter((w) => current.has(w));
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
      const initial = editText(spec, value, day);
      input.value = initial;
      input.dataset.vsmInitial = initial;
      if (spec.type === "duration") input.placeholder = "e.g. 45 s, 2 min";
      if (spec.type === "percent") input.placeholder = "e.g. 85%";
      // Enter and the change that follows on blur carry the same text: send it once.
      let sent = initial.trim();
      const send = () => {
        if (this.redrawing || !input.isConnected) return;
        const typed = input.value.trim();
        if (typed === sent) return;
        sent = typed;
        this.commit(id, spec.name, typed === "" ? null : typed);
      };
      input.addEventListener("keydown", (event) => {
        const e = event as KeyboardEvent;
        if (e.key === "Enter" && !(input instanceof HTMLTextAreaElement && e.shiftKey)) {
          e.preventDefault();
          send();
        } else if (e.key === "Escape") {
          input.value = initial;
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
