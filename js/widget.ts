/** anywidget entry: one MapView per displayed output; cleanup removes everything it added. */

import type { Render } from "@anywidget/types";
import type { WidgetTraits } from "./types";
import { MapView } from "./view";

const render: Render<WidgetTraits> = ({ model, el }) => {
  const view = new MapView(model, el);
  return () => view.destroy();
};

export default { render };
