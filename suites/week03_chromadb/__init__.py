"""Week 3: vector databases with ChromaDB (roadmap Day 17-18)."""
