"""Write the advance widths of the canvas font, so Python lays text out as the browser draws it.

The canvas draws every label in the Inter font shipped with the package
(``src/vsm_widget/presentation/fonts/``); Python wraps and cuts the same labels with
the widths this script reads from those font files. Run it after changing a font file:

    python tools/font_metrics.py

It needs fontTools and brotli (``pip install fonttools brotli``); the package itself
reads only the JSON it writes. ``tests/test_text.py`` checks that the JSON matches the
fonts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FONTS = Path(__file__).resolve().parents[1] / "src" / "vsm_widget" / "presentation" / "fonts"
WEIGHTS = {400: "inter-latin-400-normal.woff2", 600: "inter-latin-600-normal.woff2"}


def metrics() -> dict[str, object]:
    """Units per em, ascent, descent and each weight's advance per code point."""
    from fontTools.ttLib import TTFont

    result: dict[str, object] = {"family": "Inter", "weights": {}}
    for weight, name in WEIGHTS.items():
        font = TTFont(FONTS / name)
        cmap = font.getBestCmap()
        advances = font["hmtx"]
        widths = {str(code): advances[glyph][0] for code, glyph in sorted(cmap.items()) if code >= 32}
        result["units_per_em"] = font["head"].unitsPerEm
        result["ascent"] = font["hhea"].ascent
        result["descent"] = font["hhea"].descent
        result["weights"][str(weight)] = widths  # type: ignore[index]
    return result


def main() -> int:
    """Write ``fonts/metrics.json`` beside the font files."""
    target = FONTS / "metrics.json"
    target.write_text(json.dumps(metrics(), separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
