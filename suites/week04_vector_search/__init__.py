"""Week 4: embeddings and vector search (roadmap Day 22-28)."""
