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

/* ------------------------------------------------------------------------ */
/* Which bits and targets an exclusive ADD accepts, a row per case */

FIXTURE(excl_add) {
	int ep, target;
};

FIXTURE_VARIANT(excl_add) {
	int epoll_target;	/* watch an epoll fd, not an eventfd */
	uint32_t events;	/* besides EPOLLEXCLUSIVE */
	int err;		/* 0: the ADD succeeds */
};

FIXTURE_SETUP(excl_add)
{
	self->ep = ASSERT_OK(epoll_create1(0));
	self->target = ASSERT_OK(variant->epoll_target ? epoll_create1(0) :
				 eventfd(0, 0));
}

FIXTURE_VARIANT_ADD(excl_add, excl_add_ok) {
	.events = EPOLLIN,
};

/* EPOLLEXCLUSIVE on its own is accepted (it implies no event). */
FIXTURE_VARIANT_ADD(excl_add, excl_alone_ok) {
	.events = 0,
};

/* The bits allowed with it: IN, OUT, ERR, HUP, WAKEUP and ET. */
FIXTURE_VARIANT_ADD(excl_add, excl_with_all_allowed_bits_ok) {
	.events = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP |
		  EPOLLET,
};

FIXTURE_VARIANT_ADD(excl_add, excl_with_oneshot_einval) {
	.events = EPOLLIN | EPOLLONESHOT, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(excl_add, excl_with_pri_einval) {
	.events = EPOLLIN | EPOLLPRI, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(excl_add, excl_with_rdhup_einval) {
	.events = EPOLLIN | EPOLLRDHUP, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(excl_add, excl_with_rdnorm_einval) {
	.events = EPOLLRDNORM, .err = EINVAL,
};

/* Nested exclusive wakeups are not supported: no epoll fd as target. */
FIXTURE_VARIANT_ADD(excl_add, excl_target_epoll_einval) {
	.epoll_target = 1, .events = EPOLLIN, .err = EINVAL,
};

TEST_F(excl_add, returns)
{
	if (variant->err)
		EXPECT_ERRNO(add_excl(self->ep, self->target, variant->events),
			     variant->err);
	else
		EXPECT_OK(add_excl(self->ep, self->target, variant->events));
}

/* ------------------------------------------------------------------------ */
/* What an exclusive entry allows afterwards */

/* An epoll instance and an eventfd (counter 0), not yet watched. */
FIXTURE(excl) {
	int ep, efd;
};

FIXTURE_SETUP(excl)
{
	self->ep = ASSERT_OK(epoll_create1(0));
	self->efd = ASSERT_OK(eventfd(0, 0));
}

/* EPOLLEXCLUSIVE is for ADD only: MOD with it fails. */
TEST_F(excl, excl_mod_with_exclusive_einval)
{
	ASSERT_OK(ep_add(self->ep, self->efd, EPOLLIN));
	EXPECT_ERRNO(ep_mod(self->ep, self->efd, EPOLLIN | EPOLLEXCLUSIVE),
		     EINVAL);
}

/* An exclusive entry cannot be modified at all afterwards. */
TEST_F(excl, excl_later_mod_of_exclusive_entry_einval)
{
	ASSERT_OK(add_excl(self->ep, self->efd, EPOLLIN));
	EXPECT_ERRNO(ep_mod(self->ep, self->efd, EPOLLIN), EINVAL);
	EXPECT_ERRNO(ep_mod(self->ep, self->efd, EPOLLOUT), EINVAL);
}

/* ... but it can be deleted, and then added again. */
TEST_F(excl, excl_del_and_readd_ok)
{
	ASSERT_OK(add_excl(self->ep, self->efd, EPOLLIN));
	EXPECT_OK(epoll_ctl(self->ep, EPOLL_CTL_DEL, self->efd, NULL));
	EXPECT_OK(add_excl(self->ep, self->efd, EPOLLIN));
}

TEST_F(excl, excl_stored_mask_keeps_exclusive)
{
	uint32_t events = 0;
	uint64_t data = 0;

	ASSERT_OK(add_excl(self->ep, self->efd, EPOLLIN));
	ASSERT_EQ(fdinfo_entry(self->ep, self->efd, &events, &data), 1);
	EXPECT_EVENTS(events, EPOLLIN | EPOLLEXCLUSIVE | EPOLLERR | EPOLLHUP);
}

/* With a single instance, an exclusive entry reports like any other. */
TEST_F(excl, excl_single_instance_reports_normally)
{
	struct epoll_event ev;

	ASSERT_OK(efd_write(self->efd, 1));
	ASSERT_OK(ep_ctl(self->ep, EPOLL_CTL_ADD, self->efd,
			 EPOLLIN | EPOLLEXCLUSIVE, 42));
	ASSERT_EQ(epoll_wait(self->ep, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, 42);
}

/*
 * The wakeup experiment: @n instances, the first @nr_plain registered
 * without EPOLLEXCLUSIVE, the rest with it, all on @target (readable by
 * writing to @trigger, a pipe's write end if @pipe, else the eventfd
 * @target itself); one thread asleep in epoll_wait on each. After one
 * write, returns how many waiters returned with EPOLLIN, or -1 on a setup
 * failure (already reported).
 */
static int count_woken(int n, int nr_plain, int target, int trigger, int pipe)
{
	struct waiter w[NR_WAITERS + 2];
	int ep[NR_WAITERS + 2];
	int notify = ASSERT_OK(eventfd(0, 0));
	int i;

	ASSERT_LE(n, (int)ARRAY_SIZE(w));
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
	if (pipe)
		ASSERT_EQ(write(trigger, "x", 1), 1);
	else
		ASSERT_OK(efd_write(trigger, 1));
	ASSERT_NE(efd_read(notify), (uint64_t)-1);	/* someone returned */
	return waiters_woken(w, n, EPOLLIN);
}

/* ------------------------------------------------------------------------ */
/* One write, a thread asleep on each instance: how many wake, a row per case */

FIXTURE(one_write) {
	int target, trigger;	/* watched; written to make it readable */
};

FIXTURE_VARIANT(one_write) {
	int pipe;		/* a pipe, not an eventfd */
	int waiters;		/* instances, one waiter each */
	int plain;		/* how many of them, first, without EPOLLEXCLUSIVE */
	int woken;		/* how many waiters the write must wake */
};

FIXTURE_SETUP(one_write)
{
	int p[2];

	if (variant->pipe) {
		ASSERT_OK(pipe(p));
		self->target = p[0];
		self->trigger = p[1];
	} else {
		self->target = self->trigger = ASSERT_OK(eventfd(0, 0));
	}
}

FIXTURE_VARIANT_ADD(one_write, excl_eventfd_one_write_wakes_exactly_one) {
	.waiters = NR_WAITERS, .plain = 0, .woken = 1,
};

FIXTURE_VARIANT_ADD(one_write, excl_pipe_one_write_wakes_exactly_one) {
	.pipe = 1, .waiters = NR_WAITERS, .plain = 0, .woken = 1,
};

/* The control experiment: without EPOLLEXCLUSIVE every instance wakes. */
FIXTURE_VARIANT_ADD(one_write, nonexcl_eventfd_one_write_wakes_all) {
	.waiters = NR_WAITERS, .plain = NR_WAITERS, .woken = NR_WAITERS,
};

FIXTURE_VARIANT_ADD(one_write, nonexcl_pipe_one_write_wakes_all) {
	.pipe = 1, .waiters = NR_WAITERS, .plain = NR_WAITERS,
	.woken = NR_WAITERS,
};

/*
 * Mixed: non-exclusive waiters are all woken, and of the exclusive ones
 * exactly one more (the wait queue wakes every non-exclusive entry and
 * stops after the first exclusive entry that woke someone).
 */
FIXTURE_VARIANT_ADD(one_write, excl_mixed_wakes_all_plain_plus_one) {
	.waiters = 5, .plain = 2, .woken = 3,
};

TEST_F(one_write, wakes)
{
	EXPECT_EQ(count_woken(variant->waiters, variant->plain, self->target,
			      self->trigger, variant->pipe),
		  variant->woken);
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
