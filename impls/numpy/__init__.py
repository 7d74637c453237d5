"""Reference implementations in NumPy: the simple, readable path (nanoGPT style)."""
