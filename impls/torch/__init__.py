"""Implementations written in PyTorch (roadmap Day 11-14). They declare themselves,
so they are judged against an independent float64 reference rather than torch's."""

BUILT_ON = "torch"
