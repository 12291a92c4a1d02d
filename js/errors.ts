/**
 * One error channel: the refusal the user sees, whether Python refused an edit (the
 * `error` trait, or a result message) or the browser refused before sending (a file too
 * large). It is shown next to the field it is about: the details panel's row, else the
 * drawn field, else the corner of the stage.
 */

import type { EditError } from "./types";

export interface ErrorPlaces {
  /** The details panel's row of a field, if shown. */
  row(target: string, field: string): HTMLElement | null;
  /** The drawn element of a field (or the element itself), if drawn. */
  drawn(target: string, field: string): Element | null;
}

function shown(error: EditError | null | undefined): error is EditError {
  return Boolean(error && typeof error === "object" && (error.reason || error.message));
}

export class ErrorChannel {
  readonly el: HTMLDivElement;
  private python: EditError | null = null;
  private local: EditError | null = null;

  constructor(
    private readonly stage: HTMLElement,
    private readonly places: ErrorPlaces,
  ) {
    this.el = document.createElement("div");
    this.el.className = "vsm-error";
    this.el.setAttribute("role", "alert");
    this.el.hidden = true;
    stage.appendChild(this.el);
  }

  /** The refusal being shown, if any. */
  get current(): EditError | null {
    return this.python ?? this.local;
  }

  /** Python's `error` trait changed (`{}` after a successful edit). */
  fromPython(error: EditError | null | undefined): void {
    this.python = shown(error) ? error : null;
    if (this.python) this.local = null;
    this.place();
  }

  /** A result message refused an edit (the trait may follow, or may already be set). */
  refused(error: EditError): void {
    if (!this.python) this.local = error;
    this.place();
  }

  /** A refusal decided in the browser, shown like Python's own. */
  refuseHere(field: string, reason: string): void {
    this.local = { target: null, field, reason, message: reason };
    this.place();
  }

  /** An edit went through: the refusal before it is no longer news. */
  clear(): void {
    this.local = null;
    this.place();
  }

  /** Show the refusal next to the field it is about. */
  place(): void {
    const error = this.current;
    const el = this.el;
    if (!error) {
      el.hidden = true;
      el.textContent = "";
      if (el.parentElement !== this.stage) this.stage.appendChild(el);
      return;
    }
    el.hidden = false;
    el.textContent = error.reason || error.message || "The edit was refused.";
    el.title = error.message || "";
    const target = error.target ?? "";
    const field = error.field ?? "";
    const row = this.places.row(target, field);
    if (row) {
      el.classList.add("vsm-error-inline");
      el.style.left = "";
      el.style.top = "";
      row.appendChild(el);
      return;
    }
    el.classList.remove("vsm-error-inline");
    if (el.parentElement !== this.stage) this.stage.appendChild(el);
    const anchor = target ? this.places.drawn(target, field) : null;
    const stageRect = this.stage.getBoundingClientRect();
    if (anchor) {
      const r = anchor.getBoundingClientRect();
      el.style.left = `${Math.max(4, Math.round(r.right - stageRect.left + 6))}px`;
      el.style.top = `${Math.max(4, Math.round(r.top - stageRect.top - 2))}px`;
    } else {
      el.style.left = "8px";
      el.style.top = "8px";
    }
  }
}
