// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_pwait: epoll_pwait(2) and epoll_pwait2(2). The signal mask is
 * installed for the duration of the wait only, atomically with it, and
 * restored afterwards; bad masks, mask sizes and timespecs are refused;
 * epoll_pwait2 takes a 64-bit timespec with nanosecond resolution (NULL
 * is "forever"). epoll_pwait2 appeared in 5.11: skipped where it is ENOSYS.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <signal.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441	/* the same number on every architecture */
#endif

/* What the kernel expects: 64-bit seconds and nanoseconds, also on i386. */
struct kts64 {
	long long tv_sec;
	long long tv_nsec;
};

#define KSIGSET_SIZE 8	/* the kernel's sigset_t: 64 signals */

static long sys_pwait(int ep, struct epoll_event *ev, int max, int timeout,
		      const void *mask, size_t size)
{
	return syscall(SYS_epoll_pwait, ep, ev, max, timeout, mask, size);
}

static long sys_pwait2(int ep, struct epoll_event *ev, int max,
		       const struct kts64 *ts, const void *mask, size_t size)
{
	return syscall(SYS_epoll_pwait2, ep, ev, max, ts, mask, size);
}

static void need_pwait2(void)
{
	struct epoll_event ev;

	if (sys_pwait2(-1, &ev, 1, NULL, NULL, 0) == -1 && errno == ENOSYS)
		SKIP("epoll_pwait2: ENOSYS (added in 5.11)");
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void catch_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
}

/* Blocks SIGUSR1 in the thread and makes one pending. */
static void pend_blocked_usr1(void)
{
	sigset_t set;

	catch_usr1();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_OK(raise(SIGUSR1));
	ASSERT_EQ(handled, 0);
}

static int usr1_blocked(void)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGUSR1);
}

TEST(pwait_null_sigmask_behaves_like_wait)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 5));
	ASSERT_EQ(epoll_pwait(ep, &ev, 1, 0, NULL), 1);
	EXPECT_EQ(ev.data.u64, 5);
	EXPECT_EVENTS(ev.events, EPOLLIN);
}

/*
 * A signal blocked outside but unblocked by the call's mask interrupts it:
 * the pending SIGUSR1 is delivered as soon as the mask is installed.
 */
TEST(pwait_mask_unblocks_pending_signal_eintr)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	sigset_t during;

	pend_blocked_usr1();
	sigemptyset(&during);
	EXPECT_ERRNO(epoll_pwait(ep, &ev, 1, -1, &during), EINTR);
	EXPECT_EQ(handled, 1);
}

/* ... and afterwards the original mask is back: SIGUSR1 blocked again. */
TEST(pwait_mask_restored_after_eintr)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	sigset_t during, pending;

	pend_blocked_usr1();
	sigemptyset(&during);
	ASSERT_ERRNO(epoll_pwait(ep, &ev, 1, -1, &during), EINTR);
	EXPECT_TRUE(usr1_blocked());
	sigpending(&pending);
	EXPECT_FALSE(sigismember(&pending, SIGUSR1));
}

/* The mask is restored after a normal return too. */
TEST(pwait_mask_restored_after_event)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;
	sigset_t during, before, after;

	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	sigemptyset(&before);
	sigaddset(&before, SIGUSR2);
	ASSERT_OK(sigprocmask(SIG_SETMASK, &before, NULL));
	sigfillset(&during);
	ASSERT_EQ(epoll_pwait(ep, &ev, 1, -1, &during), 1);
	ASSERT_OK(sigprocmask(SIG_BLOCK, NULL, &after));
	EXPECT_TRUE(sigismember(&after, SIGUSR2));
	EXPECT_FALSE(sigismember(&after, SIGUSR1));
	EXPECT_FALSE(sigismember(&after, SIGTERM));
}

static pthread_t main_thread;

struct kill_then_write {
	int efd;
};

static void do_kill_then_write(void *arg)
{
	struct kill_then_write *k = arg;

	pthread_kill(main_thread, SIGUSR1);
	efd_write(k->efd, 1);
}

/*
 * The reverse: unblocked outside, blocked by the call's mask. A SIGUSR1
 * sent during the wait does not interrupt it; the event ends it (return
 * 1), and the signal is delivered on the way out, once the old mask is
 * back, so the handler has run when epoll_pwait returns.
 */
TEST(pwait_mask_blocks_signal_during_wait)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct kill_then_write k = { ASSERT_OK(eventfd(0, 0)) };
	struct after_blocked ab;
	struct epoll_event ev;
	sigset_t during;

	catch_usr1();
	ASSERT_OK(ep_add(ep, k.efd, EPOLLIN));
	sigemptyset(&during);
	sigaddset(&during, SIGUSR1);
	main_thread = pthread_self();
	ASSERT_EQ(run_when_blocked(&ab, gettid(), SYS_epoll_pwait,
				   do_kill_then_write, &k), 0);
	EXPECT_EQ(epoll_pwait(ep, &ev, 1, -1, &during), 1);
	EXPECT_EQ(handled, 1);
	pthread_join(ab.th, NULL);
	EXPECT_TRUE(ab.blocked);
	EXPECT_FALSE(usr1_blocked());
}

/* --- epoll_pwait2 -------------------------------------------------------- */

TEST(pwait2_zero_timeout_returns_0_at_once)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct kts64 ts = { 0, 0 };
	struct epoll_event ev;
	long long t0;

	need_pwait2();
	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	t0 = ktap_now_ns();
	EXPECT_EQ(sys_pwait2(ep, &ev, 1, &ts, NULL, 0), 0);
	EXPECT_LT(ktap_now_ns() - t0, 1e9 * ktap_timeout_scale());
}

TEST(pwait2_ready_fd_returned_before_timeout)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct kts64 ts = { 3600, 0 };
	struct epoll_event ev;

	need_pwait2();
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 77));
	ASSERT_EQ(sys_pwait2(ep, &ev, 1, &ts, NULL, 0), 1);
	EXPECT_EQ(ev.data.u64, 77);
}

/*
 * A 200 us timeout: returns 0, not before 200 us have passed. No upper
 * bound is asserted; under emulation it may well take milliseconds.
 */
TEST(pwait2_200us_timeout_not_undershot)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct kts64 ts = { 0, 200000 };
	struct epoll_event ev;
	long long t0, elapsed;

	need_pwait2();
	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	t0 = ktap_now_ns();
	EXPECT_EQ(sys_pwait2(ep, &ev, 1, &ts, NULL, 0), 0);
	elapsed = ktap_now_ns() - t0;
	EXPECT_GE(elapsed, 200000LL);
	DIAG("200 us timeout took %lld us", elapsed / 1000);
}

/* NULL timeout: block until another thread makes an fd ready. */
TEST(pwait2_null_timeout_is_infinite)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct after_blocked ab;
	struct epoll_event ev;

	need_pwait2();
	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	ASSERT_EQ(run_when_blocked(&ab, gettid(), SYS_epoll_pwait2,
				   do_efd_write1, &efd), 0);
	EXPECT_EQ(sys_pwait2(ep, &ev, 1, NULL, NULL, 0), 1);
	pthread_join(ab.th, NULL);
	EXPECT_TRUE(ab.blocked);
	EXPECT_EQ(ev.data.u64, efd);
}

TEST(pwait2_mask_unblocks_pending_signal_eintr)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	sigset_t during;

	need_pwait2();
	pend_blocked_usr1();
	sigemptyset(&during);
	EXPECT_ERRNO(sys_pwait2(ep, &ev, 1, NULL, &during, KSIGSET_SIZE),
		     EINTR);
	EXPECT_EQ(handled, 1);
	EXPECT_TRUE(usr1_blocked());
}

/* ------------------------------------------------------------------------ */
/* One epoll_pwait or epoll_pwait2 call and its result, a row per case */

enum arg { GIVEN, NULL_POINTER, BAD_POINTER };

FIXTURE(pwait_call) {
	int epfd;
	struct epoll_event ev;
	sigset_t empty;
};

FIXTURE_VARIANT(pwait_call) {
	int pwait2;		/* epoll_pwait2, not epoll_pwait */
	int bad_epfd;		/* -1, not an epoll instance */
	int ready;		/* it watches a readable eventfd */
	int maxevents;
	enum arg ts;		/* pwait2's timeout: GIVEN is .timeout */
	struct kts64 timeout;
	enum arg mask;		/* GIVEN is an empty set */
	size_t sigsetsize;
	int err;		/* or 0, and then: */
	int result;
};

FIXTURE_SETUP(pwait_call)
{
	if (variant->pwait2)
		need_pwait2();
	self->epfd = variant->bad_epfd ? -1 : ASSERT_OK(epoll_create1(0));
	if (variant->ready)
		ASSERT_OK(ep_add(self->epfd, ASSERT_OK(ready_fd()), EPOLLIN));
	sigemptyset(&self->empty);
}

static const void *pointer_to(enum arg arg, const void *given)
{
	return arg == GIVEN ? given : arg == BAD_POINTER ? (void *)8 : NULL;
}

FIXTURE_VARIANT_ADD(pwait_call, pwait_bad_sigmask_pointer_efault) {
	.maxevents = 1, .mask = BAD_POINTER, .sigsetsize = KSIGSET_SIZE,
	.err = EFAULT,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait_sigsetsize_4_einval) {
	.maxevents = 1, .sigsetsize = 4, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait_sigsetsize_16_einval) {
	.maxevents = 1, .sigsetsize = 16, .err = EINVAL,
};

/* Without a mask, the size is not looked at. */
FIXTURE_VARIANT_ADD(pwait_call, pwait_sigsetsize_ignored_without_mask) {
	.maxevents = 1, .mask = NULL_POINTER, .sigsetsize = 4, .result = 0,
};

/* The mask is taken before the wait's own checks: EFAULT beats EINVAL. */
FIXTURE_VARIANT_ADD(pwait_call, pwait_sigmask_checked_before_maxevents) {
	.maxevents = 0, .mask = BAD_POINTER, .sigsetsize = KSIGSET_SIZE,
	.err = EFAULT,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait_maxevents_zero_einval) {
	.maxevents = 0, .sigsetsize = KSIGSET_SIZE, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait2_nsec_one_billion_einval) {
	.pwait2 = 1, .maxevents = 1, .timeout = { 0, 1000000000LL },
	.mask = NULL_POINTER, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait2_nsec_negative_einval) {
	.pwait2 = 1, .maxevents = 1, .timeout = { 0, -1 },
	.mask = NULL_POINTER, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait2_sec_negative_einval) {
	.pwait2 = 1, .maxevents = 1, .timeout = { -1, 0 },
	.mask = NULL_POINTER, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait2_bad_timeout_pointer_efault) {
	.pwait2 = 1, .maxevents = 1, .ts = BAD_POINTER, .mask = NULL_POINTER,
	.err = EFAULT,
};

/* 999999999 ns is the largest valid tv_nsec: accepted. */
FIXTURE_VARIANT_ADD(pwait_call, pwait2_largest_valid_nsec_accepted) {
	.pwait2 = 1, .ready = 1, .maxevents = 1, .timeout = { 0, 999999999 },
	.mask = NULL_POINTER, .result = 1,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait2_sigsetsize_4_einval) {
	.pwait2 = 1, .maxevents = 1, .sigsetsize = 4, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(pwait_call, pwait2_maxevents_zero_einval) {
	.pwait2 = 1, .maxevents = 0, .mask = NULL_POINTER, .err = EINVAL,
};

/* The timespec is checked first: an invalid one wins over a bad epfd. */
FIXTURE_VARIANT_ADD(pwait_call, pwait2_timespec_checked_before_epfd) {
	.pwait2 = 1, .bad_epfd = 1, .maxevents = 1, .timeout = { 0, -5 },
	.mask = NULL_POINTER, .err = EINVAL,
};

static long pwait_call(struct ktap_self_pwait_call *self,
		       const struct ktap_variant_pwait_call *variant)
{
	const void *mask = pointer_to(variant->mask, &self->empty);

	if (!variant->pwait2)
		return sys_pwait(self->epfd, &self->ev, variant->maxevents, 0,
				 mask, variant->sigsetsize);
	return sys_pwait2(self->epfd, &self->ev, variant->maxevents,
			  pointer_to(variant->ts, &variant->timeout), mask,
			  variant->sigsetsize);
}

TEST_F(pwait_call, returns)
{
	if (variant->err)
		EXPECT_ERRNO(pwait_call(self, variant), variant->err);
	else
		EXPECT_EQ(pwait_call(self, variant), variant->result);
}
