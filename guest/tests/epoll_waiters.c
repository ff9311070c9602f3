// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_waiters: who waits on an epoll instance and who gets woken. The
 * epoll fd is itself pollable (poll, select, another epoll) and readable
 * exactly while its interest list has a ready entry. Several threads in
 * epoll_wait on one instance: epoll_wait sleeps exclusively, so one event
 * wakes one thread; with a level-triggered entry the woken thread puts it
 * back on the ready list and passes the wakeup on, so all threads return;
 * with an edge-triggered or one-shot entry only the first does.
 *
 * Threads are known to be asleep in epoll_wait before the event (see
 * wait_blocked in epoll_util.h); no sleeps are used.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <poll.h>
#include <sys/select.h>

#define NR_THREADS 4

static short poll_revents(int fd, short events, int timeout)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n = poll(&pfd, 1, timeout);

	if (n < 0)
		FAIL("poll: %s", strerror(errno));
	return n == 1 ? pfd.revents : 0;
}

TEST(waiters_epfd_readable_by_poll)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, EPOLLIN);

	EXPECT_EQ(poll_revents(ep, POLLIN, 0), POLLIN);
}

TEST(waiters_epfd_not_readable_when_nothing_ready)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN);

	EXPECT_EQ(poll_revents(ep, POLLIN, 0), 0);
}

/* Its poll mask is EPOLLIN | EPOLLRDNORM, never writable. */
TEST(waiters_epfd_poll_mask_is_in_rdnorm)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, EPOLLIN);

	EXPECT_EQ(poll_revents(ep, POLLIN | POLLRDNORM | POLLOUT | POLLPRI, 0),
		  POLLIN | POLLRDNORM);
}

TEST(waiters_epfd_never_writable)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_EQ(poll_revents(ep, POLLOUT | POLLWRNORM, 0), 0);
}

TEST(waiters_epfd_readable_by_select)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, EPOLLIN);
	struct timeval tv = { 0, 0 };
	fd_set rd, wr;

	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(ep, &rd);
	FD_SET(ep, &wr);
	EXPECT_EQ(select(ep + 1, &rd, &wr, NULL, &tv), 1);
	EXPECT_TRUE(FD_ISSET(ep, &rd));
	EXPECT_FALSE(FD_ISSET(ep, &wr));
}

TEST(waiters_epfd_readable_by_another_epoll)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, EPOLLIN);
	int outer = ep_watch(ep, EPOLLIN | EPOLLOUT);
	struct epoll_event ev;

	ASSERT_EQ(epoll_wait(outer, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLIN);
}

/* A thread asleep in poll(2) on the epoll fd is woken by readiness. */
TEST(waiters_poll_on_epfd_woken)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN);
	struct after_blocked ab;

	ASSERT_EQ(run_when_blocked(&ab, gettid(), SYS_ANY, do_efd_write1,
				   &efd), 0);
	EXPECT_EQ(poll_revents(ep, POLLIN, -1), POLLIN);
	pthread_join(ab.th, NULL);
	EXPECT_TRUE(ab.blocked);
}

TEST(waiters_select_on_epfd_woken)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN);
	struct after_blocked ab;
	fd_set rd;

	FD_ZERO(&rd);
	FD_SET(ep, &rd);
	ASSERT_EQ(run_when_blocked(&ab, gettid(), SYS_ANY, do_efd_write1,
				   &efd), 0);
	EXPECT_EQ(select(ep + 1, &rd, NULL, NULL, NULL), 1);
	pthread_join(ab.th, NULL);
	EXPECT_TRUE(ab.blocked);
	EXPECT_TRUE(FD_ISSET(ep, &rd));
}

/* Polling the epoll fd does not consume a pending edge-triggered event. */
TEST(waiters_poll_on_epfd_keeps_et_event)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, EPOLLIN | EPOLLET);
	struct epoll_event ev;

	ASSERT_EQ(poll_revents(ep, POLLIN, 0), POLLIN);
	ASSERT_EQ(poll_revents(ep, POLLIN, 0), POLLIN);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(poll_revents(ep, POLLIN, 0), 0);
}

/*
 * Readiness is re-checked: an entry queued but no longer ready does not
 * make the epoll fd readable.
 */
TEST(waiters_epfd_not_readable_for_stale_entry)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, EPOLLIN);	/* queued as ready on ADD */

	ASSERT_EQ(efd_read(efd), 1);
	EXPECT_EQ(poll_revents(ep, POLLIN, 0), 0);
}

TEST(waiters_epfd_not_readable_after_oneshot_fired)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, EPOLLIN | EPOLLONESHOT);
	struct epoll_event ev;

	ASSERT_EQ(poll_revents(ep, POLLIN, 0), POLLIN);
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(poll_revents(ep, POLLIN, 0), 0);
}

/*
 * NR_THREADS threads asleep in epoll_wait on one instance watching @fd
 * with @events; one write to @fd. Returns how many threads returned
 * with the event, or -1 on a setup failure (already reported).
 */
static int threads_woken(int ep, int efd)
{
	struct waiter w[NR_THREADS];
	int notify = ASSERT_OK(eventfd(0, 0));
	int i;

	for (i = 0; i < NR_THREADS; i++)
		if (waiter_start(&w[i], ep, notify) != 0) {
			FAIL("thread %d did not block in epoll_wait", i);
			return -1;
		}
	efd_write(efd, 1);
	ASSERT_NE(efd_read(notify), (uint64_t)-1);
	return waiters_woken(w, NR_THREADS, EPOLLIN);
}

/* Level-triggered: the event is passed on until every thread returned. */
TEST(waiters_lt_one_event_reaches_every_thread)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN);
	struct waiter w[NR_THREADS];
	int i, returned = 0;

	for (i = 0; i < NR_THREADS; i++)
		ASSERT_OK(waiter_start(&w[i], ep, -1));
	efd_write(efd, 1);
	for (i = 0; i < NR_THREADS; i++) {
		ASSERT_EQ(pthread_join(w[i].th, NULL), 0);
		returned += w[i].n == 1;
	}
	EXPECT_EQ(returned, NR_THREADS);
}

TEST(waiters_et_one_event_wakes_one_thread)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN | EPOLLET);

	EXPECT_EQ(threads_woken(ep, efd), 1);
}

TEST(waiters_oneshot_one_event_wakes_one_thread)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN | EPOLLONESHOT);

	EXPECT_EQ(threads_woken(ep, efd), 1);
}

/* With ET, each new event wakes one more of the remaining threads. */
TEST(waiters_et_each_event_wakes_one_more_thread)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN | EPOLLET);
	int notify = ASSERT_OK(eventfd(0, EFD_SEMAPHORE));
	struct waiter w[NR_THREADS];
	int i, k;

	for (i = 0; i < NR_THREADS; i++)
		ASSERT_OK(waiter_start(&w[i], ep, notify));
	for (k = 1; k <= NR_THREADS; k++) {
		int woken = 0;

		efd_write(efd, 1);
		ASSERT_EQ(efd_read(notify), 1);
		for (i = 0; i < NR_THREADS; i++) {
			int r = waiter_settle(&w[i]);

			ASSERT_GE(r, 0);
			woken += r;
		}
		EXPECT_EQ(woken, k);
	}
}

/* Two ready ET entries and maxevents = 1: two threads get one each. */
TEST(waiters_et_two_events_split_between_threads)
{
	int a = ASSERT_OK(eventfd(0, 0));
	int b = ASSERT_OK(eventfd(0, 0));
	int ep = ASSERT_OK(epoll_create1(0));
	int notify = ASSERT_OK(eventfd(0, EFD_SEMAPHORE));
	struct waiter w[NR_THREADS];
	int i, woken = 0;
	uint64_t seen = 0;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, a, EPOLLIN | EPOLLET, 1));
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, b, EPOLLIN | EPOLLET, 2));
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_OK(waiter_start(&w[i], ep, notify));
	efd_write(a, 1);
	efd_write(b, 1);
	ASSERT_EQ(efd_read(notify), 1);
	ASSERT_EQ(efd_read(notify), 1);
	for (i = 0; i < NR_THREADS; i++) {
		int r = waiter_settle(&w[i]);

		ASSERT_GE(r, 0);
		if (r) {
			woken++;
			seen |= w[i].ev.data.u64;
		}
	}
	EXPECT_EQ(woken, 2);
	EXPECT_EQ(seen, 3);
}

/* A thread's epoll_wait with a timeout also takes part normally. */
TEST(waiters_timed_waiter_gets_event)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN);
	struct epoll_event ev;

	EXPECT_EQ(ep_wait_while(ep, &ev, (int)(ktap_case_timeout() * 500), do_efd_write1, &efd), 1);
}
