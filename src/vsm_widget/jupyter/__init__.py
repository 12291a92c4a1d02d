"""Jupyter: the canvas widget and its protocol, metric cards, bqplot charts, the dashboard.

The only layer that imports anywidget, ipywidgets or bqplot; it stands on the core, the
data layer and the presentation (the scene the canvas draws).
"""
