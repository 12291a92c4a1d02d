import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * Pictures are styled once per kind of element (see `inlineStyles` in export.ts), which is
 * right only while the stylesheet selects SVG elements by tag and classes (their own and
 * their ancestors'). Attribute, sibling and position selectors must stay on HTML parts.
 */
const HTML_ONLY = new Set([
  ".vsm-btn:hover:not(:disabled)",
  ".vsm-menu[hidden]",
  ".vsm-error[hidden]",
  ".vsm-insp-section + .vsm-insp-section",
  '.vsm-btn[aria-pressed="true"]',
  ".jp-OutputArea-child:has(.vsm-canvas) + .jp-OutputArea-child .vsm-fallback",
]);

describe("the stylesheet", () => {
  it("selects drawn elements by tag and class only", () => {
    const css = readFileSync(new URL("./widget.css", import.meta.url), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    const selectors = [...css.matchAll(/([^{}]+)\{/g)].flatMap((m) => m[1].split(",").map((s) => s.trim()));
    expect(selectors.length).toBeGreaterThan(50);
    const structural = selectors.filter((s) => /\[|:not\(|[+~]|:nth|:first|:last|:has|:empty|:only/.test(s));
    expect(structural.filter((s) => !HTML_ONLY.has(s))).toEqual([]);
  });
});
