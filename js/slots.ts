/**
 * Insertion handles: the "+" Python draws at every place of the stream (scene nodes of kind
 * "slot"). A click opens this small menu at the handle, and one choice adds a process, an
 * inventory or a wait right there, by the ids around it: no element moves, and no gap is
 * shifted to make room.
 */

/** What the menu adds. */
export const SLOT_CHOICES = [
  ["process", "Process", "a process step"],
  ["inventory", "Inventory", "an inventory triangle"],
  ["wait", "Wait", "a wait (queue)"],
] as const;

export class SlotMenu {
  readonly el: HTMLDivElement;
  private key: string | null = null;

  constructor(
    private readonly choose: (what: string, key: string) => void,
    private readonly closed: (key: string, refocus: boolean) => void,
  ) {
    this.el = document.createElement("div");
    this.el.className = "vsm-menu vsm-slot-menu";
    this.el.setAttribute("role", "menu");
    this.el.hidden = true;
    for (const [what, label] of SLOT_CHOICES) {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "vsm-menu-item";
      item.setAttribute("role", "menuitem");
      item.dataset.vsmSlotAdd = what;
      item.textContent = `+ ${label}`;
      item.addEventListener("click", () => {
        const key = this.key;
        if (!key || item.disabled) return;
        this.close(false);
        this.choose(what, key);
      });
      this.el.appendChild(item);
    }
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.close(true);
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        e.stopPropagation();
        this.step(e.key === "ArrowDown" ? 1 : -1);
      } else if (e.key === "Tab") this.close(false);
    });
  }

  /** The key of the handle whose menu is open, if one is. */
  get openKey(): string | null {
    return this.key;
  }

  /** Open at a handle; the gap choices only where a gap may stand. */
  open(key: string, label: string, gaps: boolean, at: { left: number; top: number }): void {
    this.key = key;
    this.el.setAttribute("aria-label", label);
    for (const item of this.items()) {
      const gap = item.dataset.vsmSlotAdd !== "process";
      item.disabled = gap && !gaps;
      const what = SLOT_CHOICES.find(([name]) => name === item.dataset.vsmSlotAdd)?.[2] ?? "";
      item.title = item.disabled ? "A gap stands next to this place already: edit it instead" : `Add ${what} here`;
    }
    this.el.style.left = `${Math.round(at.left)}px`;
    this.el.style.top = `${Math.round(at.top)}px`;
    this.el.hidden = false;
    this.items()
      .find((item) => !item.disabled)
      ?.focus();
  }

  /** Close; with `refocus` the view gives focus back to the handle's canvas. */
  close(refocus: boolean): void {
    const key = this.key;
    if (!key) return;
    this.key = null;
    this.el.hidden = true;
    this.closed(key, refocus);
  }

  private items(): HTMLButtonElement[] {
    return [...this.el.querySelectorAll<HTMLButtonElement>("button")];
  }

  private step(by: number): void {
    const items = this.items().filter((item) => !item.disabled);
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    items[(at + by + items.length) % items.length]?.focus();
  }
}
