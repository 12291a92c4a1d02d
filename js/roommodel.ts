/**
 * An anywidget-like model over the room's WebSocket (see `docs/live.md`): the canvas
 * (`MapView`) reads it exactly as it reads a Jupyter widget's model. The room sends frames
 * (JSON arrays of messages): `state` sets traits, every other kind is a custom message.
 * The selection (and the revision write-back) stay in this page: they are per participant.
 * Who is here and what each has selected comes from the room as the `presence` trait (a
 * state frame whenever it changes); the page tells its own with `presence` messages.
 */

import type { AnyModel } from "@anywidget/types";
import type { WidgetTraits } from "./types";

type Handler = (...args: unknown[]) => void;

/** What the room says about itself in the state it sends on connecting. */
export interface RoomInfo {
  edit: boolean;
  /** The link's role: the participant link's, or the facilitator's (`room.facilitator_url`). */
  role?: "facilitator" | "participant";
}

export class RoomModel {
  private readonly traits: Record<string, unknown> = {};
  private readonly handlers = new Map<string, Set<Handler>>();
  /** Edits sent and not answered yet, by seq: answered as lost if the connection drops. */
  private readonly unanswered = new Set<number>();
  room: RoomInfo = { edit: true };
  /** Whether the whole state has arrived at least once. */
  ready = false;

  constructor(private readonly transmit: (text: string) => boolean) {}

  get<K extends keyof WidgetTraits>(key: K): WidgetTraits[K] {
    return this.traits[key as string] as WidgetTraits[K];
  }

  set<K extends keyof WidgetTraits>(key: K, value: WidgetTraits[K]): void {
    this.traits[key as string] = value;
    this.emit(`change:${String(key)}`);
  }

  /** Nothing to save: the page owns its selection, and Python owns every other trait. */
  save_changes(): void {}

  on(name: string, handler: Handler): void {
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
    }
    set.add(handler);
  }

  off(name?: string | null, handler?: Handler | null): void {
    if (!name) this.handlers.clear();
    else if (!handler) this.handlers.delete(name);
    else this.handlers.get(name)?.delete(handler);
  }

  send(content: unknown): void {
    const seq = (content as { seq?: unknown } | null)?.seq;
    const sent = this.transmit(JSON.stringify(content));
    if (typeof seq !== "number") return;
    if (sent) this.unanswered.add(seq);
    else this.emit("msg:custom", lost(seq, "the room is not connected; the edit was not sent"));
  }

  /** One frame from the room. */
  receive(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    for (const msg of Array.isArray(frame) ? frame : [frame]) {
      if (!msg || typeof msg !== "object") continue;
      const { kind } = msg as { kind?: unknown };
      if (kind === "state") this.applyState(msg as { state?: Record<string, unknown>; room?: RoomInfo });
      else {
        const seq = (msg as { seq?: unknown }).seq;
        if ((kind === "result" || kind === "workshop_result") && typeof seq === "number") this.unanswered.delete(seq);
        this.emit("msg:custom", msg);
      }
    }
  }

  /** The connection dropped: every unanswered edit is answered, saying it may not have landed. */
  dropped(): void {
    for (const seq of [...this.unanswered]) {
      this.emit("msg:custom", lost(seq, "the connection dropped before the room answered; check whether the edit is on the map"));
    }
    this.unanswered.clear();
  }

  asModel(): AnyModel<WidgetTraits> {
    return this as unknown as AnyModel<WidgetTraits>;
  }

  private applyState(msg: { state?: Record<string, unknown>; room?: RoomInfo }): void {
    const state = msg.state ?? {};
    if (msg.room) this.room = msg.room;
    // A reconnect sends the whole state again: the selection is this page's own and stays.
    if (this.ready && "selection" in state) delete state.selection;
    Object.assign(this.traits, state);
    this.ready = true;
    for (const key of Object.keys(state)) this.emit(`change:${key}`);
  }

  private emit(name: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(name) ?? [])]) handler(...args);
  }
}

function lost(seq: number, reason: string) {
  return {
    kind: "result",
    seq,
    ok: false,
    error: { target: null, field: "connection", reason, message: `connection: ${reason}` },
  };
}
