/**
 * A small menu of choices on the stage (the insertion handles' "add here", the information
 * flow's "connect to"): the arrow keys move through it, Enter or a click chooses, Escape
 * closes it and gives focus back to the map, Tab leaves it.
 */

/** One entry of a menu: `value` is what choosing it gives, `text` what it reads. */
export interface Choice {
  value: string;
  text: string;
  title: string;
  disabled?: boolean;
}

export class ChoiceMenu {
  readonly el: HTMLDivElement;
  private key: string | null = null;

  /**
   * `hook` names the data attribute that carries each entry's value (`slotAdd` writes
   * `data-vsm-slot-add`); `choose` gets the value and the key the menu was opened for.
   */
  constructor(
    className: string,
    private readonly hook: string,
    private readonly choose: (value: string, key: string) => void,
    private readonly closed: (key: string, refocus: boolean) => void,
  ) {
    this.el = document.createElement("div");
    this.el.className = `vsm-menu ${className}`;
    this.el.setAttribute("role", "menu");
    this.el.hidden = true;
    this.el.addEventListener("keydown", (e) => {
      // A held Enter (from the button that opened the menu) chooses nothing.
      if (e.key === "Enter" && e.repeat) e.preventDefault();
      else if (e.key === "Escape") {
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

  /** The key the open menu belongs to, if one is open. */
  get openKey(): string | null {
    return this.key;
  }

  /** The values of the entries the menu lists, in order. */
  get values(): string[] {
    const hook = this.dataKey();
    return this.items().map((item) => item.dataset[hook] ?? "");
  }

  /** Open at a place of the stage, with these entries; focus goes to the first one enabled. */
  open(key: string, label: string, choices: readonly Choice[], at: { left: number; top: number; height?: number }): void {
    this.key = key;
    this.el.setAttribute("aria-label", label);
    const hook = this.dataKey();
    this.el.replaceChildren(
      ...choices.map((choice) => {
        const item = document.createElement("button");
        item.type = "button";
        item.className = "vsm-menu-item";
        item.setAttribute("role", "menuitem");
        item.dataset[hook] = choice.value;
        item.textContent = choice.text;
        item.title = choice.title;
        item.disabled = Boolean(choice.disabled);
        item.addEventListener("click", () => {
          const open = this.key;
          if (!open || item.disabled) return;
          this.close(false);
          this.choose(choice.value, open);
        });
        return item;
      }),
    );
    this.el.style.left = `${Math.round(at.left)}px`;
    this.el.style.top = `${Math.round(at.top)}px`;
    this.el.style.maxHeight = at.height === undefined ? "" : `${Math.round(at.height)}px`;
    this.el.hidden = false;
    this.items()
      .find((item) => !item.disabled)
      ?.focus();
  }

  /** Close; with `refocus` the view gives focus back to the map. */
  close(refocus: boolean): void {
    const key = this.key;
    if (!key) return;
    this.key = null;
    this.el.hidden = true;
    this.closed(key, refocus);
  }

  /** The dataset key of `hook` ("slotAdd" is `dataset.vsmSlotAdd`, `data-vsm-slot-add`). */
  private dataKey(): string {
    return `vsm${this.hook[0].toUpperCase()}${this.hook.slice(1)}`;
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
