"""Bundled implementations: one package per backend, one module per skill.

A backend package may define `unavailable_reason() -> str | None` (why it
cannot run on this machine) and `BUILT_ON = "torch"` when it is honestly
written in PyTorch (it is then judged against an independent float64 reference).
"""
