/**
 * Model access and the edit protocol. Python owns the map: it sends the scene and the
 * document whole as traits (on display, and again once edits pause) and, after each
 * edit, a patch of what changed by key. Every edit from the canvas is a small message
 * with an increasing seq and the view's client id, answered by a result for that client:
 * several pages (browsers) may show one model, and every page hears every message.
 */

import type { AnyModel } from "@anywidget/types";
import { person } from "./identity";
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
  /** The view that sent the edit (absent from older kernels: then seq alone tells). */
  client?: string;
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

/** The answer to a refresh request: the map whole, unless `rev` says the view missed nothing. */
interface StateReply {
  kind: "state";
  client?: string;
  rev: number;
  scene?: unknown;
  document?: unknown;
}

/** Someone else set again a field this view had just set (the protocol's `notice`). */
export interface Notice {
  kind: "notice";
  client: string;
  target: string;
  field: string;
  text: string;
}

interface ExportReply {
  kind: "exported";
  seq: number;
  client?: string;
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
  /** A refresh was asked for and not answered yet. */
  private refreshing = false;
  private readonly listeners = new Set<() => void>();
  private readonly replies = new Map<string, (reply: ExportReply) => void>();
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
      const rev = patch.scene.rev;
      const have = this.scene.rev;
      if (typeof rev === "number" && typeof have === "number") {
        // Already in the scene this copy has (a whole scene came after it): no news.
        if (rev <= have) return;
        // Patches were missed (a dropped connection): this one cannot go on top of what
        // is here. Ask for the map whole instead of drawing a stale one.
        if (rev > have + 1) {
          this.refresh();
          return;
        }
      }
      this.scene = applyPatch(this.scene, patch.scene);
      this.document = patchDocument(this.document, patch.document);
      this.emit();
    } else if (kind === "state") {
      const reply = msg as StateReply;
      if (reply.client !== this.client && !this.refreshing) return;
      this.refreshing = false;
      if (reply.scene === undefined || reply.rev === this.scene.rev) return;
      this.scene = readScene(reply.scene);
      this.document = readDocument(reply.document);
      this.emit();
    } else if (kind === "exported") {
      const reply = msg as ExportReply;
      const key =
        reply.client === undefined ? [...this.replies.keys()].find((k) => k.endsWith(`:${reply.seq}`)) : `${reply.client}:${reply.seq}`;
      if (key === undefined) return;
      this.replies.get(key)?.(reply);
      this.replies.delete(key);
    }
  };
  /** The page is back online: the kernel's connection may have dropped messages meanwhile. */
  private readonly onOnline = () => this.refresh(true);

  constructor(
    private readonly model: AnyModel<WidgetTraits>,
    /** The client id refresh requests go by (the first view's). */
    private readonly client: string,
  ) {
    this.scene = readScene(model.get("scene"));
    this.document = readDocument(model.get("document"));
    model.on("change:scene", this.onScene);
    model.on("change:document", this.onDocument);
    model.on("msg:custom", this.onMessage);
    // Only a Jupyter model: the room's page gets the whole state again on reconnecting.
    if (model.widget_manager && typeof window !== "undefined") window.addEventListener("online", this.onOnline);
  }

  /** Ask Python for the map whole (once, until it answers, unless `again`). */
  refresh(again = false): void {
    if (this.refreshing && !again) return;
    this.refreshing = true;
    this.model.send({ kind: "refresh", client: this.client, rev: this.scene.rev ?? null });
  }

  detach(): void {
    this.model.off("change:scene", this.onScene);
    this.model.off("change:document", this.onDocument);
    this.model.off("msg:custom", this.onMessage);
    if (typeof window !== "undefined") window.removeEventListener("online", this.onOnline);
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

  awaitReply(client: string, seq: number): Promise<ExportReply> {
    // Matched by client and seq: another page's export has the same seq.
    return new Promise((resolve) => this.replies.set(`${client}:${seq}`, resolve));
  }
}

const stores = new WeakMap<object, Store>();
/** Counter shared by all views of one page, so that seq increases per model even with two views. */
const seqByModel = new WeakMap<object, number>();

function readDocument(value: unknown): MapDocument {
  const doc = value as MapDocument | null | undefined;
  return doc && typeof doc === "object" && Array.isArray(doc.stream) ? doc : emptyDocument();
}

/**
 * Call each handler on its event of `model` (`"change:presence"`, `"msg:custom"`, ...);
 * returns what stops them all, for a view's cleanups.
 */
export function listenTo(model: AnyModel<WidgetTraits>, handlers: Record<string, (...args: never[]) => void>): () => void {
  const pairs = Object.entries(handlers);
  for (const [event, handler] of pairs) model.on(event as never, handler as never);
  return () => {
    for (const [event, handler] of pairs) model.off(event as never, handler as never);
  };
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
  private readonly notices = new Set<(notice: Notice) => void>();
  /** The revision when each of this view's unanswered edits was sent, by seq. */
  private readonly sentAt = new Map<number, unknown>();
  private readonly onMessage = (msg: unknown) => {
    const kind = msg && typeof msg === "object" ? (msg as { kind?: unknown }).kind : null;
    if (kind === "notice") {
      const notice = msg as Notice;
      if (notice.client === this.client) for (const listener of this.notices) listener(notice);
      return;
    }
    if (kind !== "result") return;
    const result = msg as EditResult;
    // Another view's answer (on this page or another one): its results, `created` and
    // refusals are its own.
    if (result.client !== undefined && result.client !== this.client) return;
    const before = this.sentAt.get(result.seq);
    if (this.sentAt.delete(result.seq) && result.ok && this.model.get("revision") !== before) this.announce();
    for (const listener of this.listeners) listener(result);
  };

  constructor(
    readonly model: AnyModel<WidgetTraits>,
    /** This view's client id (`newClientId()`): every message it sends carries it. */
    readonly client: string,
  ) {
    let store = stores.get(model);
    if (!store) {
      store = new Store(model, client);
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

  /** The last refusal, when it is this view's own (or says not whose: an older kernel). */
  get error(): EditError {
    const error = (this.model.get("error") ?? {}) as EditError & { client?: string };
    return error.client === undefined || error.client === this.client ? error : {};
  }

  get history(): History {
    return this.model.get("history") ?? {};
  }

  get height(): number {
    const h = this.model.get("height");
    return typeof h === "number" && h > 120 ? h : 560;
  }

  /** The next seq of this model's messages (edits, exports and workshop messages share it). */
  nextSeq(): number {
    const seq = (seqByModel.get(this.model) ?? 0) + 1;
    seqByModel.set(this.model, seq);
    return seq;
  }

  /** Send an edit to Python; returns its seq. */
  send(edit: Edit): number {
    const seq = this.nextSeq();
    this.sentAt.set(seq, this.model.get("revision"));
    this.model.send({ kind: "edit", seq, client: this.client, person: person().key, ...edit });
    return seq;
  }

  /** Ask Python for the map as an SVG picture (Python draws the same scene as the canvas). */
  async picture(palette: string, embedFont: boolean): Promise<string> {
    const seq = this.nextSeq();
    const reply = this.store.awaitReply(this.client, seq);
    this.model.send({ kind: "export", seq, client: this.client, palette, embed_font: embedFont });
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

  /** Call `listener` with each notice for this view (its write was set again by someone else). */
  onNotice(listener: (notice: Notice) => void): () => void {
    this.notices.add(listener);
    return () => this.notices.delete(listener);
  }

  dispose(): void {
    this.model.off("msg:custom", this.onMessage);
    this.listeners.clear();
    this.notices.clear();
    this.sentAt.clear();
    if (--this.store.views === 0) {
      this.store.detach();
      stores.delete(this.model);
    }
  }
}
