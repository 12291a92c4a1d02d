import { describe, expect, it } from "vitest";
import { documentJson, fileName, pictureSize } from "./files";
import { stampingDocument } from "./stamping.fixture";

describe("file names", () => {
  it("come from the title, never empty, never cut inside a character", () => {
    expect(fileName("Steering brackets, Acme (current)", "svg")).toBe("steering-brackets-acme-current.svg");
    expect(fileName("Über Öffnung", "png")).toBe("uber-offnung.png");
    expect(fileName("!!!", "json")).toBe("value-stream-map.json");
    const long = fileName("𝒜".repeat(80), "svg");
    expect(Array.from(long.replace(/\.svg$/, "")).length).toBe(60);
    expect(long.includes("\uFFFD")).toBe(false);
  });
});

describe("documents and pictures", () => {
  it("writes the map document as JSON that reads back the same", () => {
    const doc = stampingDocument();
    expect(JSON.parse(documentJson(doc))).toEqual(doc);
  });

  it("reads a picture's size from its view box", () => {
    expect(pictureSize('<svg xmlns="x" viewBox="0 -4.5 1200.5 640">')).toEqual({ width: 1200.5, height: 640 });
  });
});
