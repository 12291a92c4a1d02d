"""The core: elements and their fields, the map's edits and history, metrics, units.

Pure Python, importing nothing else of the package: a map works in a plain script, a
test or a batch job. Every layer above takes and returns the core's :class:`MapState`
and :class:`Map`.
"""
