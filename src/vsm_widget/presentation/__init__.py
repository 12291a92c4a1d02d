"""Presentation: the map laid out once (the scene), its colours by role, and its SVG.

Pure Python: no Jupyter, no widgets, no browser.
"""
