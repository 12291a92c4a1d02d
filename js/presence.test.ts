// @vitest-environment happy-dom
import type { AnyModel } from "@anywidget/types";
import { afterEach, describe, expect, it } from "vitest";
import { svg } from "./draw";
import { rememberPerson } from "./identity";
import { inkOn, marksByElement, type PresenceEntry, PresenceLayer, people, readPresence } from "./presence";
import type { WidgetTraits } from "./types";

type Handler = (...args: unknown[]) => void;

class Model {
  traits: Record<string, unknown> = { presence: [], selection: [] };
  handlers = new Map<string, Set<Handler>>();
  sent: Record<string, unknown>[] = [];
  get(key: string) {
    return this.traits[key];
  }
  set(key: string, value: unknown) {
    this.traits[key] = value;
    for (const h of this.handlers.get(`change:${key}`) ?? []) h();
  }
  on(event: string, cb: Handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(cb);
  }
  off(event: string, cb: Handler) {
    this.handlers.get(event)?.delete(cb);
  }
  send(content: Record<string, unknown>) {
    this.sent.push(content);
  }
}

const entry = (
  client: string,
  id: string,
  name: string,
  initials: string,
  selection: string[],
  editing: string | null = null,
): PresenceEntry => ({
  client,
  id,
  name,
  initials,
  color: "#1f77b4",
  role: "participant",
  selection,
  editing,
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 80));

describe("presence, worked out", () => {
  it("marks what the others select or edit, never what this view selects", () => {
    const marks = marksByElement(
      [
        entry("me", "i1", "Me", "M", ["p1"]),
        entry("c2", "i2", "Ana Lima", "AL", ["p1", "p2"], "p2"),
        entry("c3", "i3", "Ben", "B", ["p1"]),
      ],
      "me",
    );
    expect([...marks.keys()].sort()).toEqual(["p1", "p2"]);
    expect(marks.get("p1")?.map((m) => m.who.initials)).toEqual(["AL", "B"]);
    expect(marks.get("p2")).toEqual([{ who: expect.objectContaining({ client: "c2" }), editing: true }]);
  });

  it("lists a person once however many tabs they have, and says which is you", () => {
    const rows = people(
      [entry("a1", "ana", "Ana", "A", []), entry("b1", "ben", "Ben", "B", []), entry("a2", "ana", "Ana", "A", [])],
      "ben",
    );
    expect(rows.map((r) => [r.who.name, r.you])).toEqual([
      ["Ana", false],
      ["Ben", true],
    ]);
  });

  it("keeps only entries of the expected shape and colours of six hex digits", () => {
    const good = entry("c1", "i1", "Ana", "A", []);
    expect(readPresence([good, { ...good, color: "red; background: url(x)" }, null, "x", { client: "c" }])).toEqual([good]);
    expect(readPresence({})).toEqual([]);
  });

  it("writes initials in black or white, whichever has more contrast", () => {
    // White on #1f77b4 is 4.7:1, black on it 4.5:1; black on the olive #bcbd22 is 10:1.
    expect(inkOn("#1f77b4")).toBe("#ffffff");
    expect(inkOn("#bcbd22")).toBe("#000000");
    expect(inkOn("#000000")).toBe("#ffffff");
  });
});

describe("the presence layer", () => {
  let layer: PresenceLayer | null = null;
  afterEach(() => {
    layer?.destroy();
    layer = null;
    document.body.replaceChildren();
    localStorage.clear();
  });

  function mount(model: Model) {
    const root = document.createElement("div");
    const toolbar = document.createElement("div");
    root.append(toolbar);
    document.body.append(root);
    const owner = svg("svg", {}, root);
    const rings = svg("g", {}, owner);
    const groups = new Map(["p1", "p2"].map((id) => [id, svg("g", { "data-vsm-id": id }, owner)]));
    layer = new PresenceLayer(model as unknown as AnyModel<WidgetTraits>, "me", {
      root,
      toolbar,
      rings,
      selection: () => model.get("selection") as string[],
      groupsOf: (id) => (groups.has(id) ? [groups.get(id) as SVGGElement] : []),
      box: (id) => (groups.has(id) ? { x: 10, y: 20, w: 100, h: 60 } : null),
    });
    return { root, toolbar, rings, groups };
  }

  it("asks a name once, remembers it, then says who it is and what it selects", async () => {
    const model = new Model();
    const { toolbar } = mount(model);
    await settle();
    expect(model.sent).toEqual([]); // no name yet: nothing to say
    const input = toolbar.querySelector<HTMLInputElement>(".vsm-name-input");
    expect(input).not.toBeNull();
    (input as HTMLInputElement).value = "  Ana\n Lima ";
    toolbar.querySelector<HTMLButtonElement>(".vsm-name-ok")?.click();
    expect(toolbar.querySelector(".vsm-name-ask")).toBeNull();
    expect(JSON.parse(localStorage.getItem("vsm-widget:person") ?? "{}").name).toBe("Ana Lima");
    const [hello] = model.sent;
    expect(hello).toMatchObject({ kind: "presence", client: "me", name: "Ana Lima", selection: [], editing: null });
    expect(hello.key).toMatch(/^[0-9a-f]{32}$/);
    // Alone on the map: a selection costs the kernel no message.
    model.set("presence", [entry("me", "i1", "Ana Lima", "AL", [])]);
    model.set("selection", ["p3"]);
    await settle();
    expect(model.sent).toHaveLength(1);
    // Someone comes: they are told what this view has selected now.
    model.set("presence", [entry("me", "i1", "Ana Lima", "AL", []), entry("c2", "i2", "Ben", "B", [])]);
    expect(model.sent.map((m) => m.selection)).toEqual([[], ["p3"]]);
    model.set("selection", ["p2"]);
    model.set("selection", ["p1", "p2"]);
    await settle();
    expect(model.sent.map((m) => m.selection)).toEqual([[], ["p3"], ["p1", "p2"]]); // a run of changes: one message
  });

  it("draws the others' marks and the list of who is here, with text only", async () => {
    rememberPerson("Me", "#2ca02c"); // as a name given on an earlier visit
    const model = new Model();
    const { rings, groups, toolbar } = mount(model);
    await settle();
    model.set("presence", [
      { ...entry("me", "i1", "Me", "M", ["p2"]) },
      entry("c2", "i2", "<b>Ana</b>", "<B", ["p1"]),
      entry("c3", "i3", "Ben", "B", ["p1"], "p1"),
    ]);
    expect(groups.get("p1")?.getAttribute("data-vsm-presence")).toBe("<B B");
    expect(groups.get("p2")?.hasAttribute("data-vsm-presence")).toBe(false); // my own selection
    expect(rings.querySelectorAll(".vsm-presence-ring")).toHaveLength(2);
    expect(rings.querySelectorAll(".vsm-presence-editing")).toHaveLength(1);
    expect([...rings.querySelectorAll(".vsm-presence-badge text")].map((t) => t.textContent)).toEqual(["<B", "B editing"]);
    const names = [...toolbar.querySelectorAll(".vsm-person")].map((p) => p.textContent);
    expect(names).toEqual(["MMe(you)", "<B<b>Ana</b>", "BBen"]);
    expect(toolbar.querySelector(".vsm-person b")).toBeNull(); // a name is text, not markup
    // Someone leaves: their marks go.
    model.set("presence", [entry("me", "i1", "Me", "M", ["p2"])]);
    expect(groups.get("p1")?.hasAttribute("data-vsm-presence")).toBe(false);
    expect(rings.childElementCount).toBe(0);
  });

  it("joins again when the list no longer has it, and says goodbye when it goes", async () => {
    rememberPerson("Me", "#2ca02c"); // as a name given on an earlier visit
    const model = new Model();
    mount(model);
    await settle();
    expect(model.sent).toHaveLength(1);
    model.set("presence", [entry("c2", "i2", "Ana", "A", [])]); // a reconnect: the room forgot this view
    expect(model.sent).toHaveLength(2);
    expect(model.sent[1]).toMatchObject({ kind: "presence", client: "me", name: "Me" });
    layer?.destroy();
    layer = null;
    expect(model.sent[2]).toEqual({ kind: "presence", client: "me", leave: true });
    expect([...model.handlers.values()].every((set) => set.size === 0)).toBe(true);
  });
});
