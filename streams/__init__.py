"""Faust stream processing: the request router (dedup, batch, route) and the results fan-out.

The whole topology is in `topology.py`; each stage's logic is a small module of its own, the
router's commit path is `checkpoint.py`, and every workaround of Faust is in `faust_workarounds.py`.
"""
