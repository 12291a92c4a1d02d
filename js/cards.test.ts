// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { type CardState, drawCards } from "./cards";

const card = (name: string, over: Partial<CardState> = {}): CardState => ({
  name,
  title: name.replaceAll("_", " "),
  formula: `${name} = a / b`,
  text: "1 s",
  delta: "",
  verdict: "",
  detail: "",
  flash: "",
  ...over,
});

describe("the metric cards", () => {
  it("draws each card with its parts, classes and formula as tooltip", () => {
    const host = document.createElement("div");
    drawCards(host, [card("lead_time", { text: "10.7 h", detail: "critical path: main line" })], new Map());
    const drawn = host.querySelector(".vsm-card.vsm-card-lead-time");
    expect(drawn?.getAttribute("role")).toBe("group");
    expect(drawn?.getAttribute("aria-label")).toBe("lead time");
    expect(drawn?.querySelector(".vsm-card-value")?.textContent).toBe("10.7 h");
    expect(drawn?.querySelector(".vsm-card-detail")?.textContent).toBe("critical path: main line");
    expect(drawn?.querySelector<HTMLElement>(".vsm-card-title")?.title).toBe("lead_time = a / b");
    expect(drawn?.querySelector<HTMLElement>(".vsm-card-value")?.title).toBe("lead_time = a / b");
  });

  it("updates the same elements in place: the change, its colour and the flash", () => {
    const host = document.createElement("div");
    const drawn = new Map();
    drawCards(host, [card("takt_time"), card("process_time")], drawn);
    const value = host.querySelector(".vsm-card-process-time .vsm-card-value");
    drawCards(
      host,
      [card("takt_time"), card("process_time", { text: "2 s", delta: "▲ +1 s", verdict: "vsm-card-worse", flash: "vsm-flash-b" })],
      drawn,
    );
    expect(host.querySelector(".vsm-card-process-time .vsm-card-value")).toBe(value);
    expect(value?.textContent).toBe("2 s");
    const delta = host.querySelector(".vsm-card-process-time .vsm-card-delta");
    expect(delta?.textContent).toBe("▲ +1 s");
    expect(delta?.className).toBe("vsm-card-delta vsm-card-worse");
    expect(host.querySelector(".vsm-card-process-time")?.classList.contains("vsm-flash-b")).toBe(true);
    expect(host.querySelector(".vsm-card-takt-time")?.className).toBe("vsm-card vsm-card-takt-time");
    // Taken back: no colour, no flash.
    drawCards(host, [card("takt_time"), card("process_time")], drawn);
    expect(delta?.className).toBe("vsm-card-delta");
    expect(host.querySelector(".vsm-card-process-time")?.className).toBe("vsm-card vsm-card-process-time");
  });

  it("shows a user's text as text, never as markup", () => {
    const host = document.createElement("div");
    const evil = '<img src=x onerror="alert(1)">';
    drawCards(host, [card("bottleneck", { text: evil, delta: `was ${evil}` })], new Map());
    expect(host.querySelector("img")).toBeNull();
    expect(host.querySelector(".vsm-card-value")?.textContent).toBe(evil);
    expect(host.querySelector(".vsm-card-delta")?.textContent).toBe(`was ${evil}`);
  });

  it("draws the cards anew when the set of cards changes", () => {
    const host = document.createElement("div");
    const drawn = new Map();
    drawCards(host, [card("takt_time")], drawn);
    drawCards(host, [card("lead_time"), card("efficiency")], drawn);
    expect([...host.children].map((c) => c.className)).toEqual(["vsm-card vsm-card-lead-time", "vsm-card vsm-card-efficiency"]);
  });
});
