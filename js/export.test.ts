// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { documentJson, fileName, mapPicture } from "./export";
import { DEFAULT_DAY } from "./format";
import { layout } from "./layout";
import { stampingDocument, stampingMetrics } from "./stamping.fixture";
import type { MapDocument } from "./types";

function picture(doc: MapDocument, host: HTMLElement = document.createElement("div")) {
  const metrics = stampingMetrics();
  return mapPicture(host, doc, metrics, layout(doc, metrics, DEFAULT_DAY), DEFAULT_DAY);
}

function parse(text: string): Document {
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  expect(parsed.querySelector("parsererror")).toBeNull();
  return parsed;
}

describe("file names", () => {
  it("come from the title, in lower case with dashes", () => {
    expect(fileName("Steering brackets, Acme Stamping (current state)", "svg")).toBe("steering-brackets-acme-stamping-current-state.svg");
  });

  it("drop accents and keep letters of any script", () => {
    expect(fileName("Café Zürich – Ausgabe", "png")).toBe("cafe-zurich-ausgabe.png");
    expect(fileName("受注から出荷", "json")).toBe("受注から出荷.json");
  });

  it("are never empty and never a path", () => {
    expect(fileName("", "svg")).toBe("value-stream-map.svg");
    expect(fileName("../../etc/passwd", "json")).toBe("etc-passwd.json");
    expect(fileName("///", "png")).toBe("value-stream-map.png");
  });

  it("stay short", () => {
    expect(fileName("x".repeat(500), "svg").length).toBeLessThanOrEqual(64);
  });

  it("never cut a character in half", () => {
    const name = fileName(`x${"𠮷".repeat(100)}`, "svg"); // 𠮷 takes two UTF-16 units
    expect(Array.from(name.replace(/\.svg$/, "")).length).toBe(60);
    expect(name).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe("the SVG picture", () => {
  it("holds every element of the map", () => {
    const doc = stampingDocument();
    const svg = parse(picture(doc).text).documentElement;
    const kind = (k: string) => svg.querySelectorAll(`[data-vsm-kind="${k}"]`).length;
    expect(kind("process")).toBe(doc.stream.filter((s) => s.type === "process").length);
    expect(kind("inventory")).toBe(doc.stream.filter((s) => s.type === "gap").length);
    expect(kind("customer")).toBe(1);
    expect(svg.getAttribute("viewBox")?.split(" ").slice(2)).toEqual([svg.getAttribute("width"), svg.getAttribute("height")]);
  });

  it("keeps markup in names as text", () => {
    const doc = stampingDocument();
    doc.title = '<script>alert("t")</script>';
    doc.stream[1] = { ...doc.stream[1], name: "<img src=x onerror=alert(1)>" } as MapDocument["stream"][number];
    const { text } = picture(doc);
    expect(text).not.toContain("<script");
    expect(text).not.toContain("<img");
    const svg = parse(text).documentElement;
    expect(svg.querySelector("script, img, foreignObject")).toBeNull();
    expect(svg.querySelector("title")?.textContent).toBe(doc.title);
    expect(svg.textContent).toContain("<img src=x");
  });

  it("leaves nothing behind in the host", () => {
    const host = document.createElement("div");
    host.appendChild(document.createElement("span"));
    picture(stampingDocument(), host);
    expect(host.children.length).toBe(1);
    expect(host.querySelector(".vsm-export-scratch")).toBeNull();
  });
});

describe("the JSON document", () => {
  it("is the document itself, readable back", () => {
    const doc = stampingDocument();
    const text = documentJson(doc);
    expect(text.endsWith("\n")).toBe(true);
    expect(JSON.parse(text)).toEqual(doc);
  });
});
