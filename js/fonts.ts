/**
 * The font every label is drawn in: Inter, shipped inside the bundle (SIL Open Font
 * License, see src/vsm_widget/presentation/fonts/). Python measures labels with the same
 * font's widths, so text fits its boxes exactly, offline and on every machine.
 */

import regular from "../src/vsm_widget/presentation/fonts/inter-latin-400-normal.woff2";
import semibold from "../src/vsm_widget/presentation/fonts/inter-latin-600-normal.woff2";

export const FAMILY = "VSM Inter";
let loading: Promise<void> | null = null;

/** Add the font to the page once (the FontFace API also reaches shadow roots). */
export function loadFont(): Promise<void> {
  if (loading) return loading;
  const fonts = (globalThis.document as (Document & { fonts?: FontFaceSet }) | undefined)?.fonts;
  if (typeof FontFace !== "function" || !fonts) {
    loading = Promise.resolve();
    return loading;
  }
  const faces = [
    new FontFace(FAMILY, `url(data:font/woff2;base64,${regular}) format("woff2")`, { weight: "400", style: "normal" }),
    new FontFace(FAMILY, `url(data:font/woff2;base64,${semibold}) format("woff2")`, { weight: "600", style: "normal" }),
  ];
  loading = Promise.all(
    faces.map(async (face) => {
      fonts.add(await face.load());
    }),
  ).then(
    () => undefined,
    () => undefined,
  );
  return loading;
}
