"""Presentation: the map laid out once (the scene), its colours by role, its SVG, the static
picture a notebook keeps, and the headline figures as text.

Pure Python over the core and the data layer: no Jupyter, no widgets, no browser.
"""
