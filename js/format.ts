/** Display formatting: numbers, percentages and durations (never metrics). */

const DASH = "–";

/** Seconds per unit; the day is the map's working day (metrics.day_length). */
function unitSeconds(unit: string, day: number): number {
  switch (unit) {
    case "min":
      return 60;
    case "h":
      return 3600;
    case "d":
      return day;
    default:
      return 1;
  }
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function withSeparators(integerText: string): string {
  const negative = integerText.startsWith("-");
  const digits = negative ? integerText.slice(1) : integerText;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return negative ? `-${grouped}` : grouped;
}

/**
 * A number for a person: 1200 -> "1,200", 0.123456 -> "0.123", 2.50 -> "2.5".
 * Three significant digits below 100, whole numbers above (same rule as units.py).
 */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (!isNumber(value)) return DASH;
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return withSeparators(String(value));
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return withSeparators(String(Math.round(value)));
  const decimals = magnitude ? Math.max(0, digits - 1 - Math.floor(Math.log10(magnitude))) : 0;
  let text = value.toFixed(decimals);
  if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  const [whole, fraction] = text.split(".");
  const result = fraction === undefined ? withSeparators(whole) : `${withSeparators(whole)}.${fraction}`;
  return result === "-0" ? "0" : result;
}

/** The unit a duration reads best in: s below a minute, min below an hour, h below a day, else d. */
export function pickUnit(seconds: number, day: number): "s" | "min" | "h" | "d" {
  const magnitude = Math.abs(seconds);
  if (magnitude < 60) return "s";
  if (magnitude < 3600) return "min";
  if (magnitude < day) return "h";
  return "d";
}

/** Working-day length to use when metrics do not give one (8 h). */
export const DEFAULT_DAY = 8 * 3600;

/** True when a value reads cleanly: at most one decimal (1.5, 10, 4.5). */
function clean(value: number): boolean {
  return Math.abs(value * 10 - Math.round(value * 10)) < 1e-6;
}

/**
 * Seconds for display: 45 -> "45 s", 150 -> "2.5 min", 11520 -> "3.2 h", 4.5 days -> "4.5 d".
 * Below 100 s durations stay in seconds (a C/T of 62 s reads "62 s", not "1.03 min"); a value
 * that is whole in a smaller unit below 1000 keeps it (188 s, not "3.13 min").
 */
export function formatDuration(seconds: number | null | undefined, day: number | null | undefined = DEFAULT_DAY, unit?: string): string {
  if (!isNumber(seconds)) return DASH;
  const dayLength = isNumber(day) && day > 0 ? day : DEFAULT_DAY;
  let chosen = unit;
  if (!chosen) {
    const magnitude = Math.abs(seconds);
    if (magnitude < 100) chosen = "s";
    else {
      for (const candidate of ["d", "h", "min", "s"]) {
        const amount = magnitude / unitSeconds(candidate, dayLength);
        if (amount >= 1 && clean(amount) && (candidate === "d" || candidate === pickUnit(seconds, dayLength) || amount < 1000)) {
          chosen = candidate;
          break;
        }
      }
      chosen ??= pickUnit(seconds, dayLength);
    }
  }
  return `${formatNumber(seconds / unitSeconds(chosen, dayLength))} ${chosen}`;
}

/** A number of (working) days: 23.6195 -> "23.6 d". */
export function formatDays(days: number | null | undefined): string {
  if (!isNumber(days)) return DASH;
  return `${formatNumber(days)} d`;
}

/** A share as a percentage: 0.853 -> "85.3%", 0.000144 -> "0.0144%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (!isNumber(ratio)) return DASH;
  return `${formatNumber(ratio * 100)}%`;
}

/**
 * A duration as editable text that parses back to exactly the same seconds:
 * 3600 -> "1 h", 600 -> "10 min", 1303988 -> "1303988 s". Lossless, unlike formatDuration.
 */
export function durationEditText(seconds: number | null | undefined, day: number | null | undefined = DEFAULT_DAY): string {
  if (!isNumber(seconds)) return "";
  const dayLength = isNumber(day) && day > 0 ? day : DEFAULT_DAY;
  for (const unit of ["d", "h", "min"] as const) {
    const size = unitSeconds(unit, dayLength);
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

/** A number as plain editable text, without separators: 18400 -> "18400". */
export function plain(value: number | null | undefined): string {
  if (!isNumber(value)) return "";
  return String(Number.parseFloat(value.toPrecision(12)));
}
