/**
 * anywidget entry of the metric cards: every card of a `MetricCards` view is drawn from one
 * synced list, so an edit that changes three cards is one widget message, not nine. Text
 * is set as text (`textContent`, `title`), never as HTML: a bottleneck's name is a user's.
 */

import type { Render } from "@anywidget/types";

/** One card as Python shows it (see `MetricCard.to_dict` in jupyter/dashboard.py). */
export interface CardState {
  name: string;
  title: string;
  formula: string;
  text: string;
  delta: string;
  /** "vsm-card-better", "vsm-card-worse" or "". */
  verdict: string;
  detail: string;
  /** "vsm-flash-a" or "vsm-flash-b" while the last change is highlighted, else "". */
  flash: string;
}

export interface CardsTraits {
  cards: CardState[];
}

interface Drawn {
  card: HTMLElement;
  title: HTMLElement;
  value: HTMLElement;
  delta: HTMLElement;
  detail: HTMLElement;
}

function part(card: HTMLElement, role: string): HTMLElement {
  const el = document.createElement("div");
  el.className = `vsm-card-${role}`;
  card.append(el);
  return el;
}

function build(state: CardState): Drawn {
  const card = document.createElement("div");
  card.setAttribute("role", "group");
  const drawn = {
    card,
    title: part(card, "title"),
    value: part(card, "value"),
    delta: part(card, "delta"),
    detail: part(card, "detail"),
  };
  drawn.title.textContent = state.title;
  card.setAttribute("aria-label", state.title);
  return drawn;
}

/** Write only what differs: an unchanged card costs the page nothing. */
function set(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function setClass(el: HTMLElement, name: string): void {
  if (el.className !== name) el.className = name;
}

function setTitle(el: HTMLElement, text: string): void {
  if (el.title !== text) el.title = text;
}

/** Draw `cards` in `host`, reusing the elements of the cards drawn there before. */
export function drawCards(host: HTMLElement, cards: CardState[], drawn: Map<string, Drawn>): void {
  const names = cards.map((c) => c.name);
  if (names.length !== drawn.size || names.some((n) => !drawn.has(n))) {
    drawn.clear();
    host.replaceChildren(
      ...cards.map((state) => {
        const made = build(state);
        drawn.set(state.name, made);
        return made.card;
      }),
    );
  }
  for (const state of cards) {
    const d = drawn.get(state.name);
    if (!d) continue;
    const flash = state.flash ? ` ${state.flash}` : "";
    setClass(d.card, `vsm-card vsm-card-${state.name.replaceAll("_", "-")}${flash}`);
    set(d.title, state.title);
    set(d.value, state.text);
    set(d.delta, state.delta);
    setClass(d.delta, state.verdict ? `vsm-card-delta ${state.verdict}` : "vsm-card-delta");
    set(d.detail, state.detail);
    setTitle(d.title, state.formula);
    setTitle(d.value, state.formula);
  }
}

const render: Render<CardsTraits> = ({ model, el }) => {
  const host = document.createElement("div");
  host.className = "vsm-cards";
  el.append(host);
  const drawn = new Map<string, Drawn>();
  const draw = () => drawCards(host, model.get("cards") ?? [], drawn);
  draw();
  model.on("change:cards", draw);
  return () => {
    model.off("change:cards", draw);
    host.remove();
  };
};

export default { render };
