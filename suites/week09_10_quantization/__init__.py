"""Weeks 8-10: the INT8/INT4 quantizer (week 8 mini project, roadmap Day 50-51) and
the inference engine's quantization (week 9-10, roadmap Day 64-68)."""
WEEKS = (8, 9, 10)
