"""Documents and data: JSON documents and their schema, frames, Excel, templates, event logs.

Imports the core only. Maps it reads are made with :func:`vsm_widget.core.model.new_map`,
so they are the coach's :class:`vsm_widget.ValueStreamMap` without importing it.
"""
