import { describe, expect, it } from "vitest";
import { heldText } from "./editing";
import { distributionEditText } from "./edittext";

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
