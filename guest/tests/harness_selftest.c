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
TEST_TIMEOUT(hangs_past_timeout, 1)
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
