"""Weeks 5-6: RAG over code (roadmap Day 29-40), with GraphRAG and agent-based RAG
from stage 4 measured against it."""
