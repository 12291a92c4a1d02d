import { describe, expect, it } from "vitest";
import { durationEditText, formatDays, formatDuration, formatNumber, formatPercent, percentEditText, plain } from "./format";

const DAY = 55200; // two shifts of 27,600 s

describe("formatNumber", () => {
  it("groups thousands and keeps three significant digits", () => {
    expect(formatNumber(18400)).toBe("18,400");
    expect(formatNumber(1234567)).toBe("1,234,567");
    expect(formatNumber(0.123456)).toBe("0.123");
    expect(formatNumber(2.5)).toBe("2.5");
    expect(formatNumber(7.608695)).toBe("7.61");
    expect(formatNumber(1303.9)).toBe("1,304");
    expect(formatNumber(-1500)).toBe("-1,500");
  });
  it("shows a dash for missing values", () => {
    expect(formatNumber(null)).toBe("–");
    expect(formatNumber(Number.NaN)).toBe("–");
  });
});

describe("formatDuration", () => {
  it("uses the unit that reads best", () => {
    expect(formatDuration(45, DAY)).toBe("45 s");
    expect(formatDuration(150, DAY)).toBe("2.5 min");
    expect(formatDuration(3.2 * 3600, DAY)).toBe("3.2 h");
    expect(formatDuration(4.5 * DAY, DAY)).toBe("4.5 d");
  });
  it("keeps short cycle times in seconds, as they are written on a data box", () => {
    expect(formatDuration(62, DAY)).toBe("62 s");
    expect(formatDuration(188, DAY)).toBe("188 s");
    expect(formatDuration(600, DAY)).toBe("10 min");
    expect(formatDuration(3600, DAY)).toBe("1 h");
  });
  it("counts days in working days of metrics.day_length", () => {
    // 4,600 parts at 920 a day = 5 working days of 55,200 s.
    expect(formatDuration((4600 / 920) * DAY, DAY)).toBe("5 d");
    // 21,730 parts waiting = 23.62 days.
    expect(formatDuration((21730 / 920) * DAY + 188, DAY)).toBe("23.6 d");
    expect(formatDuration(8 * 3600 * 2, 8 * 3600)).toBe("2 d");
  });
  it("honours a forced unit and shows a dash for missing values", () => {
    expect(formatDuration(DAY, DAY, "h")).toBe("15.3 h");
    expect(formatDuration(null, DAY)).toBe("–");
  });
});

describe("percent and days", () => {
  it("formats shares as percentages", () => {
    expect(formatPercent(0.853)).toBe("85.3%");
    expect(formatPercent(1)).toBe("100%");
    // 188 s of process time in a 23.62-day lead time.
    expect(formatPercent(188 / ((21730 / 920) * DAY + 188))).toBe("0.0144%");
    expect(formatPercent(null)).toBe("–");
  });
  it("formats days", () => {
    expect(formatDays(2450 / 920)).toBe("2.66 d");
  });
});

describe("edit text", () => {
  it("writes durations so that they parse back to the same seconds", () => {
    expect(durationEditText(3600, DAY)).toBe("1 h");
    expect(durationEditText(600, DAY)).toBe("10 min");
    expect(durationEditText(39, DAY)).toBe("39 s");
    expect(durationEditText(5 * DAY, DAY)).toBe("5 d");
    expect(durationEditText(1303988, DAY)).toBe("1303988 s");
    expect(durationEditText(null, DAY)).toBe("");
  });
  it("writes shares and numbers plainly", () => {
    expect(percentEditText(0.85)).toBe("85%");
    expect(percentEditText(0.995)).toBe("99.5%");
    expect(plain(18400)).toBe("18400");
    expect(plain(0.1 + 0.2)).toBe("0.3");
  });
});
