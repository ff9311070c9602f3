// SPDX-License-Identifier: GPL-2.0
/*
 * epoll-demo: small programs that make fs/eventpoll.c take one path each,
 * for `epoll-lab trace` and the browser's Trace panel to show.
 *
 *   epoll-demo lt-et            level- vs edge-triggered on one pipe
 *   epoll-demo oneshot          EPOLLONESHOT disarms until EPOLL_CTL_MOD
 *   epoll-demo exclusive [N]    N waiters, EPOLLEXCLUSIVE: one wakes
 *   epoll-demo overflow [N] [R] a timer fires while epoll_wait copies N events out
 *   epoll-demo scullpipe        scullpipe's poll method wakes an epoll waiter
 *
 * Each step prints what the program saw; the trace shows why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *what)
{
	fprintf(stderr, "epoll-demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

#define CHECK(expr) do { if ((expr) < 0) fail(#expr); } while (0)

static int watch(int ep, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* epoll_wait with no timeout: how many events are ready right now. */
static int ready_now(int ep)
{
	struct epoll_event evs[8];
	int n = epoll_wait(ep, evs, 8, 0);

	if (n < 0)
		fail("epoll_wait");
	return n;
}

static int lt_et(void)
{
	int p[2], lt, et, first, again;
	char buf[8];

	CHECK(pipe(p));
	CHECK(lt = epoll_create1(0));
	CHECK(et = epoll_create1(0));
	CHECK(watch(lt, p[0], EPOLLIN));
	CHECK(watch(et, p[0], EPOLLIN | EPOLLET));
	CHECK(write(p[1], "a", 1));
	printf("wrote 1 byte\n");
	/* One call per statement: the order of a call's arguments is unspecified. */
	first = ready_now(lt);
	again = ready_now(lt);
	printf("level-triggered: %d event, then again %d (still readable: re-queued)\n", first, again);
	first = ready_now(et);
	again = ready_now(et);
	printf("edge-triggered:  %d event, then %d (no new edge)\n", first, again);
	CHECK(write(p[1], "b", 1));
	printf("wrote 1 more byte: edge-triggered %d event\n", ready_now(et));
	CHECK(read(p[0], buf, sizeof(buf)));
	printf("drained the pipe: level-triggered %d events\n", ready_now(lt));
	return 0;
}

static int oneshot(void)
{
	int p[2], ep;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };

	CHECK(pipe(p));
	CHECK(ep = epoll_create1(0));
	ev.data.fd = p[0];
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	CHECK(write(p[1], "a", 1));
	printf("wrote 1 byte: %d event (the item is now disarmed)\n", ready_now(ep));
	CHECK(write(p[1], "b", 1));
	printf("wrote 1 more byte: %d events (disarmed: the wake-up is ignored)\n", ready_now(ep));
	CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	printf("EPOLL_CTL_MOD re-armed it: %d event\n", ready_now(ep));
	return 0;
}

struct waiter {
	pthread_t thread;
	pid_t tid;
	int ep;
	int woken_by_data;
};

static int data_fd, quit_fd;

static void *wait_one(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev;

	w->tid = syscall(SYS_gettid);
	for (;;) {
		int n = epoll_wait(w->ep, &ev, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("epoll_wait");
		if (ev.data.fd == quit_fd)
			return NULL;
		w->woken_by_data = 1;
		uint64_t value;
		/* Another waiter may have taken it first; that is the point. */
		if (read(data_fd, &value, sizeof(value)) < 0 && errno != EAGAIN)
			fail("read");
		uint64_t one = 1;
		CHECK(write(quit_fd, &one, sizeof(one)));
	}
}

/* True once the task sleeps in epoll_wait: /proc's syscall file names the call it is blocked in. */
static int blocked_in_epoll_wait(pid_t tid)
{
	char path[64], line[128];
	FILE *f;
	long nr = -1;

	if (tid == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f))
		nr = strtol(line, NULL, 10);
	fclose(f);
	return nr == SYS_epoll_wait;
}

static int exclusive(int n)
{
	struct waiter w[16];
	uint64_t one = 1;
	int i, woken = 0;

	if (n < 2 || n > 16) {
		fprintf(stderr, "epoll-demo exclusive: N must be 2..16\n");
		return 2;
	}
	CHECK(data_fd = eventfd(0, EFD_NONBLOCK));
	CHECK(quit_fd = eventfd(0, EFD_NONBLOCK));
	memset(w, 0, sizeof(w));
	for (i = 0; i < n; i++) {
		CHECK(w[i].ep = epoll_create1(0));
		CHECK(watch(w[i].ep, data_fd, EPOLLIN | EPOLLEXCLUSIVE));
		CHECK(watch(w[i].ep, quit_fd, EPOLLIN));
		if (pthread_create(&w[i].thread, NULL, wait_one, &w[i]))
			fail("pthread_create");
	}
	/* Every waiter must be asleep in epoll_wait before the wake-up, or there is nothing to choose from. */
	for (i = 0; i < n; i++)
		while (!blocked_in_epoll_wait(__atomic_load_n(&w[i].tid, __ATOMIC_SEQ_CST)))
			sched_yield();
	printf("%d waiters asleep, each on its own epoll instance watching one eventfd with EPOLLEXCLUSIVE\n", n);
	CHECK(write(data_fd, &one, sizeof(one)));
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		woken += w[i].woken_by_data;
	}
	printf("one write woke %d of %d waiters\n", woken, n);
	return woken == 1 ? 0 : 1;
}

static int overflow(int items, int rounds)
{
	struct rlimit limit;
	struct epoll_event *evs;
	struct itimerspec every = { .it_interval = { 0, 100000 }, .it_value = { 0, 100000 } };
	int ep, timer, i, r, ticks = 0;

	if (items < 1 || rounds < 1) {
		fprintf(stderr, "epoll-demo overflow: ITEMS and ROUNDS must be positive\n");
		return 2;
	}
	/* Room for ITEMS eventfds: raise the soft limit to the hard one. */
	CHECK(getrlimit(RLIMIT_NOFILE, &limit));
	limit.rlim_cur = limit.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &limit));
	evs = calloc(items + 1, sizeof(*evs));
	if (!evs)
		fail("calloc");
	CHECK(ep = epoll_create1(0));
	/* Level-triggered and always readable: every epoll_wait copies all of them out. */
	for (i = 0; i < items; i++) {
		int fd = eventfd(1, 0);

		CHECK(fd);
		CHECK(watch(ep, fd, EPOLLIN));
	}
	CHECK(timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	CHECK(watch(ep, timer, EPOLLIN));
	CHECK(timerfd_settime(timer, 0, &every, NULL));
	for (r = 0; r < rounds; r++) {
		int n = epoll_wait(ep, evs, items + 1, -1);

		CHECK(n);
		for (i = 0; i < n; i++) {
			uint64_t expirations;

			if (evs[i].data.fd == timer && read(timer, &expirations, sizeof(expirations)) > 0)
				ticks += expirations;
		}
	}
	printf("%d rounds of epoll_wait over %d ready eventfds; the 100 us timer fired %d times meanwhile\n", rounds, items, ticks);
	return 0;
}

static int scullpipe(void)
{
	int fd, ep;
	pid_t writer;
	struct epoll_event ev;
	char buf[16];

	fd = open("/dev/scullpipe0", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		fail("open /dev/scullpipe0 (is the scull module loaded?)");
	CHECK(ep = epoll_create1(0));
	CHECK(watch(ep, fd, EPOLLIN));
	printf("empty scullpipe: %d events\n", ready_now(ep));
	CHECK(writer = fork());
	if (writer == 0) {
		int w = open("/dev/scullpipe0", O_WRONLY);

		/* Write only once the parent sleeps in epoll_wait: then the wake-up has a waiter to wake. */
		while (!blocked_in_epoll_wait(getppid()))
			sched_yield();
		if (w < 0 || write(w, "hello", 5) != 5)
			fail("write /dev/scullpipe0");
		_exit(0);
	}
	CHECK(epoll_wait(ep, &ev, 1, -1));
	printf("a writer process wrote 5 bytes: epoll_wait woke with %s\n", ev.events & EPOLLIN ? "EPOLLIN" : "something else");
	CHECK(read(fd, buf, sizeof(buf)));
	waitpid(writer, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	const char *demo = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(demo, "lt-et"))
		return lt_et();
	if (!strcmp(demo, "oneshot"))
		return oneshot();
	if (!strcmp(demo, "exclusive"))
		return exclusive(argc > 2 ? atoi(argv[2]) : 3);
	if (!strcmp(demo, "overflow"))
		return overflow(argc > 2 ? atoi(argv[2]) : 500, argc > 3 ? atoi(argv[3]) : 20);
	if (!strcmp(demo, "scullpipe"))
		return scullpipe();
	fprintf(stderr, "usage: epoll-demo lt-et|oneshot|exclusive [N]|overflow [ITEMS] [ROUNDS]|scullpipe\n");
	return 2;
}
