import { describe, expect, it } from "vitest";
import { editText, heldText } from "./editing";
import { distributionEditText } from "./edittext";
import fields from "./fields.fixture.json";
import type { FieldSpec } from "./types";

describe("a duration that holds a distribution", () => {
  it("starts its input with the distribution's text form, each figure as the model reads it back", () => {
    expect(distributionEditText({ distribution: "triangular", low: 40, mode: 55, high: 90 })).toBe("triangular(40 s, 55 s, 90 s)");
    expect(distributionEditText({ distribution: "exponential", mean: 600 })).toBe("exponential(10 min)");
    expect(distributionEditText({ distribution: "lognormal", mean: 7200, sd: 1800 })).toBe("lognormal(120 min, 30 min)");
    expect(distributionEditText({ distribution: "empirical", values: [3600, 7200] })).toBe("empirical(1 h, 2 h)");
  });

  it("reads the element's distributions record by field, and nothing else", () => {
    const element = { cycle_time: 61.67, distributions: { cycle_time: { distribution: "triangular", low: 40, mode: 55, high: 90 } } };
    expect(heldText(element, "cycle_time", 8 * 3600)).toBe("triangular(40 s, 55 s, 90 s)");
    expect(heldText(element, "changeover", 8 * 3600)).toBeUndefined();
    expect(heldText({ cycle_time: 60 }, "cycle_time", 8 * 3600)).toBeUndefined();
  });

  it("gives nothing for a form it does not know, so the plain mean is shown instead", () => {
    expect(distributionEditText({ distribution: "weibull", shape: 2 })).toBeUndefined();
    expect(distributionEditText({ distribution: "triangular", low: 40, mode: "x", high: 90 })).toBeUndefined();
    expect(distributionEditText(null)).toBeUndefined();
  });
});

describe("a shift's length and breaks", () => {
  const customer = fields.customer as FieldSpec[];
  const spec = (name: string) => customer.find((field) => field.name === name);

  it("never start their input in days, even when one shift is the whole working day", () => {
    // One shift of 8 h: the working day is 8 h too, and "1 d" would read as a day.
    expect(editText(spec("shift_length"), 8 * 3600, 8 * 3600)).toBe("8 h");
    expect(editText(spec("shift_length"), 8 * 3600, 8 * 3600, "d")).toBe("8 h");
    expect(editText(spec("breaks"), 8 * 3600, 8 * 3600)).toBe("8 h");
    expect(editText(spec("shift_length"), 27600, 27600)).toBe("460 min");
  });

  it("is what the field list says, while other durations still read in days", () => {
    expect(spec("shift_length")?.reads).toBe("shift");
    const lead = (fields.process as FieldSpec[]).find((field) => field.name === "lead_time");
    expect(lead?.reads).toBeUndefined();
    expect(editText(lead, 8 * 3600, 8 * 3600)).toBe("1 d");
  });
});
