"""aigc-bench: a test-driven benchmark and evaluation harness for the LLM engineering roadmap.

- `aigc_bench.contract`: how a skill's contract is declared (`Skill`);
- `aigc_bench.registry`: where skills and implementations are found;
- `aigc_bench.implementation`: the implementation under test and its guards;
- `aigc_bench.checks`: the checks suites judge outputs with;
- `aigc_bench.strategies`: shared hypothesis strategies;
- `aigc_bench.records`: run records; `aigc_bench.plugin`: the pytest plugin;
- `aigc_bench.native`: building and loading the C kernels (cffi).
"""

__version__ = "0.1.0"
