/*
 * The clock and the percentiles the GPU benchmarks (bench_import.c,
 * bench_ipc_gpu.cu, bench_sync_gpu.cu) report with; C and CUDA C++.
 */
#ifndef EXTMEM_BENCH_STATS_H
#define EXTMEM_BENCH_STATS_H

#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC, in microseconds. */
static inline double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-quantile (0..1) of n samples, nearest rank; sorts v. */
static inline double percentile(double *v, int n, double p)
{
    qsort(v, n, sizeof(*v), compare_double);
    return v[(int)(p * (n - 1) + 0.5)];
}

#endif
