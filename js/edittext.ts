/**
 * Editable text of a value: what an input starts with. It parses back to exactly the
 * stored value (lossless), unlike the display texts Python formats for the drawing.
 */

/** Working-day length to use when the scene does not give one (8 h). */
export const DEFAULT_DAY = 8 * 3600;

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** A number as plain editable text, without separators: 18400 -> "18400". */
export function plain(value: number | null | undefined): string {
  if (!isNumber(value)) return "";
  return String(Number.parseFloat(value.toPrecision(12)));
}

/**
 * A duration as editable text that parses back to exactly the same seconds:
 * 3600 -> "1 h", 600 -> "10 min", 1303988 -> "1303988 s". `typed` is the unit the value was
 * typed in: it comes first, where it is exact too (3600 typed in minutes -> "60 min").
 * `inDays` false keeps days out (a shift of 8 h on an 8-hour day is "8 h", not "1 d").
 */
export function durationEditText(
  seconds: number | null | undefined,
  day: number | null | undefined = DEFAULT_DAY,
  typed?: string,
  inDays = true,
): string {
  if (!isNumber(seconds)) return "";
  const dayLength = isNumber(day) && day > 0 ? day : DEFAULT_DAY;
  const sizes: [string, number][] = [...(inDays ? [["d", dayLength] as [string, number]] : []), ["h", 3600], ["min", 60]];
  const own = [...sizes, ["s", 1] as [string, number]].find(([unit]) => unit === typed);
  if (own) {
    const amount = Math.round((seconds / own[1]) * 1000) / 1000;
    if (Math.abs(amount * own[1] - seconds) < 1e-6) return `${plain(amount)} ${own[0]}`;
  }
  for (const [unit, size] of sizes) {
    const amount = seconds / size;
    if (Math.abs(amount) < 1) continue;
    const rounded = Math.round(amount * 1000) / 1000;
    if (Math.abs(rounded * size - seconds) < 1e-6) return `${plain(rounded)} ${unit}`;
  }
  return `${plain(seconds)} s`;
}

/** A share as editable text: 0.85 -> "85%". */
export function percentEditText(ratio: number | null | undefined): string {
  if (!isNumber(ratio)) return "";
  return `${plain(Math.round(ratio * 100 * 1e6) / 1e6)}%`;
}

/** The figures (seconds) each kind of distribution lists in its text form, in order. */
const DISTRIBUTION_FIGURES: Record<string, string[]> = {
  exponential: ["mean"],
  triangular: ["low", "mode", "high"],
  lognormal: ["mean", "sd"],
  empirical: ["values"],
};

/**
 * A distribution held by a duration field (its document form, seconds) as the text the
 * model reads back: "triangular(40 s, 55 s, 90 s)". Undefined for a form it does not know.
 */
export function distributionEditText(held: unknown, day: number | null | undefined = DEFAULT_DAY): string | undefined {
  if (!held || typeof held !== "object") return undefined;
  const record = held as Record<string, unknown>;
  const kind = record.distribution;
  const names = typeof kind === "string" ? DISTRIBUTION_FIGURES[kind] : undefined;
  if (!names) return undefined;
  const figures = kind === "empirical" ? record.values : names.map((name) => record[name]);
  if (!Array.isArray(figures) || !figures.length || !figures.every(isNumber)) return undefined;
  // Every figure in the largest unit that writes them all as whole numbers, as the model
  // writes its text form.
  for (const unit of ["d", "h", "min", "s"]) {
    const texts = figures.map((seconds) => durationEditText(seconds as number, day, unit));
    if (texts.every((text) => new RegExp(`^\\d+ ${unit}$`).test(text))) return `${kind}(${texts.join(", ")})`;
  }
  return `${kind}(${figures.map((seconds) => durationEditText(seconds as number, day)).join(", ")})`;
}
