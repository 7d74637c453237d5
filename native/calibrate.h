/* Machine calibration (native/calibrate.c): this core's peak fp32 FMA rate and a STREAM-like
   triad bandwidth. Each returns the best rate over `repeats` timed runs (0 when the CPU lacks
   the instructions). */
double peak_fma_gflops(int width, long iterations, int repeats);  /* width 8 = AVX2, 16 = AVX-512 */
double triad_gbytes(float *a, const float *b, const float *c, long n, int repeats);
