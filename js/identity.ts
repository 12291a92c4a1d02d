/**
 * Who is looking at the map. A *client* is one canvas on one page (its results and its
 * selection are its own); a *person* is the one using the browser: a random key, a name
 * and a colour kept in the browser's storage, so that a reload or a second tab is still
 * the same person (their dots, their "why?" notes). Inside JupyterLab the name comes from
 * the server's own user identity (`/api/me`) when it has one.
 */

/** Colours that read on light and dark canvases alike and apart from one another. */
export const PERSON_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e377c2", "#8c564b", "#17becf", "#bcbd22"] as const;

/** The longest name kept (the room checks the same bound). */
export const NAME_MAX = 40;

const STORAGE_KEY = "vsm-widget:person";

export interface Person {
  /** Random, kept in the browser; never shown to others (the room shows its own id for it). */
  key: string;
  /** What others see; "" until the person has given one. */
  name: string;
  /** A `#rrggbb` colour from `PERSON_COLOURS`, or the one JupyterLab gave the user. */
  color: string;
}

/** A random id of `bytes` bytes, as hex. */
export function randomId(bytes = 12): string {
  const values = new Uint8Array(bytes);
  crypto.getRandomValues(values);
  return Array.from(values, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An id for one canvas: results and selection are told apart by it. */
export function newClientId(): string {
  return `c${randomId(8)}`;
}

/** The colour of `PERSON_COLOURS` a key falls on. */
export function colourFor(key: string): string {
  let hash = 0;
  for (const ch of key) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PERSON_COLOURS[hash % PERSON_COLOURS.length];
}

/** A name cleaned as the room keeps it: control characters out, spaces folded, bounded. */
export function cleanName(name: string): string {
  const printable = Array.from(name, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code < 0xa0) ? " " : ch;
  }).join("");
  return printable.replace(/\s+/g, " ").trim().slice(0, NAME_MAX);
}

/** Up to two initials: "Ana Lima" reads "AL", "ana" reads "A", "" reads "?". */
export function initialsOf(name: string): string {
  const words = cleanName(name).split(" ").filter(Boolean);
  if (words.length === 0) return "?";
  const first = [...words[0]][0] ?? "";
  const last = words.length > 1 ? ([...words[words.length - 1]][0] ?? "") : "";
  return (first + last).toUpperCase();
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage blocked (private mode, sandboxed frame): a person for this page only
  }
}

let pagePerson: Person | null = null;

/** This browser's person: read from storage, or made (and kept) on first use. */
export function person(): Person {
  if (pagePerson) return pagePerson;
  const store = storage();
  let found: Partial<Person> = {};
  try {
    found = JSON.parse(store?.getItem(STORAGE_KEY) ?? "{}") as Partial<Person>;
  } catch {
    found = {};
  }
  const key = typeof found.key === "string" && /^[0-9a-f]{16,64}$/.test(found.key) ? found.key : randomId(16);
  const color = typeof found.color === "string" && /^#[0-9a-f]{6}$/i.test(found.color) ? found.color : colourFor(key);
  pagePerson = { key, name: cleanName(typeof found.name === "string" ? found.name : ""), color };
  save(pagePerson);
  return pagePerson;
}

function save(p: Person): void {
  try {
    storage()?.setItem(STORAGE_KEY, JSON.stringify(p));
  } catch {
    // storage full or blocked: the person lasts as long as the page
  }
}

/** Give this browser's person a name (and a colour), remembered for next time. */
export function rememberPerson(name: string, color?: string): Person {
  const p = person();
  pagePerson = { ...p, name: cleanName(name), color: color && /^#[0-9a-f]{6}$/i.test(color) ? color : p.color };
  save(pagePerson);
  return pagePerson;
}

/** The base URL of the Jupyter server this page came from, or null outside Jupyter. */
function jupyterBaseUrl(): string | null {
  const config = document.getElementById("jupyter-config-data");
  if (!config?.textContent) return null;
  try {
    const base = (JSON.parse(config.textContent) as { baseUrl?: unknown }).baseUrl;
    return typeof base === "string" ? base : null;
  } catch {
    return null;
  }
}

/**
 * The user JupyterLab knows (`/api/me` of Jupyter Server 2), or null outside Jupyter or
 * when the server has no name for them. Only a `#rrggbb` colour is taken (JupyterLab's own
 * are CSS variables, which the kernel cannot check).
 */
export async function jupyterUser(): Promise<{ name: string; color: string | null } | null> {
  const base = jupyterBaseUrl();
  if (base === null) return null;
  try {
    const reply = await fetch(new URL(`${base.replace(/\/?$/, "/")}api/me`, window.location.href), { credentials: "same-origin" });
    if (!reply.ok) return null;
    const identity = ((await reply.json()) as { identity?: Record<string, unknown> }).identity ?? {};
    const name = cleanName(String(identity.display_name || identity.name || ""));
    // Anonymous users get a made-up name ("Anonymous Io"); it still tells people apart.
    if (!name) return null;
    const color = typeof identity.color === "string" && /^#[0-9a-f]{6}$/i.test(identity.color) ? identity.color : null;
    return { name, color };
  } catch {
    return null;
  }
}
