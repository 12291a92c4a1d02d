/**
 * Light or dark: the canvas takes the palette of the page's theme (JupyterLab's, else the
 * system's), and follows it when it changes. The colours themselves come from Python
 * (vsm_widget.presentation.palette), so the canvas and every exported picture agree.
 */

/** Whether a CSS colour is dark (luminance below a half). */
export function isDark(colour: string): boolean | null {
  const match = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/.exec(colour);
  if (match) {
    const [r, g, b] = match.slice(1, 4).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
  }
  const hex = /^#([0-9a-f]{6})$/i.exec(colour.trim());
  if (hex) {
    const value = Number.parseInt(hex[1], 16);
    return 0.2126 * (value >> 16) + 0.7152 * ((value >> 8) & 255) + 0.0722 * (value & 255) < 128;
  }
  return null;
}

/** The theme of the page around `el`. */
export function pageIsDark(el: HTMLElement): boolean {
  const light = document.body?.dataset.jpThemeLight;
  if (light === "true") return false;
  if (light === "false") return true;
  const background = getComputedStyle(el).getPropertyValue("--jp-layout-color0").trim();
  const known = background ? isDark(background) : null;
  if (known !== null) return known;
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/** Keep the `vsm-dark` class of `el` in step with the page's theme; returns the cleanup. */
export function followTheme(el: HTMLElement, onChange: (dark: boolean) => void = () => {}): () => void {
  const apply = () => {
    const dark = pageIsDark(el);
    if (el.classList.contains("vsm-dark") !== dark) {
      el.classList.toggle("vsm-dark", dark);
      onChange(dark);
    }
  };
  apply();
  const cleanups: (() => void)[] = [];
  // A page outside JupyterLab (a live room's) follows the system's theme as it changes.
  const system = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  if (system?.addEventListener) {
    system.addEventListener("change", apply);
    cleanups.push(() => system.removeEventListener("change", apply));
  }
  if (typeof MutationObserver === "function" && document.body) {
    // JupyterLab switches themes by changing attributes of <body>.
    const observer = new MutationObserver(apply);
    observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"] });
    cleanups.push(() => observer.disconnect());
  }
  return () => {
    for (const cleanup of cleanups) cleanup();
  };
}
