/** The synced document and metrics, as sent by Python (see the sync protocol). */

/** The units an element's durations were typed in, by field (`{"changeover": "h"}`); absent when none. */
export type TypedUnits = Record<string, string>;

export type ValueClass = "value-adding" | "necessary" | "waste";
export type FlowKind = "push" | "pull" | "fifo";

export interface Customer {
  name: string;
  demand: number | null;
  period: string;
  working_days: number | null;
  shifts: number;
  shift_length: number | null;
  breaks: number;
  x: number | null;
  y: number | null;
  units?: TypedUnits;
}

export interface Supplier {
  name: string;
  supplies: string;
  frequency: string;
  x: number | null;
  y: number | null;
}

export interface Control {
  name: string;
  notes: string;
  x: number | null;
  y: number | null;
}

export interface ProcessItem {
  type: "process";
  id: string;
  name: string;
  cycle_time: number | null;
  process_time: number | null;
  lead_time: number | null;
  changeover: number | null;
  uptime: number | null;
  operators: number | null;
  shifts: number | null;
  batch_size: number | null;
  parallel: number;
  complete_accurate: number | null;
  value_class: ValueClass | null;
  waste: string[];
  notes: string;
  x: number | null;
  y: number | null;
  units?: TypedUnits;
}

export interface GapItem {
  type: "gap";
  id: string;
  quantity: number | null;
  variants: [string, number][];
  wait_time: number | null;
  flow: FlowKind;
  fifo_max: number | null;
  waste: string[];
  notes: string;
  x: number | null;
  y: number | null;
  units?: TypedUnits;
}

export type StreamItem = ProcessItem | GapItem;

/** A path beside the main line that feeds step `into` (a feeder, or with `after` a parallel path). */
export interface Branch {
  id: string;
  into: string;
  after: string | null;
  name: string;
  items: StreamItem[];
}

/** A rework loop: `share` of the items leaving `source` go back to `target`. */
export interface Rework {
  id: string;
  source: string;
  target: string;
  share: number;
}

export interface Shipment {
  id: string;
  direction: "in" | "out";
  frequency: string;
  mode: string;
  notes: string;
}

export interface InfoFlow {
  id: string;
  source: string;
  target: string;
  medium: "manual" | "electronic";
  label: string;
}

export interface Burst {
  id: string;
  text: string;
  target: string | null;
  owner: string;
  due: string;
  status: string;
  x: number | null;
  y: number | null;
}

export interface MapDocument {
  schema: number;
  title: string;
  scope: string;
  state: string;
  day_basis: string;
  /** The ladder's units: "auto" or s, min, h, d (Python resolves "auto" and draws the ladder). */
  lead_unit: string;
  process_unit: string;
  customer: Customer;
  supplier: Supplier | null;
  control: Control | null;
  stream: StreamItem[];
  shipments: Shipment[];
  flows: InfoFlow[];
  bursts: Burst[];
  /** Left out of a document without branches (and sent as [] once the last one goes). */
  branches?: Branch[];
  reworks?: Rework[];
}

export interface StepMetrics {
  id: string;
  name: string;
  touch_time: number | null;
  lead_time: number | null;
  effective_cycle_time: number | null;
  capacity_per_day: number | null;
  epei_days: number | null;
  over_takt: boolean;
  is_bottleneck: boolean;
}

export interface GapMetrics {
  id: string;
  quantity: number | null;
  inventory_days: number | null;
  wait_time: number | null;
}

export interface Metrics {
  day_length?: number | null;
  takt_time?: number | null;
  available_time?: number | null;
  daily_demand?: number | null;
  lead_time?: number | null;
  process_time?: number | null;
  wait_time?: number | null;
  efficiency?: number | null;
  rolled_complete_accurate?: number | null;
  bottleneck?: string | null;
  steps_over_takt?: string[];
  total_inventory?: number | null;
  inventory_days?: number | null;
  lead_time_complete?: boolean;
  steps?: StepMetrics[];
  gaps?: GapMetrics[];
  warnings?: { target: string | null; message: string }[];
}

export interface EditError {
  seq?: number;
  target?: string | null;
  field?: string | null;
  reason?: string;
  message?: string;
}

export interface History {
  can_undo?: boolean;
  can_redo?: boolean;
}

/** The traits of the widget model that the front end reads or writes. */
export interface WidgetTraits {
  [key: string]: unknown;
  document: MapDocument;
  metrics: Metrics;
  selection: string[];
  error: EditError;
  history: History;
  height: number;
  /** Rises with every change the map commits (owned by Python). */
  revision: number;
  /** Every field of every element kind (Python's declarations), for the panel and inline editors. */
  fields: FieldCatalog;
}

/** An empty document, used until Python has sent one. */
export function emptyDocument(): MapDocument {
  return {
    schema: 2,
    title: "Value stream",
    scope: "",
    state: "current",
    day_basis: "working",
    lead_unit: "auto",
    process_unit: "auto",
    customer: {
      name: "Customer",
      demand: null,
      period: "day",
      working_days: null,
      shifts: 1,
      shift_length: null,
      breaks: 0,
      x: null,
      y: null,
    },
    supplier: null,
    control: null,
    stream: [],
    shipments: [],
    flows: [],
    bursts: [],
  };
}

export type FieldType = "text" | "longtext" | "duration" | "percent" | "number" | "choice" | "waste" | "readonly";

/** One field as Python declares it (vsm_widget.core.fields.panel_fields), sent as the `fields` trait. */
export interface FieldSpec {
  name: string;
  label: string;
  type: FieldType;
  /** The field's long title and what it means, for the label's tooltip. */
  title?: string;
  help?: string;
  options?: string[];
  /** A choice that may be cleared (sent as null). */
  optional?: boolean;
  /** "shift": a duration never written in days (a shift's length and breaks). */
  reads?: "shift";
}

/** Every field of every kind, in the order the inspector lists them: from Python, never written here. */
export type FieldCatalog = Record<string, FieldSpec[]>;
