# The aigc-bench pytest plugin (implementations, weeks, run records): see aigc_bench/plugin.py.

# The harness's own tests (tests/) run pytest inside pytest.
pytest_plugins = ["aigc_bench.plugin", "pytester"]
