"""Benchmark-session fixtures of the week 11 suite: the machine calibration (recorded once, at the
start of a benchmark run) and the roofline (every benchmark adds points; the plot and its data
are written when the session ends)."""

from pathlib import Path

import pytest

from aigc_bench import calibration as calibrate
from aigc_bench.contract import PROJECT_ROOT


@pytest.fixture(scope="session")
def calibration(run_record):
    """This core's measured peak fp32 FMA rate and triad bandwidth (aigc_bench/calibration.py)."""
    measured = calibrate.measure()
    measured["perf"] = calibrate.perf_unavailable_reason() or "perf stat counts cycles and instructions here"
    run_record.add_section("calibration", measured)
    print(
        f"\ncalibration: peak fp32 {measured['peak_gflops_fp32']:.1f} GFLOP/s "
        f"(AVX2 {measured['peak_gflops_fp32_avx2'] or 0:.1f}, AVX-512 {measured['peak_gflops_fp32_avx512'] or 0:.1f}), "
        f"triad {measured['triad_gbytes_per_s']:.2f} GB/s; BLAS {measured['blas']}"
    )
    return measured


@pytest.fixture(scope="session")
def roofline(calibration, run_record):
    """A list benchmarks append roofline points to ({"label", "group", "intensity", "gflops", ...})."""
    points: list[dict] = []
    yield points
    if not points:
        return
    # next to the run records (reports/runs -> reports/), or the project's reports/ without a record
    reports = Path(run_record.path).parent.parent if run_record.path else PROJECT_ROOT / "reports"
    largest = {}  # label only the largest size of each kernel and peer
    for point in points:
        key = (point["group"], point["peer"])
        largest[key] = max(largest.get(key, 0), point["size"])
    labelled = [dict(p, annotate=p["size"] == largest[(p["group"], p["peer"])]) for p in points]
    files = calibrate.roofline_plot(
        labelled, calibration["peak_gflops_fp32"], calibration["triad_gbytes_per_s"], reports / "week11_roofline",
        title=f"Week 11 kernels, one core of {calibration['cpu']}",
    )
    run_record.add_section("roofline", {
        "peak_gflops_fp32": calibration["peak_gflops_fp32"],
        "bandwidth_gbytes_per_s": calibration["triad_gbytes_per_s"],
        "points": points,
        "files": [str(f) for f in files],
    })
    print(f"\nroofline: {', '.join(str(f) for f in files)}")
