"""Week 7 (prompt engineering) and week 8's prompt optimizer and A/B testing tool
(roadmap Day 41-47 and 52-53).

WEEKS = (7, 8)
"""

WEEKS = (7, 8)
