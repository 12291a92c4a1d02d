/**
 * Model access and the edit protocol. Python owns the map: it sends the scene and the
 * document whole as traits (on display, and again once edits pause) and, after each
 * edit, a patch of what changed by key. Every edit from the canvas is a small message
 * with an increasing seq, answered by a result.
 */

import type { AnyModel } from "@anywidget/types";
import { applyPatch, readScene, type Scene, type ScenePatch } from "./scene";
import { type EditError, emptyDocument, type FieldCatalog, type History, type MapDocument, type WidgetTraits } from "./types";

/** An edit message without its envelope (kind and seq are added by `Sync.send`). */
export type Edit =
  | { op: "update"; id: string; field: string; value: string | null }
  | { op: "add_process"; after: string | null; name: string | null }
  | { op: "add_inventory"; after: string | null; quantity: number | null }
  | { op: "add_wait"; after: string | null; wait_time: string | null }
  | { op: "add_burst"; target: string | null; text: string | null }
  | { op: "add_flow"; source: string; target: string; medium: "manual" | "electronic" }
  | { op: "add_branch"; into: string; after: string | null; name: string | null; step: string | null }
  | { op: "add_rework"; source: string; target: string; share: string }
  | { op: "move_to_path"; id: string; path: string; after: string | null }
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
  /** Ids of the elements the edit added (an add selects them). */
  created?: string[];
}

/** A change of one of the document's lists (stream, flows...), by element id. */
interface ListPatch {
  upsert: { id: string }[];
  remove: string[];
  order?: string[];
}

export interface DocumentPatch {
  top: Partial<MapDocument>;
  lists: Record<string, ListPatch>;
}

interface PatchMessage {
  kind: "patch";
  scene: ScenePatch;
  document: DocumentPatch;
}

interface ExportReply {
  kind: "exported";
  seq: number;
  ok: boolean;
  svg?: string;
  reason?: string;
}

/**
 * The scene and document of one model, shared by every view of it in the page: patches
 * are applied once, and every view is told.
 */
class Store {
  scene: Scene;
  document: MapDocument;
  /** How many views use this store; the last one to go detaches it. */
  views = 0;
  private readonly listeners = new Set<() => void>();
  private readonly replies = new Map<number, (reply: ExportReply) => void>();
  private readonly onScene = () => {
    const scene = readScene(this.model.get("scene"));
    // Sent again once edits pause: the scene this copy already is, by its patches.
    if (scene.rev !== undefined && scene.rev === this.scene.rev && scene.nodes.length === this.scene.nodes.length) return;
    this.scene = scene;
    this.emit();
  };
  private readonly onDocument = () => {
    this.document = readDocument(this.model.get("document"));
    this.emit();
  };
  private readonly onMessage = (msg: unknown) => {
    const kind = (msg as { kind?: unknown } | null)?.kind;
    if (kind === "patch") {
      const patch = msg as PatchMessage;
      this.scene = applyPatch(this.scene, patch.scene);
      this.document = patchDocument(this.document, patch.document);
      this.emit();
    } else if (kind === "exported") {
      const reply = msg as ExportReply;
      this.replies.get(reply.seq)?.(reply);
      this.replies.delete(reply.seq);
    }
  };

  constructor(private readonly model: AnyModel<WidgetTraits>) {
    this.scene = readScene(model.get("scene"));
    this.document = readDocument(model.get("document"));
    model.on("change:scene", this.onScene);
    model.on("change:document", this.onDocument);
    model.on("msg:custom", this.onMessage);
  }

  detach(): void {
    this.model.off("change:scene", this.onScene);
    this.model.off("change:document", this.onDocument);
    this.model.off("msg:custom", this.onMessage);
    this.listeners.clear();
    this.replies.clear();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }

  awaitReply(seq: number): Promise<ExportReply> {
    return new Promise((resolve) => this.replies.set(seq, resolve));
  }
}

const stores = new WeakMap<object, Store>();
/** Counter shared by all views of one page, so that seq increases per model even with two views. */
const seqByModel = new WeakMap<object, number>();

function readDocument(value: unknown): MapDocument {
  const doc = value as MapDocument | null | undefined;
  return doc && typeof doc === "object" && Array.isArray(doc.stream) ? doc : emptyDocument();
}

/** Apply a document patch: a new document; unchanged elements stay the same objects. */
export function patchDocument(doc: MapDocument, patch: DocumentPatch): MapDocument {
  const next = { ...doc, ...patch.top } as MapDocument & Record<string, unknown>;
  for (const [name, change] of Object.entries(patch.lists)) {
    const items = (doc as unknown as Record<string, { id: string }[]>)[name] ?? [];
    const byId = new Map(items.map((item) => [item.id, item]));
    for (const id of change.remove) byId.delete(id);
    for (const item of change.upsert) byId.set(item.id, item);
    const order = change.order ?? items.map((item) => item.id).filter((id) => byId.has(id));
    if (!change.order) for (const item of change.upsert) if (!order.includes(item.id)) order.push(item.id);
    next[name] = order.map((id) => byId.get(id)).filter(Boolean);
  }
  return next;
}

export class Sync {
  private readonly store: Store;
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
    let store = stores.get(model);
    if (!store) {
      store = new Store(model);
      stores.set(model, store);
    }
    store.views++;
    this.store = store;
    model.on("msg:custom", this.onMessage);
  }

  get scene(): Scene {
    return this.store.scene;
  }

  get document(): MapDocument {
    return this.store.document;
  }

  /** Call `listener` when the scene or document changes; returns the unsubscribe. */
  onMapChange(listener: () => void): () => void {
    return this.store.subscribe(listener);
  }

  get selection(): string[] {
    const value = this.model.get("selection");
    return Array.isArray(value) ? value : [];
  }

  /** Every field of every element kind, as Python declares them (the `fields` trait). */
  get fields(): FieldCatalog {
    const value = this.model.get("fields");
    return value && typeof value === "object" ? (value as FieldCatalog) : {};
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

  private nextSeq(): number {
    const seq = (seqByModel.get(this.model) ?? 0) + 1;
    seqByModel.set(this.model, seq);
    return seq;
  }

  /** Send an edit to Python; returns its seq. */
  send(edit: Edit): number {
    const seq = this.nextSeq();
    this.sentAt.set(seq, this.model.get("revision"));
    this.model.send({ kind: "edit", seq, ...edit });
    return seq;
  }

  /** Ask Python for the map as an SVG picture (Python draws the same scene as the canvas). */
  async picture(palette: string, embedFont: boolean): Promise<string> {
    const seq = this.nextSeq();
    const reply = this.store.awaitReply(seq);
    this.model.send({ kind: "export", seq, palette, embed_font: embedFont });
    const answer = await reply;
    if (!answer.ok || typeof answer.svg !== "string") throw new Error(answer.reason ?? "Python could not draw the map");
    return answer.svg;
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
    if (--this.store.views === 0) {
      this.store.detach();
      stores.delete(this.model);
    }
  }
}
