// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_nesting: epoll instances watching epoll instances. Readiness and
 * wakeups travel up a chain of up to five instances; a longer chain, a
 * cycle, or too many wakeup paths from one file are refused at ADD time.
 *
 * The depth rule (fs/eventpoll.c, ep_loop_check, EP_MAX_NESTS = 4): an ADD
 * of epoll file TO into epoll EP fails with ELOOP when the longest chain
 * of epoll-in-epoll links through the new link would exceed 4 links, i.e.
 * more than 5 instances in a row, or when TO already (indirectly) watches
 * EP (a cycle). Kernels before "eventpoll: Fix semi-unbounded recursion"
 * (CVE-2025-38614; mainline 6.17, stable 6.1.149 and 6.12.43) only counted
 * the links below TO, so there a chain built top-down had no limit and one
 * built bottom-up allowed 7 instances; the depth cases skip on such kernels.
 */
#include "ktap.h"
#include "epoll_util.h"

#define MAX_CHAIN 8

/*
 * Whether this kernel counts the links above the new one as well as those
 * below it: ep_loop_check() adds ep_get_upwards_depth_proc() of EP to the
 * depth below TO. The stable releases come from the changelog.Debian.gz
 * that Debian's linux-source-6.1 and linux-source-6.12 packages ship: it
 * lists the fix under ChangeLog-6.1.149 and ChangeLog-6.12.43. The
 * fs/eventpoll.c of 6.1.176, 6.12.117 and 7.2.13 all have the upward walk.
 * Other stable series are not listed: a backport there makes the depth
 * cases skip, not fail.
 */
KERNEL_GATE(two_way_depth_check,
	    "6.17 made an ADD of an epoll fd count the nesting above the new link "
	    "as well as below it (CVE-2025-38614): more than 5 instances in a row "
	    "fail with ELOOP however the chain is built",
	    6, 17, 0, KTAP_KVER(6, 1, 149), KTAP_KVER(6, 12, 43));

static void need_two_way_depth_check(void)
{
	if (!kernel_has(&two_way_depth_check))
		SKIP("kernel predates the two-way nesting depth check (CVE-2025-38614 fix: 6.17, 6.1.149, 6.12.43)");
}

/*
 * Builds a chain of @n instances, ep[0] on top, each watching the next
 * with data.u64 = index of the watched instance; ep[n-1] watches @target
 * (data.u64 = 1000). Links are made bottom-up.
 */
static void build_chain(int *ep, int n, int target)
{
	int i;

	for (i = 0; i < n; i++)
		ep[i] = ASSERT_OK(epoll_create1(0));
	ASSERT_OK(ep_ctl(ep[n - 1], EPOLL_CTL_ADD, target, EPOLLIN, 1000));
	for (i = n - 2; i >= 0; i--)
		ASSERT_OK(ep_ctl(ep[i], EPOLL_CTL_ADD, ep[i + 1], EPOLLIN,
				 i + 1));
}

/*
 * A thread asleep in epoll_wait on the top of a chain of @depth instances
 * is woken by a write at the bottom and gets EPOLLIN for the instance
 * right below it.
 */
static void check_propagation(int depth)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep[MAX_CHAIN];
	struct epoll_event ev;

	build_chain(ep, depth, efd);
	ASSERT_EQ(ep_wait_while(ep[0], &ev, -1, do_efd_write1, &efd), 1);
	EXPECT_EVENTS(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, depth == 1 ? 1000 : 1);
	/* and without blocking, readiness is visible at every level */
	EXPECT_EQ(epoll_wait(ep[depth - 1], &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 1000);
}

FIXTURE(chain) {};

FIXTURE_VARIANT(chain) {
	int depth;
};

FIXTURE_VARIANT_ADD(chain, nest_depth_1_propagates) { .depth = 1 };
FIXTURE_VARIANT_ADD(chain, nest_depth_2_propagates) { .depth = 2 };
FIXTURE_VARIANT_ADD(chain, nest_depth_3_propagates) { .depth = 3 };
FIXTURE_VARIANT_ADD(chain, nest_depth_4_propagates) { .depth = 4 };
FIXTURE_VARIANT_ADD(chain, nest_depth_5_propagates) { .depth = 5 };

TEST_F(chain, propagates)
{
	check_propagation(variant->depth);
}

/* A sixth instance on top of a chain of five is refused. */
TEST(nest_depth_6_bottom_up_eloop, .gate = &two_way_depth_check)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep[MAX_CHAIN];
	int top;

	need_two_way_depth_check();
	build_chain(ep, 5, efd);
	top = ASSERT_OK(epoll_create1(0));
	EXPECT_ERRNO(ep_add(top, ep[0], EPOLLIN), ELOOP);
}

/* The same limit when the chain grows downwards from the top. */
TEST(nest_depth_6_top_down_eloop, .gate = &two_way_depth_check)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep[MAX_CHAIN];
	int i;

	need_two_way_depth_check();
	for (i = 0; i < 6; i++)
		ep[i] = ASSERT_OK(epoll_create1(0));
	for (i = 0; i < 4; i++)
		ASSERT_OK(ep_add(ep[i], ep[i + 1], EPOLLIN));
	EXPECT_ERRNO(ep_add(ep[4], ep[5], EPOLLIN), ELOOP);
	/* the fifth level can still watch an ordinary file */
	EXPECT_OK(ep_add(ep[4], efd, EPOLLIN));
}

/* Joining two chains in the middle counts the whole path. */
TEST(nest_join_two_chains_of_three_eloop, .gate = &two_way_depth_check)
{
	int upper[3], lower[3], i;

	need_two_way_depth_check();
	for (i = 0; i < 3; i++) {
		upper[i] = ASSERT_OK(epoll_create1(0));
		lower[i] = ASSERT_OK(epoll_create1(0));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_OK(ep_add(upper[i], upper[i + 1], EPOLLIN));
		ASSERT_OK(ep_add(lower[i], lower[i + 1], EPOLLIN));
	}
	/* 2 links + the new one + 2 links = 5 links, 6 instances */
	EXPECT_ERRNO(ep_add(upper[2], lower[0], EPOLLIN), ELOOP);
	/* joining onto the middle instead makes 4 links: allowed */
	EXPECT_OK(ep_add(upper[2], lower[1], EPOLLIN));
}

/* A refused ADD leaves nothing behind: the entry does not exist. */
TEST(nest_refused_add_leaves_no_entry, .gate = &two_way_depth_check)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep[MAX_CHAIN];
	int top;
	uint32_t events;
	uint64_t data;

	need_two_way_depth_check();
	build_chain(ep, 5, efd);
	top = ASSERT_OK(epoll_create1(0));
	ASSERT_ERRNO(ep_add(top, ep[0], EPOLLIN), ELOOP);
	EXPECT_EQ(fdinfo_entry(top, ep[0], &events, &data), 0);
	EXPECT_ERRNO(epoll_ctl(top, EPOLL_CTL_DEL, ep[0], NULL), ENOENT);
}

TEST(nest_self_add_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_ERRNO(ep_add(ep, ep, EPOLLIN), EINVAL);
}

/* A watches B; B watching A would close a loop. */
TEST(nest_cycle_of_two_eloop)
{
	int a = ASSERT_OK(epoll_create1(0));
	int b = ASSERT_OK(epoll_create1(0));

	ASSERT_OK(ep_add(a, b, EPOLLIN));
	EXPECT_ERRNO(ep_add(b, a, EPOLLIN), ELOOP);
}

TEST(nest_cycle_of_three_eloop)
{
	int a = ASSERT_OK(epoll_create1(0));
	int b = ASSERT_OK(epoll_create1(0));
	int c = ASSERT_OK(epoll_create1(0));

	ASSERT_OK(ep_add(a, b, EPOLLIN));
	ASSERT_OK(ep_add(b, c, EPOLLIN));
	EXPECT_ERRNO(ep_add(c, a, EPOLLIN), ELOOP);
}

/* Two instances watching the same inner one is a diamond, not a loop. */
TEST(nest_diamond_is_not_a_loop)
{
	int top = ASSERT_OK(epoll_create1(0));
	int left = ASSERT_OK(epoll_create1(0));
	int right = ASSERT_OK(epoll_create1(0));
	int bottom = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev[4];

	ASSERT_OK(ep_add(bottom, efd, EPOLLIN));
	ASSERT_OK(ep_add(left, bottom, EPOLLIN));
	ASSERT_OK(ep_add(right, bottom, EPOLLIN));
	ASSERT_OK(ep_add(top, left, EPOLLIN));
	EXPECT_OK(ep_add(top, right, EPOLLIN));
	EXPECT_EQ(epoll_wait(top, ev, 4, 0), 2);
}

/* An epoll fd is only ever readable: the outer instance sees EPOLLIN. */
TEST(nest_inner_ready_for_write_reports_epollin)
{
	int outer = ASSERT_OK(epoll_create1(0));
	int inner = ASSERT_OK(epoll_create1(0));
	int p[2];
	struct epoll_event ev;

	ASSERT_OK(pipe(p));
	ASSERT_OK(ep_add(inner, p[1], EPOLLOUT));
	ASSERT_OK(ep_add(outer, inner, EPOLLIN | EPOLLOUT));
	ASSERT_EQ(epoll_wait(outer, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, inner);
}

/*
 * An outer instance watching an inner one that watches an eventfd (counter
 * 0), all for EPOLLIN.
 */
FIXTURE(nested) {
	int outer, inner, efd;
};

FIXTURE_SETUP(nested)
{
	self->outer = ASSERT_OK(epoll_create1(0));
	self->inner = ASSERT_OK(epoll_create1(0));
	self->efd = ASSERT_OK(eventfd(0, 0));
	ASSERT_OK(ep_add(self->inner, self->efd, EPOLLIN));
	ASSERT_OK(ep_add(self->outer, self->inner, EPOLLIN));
}

TEST_F(nested, nest_inner_quiet_outer_quiet)
{
	struct epoll_event ev;

	EXPECT_EQ(epoll_wait(self->outer, &ev, 1, 0), 0);
}

/* Once the inner fd is drained the outer instance stops reporting. */
TEST_F(nested, nest_outer_follows_inner_readiness)
{
	struct epoll_event ev;

	ASSERT_OK(efd_write(self->efd, 1));
	ASSERT_EQ(epoll_wait(self->outer, &ev, 1, 0), 1);
	ASSERT_EQ(efd_read(self->efd), 1);
	EXPECT_EQ(epoll_wait(self->outer, &ev, 1, 0), 0);
}

/* Watching the inner instance does not consume its events. */
TEST(nest_outer_does_not_consume_inner_events)
{
	int outer = ASSERT_OK(epoll_create1(0));
	int inner = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(inner, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET, 7));
	ASSERT_OK(ep_add(outer, inner, EPOLLIN));
	ASSERT_EQ(epoll_wait(outer, &ev, 1, 0), 1);
	ASSERT_EQ(epoll_wait(outer, &ev, 1, 0), 1);
	/* the inner ET entry is still pending for the inner waiter */
	ASSERT_EQ(epoll_wait(inner, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 7);
	EXPECT_EQ(epoll_wait(inner, &ev, 1, 0), 0);
}

TEST_F(nested, nest_inner_in_two_outers_both_report)
{
	int second = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;

	ASSERT_OK(ep_add(second, self->inner, EPOLLIN));
	ASSERT_OK(efd_write(self->efd, 1));
	EXPECT_EQ(epoll_wait(self->outer, &ev, 1, 0), 1);
	EXPECT_EQ(epoll_wait(second, &ev, 1, 0), 1);
}

TEST_F(nested, nest_del_inner_stops_reports)
{
	struct epoll_event ev;

	ASSERT_OK(efd_write(self->efd, 1));
	ASSERT_OK(epoll_ctl(self->outer, EPOLL_CTL_DEL, self->inner, NULL));
	EXPECT_EQ(epoll_wait(self->outer, &ev, 1, 0), 0);
}

/* Closing the inner instance (its only fd) removes it from the outer. */
TEST_F(nested, nest_close_inner_removes_registration)
{
	struct epoll_event ev;
	uint32_t events;
	uint64_t data;

	ASSERT_OK(efd_write(self->efd, 1));
	ASSERT_OK(close(self->inner));
	EXPECT_EQ(epoll_wait(self->outer, &ev, 1, 0), 0);
	EXPECT_EQ(fdinfo_entry(self->outer, self->inner, &events, &data), 0);
}

/* ET on the outer entry: the inner instance's readiness is reported once. */
TEST(nest_outer_et_reports_once)
{
	int outer = ASSERT_OK(epoll_create1(0));
	int inner = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct epoll_event ev;

	ASSERT_OK(ep_add(inner, efd, EPOLLIN));
	ASSERT_OK(ep_add(outer, inner, EPOLLIN | EPOLLET));
	efd_write(efd, 1);
	EXPECT_EQ(epoll_wait(outer, &ev, 1, 0), 1);
	EXPECT_EQ(epoll_wait(outer, &ev, 1, 0), 0);
	/* a new event in the inner set is a new edge for the outer one */
	efd_write(efd, 1);
	EXPECT_EQ(epoll_wait(outer, &ev, 1, 0), 1);
}

/*
 * Wakeup paths: one file may be reachable through at most 500 paths of
 * length 2 (path_limits[] in fs/eventpoll.c: 1000, 500, 100, 50, 10 for
 * lengths 1..5, length 1 unlimited). The 501st outer instance watching the
 * one inner instance that watches the file is refused with EINVAL.
 */
TEST(nest_wakeup_path_limit_einval)
{
	struct rlimit rl = { 2048, 2048 };
	int inner = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	int i, outer;

	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		SKIP("cannot raise RLIMIT_NOFILE to 2048: %s", strerror(errno));
	ASSERT_OK(ep_add(inner, efd, EPOLLIN));
	for (i = 0; i < 500; i++) {
		outer = ASSERT_OK(epoll_create1(0));
		ASSERT_OK(ep_add(outer, inner, EPOLLIN));
	}
	outer = ASSERT_OK(epoll_create1(0));
	EXPECT_ERRNO(ep_add(outer, inner, EPOLLIN), EINVAL);
}
