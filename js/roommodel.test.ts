import { describe, expect, it } from "vitest";
import { RoomModel } from "./roommodel";

function model(connected = true) {
  const sent: string[] = [];
  const m = new RoomModel((text) => {
    if (connected) sent.push(text);
    return connected;
  });
  const custom: unknown[] = [];
  m.on("msg:custom", (msg) => custom.push(msg));
  return { m, sent, custom };
}

describe("RoomModel", () => {
  it("sets traits from a state frame and passes other messages on as custom messages", () => {
    const { m, custom } = model();
    const changed: string[] = [];
    m.on("change:revision", () => changed.push("revision"));
    m.receive(
      JSON.stringify([
        { kind: "state", state: { revision: 3, selection: [] }, room: { edit: false } },
        { kind: "patch", scene: {} },
      ]),
    );
    expect(m.get("revision")).toBe(3);
    expect(m.ready).toBe(true);
    expect(m.room.edit).toBe(false);
    expect(changed).toEqual(["revision"]);
    expect(custom).toEqual([{ kind: "patch", scene: {} }]);
  });

  it("keeps its own selection when the whole state arrives again", () => {
    const { m } = model();
    m.receive(JSON.stringify([{ kind: "state", state: { selection: [] } }]));
    m.set("selection", ["p1"]);
    m.save_changes();
    m.receive(JSON.stringify([{ kind: "state", state: { selection: [], revision: 1 } }]));
    expect(m.get("selection")).toEqual(["p1"]);
  });

  it("answers unanswered edits when the connection drops, and only those", () => {
    const { m, sent, custom } = model();
    m.send({ kind: "edit", seq: 1, op: "undo" });
    m.send({ kind: "edit", seq: 2, op: "redo" });
    expect(sent.map((t) => JSON.parse(t).seq)).toEqual([1, 2]);
    m.receive(JSON.stringify([{ kind: "result", seq: 1, ok: true }]));
    m.dropped();
    expect(custom.map((c) => (c as { seq: number; ok: boolean }).seq)).toEqual([1, 2]);
    const lost = custom[1] as { ok: boolean; error: { field: string } };
    expect(lost.ok).toBe(false);
    expect(lost.error.field).toBe("connection");
    m.dropped();
    expect(custom).toHaveLength(2);
  });

  it("refuses an edit at once while disconnected", () => {
    const { m, custom } = model(false);
    m.send({ kind: "edit", seq: 5, op: "undo" });
    expect(custom).toEqual([expect.objectContaining({ kind: "result", seq: 5, ok: false })]);
  });

  it("ignores a frame that is not JSON", () => {
    const { m, custom } = model();
    m.receive("{oops");
    expect(custom).toEqual([]);
    expect(m.ready).toBe(false);
  });
});
