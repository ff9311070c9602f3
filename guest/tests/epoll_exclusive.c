// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_exclusive: EPOLLEXCLUSIVE (since 4.5). Which operations and bits
 * it may be combined with, and the wakeup it exists for: when several
 * epoll instances watch one file with EPOLLEXCLUSIVE and each has a thread
 * asleep in epoll_wait, one event wakes exactly one of them.
 *
 * How the wakeup cases stay deterministic: every waiter is first seen
 * asleep in epoll_wait (see wait_blocked in epoll_util.h); after the event
 * the first waiter to return is awaited on an eventfd, then every other
 * waiter is awaited until it has either returned or is asleep in
 * epoll_wait again. A waiter the event reached cannot still be asleep: the
 * wakeup marks it runnable before write(2) returns.
 */
#include "ktap.h"
#include "epoll_util.h"

#define NR_WAITERS 4

static int add_excl(int ep, int fd, uint32_t events)
{
	return ep_add(ep, fd, events | EPOLLEXCLUSIVE);
}

TEST(excl_add_ok)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_OK(add_excl(ep, efd, EPOLLIN));
	close(efd);
	close(ep);
}

/* EPOLLEXCLUSIVE on its own is accepted (it implies no event). */
TEST(excl_alone_ok)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_OK(add_excl(ep, efd, 0));
	close(efd);
	close(ep);
}

/* The bits allowed with it: IN, OUT, ERR, HUP, WAKEUP and ET. */
TEST(excl_with_all_allowed_bits_ok)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_OK(add_excl(ep, efd, EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
			   EPOLLWAKEUP | EPOLLET));
	close(efd);
	close(ep);
}

TEST(excl_with_oneshot_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_ERRNO(add_excl(ep, efd, EPOLLIN | EPOLLONESHOT), EINVAL);
	close(efd);
	close(ep);
}

TEST(excl_with_pri_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_ERRNO(add_excl(ep, efd, EPOLLIN | EPOLLPRI), EINVAL);
	close(efd);
	close(ep);
}

TEST(excl_with_rdhup_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_ERRNO(add_excl(ep, efd, EPOLLIN | EPOLLRDHUP), EINVAL);
	close(efd);
	close(ep);
}

TEST(excl_with_rdnorm_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_ERRNO(add_excl(ep, efd, EPOLLRDNORM), EINVAL);
	close(efd);
	close(ep);
}

/* Nested exclusive wakeups are not supported: no epoll fd as target. */
TEST(excl_target_epoll_einval)
{
	int outer = ASSERT_OK(epoll_create1(0));
	int inner = ASSERT_OK(epoll_create1(0));

	EXPECT_ERRNO(add_excl(outer, inner, EPOLLIN), EINVAL);
	close(inner);
	close(outer);
}

/* EPOLLEXCLUSIVE is for ADD only: MOD with it fails. */
TEST(excl_mod_with_exclusive_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	EXPECT_ERRNO(ep_mod(ep, efd, EPOLLIN | EPOLLEXCLUSIVE), EINVAL);
	close(efd);
	close(ep);
}

/* An exclusive entry cannot be modified at all afterwards. */
TEST(excl_later_mod_of_exclusive_entry_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	ASSERT_OK(add_excl(ep, efd, EPOLLIN));
	EXPECT_ERRNO(ep_mod(ep, efd, EPOLLIN), EINVAL);
	EXPECT_ERRNO(ep_mod(ep, efd, EPOLLOUT), EINVAL);
	close(efd);
	close(ep);
}

/* ... but it can be deleted, and then added again. */
TEST(excl_del_and_readd_ok)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));

	ASSERT_OK(add_excl(ep, efd, EPOLLIN));
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
	EXPECT_OK(add_excl(ep, efd, EPOLLIN));
	close(efd);
	close(ep);
}

TEST(excl_stored_mask_keeps_exclusive)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	uint32_t events = 0;
	uint64_t data = 0;

	ASSERT_OK(add_excl(ep, efd, EPOLLIN));
	ASSERT_EQ(fdinfo_entry(ep, efd, &events, &data), 1);
	EXPECT_EVENTS(events, EPOLLIN | EPOLLEXCLUSIVE | EPOLLERR | EPOLLHUP);
	close(efd);
	close(ep);
}

/* With a single instance, an exclusive entry reports like any other. */
TEST(excl_single_instance_reports_normally)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLEXCLUSIVE, 42));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, 42);
	close(efd);
	close(ep);
}

/*
 * The wakeup experiment: @n instances, the first @nr_plain registered
 * without EPOLLEXCLUSIVE, the rest with it, all on @target (readable by
 * writing to @trigger); one thread asleep in epoll_wait on each. After one
 * write, returns how many waiters returned with EPOLLIN, or -1 on a setup
 * failure (already reported).
 */
static int count_woken(int n, int nr_plain, int target, int trigger,
		       void (*fire)(int fd))
{
	struct waiter w[NR_WAITERS + 2];
	int ep[NR_WAITERS + 2];
	int notify = ASSERT_OK(eventfd(0, 0));
	int i;

	for (i = 0; i < n; i++) {
		ep[i] = ASSERT_OK(epoll_create1(0));
		ASSERT_OK(ep_add(ep[i], target,
				 EPOLLIN | (i < nr_plain ? 0 : EPOLLEXCLUSIVE)));
	}
	for (i = 0; i < n; i++)
		if (waiter_start(&w[i], ep[i], notify) != 0) {
			FAIL("waiter %d did not block in epoll_wait", i);
			return -1;
		}
	fire(trigger);
	ASSERT_NE(efd_read(notify), (uint64_t)-1);	/* someone returned */
	return waiters_woken(w, n, EPOLLIN);
}

static void fire_eventfd(int fd)
{
	efd_write(fd, 1);
}

static void fire_pipe(int fd)
{
	if (write(fd, "x", 1) != 1)
		FAIL("write: %s", strerror(errno));
}

TEST(excl_eventfd_one_write_wakes_exactly_one)
{
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_EQ(count_woken(NR_WAITERS, 0, efd, efd, fire_eventfd), 1);
}

TEST(excl_pipe_one_write_wakes_exactly_one)
{
	int p[2];

	ASSERT_OK(pipe(p));
	EXPECT_EQ(count_woken(NR_WAITERS, 0, p[0], p[1], fire_pipe), 1);
}

/* The control experiment: without EPOLLEXCLUSIVE every instance wakes. */
TEST(nonexcl_eventfd_one_write_wakes_all)
{
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_EQ(count_woken(NR_WAITERS, NR_WAITERS, efd, efd, fire_eventfd),
		  NR_WAITERS);
}

TEST(nonexcl_pipe_one_write_wakes_all)
{
	int p[2];

	ASSERT_OK(pipe(p));
	EXPECT_EQ(count_woken(NR_WAITERS, NR_WAITERS, p[0], p[1], fire_pipe),
		  NR_WAITERS);
}

/*
 * Mixed: non-exclusive waiters are all woken, and of the exclusive ones
 * exactly one more (the wait queue wakes every non-exclusive entry and
 * stops after the first exclusive entry that woke someone).
 */
TEST(excl_mixed_wakes_all_plain_plus_one)
{
	int efd = ASSERT_OK(eventfd(0, 0));

	EXPECT_EQ(count_woken(5, 2, efd, efd, fire_eventfd), 3);
}

/*
 * An exclusive instance with nobody waiting does not count as a wakeup:
 * it queues the event and the search goes on to the next exclusive
 * instance. Entries are visited in the order they were added.
 */
TEST(excl_instances_without_waiters_are_passed_over)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int idle1 = ASSERT_OK(epoll_create1(0));
	int idle2 = ASSERT_OK(epoll_create1(0));
	int busy = ASSERT_OK(epoll_create1(0));
	int last = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	struct waiter wb, wl;

	ASSERT_OK(add_excl(idle1, efd, EPOLLIN));
	ASSERT_OK(add_excl(idle2, efd, EPOLLIN));
	ASSERT_OK(add_excl(busy, efd, EPOLLIN));
	ASSERT_OK(add_excl(last, efd, EPOLLIN));
	ASSERT_OK(waiter_start(&wb, busy, -1));
	ASSERT_OK(waiter_start(&wl, last, -1));
	efd_write(efd, 1);
	ASSERT_EQ(pthread_join(wb.th, NULL), 0);
	EXPECT_EQ(wb.n, 1);
	/* the idle instances before it got the event queued ... */
	EXPECT_EQ(epoll_wait(idle1, &ev, 1, 0), 1);
	EXPECT_EQ(epoll_wait(idle2, &ev, 1, 0), 1);
	/* ... the waiter after it was never woken */
	EXPECT_EQ(waiter_settle(&wl), 0);
}

/* Each further write wakes one further waiter, until all have returned. */
TEST(excl_successive_writes_wake_successive_waiters)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int notify = ASSERT_OK(eventfd(0, EFD_SEMAPHORE));
	struct waiter w[NR_WAITERS];
	int ep[NR_WAITERS];
	int i, k, woken;

	for (i = 0; i < NR_WAITERS; i++) {
		ep[i] = ASSERT_OK(epoll_create1(0));
		ASSERT_OK(add_excl(ep[i], efd, EPOLLIN));
	}
	for (i = 0; i < NR_WAITERS; i++)
		ASSERT_OK(waiter_start(&w[i], ep[i], notify));
	for (k = 1; k <= NR_WAITERS; k++) {
		efd_write(efd, 1);
		ASSERT_EQ(efd_read(notify), 1);
		woken = 0;
		for (i = 0; i < NR_WAITERS; i++) {
			int r = waiter_settle(&w[i]);

			ASSERT_GE(r, 0);
			woken += r;
		}
		EXPECT_EQ(woken, k);
	}
}

/* Exclusive mode with EPOLLOUT: a reader making room wakes one writer. */
TEST(excl_epollout_wakes_exactly_one)
{
	int p[2], i, woken = 0;
	int notify = ASSERT_OK(eventfd(0, 0));
	struct waiter w[NR_WAITERS];
	char buf[65536];
	int ep[NR_WAITERS];

	ASSERT_OK(pipe2(p, O_NONBLOCK));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	ASSERT_EQ(errno, EAGAIN);
	for (i = 0; i < NR_WAITERS; i++) {
		ep[i] = ASSERT_OK(epoll_create1(0));
		ASSERT_OK(add_excl(ep[i], p[1], EPOLLOUT));
	}
	for (i = 0; i < NR_WAITERS; i++)
		ASSERT_OK(waiter_start(&w[i], ep[i], notify));
	/* drain it all: the pipe becomes writable in one step */
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	ASSERT_NE(efd_read(notify), (uint64_t)-1);
	for (i = 0; i < NR_WAITERS; i++) {
		int r = waiter_settle(&w[i]);

		ASSERT_GE(r, 0);
		if (r) {
			EXPECT_EVENTS(w[i].ev.events, EPOLLOUT);
			woken++;
		}
	}
	EXPECT_EQ(woken, 1);
}
