// SPDX-License-Identifier: GPL-2.0
/*
 * Timer fidelity: how late epoll_wait() returns when its timeout expires.
 *
 * The epoll instance watches one eventfd that is never signalled, so every
 * call sleeps for its whole timeout and returns 0. The figure is the delay
 * over the request, CLOCK_MONOTONIC after the call minus before it minus
 * the timeout, per sample: a distribution, not a mean, since a program
 * that uses timeouts sees each wake-up and the tail is what misleads.
 *
 * epoll_wait() never returns early without an event: the kernel's expiry
 * is taken after our first clock read, on the same clock. A sample that
 * did is counted in "early" (and is a bug worth reporting).
 *
 * The kernel adds the task's timer slack to every sleep (50 us by default,
 * or 0.1 % of the timeout if more, capped at 100 ms; see
 * select_estimate_accuracy()): that much lateness is the kernel's choice
 * natively too, so it is left at its default here, as a program gets it.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct timer_series {
	int timeout_ms;
	int samples;		/* default run; a tenth with --quick */
};

/* Enough samples for a p99 of the short sleeps; the long ones cost wall time. */
static const struct timer_series series[] = {
	{ 1, 500 },
	{ 10, 200 },
	{ 100, 30 },
};

/*
 * Untimed 1 ms waits first: in a freshly restored v86 guest the wake-up
 * path (interrupt entry, hrtimer, idle exit, scheduler) runs interpreted
 * until the JIT has compiled its pages, and each wake-up runs only a few
 * hundred instructions in a page where v86 compiles after 200,000.
 * Measured in batches of 250 wake-ups from a restore: median +287 us late
 * in the first, +247 us in the second to fourth, about +200 us from the
 * sixth on. A program in a fresh guest meets that cold path (README, "Time
 * in the guest"); the figures here are the timer's once warm.
 */
#define TIMER_WARMUP_WAITS	2000

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile @p (0 < p <= 100) of @n sorted values. */
static int64_t percentile(const int64_t *sorted, int n, int p)
{
	int rank = (n * p + 99) / 100;

	return sorted[rank > 0 ? rank - 1 : 0];
}

/* One epoll_wait(@timeout_ms) that must time out; ns it took. */
static int64_t timed_wait(int ep, int timeout_ms)
{
	struct epoll_event ev;
	uint64_t t0, t1;
	int n;

	t0 = bench_now_ns();
	n = epoll_wait(ep, &ev, 1, timeout_ms);
	t1 = bench_now_ns();
	if (n < 0)
		/* No signal handlers here, so not even EINTR is expected. */
		bench_die_errno("epoll_wait(timeout %d ms)", timeout_ms);
	if (n)
		bench_die("epoll_wait(timeout %d ms) returned %d events on an eventfd nobody signals",
			  timeout_ms, n);
	return (int64_t)(t1 - t0);
}

/*
 * Mean of the sorted @n values without the slowest 5 %: what a program that
 * sleeps often is late by in the long run, without the few wake-ups the host
 * itself delayed by milliseconds (those are in the p95, p99 and max).
 */
static double trimmed_mean(const int64_t *sorted, int n)
{
	int keep = n - n * 5 / 100, i;
	int64_t sum = 0;

	for (i = 0; i < keep; i++)
		sum += sorted[i];
	return (double)sum / keep;
}

static void run_series(int ep, const struct timer_series *s, int samples)
{
	int64_t *delay = calloc((size_t)samples, sizeof(*delay));
	int64_t request = (int64_t)s->timeout_ms * 1000000, sum = 0;
	int i, early = 0;

	if (!delay)
		bench_die("out of memory for %d samples", samples);
	for (i = 0; i < samples; i++) {
		delay[i] = timed_wait(ep, s->timeout_ms) - request;
		early += delay[i] < 0;
		sum += delay[i];
	}
	qsort(delay, (size_t)samples, sizeof(*delay), cmp_i64);
	bench_emit("{\"bench\":\"timer\",\"timeoutMs\":%d,\"samples\":%d,\"early\":%d,"
		   "\"minUs\":%.1f,\"p50Us\":%.1f,\"p95Us\":%.1f,\"p99Us\":%.1f,\"maxUs\":%.1f,"
		   "\"meanUs\":%.1f,\"trimmedMeanUs\":%.1f}",
		   s->timeout_ms, samples, early,
		   delay[0] / 1e3, percentile(delay, samples, 50) / 1e3,
		   percentile(delay, samples, 95) / 1e3,
		   percentile(delay, samples, 99) / 1e3,
		   delay[samples - 1] / 1e3, (double)sum / samples / 1e3,
		   trimmed_mean(delay, samples) / 1e3);
	free(delay);
}

int bench_timers(const struct bench_opts *o)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int efd, ep, i;
	size_t s;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		bench_die_errno("eventfd");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		bench_die_errno("epoll_create1");
	ev.data.fd = efd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev))
		bench_die_errno("epoll_ctl(ADD, eventfd)");

	for (i = 0; i < (o->quick ? TIMER_WARMUP_WAITS / 10 : TIMER_WARMUP_WAITS); i++)
		timed_wait(ep, 1);
	for (s = 0; s < ARRAY_SIZE(series); s++) {
		int samples = o->quick ? series[s].samples / 10 : series[s].samples;

		run_series(ep, &series[s], samples);
	}
	close(ep);
	close(efd);
	return 0;
}
