import type { Render } from "@anywidget/types";

const render: Render = ({ el }) => {
  el.classList.add("vsm-canvas");
  el.textContent = "vsm_widget";
};

export default { render };
