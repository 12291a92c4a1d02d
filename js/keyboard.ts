/**
 * The keyboard: every action of the canvas has a key, so a map can be built and edited
 * without a mouse. Keys typed in the widget belong to it, not to the notebook.
 */

/** What the keyboard asks of the view. */
export interface KeyHost {
  selection(): string[];
  /** Whether a step or gap can move along its path (the main stream or its branch). */
  onPath(id: string): boolean;
  undo(): void;
  redo(): void;
  remove(): void;
  edit(id: string): void;
  escape(): boolean;
  zoomBy(factor: number): void;
  fit(): void;
  selectAlong(key: "]" | "[" | "Home" | "End"): void;
  /** Select the next (1) or previous (-1) element of the whole map, in reading order. */
  selectEvery(step: 1 | -1): void;
  /** Draw an information flow from the selection: to the second selected, or chosen in a menu. */
  connect(): void;
  shift(id: string, step: -1 | 1): void;
  nudge(id: string, dx: number, dy: number): void;
  /** Add an element after the selection (or at the end): "process", "inventory", "wait", "burst". */
  add(what: string, before: boolean): void;
  /** Open the menu of an insertion handle (Enter or Space on a focused "+"). */
  slot(key: string): void;
  menuStep(step: number): void;
}

/** Keys that add an element, as on the toolbar: P process, I inventory, W wait, K kaizen burst. */
const ADD_KEYS: Record<string, string> = { p: "process", i: "inventory", w: "wait", k: "burst" };

export const KEY_HELP =
  "Click or ] and [ to select along the stream (N and Shift+N: every element), shift-click to add to the selection, " +
  "drag or arrow keys to move, F to draw an information flow from the selection, " +
  "double-click or Enter to edit a field. P, I, W and K add a process, inventory, wait or kaizen burst after the " +
  "selection (with Shift: before it). Alt+← and Alt+→ move a step or gap along the stream, Delete removes, " +
  "Ctrl+Z undoes, Ctrl+Shift+Z or Ctrl+Y redoes, + and - zoom, 0 fits.";

export function onKey(e: KeyboardEvent, host: KeyHost): void {
  e.stopPropagation();
  const target = e.target as HTMLElement;
  if (target.closest("input, textarea, select")) return;
  // Enter and Space on a button press it; the arrow keys on the toolbar move through the
  // Export menu. Neither may edit or move the selection.
  if (target.closest("button") && (e.key === "Enter" || e.key === " ")) return;
  // A menu on the stage (an insertion handle's, the information flow's) handles its own
  // keys; no other key acts on the map behind it.
  if (target.closest(".vsm-stage .vsm-menu")) return;
  const slot = target.closest?.("[data-vsm-slot]")?.getAttribute("data-vsm-slot");
  if (slot && (e.key === "Enter" || e.key === " ")) {
    e.preventDefault();
    host.slot(slot);
    return;
  }
  if (target.closest(".vsm-toolbar") && e.key.startsWith("Arrow")) {
    if (target.closest(".vsm-menu") && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      host.menuStep(e.key === "ArrowDown" ? 1 : -1);
    }
    return;
  }
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key;
  const selection = host.selection();
  if (mod && (key === "z" || key === "Z")) {
    e.preventDefault();
    if (e.shiftKey) host.redo();
    else host.undo();
  } else if (mod && (key === "y" || key === "Y")) {
    e.preventDefault();
    host.redo();
  } else if (!mod && !e.altKey && (key === "n" || key === "N")) {
    e.preventDefault();
    host.selectEvery(e.shiftKey ? -1 : 1);
  } else if (!mod && !e.altKey && (key === "f" || key === "F")) {
    e.preventDefault();
    host.connect();
  } else if (!mod && !e.altKey && key.length === 1 && ADD_KEYS[key.toLowerCase()]) {
    e.preventDefault();
    host.add(ADD_KEYS[key.toLowerCase()], e.shiftKey);
  } else if (key === "Delete" || key === "Backspace") {
    e.preventDefault();
    host.remove();
  } else if (key === "Enter" || key === "F2") {
    if (selection.length === 1) {
      e.preventDefault();
      host.edit(selection[0]);
    }
  } else if (key === "Escape") {
    host.escape();
  } else if (key === "+" || key === "=") {
    host.zoomBy(1.25);
  } else if (key === "-") {
    host.zoomBy(0.8);
  } else if (key === "0") {
    host.fit();
  } else if (key === "]" || key === "[" || key === "Home" || key === "End") {
    e.preventDefault();
    host.selectAlong(key);
  } else if (e.altKey && (key === "ArrowLeft" || key === "ArrowRight") && selection.length === 1 && host.onPath(selection[0])) {
    e.preventDefault();
    host.shift(selection[0], key === "ArrowLeft" ? -1 : 1);
  } else if (key.startsWith("Arrow") && selection.length) {
    e.preventDefault();
    const step = e.shiftKey ? 40 : 8;
    const dx = key === "ArrowLeft" ? -step : key === "ArrowRight" ? step : 0;
    const dy = key === "ArrowUp" ? -step : key === "ArrowDown" ? step : 0;
    for (const id of selection) host.nudge(id, dx, dy);
  }
}
