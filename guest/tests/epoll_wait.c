// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_wait: collecting events. Argument checks, faults on the event
 * buffer, the timeout (0, finite, infinite), interruption by signals, and
 * how maxevents caps a call while ready descriptors left over are
 * returned by later calls in turn.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <pthread.h>
#include <signal.h>

#define NR_READY 6

/* ------------------------------------------------------------------------ */
/* One epoll_wait call and its result, a row per case */

FIXTURE(wait_call) {
	int epfd;
	struct epoll_event ev, *buf;
};

FIXTURE_VARIANT(wait_call) {
	enum test_file epfd;
	enum test_file watched;	/* EPOLL_FD: nothing (the default) */
	int readonly_buffer;	/* a PROT_READ page, not a writable event */
	int maxevents;
	int err;		/* or 0, and then: */
	int result;
};

FIXTURE_SETUP(wait_call)
{
	self->epfd = test_file_open(variant->epfd);
	if (variant->watched != EPOLL_FD)
		ASSERT_OK(ep_add(self->epfd, test_file_open(variant->watched),
				 EPOLLIN));
	if (variant->epfd == CLOSED_EPOLL_FD)
		close(self->epfd);
	self->buf = &self->ev;
	if (variant->readonly_buffer) {
		self->buf = mmap(NULL, 4096, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(self->buf != MAP_FAILED);
	}
}

FIXTURE_VARIANT_ADD(wait_call, wait_maxevents_zero_einval) {
	.maxevents = 0, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(wait_call, wait_maxevents_negative_einval) {
	.maxevents = -1, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(wait_call, wait_bad_epfd_ebadf) {
	.epfd = MINUS_ONE, .maxevents = 1, .err = EBADF,
};

FIXTURE_VARIANT_ADD(wait_call, wait_closed_epfd_ebadf) {
	.epfd = CLOSED_EPOLL_FD, .maxevents = 1, .err = EBADF,
};

FIXTURE_VARIANT_ADD(wait_call, wait_epfd_not_epoll_einval) {
	.epfd = PIPE_READ_END, .maxevents = 1, .err = EINVAL,
};

/* A read-only buffer faults when an event is copied out. */
FIXTURE_VARIANT_ADD(wait_call, wait_readonly_buffer_efault) {
	.watched = READY_EVENTFD, .readonly_buffer = 1, .maxevents = 1,
	.err = EFAULT,
};

/* With nothing to copy out, the same buffer is never touched: 0. */
FIXTURE_VARIANT_ADD(wait_call, wait_readonly_buffer_without_events_returns_0) {
	.watched = QUIET_EVENTFD, .readonly_buffer = 1, .maxevents = 1,
	.result = 0,
};

TEST_F(wait_call, returns)
{
	/* volatile: a negative maxevents the compiler cannot see coming */
	volatile int maxevents = variant->maxevents;

	if (variant->err)
		EXPECT_ERRNO(epoll_wait(self->epfd, self->buf, maxevents, 0),
			     variant->err);
	else
		EXPECT_EQ(epoll_wait(self->epfd, self->buf, maxevents, 0),
			  variant->result);
}

/* The event that could not be copied out is not lost. */
TEST(wait_efault_keeps_the_event)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev, *ro = mmap(NULL, 4096, PROT_READ,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(ro != MAP_FAILED);
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET, 9));
	ASSERT_ERRNO(epoll_wait(ep, ro, 1, 0), EFAULT);
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 9);
}

/*
 * A fault after at least one event was copied is not an error: the call
 * returns what it copied, and the rest stays queued.
 */
TEST(wait_fault_after_first_event_returns_count)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int a = ASSERT_OK(eventfd(1, 0));
	int b = ASSERT_OK(eventfd(1, 0));
	char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct epoll_event *buf, ev;

	ASSERT_TRUE(pages != MAP_FAILED);
	ASSERT_OK(mprotect(pages + 4096, 4096, PROT_READ));
	/* room for exactly one event before the read-only page */
	buf = (struct epoll_event *)(pages + 4096 - sizeof(*buf));
	ASSERT_OK(ep_add(ep, a, EPOLLIN | EPOLLET));
	ASSERT_OK(ep_add(ep, b, EPOLLIN | EPOLLET));
	EXPECT_EQ(epoll_wait(ep, buf, 2, 0), 1);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
}

TEST(wait_timeout_zero_returns_0_at_once)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct epoll_event ev;
	long long t0;

	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	t0 = ktap_now_ns();
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	/* "at once": far below any timeout, even under emulation */
	EXPECT_LT(ktap_now_ns() - t0, 1e9 * ktap_timeout_scale());
}

TEST(wait_timeout_zero_reports_ready_fd)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;

	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
}

/* A 50 ms timeout expires with 0 and never early (CLOCK_MONOTONIC). */
TEST(wait_timeout_50ms_not_undershot)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct epoll_event ev;
	long long t0, elapsed;

	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	t0 = ktap_now_ns();
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 50), 0);
	elapsed = ktap_now_ns() - t0;
	EXPECT_GE(elapsed, 50000000LL);
}

/* An empty interest list is fine: the call just times out. */
TEST(wait_empty_set_times_out)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	long long t0 = ktap_now_ns();

	EXPECT_EQ(epoll_wait(ep, &ev, 1, 10), 0);
	EXPECT_GE(ktap_now_ns() - t0, 10000000LL);
}

struct add_then_write {
	int ep;
	int efd;
};

static void do_add_then_write(void *arg)
{
	struct add_then_write *a = arg;

	if (ep_add(a->ep, a->efd, EPOLLIN) != 0)
		FAIL("ADD: %s", strerror(errno));
	efd_write(a->efd, 1);
}

static void do_add(void *arg)
{
	struct add_then_write *a = arg;

	if (ep_add(a->ep, a->efd, EPOLLIN) != 0)
		FAIL("ADD: %s", strerror(errno));
}

/*
 * timeout -1 blocks until an fd that another thread adds while the wait is
 * in progress becomes ready.
 */
TEST(wait_infinite_sees_fd_added_while_blocked)
{
	struct add_then_write a;
	struct epoll_event ev;

	a.ep = ASSERT_OK(epoll_create1(0));
	a.efd = ASSERT_OK(eventfd(0, 0));
	ASSERT_EQ(ep_wait_while(a.ep, &ev, -1, do_add_then_write, &a), 1);
	EXPECT_EQ(ev.data.u64, a.efd);
	EXPECT_EVENTS(ev.events, EPOLLIN);
}

/* Adding an fd that is already ready wakes the waiter by itself. */
TEST(wait_infinite_woken_by_adding_a_ready_fd)
{
	struct add_then_write a;
	struct epoll_event ev;

	a.ep = ASSERT_OK(epoll_create1(0));
	a.efd = ASSERT_OK(eventfd(3, 0));
	ASSERT_EQ(ep_wait_while(a.ep, &ev, -1, do_add, &a), 1);
	EXPECT_EQ(ev.data.u64, a.efd);
}

/* Any negative timeout means "infinite", not only -1. */
TEST(wait_any_negative_timeout_is_infinite)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct epoll_event ev;

	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	EXPECT_EQ(ep_wait_while(ep, &ev, -12345, do_efd_write1, &efd), 1);
}

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	(void)sig;
	handled++;
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	ASSERT_OK(sigaction(sig, &sa, NULL));
}

static pthread_t main_thread;

static void do_kill_main(void *arg)
{
	pthread_kill(main_thread, *(int *)arg);
}

/* A caught signal interrupts the wait: -1 with EINTR, the handler ran. */
TEST(wait_eintr_on_signal)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int sig = SIGUSR1;
	struct epoll_event ev;

	set_handler(SIGUSR1, on_signal, 0);
	main_thread = pthread_self();
	EXPECT_ERRNO(ep_wait_while(ep, &ev, -1, do_kill_main, &sig), EINTR);
	EXPECT_EQ(handled, 1);
}

/* epoll_wait is never restarted, even with SA_RESTART (signal(7)). */
TEST(wait_eintr_even_with_sa_restart)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int sig = SIGUSR1;
	struct epoll_event ev;

	set_handler(SIGUSR1, on_signal, SA_RESTART);
	main_thread = pthread_self();
	EXPECT_ERRNO(ep_wait_while(ep, &ev, -1, do_kill_main, &sig), EINTR);
	EXPECT_EQ(handled, 1);
}

struct kill_then_write {
	int sig;
	int efd;
};

static void do_kill_then_write(void *arg)
{
	struct kill_then_write *k = arg;

	pthread_kill(main_thread, k->sig);
	efd_write(k->efd, 1);
}

/* An ignored signal is discarded and does not interrupt the wait. */
TEST(wait_ignored_signal_does_not_interrupt)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct kill_then_write k = { SIGUSR2, ASSERT_OK(eventfd(0, 0)) };
	struct epoll_event ev;

	set_handler(SIGUSR2, SIG_IGN, 0);
	ASSERT_OK(ep_add(ep, k.efd, EPOLLIN));
	main_thread = pthread_self();
	EXPECT_EQ(ep_wait_while(ep, &ev, -1, do_kill_then_write, &k), 1);
	EXPECT_EQ(ev.data.u64, k.efd);
}

/* NR_READY ready level-triggered eventfds, data.u64 = index. */
static int ready_set(int *fds)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int i;

	for (i = 0; i < NR_READY; i++) {
		fds[i] = ASSERT_OK(eventfd(1, 0));
		ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, fds[i], EPOLLIN, i));
	}
	return ep;
}

/*
 * maxevents = 1 with several ready LT fds: successive calls return
 * different fds, all of them within NR_READY calls, then the cycle starts
 * over (a returned LT entry goes to the back of the ready list).
 */
TEST(wait_maxevents_one_round_robin)
{
	int fds[NR_READY], order[NR_READY], i, j, seen = 0;
	int ep = ready_set(fds);
	struct epoll_event ev;

	for (i = 0; i < NR_READY; i++) {
		ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
		ASSERT_LT(ev.data.u64, NR_READY);
		order[i] = (int)ev.data.u64;
		seen |= 1 << order[i];
	}
	EXPECT_EQ(seen, (1 << NR_READY) - 1);
	for (j = 0; j < NR_READY; j++) {
		ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
		EXPECT_EQ(ev.data.u64, order[j]);
	}
}

/* Fewer slots than ready fds: the call fills exactly maxevents. */
TEST(wait_maxevents_caps_the_count)
{
	int fds[NR_READY];
	int ep = ready_set(fds);
	struct epoll_event ev[NR_READY];

	EXPECT_EQ(epoll_wait(ep, ev, 3, 0), 3);
}

/* Those left over by a capped call come first in the next one. */
TEST(wait_left_over_fds_come_next)
{
	int fds[NR_READY], i, first = 0, second = 0;
	int ep = ready_set(fds);
	struct epoll_event ev[NR_READY];

	ASSERT_EQ(epoll_wait(ep, ev, 3, 0), 3);
	for (i = 0; i < 3; i++)
		first |= 1 << ev[i].data.u64;
	ASSERT_EQ(epoll_wait(ep, ev, 3, 0), 3);
	for (i = 0; i < 3; i++)
		second |= 1 << ev[i].data.u64;
	EXPECT_EQ(first & second, 0);
	EXPECT_EQ(first | second, (1 << NR_READY) - 1);
}

/* With room for all, every ready fd is returned exactly once. */
TEST(wait_returns_each_ready_fd_once)
{
	int fds[NR_READY], i, seen = 0, dups = 0;
	int ep = ready_set(fds);
	struct epoll_event ev[NR_READY * 2];

	ASSERT_EQ(epoll_wait(ep, ev, NR_READY * 2, 0), NR_READY);
	for (i = 0; i < NR_READY; i++) {
		dups += !!(seen & (1 << ev[i].data.u64));
		seen |= 1 << ev[i].data.u64;
	}
	EXPECT_EQ(dups, 0);
	EXPECT_EQ(seen, (1 << NR_READY) - 1);
}

/* Registered but quiet fds are never returned, however often one asks. */
TEST(wait_quiet_fds_never_returned)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int i, k, quiet_seen = 0;
	struct epoll_event ev[8];

	for (i = 0; i < 8; i++) {
		int efd = ASSERT_OK(eventfd(i % 2 ? 0 : 1, 0));

		/* even index: ready; odd index: quiet */
		ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, i));
	}
	for (k = 0; k < 16; k++) {
		int n = epoll_wait(ep, ev, k % 3 + 1, 0);

		ASSERT_GT(n, 0);
		for (i = 0; i < n; i++)
			quiet_seen += ev[i].data.u64 % 2;
	}
	EXPECT_EQ(quiet_seen, 0);
}

/* Only as many entries as returned are written to the buffer. */
TEST(wait_writes_only_returned_entries)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev[4];
	unsigned char *tail = (unsigned char *)&ev[1];
	size_t i, touched = 0;

	memset(ev, 0xa5, sizeof(ev));
	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	ASSERT_EQ(epoll_wait(ep, ev, 4, 0), 1);
	for (i = 0; i < 3 * sizeof(ev[0]); i++)
		touched += tail[i] != 0xa5;
	EXPECT_EQ(touched, 0);
}
