// SPDX-License-Identifier: GPL-2.0
/*
 * Latency benchmarks: one message in flight at a time, and whoever waits
 * for it sleeps in epoll_wait, so a round trip costs two wake-ups through
 * epoll (on the guest's single CPU, two context switches too) plus the
 * reads and writes.
 *
 *	pingpong	two processes, two pipes, 1 byte each way
 *	eventfd		two threads, two eventfds, a counter of 1 each way
 *	unix-echo	two processes, a unix stream socketpair, 64 bytes
 *
 * Untimed round trips run first: for a while (the peer starting up,
 * first-touch faults and the guest's JIT), then calibration batches, then
 * a tenth of the timed count, so none of that is in the result.
 *
 * Read ends are non-blocking. After epoll_wait said a descriptor is
 * readable a read must not block; if it would, that is reported as a
 * failure rather than silently timed as a second wait.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Without --iters the count is calibrated so the timed run lasts about
 * LATENCY_TARGET_NS: a round trip costs microseconds natively and
 * milliseconds in the v86 guest, so no fixed count suits both. The floor
 * keeps a slow platform's result from resting on a handful of samples.
 */
#define LATENCY_TARGET_NS	150000000ull
#define LATENCY_TARGET_NS_QUICK	15000000ull
#define LATENCY_MIN_ITERS	500
#define LATENCY_MIN_ITERS_QUICK	100
#define LATENCY_MAX_ITERS	1000000L

/*
 * Untimed round trips before calibration: the peer starting up is not one,
 * and the guest's JIT needs the paths hot. bench_warm_up() runs batches of
 * 1000 round trips (v86 compiles by instructions run, so the batch is a
 * count; measured: four fixed 50 ms warm-ups in one guest gave 240, 191,
 * 148, 138 µs) until the rate settles: at least the first time, at most
 * the second.
 */
#define LATENCY_WARMUP_BATCH	1000
#define LATENCY_WARMUP_BATCH_NS	20000000ull
#define LATENCY_WARMUP_NS	50000000ull
#define LATENCY_WARMUP_NS_QUICK	5000000ull
#define LATENCY_WARMUP_MAX_NS	10000000000ull
#define LATENCY_WARMUP_MAX_NS_QUICK 500000000ull

/* unix-echo's message: larger than 1 byte so a copy is part of the cost. */
#define ECHO_MSG_LEN		64

/* eventfd: what the driver writes to tell the worker to finish. */
#define EFD_STOP		2

/*
 * Round trips of @trip (the driver's half): planned (calibrated unless
 * --iters gave the count), a tenth of the count as warm-up, then timed.
 * Returns ns per round trip; *@iters the count.
 */
static double time_round_trips(const struct bench_opts *o, bench_op_fn trip,
			       void *ctx, long *iters)
{
	struct bench_plan plan;

	if (!o->iters)
		bench_warm_up(trip, ctx, o->quick ? 1 : LATENCY_WARMUP_BATCH,
			      LATENCY_WARMUP_BATCH_NS,
			      o->quick ? LATENCY_WARMUP_NS_QUICK : LATENCY_WARMUP_NS,
			      o->quick ? LATENCY_WARMUP_MAX_NS_QUICK : LATENCY_WARMUP_MAX_NS);
	plan = bench_plan(trip, ctx, o->iters,
			  o->quick ? LATENCY_TARGET_NS_QUICK : LATENCY_TARGET_NS,
			  o->quick ? LATENCY_MIN_ITERS_QUICK : LATENCY_MIN_ITERS,
			  LATENCY_MAX_ITERS);
	bench_run(trip, ctx, plan.iters / 10);
	*iters = plan.iters;
	return bench_time(trip, ctx, &plan);
}

/* Only once the peer has finished cleanly, so a failed run prints nothing. */
static void emit_latency(const char *bench, long iters, double ns)
{
	bench_emit("{\"bench\":\"%s\",\"iters\":%ld,\"us\":%.3f}",
		   bench, iters, ns / 1000.0);
}

/* An epoll instance watching only @fd for EPOLLIN (level-triggered). */
static int watch_readable(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		bench_die_errno("epoll_create1");
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		bench_die_errno("epoll_ctl(ADD, fd %d)", fd);
	return ep;
}

/* Sleep in epoll_wait until @fd, the only descriptor on @ep, is ready. */
static void wait_ready(int ep, int fd)
{
	struct epoll_event ev;
	int n;

	do
		n = epoll_wait(ep, &ev, 1, -1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		bench_die_errno("epoll_wait");
	if (n != 1 || ev.data.fd != fd)
		bench_die("epoll_wait(timeout -1) returned %d (fd %d), expected fd %d",
			  n, n == 1 ? ev.data.fd : -1, fd);
}

/*
 * Read exactly @len bytes from @fd, waiting in epoll_wait before each read.
 * A stream socket may hand a message over in pieces, so this loops; a pipe
 * or socket closed before the first byte returns 0 (the peer is done).
 */
static size_t recv_exact(int ep, int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		wait_ready(ep, fd);
		n = read(fd, buf + got, len - got);
		if (n > 0) {
			got += (size_t)n;
		} else if (n == 0) {
			if (!got)
				return 0;
			bench_die("peer closed fd %d mid-message (%zu of %zu bytes)",
				  fd, got, len);
		} else if (errno == EAGAIN) {
			bench_die("read(fd %d) would block after epoll_wait reported it readable",
				  fd);
		} else if (errno != EINTR) {
			bench_die_errno("read(fd %d)", fd);
		}
	}
	return got;
}

/*
 * Write all of @buf. One short message is in flight at a time, so the
 * peer's buffer always has room and a full buffer (EAGAIN) means the
 * protocol broke.
 */
static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			bench_die_errno("write(fd %d)", fd);
		buf += n;
		len -= (size_t)n;
	}
}

static void close_pair(int a, int b)
{
	close(a);
	if (b != a)
		close(b);
}

/* Both ends of an echo: for a socketpair rfd == wfd on each side. */
struct echo_link {
	int drv_rfd, drv_wfd;	/* the driver (parent): replies in, requests out */
	int srv_rfd, srv_wfd;	/* the echo server (child) */
	size_t len;		/* message size */
	int drv_ep;		/* the driver's epoll instance */
};

/* The child: echo messages until the parent closes its end. */
static void __attribute__((noreturn)) echo_serve(const struct echo_link *l)
{
	char buf[ECHO_MSG_LEN];
	int ep;

	/*
	 * The parent's ends must go, or the request side would never reach
	 * EOF and this process would outlive the benchmark.
	 */
	close_pair(l->drv_rfd, l->drv_wfd);
	ep = watch_readable(l->srv_rfd);
	while (recv_exact(ep, l->srv_rfd, buf, l->len))
		send_all(l->srv_wfd, buf, l->len);
	_exit(0);
}

static void echo_trip(void *ctx, long i)
{
	const struct echo_link *l = ctx;
	char out[ECHO_MSG_LEN], in[ECHO_MSG_LEN];

	/* A different first byte each time, so a stale reply shows. */
	memset(out, 'e', l->len);
	out[0] = (char)i;
	send_all(l->drv_wfd, out, l->len);
	if (!recv_exact(l->drv_ep, l->drv_rfd, in, l->len))
		bench_die("echo child exited early");
	if (memcmp(in, out, l->len))
		bench_die("echo reply differs from the request");
}

static int echo_bench(const char *bench, const struct bench_opts *o,
		      struct echo_link *l)
{
	long iters;
	double ns;
	pid_t pid;
	int status;

	bench_flush();
	pid = fork();
	if (pid < 0)
		bench_die_errno("fork");
	if (pid == 0)
		echo_serve(l);

	close_pair(l->srv_rfd, l->srv_wfd);
	l->drv_ep = watch_readable(l->drv_rfd);
	ns = time_round_trips(o, echo_trip, l, &iters);
	close(l->drv_ep);
	/* EOF on the request side is the child's signal to finish. */
	close_pair(l->drv_rfd, l->drv_wfd);
	if (waitpid(pid, &status, 0) != pid)
		bench_die_errno("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		bench_die("%s: echo child failed (wait status 0x%x)",
			  bench, status);
	emit_latency(bench, iters, ns);
	return 0;
}

int bench_pingpong(const struct bench_opts *o)
{
	int to_child[2], to_parent[2];
	struct echo_link l;

	if (pipe2(to_child, O_NONBLOCK | O_CLOEXEC) ||
	    pipe2(to_parent, O_NONBLOCK | O_CLOEXEC))
		bench_die_errno("pipe2");
	l.drv_rfd = to_parent[0];
	l.drv_wfd = to_child[1];
	l.srv_rfd = to_child[0];
	l.srv_wfd = to_parent[1];
	l.len = 1;
	return echo_bench("pingpong", o, &l);
}

int bench_unix_echo(const struct bench_opts *o)
{
	struct echo_link l;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv))
		bench_die_errno("socketpair(AF_UNIX, SOCK_STREAM)");
	l.drv_rfd = l.drv_wfd = sv[0];
	l.srv_rfd = l.srv_wfd = sv[1];
	l.len = ECHO_MSG_LEN;
	return echo_bench("unix-echo", o, &l);
}

/* eventfd: the two counters between the driver and the worker thread. */
struct efd_link {
	int ping;	/* driver -> worker */
	int ack;	/* worker -> driver */
	int drv_ep;	/* the driver's epoll instance, watching ack */
};

static void efd_write(int fd, uint64_t v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		bench_die_errno("write(eventfd %d)", fd);
}

/* Take the counter; epoll said it is non-zero, so this must not block. */
static uint64_t efd_take(int ep, int fd)
{
	uint64_t v;

	wait_ready(ep, fd);
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		bench_die_errno("read(eventfd %d) after epoll_wait reported it readable",
				fd);
	return v;
}

static void *efd_worker(void *arg)
{
	const struct efd_link *l = arg;
	int ep = watch_readable(l->ping);
	uint64_t v;

	/*
	 * The driver waits for each ack before the next ping, so every read
	 * sees exactly one write: 1, or EFD_STOP at the end.
	 */
	while ((v = efd_take(ep, l->ping)) == 1)
		efd_write(l->ack, 1);
	if (v != EFD_STOP)
		bench_die("eventfd worker read %llu, expected 1 or %d",
			  (unsigned long long)v, EFD_STOP);
	close(ep);
	return NULL;
}

static void efd_trip(void *ctx, long i)
{
	const struct efd_link *l = ctx;
	uint64_t v;

	(void)i;
	efd_write(l->ping, 1);
	v = efd_take(l->drv_ep, l->ack);
	if (v != 1)
		bench_die("eventfd ack read %llu, expected 1",
			  (unsigned long long)v);
}

int bench_eventfd(const struct bench_opts *o)
{
	struct efd_link l;
	pthread_t worker;
	long iters;
	double ns;
	int err;

	l.ping = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l.ack = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l.ping < 0 || l.ack < 0)
		bench_die_errno("eventfd");
	l.drv_ep = watch_readable(l.ack);
	err = pthread_create(&worker, NULL, efd_worker, &l);
	if (err) {
		errno = err;
		bench_die_errno("pthread_create");
	}

	ns = time_round_trips(o, efd_trip, &l, &iters);

	efd_write(l.ping, EFD_STOP);
	err = pthread_join(worker, NULL);
	if (err) {
		errno = err;
		bench_die_errno("pthread_join");
	}
	close(l.drv_ep);
	close(l.ack);
	close(l.ping);
	emit_latency("eventfd", iters, ns);
	return 0;
}
