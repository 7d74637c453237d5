"""cffi builders for every kernel family in this folder (used by setup.py on install).

Each `ffi_<family>` builds native/<family>.c into aigc_bench._native._<family>."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aigc_bench.native import builder, families  # noqa: E402

for _family in families():
    globals()[f"ffi_{_family}"] = builder(_family)
