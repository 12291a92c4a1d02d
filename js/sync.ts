/** Model access and the edit protocol: every edit is a small message with an increasing seq. */

import type { AnyModel } from "@anywidget/types";
import { type EditError, emptyDocument, type History, type MapDocument, type Metrics, type WidgetTraits } from "./types";

/** An edit message without its envelope (kind and seq are added by `Sync.send`). */
export type Edit =
  | { op: "update"; id: string; field: string; value: string | null }
  | { op: "add_process"; at: number | null; name: string | null }
  | { op: "add_inventory"; at: number | null; quantity: number | null }
  | { op: "add_wait"; at: number | null; wait_time: string | null }
  | { op: "add_burst"; target: string | null; text: string | null }
  | { op: "add_flow"; source: string; target: string; medium: "manual" | "electronic" }
  | { op: "remove"; id: string }
  | { op: "move"; id: string; x: number; y: number }
  | { op: "reorder"; id: string; index: number }
  | { op: "swap"; id: string; other: string }
  | { op: "undo" }
  | { op: "redo" }
  | { op: "layout" }
  | { op: "open"; text: string; name: string | null };

export interface EditResult {
  kind: "result";
  seq: number;
  ok: boolean;
  error?: EditError;
}

/** Counter shared by all views of one page, so that seq increases per model even with two views. */
const seqByModel = new WeakMap<object, number>();

export class Sync {
  private readonly listeners = new Set<(result: EditResult) => void>();
  /** The revision when each of this view's unanswered edits was sent, by seq. */
  private readonly sentAt = new Map<number, unknown>();
  private readonly onMessage = (msg: unknown) => {
    if (!msg || typeof msg !== "object" || (msg as { kind?: unknown }).kind !== "result") return;
    const result = msg as EditResult;
    const before = this.sentAt.get(result.seq);
    if (this.sentAt.delete(result.seq) && result.ok && this.model.get("revision") !== before) this.announce();
    for (const listener of this.listeners) listener(result);
  };

  constructor(readonly model: AnyModel<WidgetTraits>) {
    model.on("msg:custom", this.onMessage);
  }

  get document(): MapDocument {
    const doc = this.model.get("document");
    return doc && typeof doc === "object" && Array.isArray((doc as MapDocument).stream) ? doc : emptyDocument();
  }

  get metrics(): Metrics {
    return this.model.get("metrics") ?? {};
  }

  get selection(): string[] {
    const value = this.model.get("selection");
    return Array.isArray(value) ? value : [];
  }

  get error(): EditError {
    return this.model.get("error") ?? {};
  }

  get history(): History {
    return this.model.get("history") ?? {};
  }

  get height(): number {
    const h = this.model.get("height");
    return typeof h === "number" && h > 120 ? h : 560;
  }

  /** Send an edit to Python; returns its seq. */
  send(edit: Edit): number {
    const seq = (seqByModel.get(this.model) ?? 0) + 1;
    seqByModel.set(this.model, seq);
    this.sentAt.set(seq, this.model.get("revision"));
    this.model.send({ kind: "edit", seq, ...edit });
    return seq;
  }

  /**
   * Write back the revision Python sent with this view's accepted edit. Python ignores the
   * write (it owns the trait); it is there for hosts that re-run code only when the page
   * updates a widget's state: marimo re-runs the cells that read `.value` of
   * `mo.ui.anywidget(m.editor())`. Jupyter sends nothing for a value that did not change.
   */
  private announce(): void {
    this.model.set("revision", this.model.get("revision"));
    this.model.save_changes();
  }

  /** The selection is the one trait the front end owns too. */
  select(ids: string[]): void {
    const current = this.selection;
    if (current.length === ids.length && current.every((id, i) => id === ids[i])) return;
    this.model.set("selection", ids);
    this.model.save_changes();
  }

  onResult(listener: (result: EditResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.model.off("msg:custom", this.onMessage);
    this.listeners.clear();
    this.sentAt.clear();
  }
}
