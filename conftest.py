# The aigc-bench pytest plugin (implementations, weeks, run records): see aigc_bench/plugin.py.
pytest_plugins = ["aigc_bench.plugin"]
