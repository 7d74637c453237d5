"""`aigc-bench loadtest`: TTFT/TPOT/ITL/E2EL and throughput of any OpenAI-compatible endpoint.

  arrivals.py    when requests are sent: fixed rate, Poisson, gamma (burstiness), all at once
  prompts.py     prompts from a file or generated with given input/output lengths
  client.py      one streamed request, timed chunk by chunk (aiohttp)
  runner.py      the run: warm-up, arrivals, max concurrency, asyncio-throttle rate cap
  plot.py        latency CDFs and throughput-vs-concurrency plots (PNG) for reports
  testserver.py  a tiny OpenAI-shaped streaming server with injected delays (calibration)

The metrics are computed by the serving_metrics skill's reference
(impls/numpy/serving_metrics.py); docs/serving.md has the formulas.
"""
