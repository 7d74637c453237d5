/* Aligned allocation and aligned vs unaligned loads (native/aligned.c). */
void *aligned_buffer(long nbytes, long alignment);  /* NULL on failure; free with aligned_buffer_free */
void aligned_buffer_free(void *p);
/* Sums of n floats. sum_f32_aligned requires x to be 32-byte aligned (it uses _mm256_load_ps,
   which faults on an unaligned address) and returns -1 without touching x otherwise. */
int sum_f32_aligned(const float *x, long n, float *result);
int sum_f32_unaligned(const float *x, long n, float *result);
