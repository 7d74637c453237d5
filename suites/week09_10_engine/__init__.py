"""Weeks 9-10: the C++ inference engine basics (roadmap Day 57-70): the KV cache."""
