"""Week 8: load testing an OpenAI-compatible server (roadmap Day 54-55: TTFT/TPS measurement)."""
