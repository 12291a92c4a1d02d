/**
 * Insertion handles: the "+" Python draws at every place of the stream (scene nodes of kind
 * "slot"). A click opens a small menu at the handle, and one choice adds a process, an
 * inventory or a wait right there, by the ids around it: no element moves, and no gap is
 * shifted to make room.
 */

import { type Choice, ChoiceMenu } from "./menu";

/** What the menu adds. */
export const SLOT_CHOICES = [
  ["process", "Process", "a process step"],
  ["inventory", "Inventory", "an inventory triangle"],
  ["wait", "Wait", "a wait (queue)"],
] as const;

/** The menu's entries at a handle; the gap choices only where a gap may stand. */
export function slotChoices(gaps: boolean): Choice[] {
  return SLOT_CHOICES.map(([what, label, noun]) => {
    const disabled = what !== "process" && !gaps;
    return {
      value: what,
      text: `+ ${label}`,
      title: disabled ? "A gap stands next to this place already: edit it instead" : `Add ${noun} here`,
      disabled,
    };
  });
}

/** The menu of the insertion handles: one open at a time, keyed by its handle. */
export class SlotMenu extends ChoiceMenu {
  constructor(choose: (what: string, key: string) => void, closed: (key: string, refocus: boolean) => void) {
    super("vsm-slot-menu", "slotAdd", choose, closed);
  }

  /** Open at a handle; the gap choices only where a gap may stand. */
  openAt(key: string, label: string, gaps: boolean, at: { left: number; top: number }): void {
    this.open(key, label, slotChoices(gaps), at);
  }
}
