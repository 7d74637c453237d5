"""Weeks 1-2: LLM fundamentals (roadmap Day 1-14)."""
