// SPDX-License-Identifier: GPL-2.0
/*
 * harness_selftest: checks ktap.h itself. Most cases here fail on purpose;
 * the host runs this program and asserts that each of them comes out
 * "not ok" with the right diagnostic while the run goes on, and that the
 * cases named passes_* / skips_* come out "ok". The exit status is 1.
 */
#include "ktap.h"

#include <sys/epoll.h>

/* Expected: not ok, "# killed by signal 11 (SIGSEGV)". */
TEST(crashes_with_sigsegv)
{
	volatile int *p = NULL;

	DIAG("about to dereference NULL");
	*p = 1;
}

/* Expected: not ok, "# timed out after 1 s" (with KTAP_TIMEOUT_SCALE=1). */
TEST(hangs_past_timeout, .timeout = 1)
{
	for (;;)
		pause();
}

/* Expected: not ok, a "# harness_selftest.c:N:" line naming the call. */
TEST(fails_an_expectation)
{
	EXPECT_ERRNO(epoll_create1(0), EINVAL);
	EXPECT_EQ(1 + 1, 3);
}

/* Expected: not ok; the line after the ASSERT never runs. */
TEST(fails_an_assertion_and_stops)
{
	ASSERT_TRUE(0 == 1);
	DIAG("this line must not be printed");
}

/* Expected: not ok, the failure of a forked child counts for the case. */
TEST(fails_in_a_forked_child)
{
	pid_t pid = ASSERT_OK(fork());

	if (pid == 0) {
		EXPECT_EQ(getppid(), 0);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
}

/* Expected: not ok, "# killed by signal 6 (SIGABRT)". */
TEST(aborts_with_sigabrt)
{
	abort();
}

/* Expected: not ok, leaving through exit() is not finishing the case. */
TEST(exits_early_without_verdict)
{
	exit(0);
}

/*
 * Expected: not ok; the fixture's teardown still runs, and prints
 * "# teardown saw 42".
 */
FIXTURE(answer) {
	int value;
};

FIXTURE_SETUP(answer)
{
	self->value = 42;
}

FIXTURE_TEARDOWN(answer)
{
	DIAG("teardown saw %d", self->value);
}

TEST_F(answer, fails_in_a_fixture_and_tears_down)
{
	ASSERT_EQ(self->value, 0);
	DIAG("this line must not be printed");
}

/* Expected: not ok, asking a gate the case does not declare. */
KERNEL_GATE(ancient_change, "0.1 is a release every kernel has", 0, 1, 0);
KERNEL_GATE(future_change, "99.0 is a release no kernel has", 99, 0, 0,
	    KTAP_KVER(1, 0, 1));

TEST(asks_an_undeclared_gate, .gate = &ancient_change)
{
	EXPECT_TRUE(kernel_has(&ancient_change));
	EXPECT_FALSE(kernel_has(&future_change));
}

/* Expected: ok ... # SKIP feature absent: demo. */
TEST(skips_with_reason)
{
	SKIP("feature absent: %s", "demo");
}

/* Expected: ok, the run went on after the failures above. */
TEST(passes_after_the_others)
{
	int ep = ASSERT_OK(epoll_create1(EPOLL_CLOEXEC));

	EXPECT_GE(ep, 0);
	EXPECT_EQ(-1, -1L);
	EXPECT_LT(-1, 1U - 0U);
	EXPECT_TRUE(kernel_version() > 0);
	EXPECT_OK(close(ep));
}

/*
 * Expected: ok, twice: a table of two rows, each a case named by its row,
 * in the order written, each with the fixture set up for it; --list shows
 * the declared gate of each.
 */
FIXTURE(row) {
	int doubled;
};

FIXTURE_VARIANT(row) {
	int value;
};

FIXTURE_SETUP(row)
{
	self->doubled = 2 * variant->value;
}

FIXTURE_VARIANT_ADD(row, passes_row_one) {
	.value = 1,
};

FIXTURE_VARIANT_ADD(row, passes_row_two) {
	.value = 2,
};

TEST_F(row, doubles, .gate = &future_change)
{
	EXPECT_EQ(self->doubled, 2 * variant->value);
	EXPECT_FALSE(kernel_has(&future_change));
}
