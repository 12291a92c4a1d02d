/**
 * Branches, rework loops and moves between paths, from the details panel of a step:
 * "Add a feeder into this step", "Split a parallel path after this step", "Send rework
 * back to…" and "Path". Python validates every one; a refusal is shown on the row whose
 * `data-vsm-row` is `<step id>:<field>` (into, after, target, share, path).
 */

import type { Branch, MapDocument, StreamItem } from "./types";

/** What the panel's path controls ask of the view. */
export interface PathActions {
  /** A feeder line (with a first step) that feeds step `into`. */
  feeder(into: string): void;
  /** A parallel path (with a first step) that splits off after `after` and rejoins at `into`. */
  split(after: string, into: string): void;
  /** A rework loop: `share` of what leaves `source` goes back to `target`. */
  rework(source: string, target: string, share: string): void;
  /** Move the step onto `path` ("main" or a branch id), after that path's `after` (null: first). */
  move(id: string, path: string, after: string | null): void;
}

export const MAIN = "main";

/** Every path of the document: the main line first, then each branch, with its items. */
export function pathsOf(doc: MapDocument): { id: string; label: string; items: StreamItem[] }[] {
  const branches: Branch[] = doc.branches ?? [];
  return [
    { id: MAIN, label: "Main line", items: doc.stream },
    ...branches.map((b) => ({ id: b.id, label: b.name ? `${b.name} (${b.id})` : b.id, items: b.items })),
  ];
}

/** The id of the path a step or gap is on, or null. */
export function pathOf(doc: MapDocument, id: string): string | null {
  return pathsOf(doc).find((p) => p.items.some((item) => item.id === id))?.id ?? null;
}

/** Every step of every path, as [id, name]. */
function allSteps(doc: MapDocument): [string, string][] {
  return pathsOf(doc).flatMap((p) => p.items.filter((i) => i.type === "process").map((i) => [i.id, String(i.name)] as [string, string]));
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text) node.textContent = text;
  return node;
}

function row(id: string, field: string, label: string): HTMLDivElement {
  const div = el("div", "vsm-insp-row vsm-path-row");
  div.dataset.vsmRow = `${id}:${field}`;
  div.appendChild(el("span", "vsm-insp-label", label));
  return div;
}

function button(id: string, action: string, text: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el("button", "vsm-btn vsm-path-btn", text);
  b.type = "button";
  b.title = title;
  b.dataset.vsmPathAction = action;
  b.dataset.vsmInput = `${id}:path-action:${action}`;
  b.addEventListener("click", onClick);
  return b;
}

/**
 * Option lists made lately, by their values and texts. The panel is built again after
 * every edit, and a step's choices list every step of the map: the same list is cloned
 * (one native call), not made option by option.
 */
const optionLists = new Map<string, HTMLSelectElement>();
const OPTION_LISTS_KEPT = 8;

function options(choices: [string, string][]): HTMLSelectElement {
  const key = JSON.stringify(choices);
  let list = optionLists.get(key);
  if (!list) {
    list = document.createElement("select");
    for (const [v, text] of choices) {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = text;
      list.appendChild(o);
    }
    optionLists.set(key, list);
    for (const old of optionLists.keys()) {
      if (optionLists.size <= OPTION_LISTS_KEPT) break;
      optionLists.delete(old);
    }
  }
  return list;
}

function select(id: string, name: string, choices: [string, string][], value: string): HTMLSelectElement {
  const s = el("select", "vsm-insp-input vsm-path-select");
  s.dataset.vsmInput = `${id}:${name}`;
  s.setAttribute("aria-label", name);
  s.append(...(options(choices).cloneNode(true) as HTMLSelectElement).childNodes);
  s.value = value;
  return s;
}

/**
 * What the user picked or typed in these controls, by input: the panel is built again
 * after every change of the map (a refusal included), and must not forget it.
 */
export type PathChoices = Map<string, string>;

function remembered(control: HTMLInputElement | HTMLSelectElement, choices: PathChoices): void {
  const key = control.dataset.vsmInput ?? "";
  const kept = choices.get(key);
  if (kept !== undefined && (!(control instanceof HTMLSelectElement) || [...control.options].some((o) => o.value === kept)))
    control.value = kept;
  control.addEventListener(control instanceof HTMLSelectElement ? "change" : "input", () => choices.set(key, control.value));
}

/** The "Branches and rework" part of a step's details panel. */
export function pathSection(doc: MapDocument, id: string, actions: PathActions, choices: PathChoices = new Map()): HTMLElement {
  const section = el("div", "vsm-insp-paths");
  section.setAttribute("role", "group");
  section.setAttribute("aria-label", "Branches and rework");
  section.appendChild(el("h4", "vsm-insp-subtitle", "Branches and rework"));
  const others = allSteps(doc).filter(([step]) => step !== id);

  const feeder = row(id, "after", "Feeder");
  feeder.appendChild(
    button(id, "feeder", "+ Add a feeder into this step", "A feeder line with its own start, merging at this step", () =>
      actions.feeder(id),
    ),
  );
  section.appendChild(feeder);

  if (others.length) {
    const split = row(id, "into", "Split");
    // By default the path rejoins at the main line's last step (or the last step there is).
    const lastMain = doc.stream.filter((item) => item.type === "process" && item.id !== id).at(-1);
    const rejoin = select(id, "rejoins at", others, lastMain?.id ?? others[others.length - 1][0]);
    rejoin.title = "The step the parallel path rejoins at";
    remembered(rejoin, choices);
    split.append(
      button(
        id,
        "split",
        "+ Split a parallel path after this step",
        "A parallel path that splits off after this step and rejoins at the step chosen",
        () => actions.split(id, rejoin.value),
      ),
      el("span", "vsm-path-word", "rejoining at"),
      rejoin,
    );
    section.appendChild(split);
  }

  const loopTarget = row(id, "target", "Rework to");
  const back = select(id, "rework target", [[id, "this step"], ...others], id);
  back.title = "The step the reworked items go back to (this one or one upstream)";
  remembered(back, choices);
  loopTarget.appendChild(back);
  section.appendChild(loopTarget);
  const loopShare = row(id, "share", "Share");
  const share = el("input", "vsm-insp-input vsm-path-share");
  share.type = "text";
  share.placeholder = "e.g. 10%";
  share.dataset.vsmInput = `${id}:rework share`;
  share.setAttribute("aria-label", "rework share");
  remembered(share, choices);
  const send = () => actions.rework(id, back.value, share.value.trim());
  share.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      send();
    }
  });
  loopShare.append(share, button(id, "rework", "Send rework back", "Send this share of the step's output back to the step chosen", send));
  section.appendChild(loopShare);

  const paths = pathsOf(doc);
  const here = pathOf(doc, id) ?? MAIN;
  const move = row(id, "path", "Path");
  const choice = select(
    id,
    "path",
    paths.map((p) => [p.id, p.label]),
    here,
  );
  choice.title = "Move this step to the end of another path";
  choice.addEventListener("change", () => {
    const target = paths.find((p) => p.id === choice.value);
    if (!target || target.id === here) return;
    // At the end of the path chosen: on a branch, just before it merges.
    const last = target.items.filter((item) => item.id !== id).at(-1);
    actions.move(id, target.id, last ? last.id : null);
  });
  move.appendChild(choice);
  section.appendChild(move);
  return section;
}
