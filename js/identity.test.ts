import { describe, expect, it } from "vitest";
import { cleanName, colourFor, initialsOf, NAME_MAX, PERSON_COLOURS } from "./identity";

describe("identity", () => {
  it("reads initials from the first and last word", () => {
    expect(initialsOf("Ana Lima")).toBe("AL");
    expect(initialsOf("  ana  ")).toBe("A");
    expect(initialsOf("José María Ortega")).toBe("JO");
    expect(initialsOf("")).toBe("?");
  });

  it("cleans names of control characters and bounds them", () => {
    expect(cleanName("Ana\u0000\n  Lima")).toBe("Ana Lima");
    expect(cleanName("x".repeat(100))).toHaveLength(NAME_MAX);
  });

  it("gives a key one of the palette's colours, always the same", () => {
    const colour = colourFor("0123456789abcdef");
    expect(PERSON_COLOURS).toContain(colour);
    expect(colourFor("0123456789abcdef")).toBe(colour);
  });
});
