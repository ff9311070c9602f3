// SPDX-License-Identifier: GPL-2.0
/*
 * scaling: what one non-blocking readiness check costs as the number of
 * watched descriptors N grows while the number ready, A, stays small - the
 * case epoll was made for. epoll_wait walks only its ready list, so its
 * cost follows A; poll and select ask every one of the N files on every
 * call, so theirs follows N.
 *
 * The descriptors are eventfds, not pipes or socketpairs. An eventfd is one
 * descriptor and one small object (a struct file and dentry from
 * anon_inode_getfile, a ~40-byte eventfd_ctx); a pipe is two descriptors,
 * an inode, a pipe_inode_info and its pipe_buffer array; a socketpair is
 * two of each of file, inode and sock. The 10,000-descriptor case thus
 * costs a few megabytes of the guest's 128 MB and needs 10,000 descriptors,
 * not 20,000. Writing 1 makes an eventfd readable until someone reads it,
 * and nobody does while it is meant to be ready: with level-triggered
 * registrations it stays on epoll's ready list for every call.
 *
 * Each call is repeated for a target time (the count calibrated by
 * doubling), because one call costs anything from a tenth of a microsecond
 * natively to milliseconds in the guest, and the result is the fastest of
 * its batches (bench.h).
 */
#include "bench.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

static const long default_n[] = { 10, 100, 1000, 10000 };
static const long default_active[] = { 1, 10 };

/*
 * The timed batches of each measurement last about this long in all: 40 ms
 * keeps a full default run under two seconds natively. CLOCK_MONOTONIC
 * follows real time in the guest, so there the counts shrink instead of
 * the run growing (a call slower than a batch is still timed once a batch).
 */
#define TARGET_NS		40000000ull
#define TARGET_NS_QUICK		4000000ull
/*
 * Before the first measurement each call runs untimed until its rate
 * settles (bench_warm_up(): batches of 10 ms, at least the first time, at
 * most the second), so the first row of the table is not slower only for
 * being first. Later rows reuse the same kernel paths.
 */
#define WARMUP_BATCH_NS		10000000ull
#define WARMUP_NS		40000000ull
#define WARMUP_NS_QUICK		4000000ull
#define WARMUP_MAX_NS		2000000000ull
#define WARMUP_MAX_NS_QUICK	200000000ull
/* Calibration stops doubling here even if the clock says otherwise. */
#define MAX_CALLS		(1L << 24)

/* The events buffer handed to epoll_wait, as in the brief's workload. */
#define EPOLL_MAXEVENTS		64

/* Descriptors beyond the N eventfds: stdio, the epoll instance, spare. */
#define NOFILE_SLACK		32

struct scale {
	long n;
	int *fds;		/* the N eventfds */
	struct pollfd *pfds;	/* all N, for poll */
	fd_set rset;		/* all N, for select, if they fit */
	int maxfd;
	int select_ok;		/* every fd < FD_SETSIZE */
	int ep;			/* all N, level-triggered EPOLLIN */
	struct epoll_event evs[EPOLL_MAXEVENTS];
};

static int call_epoll(struct scale *s)
{
	return epoll_wait(s->ep, s->evs, EPOLL_MAXEVENTS, 0);
}

static int call_poll(struct scale *s)
{
	return poll(s->pfds, (nfds_t)s->n, 0);
}

static int call_select(struct scale *s)
{
	/* select overwrites its sets, so a caller copies them every time. */
	fd_set r = s->rset;
	struct timeval tv = { 0, 0 };

	return select(s->maxfd + 1, &r, NULL, NULL, &tv);
}

enum { CALL_EPOLL, CALL_POLL, CALL_SELECT, NR_CALLS };

static const struct call {
	const char *name;
	int (*fn)(struct scale *s);
} calls[NR_CALLS] = {
	[CALL_EPOLL] = { "epoll_wait", call_epoll },
	[CALL_POLL] = { "poll", call_poll },
	[CALL_SELECT] = { "select", call_select },
};

static long read_nr_open(void)
{
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * poll() refuses more entries than RLIMIT_NOFILE, and the default soft limit
 * (1024) is below the larger N. Root may raise the hard limit up to
 * fs.nr_open, which is what the guest, run as root, relies on.
 */
static void ensure_nofile(long need)
{
	struct rlimit rl;
	unsigned long hard;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		bench_die_errno("getrlimit(RLIMIT_NOFILE)");
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)need)
		return;
	hard = rl.rlim_max;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need)
		rl.rlim_max = (rlim_t)need;
	rl.rlim_cur = (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		bench_die("cannot raise RLIMIT_NOFILE to %ld: %s (hard limit %lu; only root may raise it, up to fs.nr_open = %ld)",
			  need, strerror(errno), hard, read_nr_open());
}

static void scale_setup(struct scale *s, long n)
{
	long i;

	ensure_nofile(n + NOFILE_SLACK);
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->fds = calloc((size_t)n, sizeof(*s->fds));
	s->pfds = calloc((size_t)n, sizeof(*s->pfds));
	if (!s->fds || !s->pfds)
		bench_die("out of memory for %ld descriptors", n);

	/*
	 * The eventfds come before the epoll instance so they take the lowest
	 * numbers, and N = 1000 still fits select's FD_SETSIZE.
	 */
	s->maxfd = -1;
	for (i = 0; i < n; i++) {
		int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

		if (fd < 0)
			bench_die_errno("eventfd %ld of %ld", i + 1, n);
		s->fds[i] = fd;
		s->pfds[i].fd = fd;
		s->pfds[i].events = POLLIN;
		if (fd > s->maxfd)
			s->maxfd = fd;
	}
	s->select_ok = s->maxfd < FD_SETSIZE;
	FD_ZERO(&s->rset);
	for (i = 0; s->select_ok && i < n; i++)
		FD_SET(s->fds[i], &s->rset);

	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0)
		bench_die_errno("epoll_create1");
	for (i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };

		/* ENOSPC: over fs.epoll.max_user_watches (4% of low memory). */
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->fds[i], &ev))
			bench_die_errno("epoll_ctl(ADD) of eventfd %ld of %ld%s",
					i + 1, n, errno == ENOSPC ?
					" (see /proc/sys/fs/epoll/max_user_watches)" : "");
	}
}

static void scale_teardown(struct scale *s)
{
	long i;

	/*
	 * The epoll instance first: freeing it drops all N registrations in
	 * one pass, where closing each eventfd first would unhook them one by
	 * one.
	 */
	close(s->ep);
	for (i = 0; i < s->n; i++)
		close(s->fds[i]);
	free(s->pfds);
	free(s->fds);
}

/*
 * Make @active of the eventfds readable (@ready) or empty again. They are
 * spread evenly over the set so that no result depends on where in it the
 * ready ones sit.
 */
static void set_ready(struct scale *s, long active, int ready)
{
	uint64_t v = 1;
	long i;

	for (i = 0; i < active; i++) {
		int fd = s->fds[(long long)i * s->n / active];
		ssize_t r = ready ? write(fd, &v, sizeof(v)) :
				    read(fd, &v, sizeof(v));

		if (r != sizeof(v))
			bench_die_errno("%s(eventfd %d)", ready ? "write" : "read",
					fd);
	}
}

/* One call under test, and what it must return every time. */
struct call_op {
	struct scale *s;
	const struct call *c;
	int expect;
	long active;
};

static void run_call(void *ctx, long i)
{
	const struct call_op *op = ctx;
	int r = op->c->fn(op->s);

	(void)i;
	if (r == op->expect)
		return;
	if (r < 0)
		bench_die_errno("%s over %ld eventfds", op->c->name, op->s->n);
	bench_die("%s over %ld eventfds with %ld ready returned %d, expected %d",
		  op->c->name, op->s->n, op->active, r, op->expect);
}

/*
 * Microseconds per call of @c into *@us; returns the number of calls
 * timed: --iters, or calibrated so the timed batches last the target.
 */
static long measure(struct scale *s, const struct call *c, int expect,
		    long active, const struct bench_opts *o, double *us)
{
	struct call_op op = { s, c, expect, active };
	struct bench_plan plan;

	/* Untimed: faults in the buffers and checks the result once. */
	run_call(&op, 0);
	plan = bench_plan(run_call, &op, o->iters,
			  o->quick ? TARGET_NS_QUICK : TARGET_NS,
			  BENCH_MIN_BATCHES, MAX_CALLS);
	*us = bench_time(run_call, &op, &plan) / 1000.0;
	return plan.iters;
}

/* Each call untimed for a while, on the first set with one ready. */
static void warm_up(struct scale *s, const struct bench_opts *o)
{
	const long active = 1;
	int k;

	set_ready(s, active, 1);
	for (k = 0; k < NR_CALLS; k++) {
		struct call_op op = { s, &calls[k], active, active };

		if (k == CALL_SELECT && !s->select_ok)
			continue;
		bench_warm_up(run_call, &op, 1, WARMUP_BATCH_NS,
			      o->quick ? WARMUP_NS_QUICK : WARMUP_NS,
			      o->quick ? WARMUP_MAX_NS_QUICK : WARMUP_MAX_NS);
	}
	set_ready(s, active, 0);
}

static void scale_one(struct scale *s, long active, const struct bench_opts *o)
{
	char us_str[NR_CALLS][32], iters_str[NR_CALLS][32];
	int expect[NR_CALLS];
	int k;

	/* epoll_wait hands back at most maxevents; poll and select count all. */
	expect[CALL_EPOLL] = active < EPOLL_MAXEVENTS ? (int)active :
							EPOLL_MAXEVENTS;
	expect[CALL_POLL] = (int)active;
	expect[CALL_SELECT] = (int)active;

	set_ready(s, active, 1);
	for (k = 0; k < NR_CALLS; k++) {
		double us;
		long count;

		if (k == CALL_SELECT && !s->select_ok) {
			strcpy(us_str[k], "null");
			strcpy(iters_str[k], "null");
			continue;
		}
		count = measure(s, &calls[k], expect[k], active, o, &us);
		snprintf(us_str[k], sizeof(us_str[k]), "%.3f", us);
		snprintf(iters_str[k], sizeof(iters_str[k]), "%ld", count);
	}
	set_ready(s, active, 0);

	bench_emit("{\"bench\":\"scaling\",\"n\":%ld,\"active\":%ld,"
		   "\"epollUs\":%s,\"pollUs\":%s,\"selectUs\":%s,"
		   "\"iters\":{\"epoll\":%s,\"poll\":%s,\"select\":%s}}",
		   s->n, active,
		   us_str[CALL_EPOLL], us_str[CALL_POLL], us_str[CALL_SELECT],
		   iters_str[CALL_EPOLL], iters_str[CALL_POLL],
		   iters_str[CALL_SELECT]);
}

int bench_scaling(const struct bench_opts *o)
{
	struct bench_list n_list = o->n, active_list = o->active;
	struct scale s;
	int i, j;

	if (!n_list.len) {
		n_list.len = ARRAY_SIZE(default_n);
		memcpy(n_list.val, default_n, sizeof(default_n));
	}
	if (!active_list.len) {
		active_list.len = ARRAY_SIZE(default_active);
		memcpy(active_list.val, default_active, sizeof(default_active));
	}

	for (i = 0; i < n_list.len; i++) {
		scale_setup(&s, n_list.val[i]);
		if (!i && !o->iters)
			warm_up(&s, o);
		for (j = 0; j < active_list.len; j++) {
			if (active_list.val[j] > s.n) {
				fprintf(stderr, "epoll-bench: scaling: skipping active=%ld, more than n=%ld\n",
					active_list.val[j], s.n);
				continue;
			}
			scale_one(&s, active_list.val[j], o);
		}
		scale_teardown(&s);
	}
	return 0;
}
