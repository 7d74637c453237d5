"""An OpenAI-compatible HTTP server over aigc-bench's inference engine.

`aigc-bench serve --config small --port 8000` (see docs/serving.md). Pieces:

  engines.py    loads the generation engine (impls/numpy/engine.py; continuous batching)
  scheduler.py  the background asyncio task that runs engine.step() and routes tokens
  textgen.py    chat template, incremental detokenisation, stop strings
  tools.py      tool calls: function name and JSON arguments under the tool's schema
  protocol.py   request schemas (pydantic) and OpenAI-style error bodies
  metrics.py    Prometheus metrics (/metrics)
  app.py        the FastAPI application
  testing.py    start/stop a real server subprocess on a free loopback port
"""
