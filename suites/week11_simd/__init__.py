"""Week 11 checkpoint (roadmap Day 71-77): native SIMD kernels, machine calibration, roofline."""
