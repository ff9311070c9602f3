/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the parts of epoll-bench share: the parsed options, the
 * clock, JSON output and the way a benchmark gives up.
 *
 * stdout carries only results, one JSON object per line, flushed as each
 * is complete, so the host can parse a partial run; everything a person
 * needs to read goes to stderr.
 */
#ifndef EPOLL_BENCH_H
#define EPOLL_BENCH_H

#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longest --n / --active list accepted. */
#define BENCH_LIST_MAX 16

struct bench_list {
	int len;
	long val[BENCH_LIST_MAX];
};

struct bench_opts {
	/* --iters: 0 means "the benchmark's default" (or calibrate). */
	long iters;
	/* --quick: about a tenth of the default work. */
	int quick;
	/* scaling: empty lists mean the defaults. */
	struct bench_list n;
	struct bench_list active;
};

/* Each subcommand: 0 on success; failures exit(1) through bench_die(). */
int bench_pingpong(const struct bench_opts *o);
int bench_eventfd(const struct bench_opts *o);
int bench_unix_echo(const struct bench_opts *o);
int bench_scaling(const struct bench_opts *o);
int bench_timers(const struct bench_opts *o);

/* Print "epoll-bench: <message>" on stderr and exit(1). */
void bench_die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* The same, with ": strerror(errno)" appended. */
void bench_die_errno(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* One JSON object (the caller writes the braces) as one flushed line. */
void bench_emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flush stdout before fork() so no buffered line is written twice. */
void bench_flush(void);

/*
 * Timed runs are split into short batches and the fastest batch is the
 * result. In the v86 guest CLOCK_MONOTONIC keeps running while the
 * emulator is not executing guest code (the host's event loop, other
 * processes on a busy host): gaps of up to tens of milliseconds, one every
 * few milliseconds, often more than half the wall time. Its JIT also makes
 * the first runs of a code path slower than later ones. A batch short
 * enough to fall between two gaps, late enough to run compiled code,
 * measures the operation; an average over all would mostly measure the
 * host. Natively the fastest batch differs little from the mean.
 */
#define BENCH_BATCH_NS		1000000ull	/* at most; see bench_plan() */
#define BENCH_MIN_BATCHES	10

/* One operation under test (a round trip, a call); @i numbers them. */
typedef void (*bench_op_fn)(void *ctx, long i);

/* What to time: @iters operations in batches of @batch (the last shorter). */
struct bench_plan {
	long iters;
	long batch;
};

/* @count operations; elapsed ns. */
uint64_t bench_run(bench_op_fn op, void *ctx, long count);

/*
 * Untimed operations until the machine is warm. v86 compiles a page of
 * guest code to WebAssembly only after 200,000 instructions have run in
 * it, and a restored guest starts with nothing compiled, so the paths a
 * benchmark uses run interpreted (several times slower) for thousands of
 * operations. Batches of at least @batch_ops operations and @batch_ns
 * run until two in a row are no more than 10 % faster than the best
 * before them, after at least @min_ns and at most @max_ns. Natively that
 * is about @min_ns.
 */
void bench_warm_up(bench_op_fn op, void *ctx, long batch_ops,
		   uint64_t batch_ns, uint64_t min_ns, uint64_t max_ns);

/*
 * With @iters non-zero (--iters), that many operations in batches of a
 * tenth. Otherwise calibrated: the batch size doubles from 1 until a batch
 * lasts min(BENCH_BATCH_NS, @target_ns / BENCH_MIN_BATCHES) twice running,
 * and enough batches to last @target_ns in all (at least
 * BENCH_MIN_BATCHES) make the count, kept within [@min_iters, @max_iters].
 * The calibration runs double as warm-up.
 */
struct bench_plan bench_plan(bench_op_fn op, void *ctx, long iters,
			     uint64_t target_ns, long min_iters,
			     long max_iters);

/* Run @plan; ns per operation in the fastest batch. */
double bench_time(bench_op_fn op, void *ctx, const struct bench_plan *plan);

/*
 * CLOCK_MONOTONIC in nanoseconds. In the guest it follows the host's real
 * time, so time-based targets cost the same wall time on every platform
 * and iteration counts shrink with the platform's speed.
 */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* EPOLL_BENCH_H */
