// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_params: the busy-poll parameters of one epoll instance, set with
 * ioctl(ep, EPIOCSPARAMS, &p) and read with ioctl(ep, EPIOCGPARAMS, &p).
 *
 * A kernel takes one of three paths (fs/eventpoll.c):
 *  - before 6.9 the epoll file has no ioctl method: ENOTTY for both;
 *  - 6.9 and later without CONFIG_NET_RX_BUSY_POLL: ep_eventpoll_bp_ioctl()
 *    is a stub that answers EOPNOTSUPP without looking at the argument;
 *  - with it, SET copies the struct in (EFAULT), then refuses a non-zero
 *    __pad, busy_poll_usecs > S32_MAX and prefer_busy_poll > 1 (EINVAL, in
 *    that order), then busy_poll_budget > NAPI_POLL_WEIGHT (64) without
 *    CAP_NET_ADMIN (EPERM), and only then stores the three fields; GET
 *    copies out a zeroed struct holding them.
 * NET_RX_BUSY_POLL has no prompt: it is on whenever NET is, short of
 * PREEMPT_RT, so epoll-lab's 6.12 and 7.2 images take the third path. Each
 * case checks what the kernel it runs on gives.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <linux/capability.h>
#include <stddef.h>
#include <sys/ioctl.h>

/* include/uapi/linux/eventpoll.h of 6.9+; i386 glibc has it from 2.40 on. */
#ifndef EPIOCSPARAMS
struct epoll_params {
	uint32_t busy_poll_usecs;
	uint16_t busy_poll_budget;
	uint8_t prefer_busy_poll;
	uint8_t __pad;		/* must be 0 */
};

#define EPIOCSPARAMS	_IOW(EPOLL_IOC_TYPE, 0x01, struct epoll_params)
#define EPIOCGPARAMS	_IOR(EPOLL_IOC_TYPE, 0x02, struct epoll_params)
#endif
#ifndef EPOLL_IOC_TYPE
#define EPOLL_IOC_TYPE	0x8A
#endif

/* The uapi layout: 8 bytes, no hidden padding, the same on i386 and x86_64. */
_Static_assert(sizeof(struct epoll_params) == 8, "struct epoll_params is 8 bytes");
_Static_assert(offsetof(struct epoll_params, busy_poll_budget) == 4, "budget at 4");
_Static_assert(offsetof(struct epoll_params, prefer_busy_poll) == 6, "prefer at 6");
_Static_assert(offsetof(struct epoll_params, __pad) == 7, "__pad at 7");
/* Generic ioctl encoding (dir << 30 | size << 16 | type << 8 | nr), as on i386. */
_Static_assert(EPIOCSPARAMS == 0x40088a01, "EPIOCSPARAMS");
_Static_assert(EPIOCGPARAMS == 0x80088a02, "EPIOCGPARAMS");

/* NAPI_POLL_WEIGHT in include/linux/netdevice.h (64 in 6.12 and 7.2). */
#define BUDGET_UNPRIVILEGED_MAX	64

#define UNPRIVILEGED_UID	1000

/* Every case of this file checks it: each declares .gate = &params_ioctls. */
KERNEL_GATE(params_ioctls,
	    "6.9 added EPIOCSPARAMS/EPIOCGPARAMS (per-instance busy-poll parameters); "
	    "before, an epoll fd has no ioctl method and both fail with ENOTTY",
	    6, 9, 0);

static int params_exist(void)
{
	return kernel_has(&params_ioctls);
}

/*
 * Whether the kernel has CONFIG_NET_RX_BUSY_POLL. The socket option
 * SO_BUSY_POLL exists only with it (net/core/sock.c, sk_getsockopt):
 * getsockopt gives the socket's busy-poll time, or ENOPROTOOPT without
 * it. Without CONFIG_NET there are no sockets (ENOSYS) and no busy polling.
 */
static int busy_poll_built_in(void)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len;
	int val, r, err;

	if (s < 0 && errno == ENOSYS)
		return 0;
	if (s < 0)
		SKIP("socket(AF_UNIX): %s; cannot tell whether the kernel has CONFIG_NET_RX_BUSY_POLL",
		     strerror(errno));
	len = sizeof(val);
	r = getsockopt(s, SOL_SOCKET, SO_BUSY_POLL, &val, &len);
	err = errno;
	close(s);
	if (r < 0 && err != ENOPROTOOPT)
		FAIL("getsockopt(SO_BUSY_POLL): %s", strerror(err));
	return r == 0;
}

/*
 * The errno every EPIOC* ioctl fails with on this kernel, whatever its
 * argument, or 0 where the parameters really exist.
 */
static int params_absent_errno(void)
{
	if (!params_exist())
		return ENOTTY;
	return busy_poll_built_in() ? 0 : EOPNOTSUPP;
}

/* The errno this kernel gives where one with the parameters gives @err. */
static int params_errno(int err)
{
	int absent = params_absent_errno();

	return absent ? absent : err;
}

static int params_set(int ep, uint32_t usecs, uint16_t budget, uint8_t prefer,
		      uint8_t pad)
{
	struct epoll_params p = {
		.busy_poll_usecs = usecs,
		.busy_poll_budget = budget,
		.prefer_busy_poll = prefer,
		.__pad = pad,
	};

	return ioctl(ep, EPIOCSPARAMS, &p);
}

/* EPIOCGPARAMS into *p, filled with 0xff first so no byte goes unwritten. */
static int params_get(int ep, struct epoll_params *p)
{
	memset(p, 0xff, sizeof(*p));
	return ioctl(ep, EPIOCGPARAMS, p);
}

#define EXPECT_PARAMS(p, usecs, budget, prefer) do {			\
	EXPECT_EQ((p).busy_poll_usecs, usecs);				\
	EXPECT_EQ((p).busy_poll_budget, budget);			\
	EXPECT_EQ((p).prefer_busy_poll, prefer);			\
	EXPECT_EQ((p).__pad, 0);					\
} while (0)

/*
 * On a kernel without the parameters: checks that SET and GET fail with
 * the errno it gives and returns 1, for the case has nothing more to ask
 * there. Returns 0 where the parameters exist.
 */
static int params_missing(int ep)
{
	struct epoll_params p;
	int absent = params_absent_errno();

	if (!absent)
		return 0;
	EXPECT_ERRNO(params_set(ep, 0, 0, 0, 0), absent);
	EXPECT_ERRNO(params_get(ep, &p), absent);
	return 1;
}

/* Whether this process has CAP_NET_ADMIN, from CapEff in /proc/self/status. */
static int has_cap_net_admin(void)
{
	unsigned long long eff;
	char buf[4096], *line;

	if (ktap_read_small("/proc/self/status", buf, sizeof(buf)) < 0)
		return 0;
	line = strstr(buf, "\nCapEff:");
	return line && sscanf(line + 1, "CapEff: %llx", &eff) == 1 &&
	       (eff >> CAP_NET_ADMIN) & 1;
}

/*
 * Runs @fn(@ep) in a forked helper that has become uid 1000, which drops
 * every capability; the helper's failed checks fail the case.
 */
static void as_unprivileged(void (*fn)(int ep), int ep)
{
	pid_t pid;

	if (geteuid() != 0)
		SKIP("needs root, to lose CAP_NET_ADMIN by becoming uid %d",
		     UNPRIVILEGED_UID);
	pid = ASSERT_OK(fork());
	if (pid == 0) {
		ASSERT_OK(setgid(UNPRIVILEGED_UID));
		ASSERT_OK(setuid(UNPRIVILEGED_UID));
		fn(ep);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
}

/*
 * Which path this kernel takes (see the top of the file). Where the
 * parameters are compiled out, the stub fails before it reads the
 * argument: a non-zero __pad or a NULL pointer makes no difference.
 */
TEST(params_follow_config_net_rx_busy_poll, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_params p;

	if (!params_exist()) {
		EXPECT_ERRNO(params_get(ep, &p), ENOTTY);
		return;
	}
	if (busy_poll_built_in()) {
		DIAG("CONFIG_NET_RX_BUSY_POLL=y (SO_BUSY_POLL exists): EPIOC* ioctls are live");
		EXPECT_OK(params_get(ep, &p));
		EXPECT_ERRNO(params_set(ep, 0, 0, 0, 1), EINVAL);
		return;
	}
	DIAG("no CONFIG_NET_RX_BUSY_POLL (SO_BUSY_POLL: ENOPROTOOPT): EPIOC* ioctls are stubs");
	EXPECT_ERRNO(params_get(ep, &p), EOPNOTSUPP);
	EXPECT_ERRNO(params_set(ep, 0, 0, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO(ioctl(ep, EPIOCGPARAMS, NULL), EOPNOTSUPP);
}

/* A new instance reads back all zeros, __pad included. */
TEST(params_new_instance_reads_zero, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_params p;

	if (params_missing(ep))
		return;
	ASSERT_OK(params_get(ep, &p));
	EXPECT_PARAMS(p, 0, 0, 0);
}

TEST(params_set_get_round_trip, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_params p;

	if (params_missing(ep))
		return;
	ASSERT_OK(params_set(ep, 25, 16, 1, 0));
	ASSERT_OK(params_get(ep, &p));
	EXPECT_PARAMS(p, 25, 16, 1);
	/* and back to the defaults */
	ASSERT_OK(params_set(ep, 0, 0, 0, 0));
	ASSERT_OK(params_get(ep, &p));
	EXPECT_PARAMS(p, 0, 0, 0);
}

/* S32_MAX microseconds, a budget of 64 and prefer_busy_poll 1 all pass. */
TEST(params_largest_values_accepted, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_params p;

	if (params_missing(ep))
		return;
	ASSERT_OK(params_set(ep, INT32_MAX, BUDGET_UNPRIVILEGED_MAX, 1, 0));
	ASSERT_OK(params_get(ep, &p));
	EXPECT_PARAMS(p, INT32_MAX, BUDGET_UNPRIVILEGED_MAX, 1);
}

TEST(params_pad_nonzero_einval, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_ERRNO(params_set(ep, 0, 0, 0, 1), params_errno(EINVAL));
	EXPECT_ERRNO(params_set(ep, 0, 0, 0, 0x80), params_errno(EINVAL));
}

TEST(params_usecs_above_s32_max_einval, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_ERRNO(params_set(ep, 0x80000000u, 0, 0, 0), params_errno(EINVAL));
	EXPECT_ERRNO(params_set(ep, UINT32_MAX, 0, 0, 0), params_errno(EINVAL));
}

/* prefer_busy_poll is a boolean: 0 or 1. */
TEST(params_prefer_busy_poll_above_1_einval, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_ERRNO(params_set(ep, 0, 0, 2, 0), params_errno(EINVAL));
	EXPECT_ERRNO(params_set(ep, 0, 0, UINT8_MAX, 0), params_errno(EINVAL));
}

TEST(params_bad_pointer_efault, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_ERRNO(ioctl(ep, EPIOCSPARAMS, NULL), params_errno(EFAULT));
	EXPECT_ERRNO(ioctl(ep, EPIOCGPARAMS, NULL), params_errno(EFAULT));
}

/* A refused SET stores nothing: every check runs before the first store. */
TEST(params_refused_set_changes_nothing, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_params p;

	if (params_missing(ep))
		return;
	ASSERT_OK(params_set(ep, 50, 4, 1, 0));
	EXPECT_ERRNO(params_set(ep, 60, 5, 0, 1), EINVAL);
	EXPECT_ERRNO(params_set(ep, 0x80000000u, 5, 0, 0), EINVAL);
	EXPECT_ERRNO(params_set(ep, 60, 5, 2, 0), EINVAL);
	ASSERT_OK(params_get(ep, &p));
	EXPECT_PARAMS(p, 50, 4, 1);
}

static void budget_as_unprivileged(int ep)
{
	struct epoll_params p;

	EXPECT_OK(params_set(ep, 0, BUDGET_UNPRIVILEGED_MAX, 0, 0));
	EXPECT_ERRNO(params_set(ep, 0, BUDGET_UNPRIVILEGED_MAX + 1, 0, 0), EPERM);
	EXPECT_ERRNO(params_set(ep, 0, UINT16_MAX, 0, 0), EPERM);
	/* reading needs no privilege, and the refused SETs stored nothing */
	ASSERT_OK(params_get(ep, &p));
	EXPECT_PARAMS(p, 0, BUDGET_UNPRIVILEGED_MAX, 0);
}

/* Above NAPI_POLL_WEIGHT packets per poll needs CAP_NET_ADMIN. */
TEST(params_budget_above_64_eperm_without_cap_net_admin, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));

	if (params_missing(ep))
		return;
	as_unprivileged(budget_as_unprivileged, ep);
}

TEST(params_budget_above_64_ok_with_cap_net_admin, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_params p;

	if (params_missing(ep))
		return;
	if (!has_cap_net_admin())
		SKIP("needs CAP_NET_ADMIN");
	EXPECT_OK(params_set(ep, 0, BUDGET_UNPRIVILEGED_MAX + 1, 0, 0));
	EXPECT_OK(params_set(ep, 0, UINT16_MAX, 0, 0));
	ASSERT_OK(params_get(ep, &p));
	EXPECT_PARAMS(p, 0, UINT16_MAX, 0);
}

static void invalid_and_over_budget(int ep)
{
	EXPECT_ERRNO(params_set(ep, 0, UINT16_MAX, 0, 1), EINVAL);
	EXPECT_ERRNO(params_set(ep, 0x80000000u, UINT16_MAX, 0, 0), EINVAL);
	EXPECT_ERRNO(params_set(ep, 0, UINT16_MAX, 2, 0), EINVAL);
}

/* Without privilege, an invalid field wins over the budget's EPERM. */
TEST(params_einval_checked_before_budget_eperm, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));

	if (params_missing(ep))
		return;
	as_unprivileged(invalid_and_over_budget, ep);
}

/* The parameters belong to the instance: a dup sees them, another does not. */
TEST(params_belong_to_the_instance, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int other = ASSERT_OK(epoll_create1(0));
	int dupfd = ASSERT_OK(dup(ep));
	struct epoll_params p;

	if (params_missing(ep))
		return;
	ASSERT_OK(params_set(ep, 100, 8, 1, 0));
	ASSERT_OK(params_get(dupfd, &p));
	EXPECT_PARAMS(p, 100, 8, 1);
	ASSERT_OK(params_get(other, &p));
	EXPECT_PARAMS(p, 0, 0, 0);
}

/*
 * Direction and size are part of an ioctl number: the EPIOC* type and
 * numbers with another size or direction, or the next number, are
 * unknown to the epoll file. ep_eventpoll_ioctl() answers those EINVAL
 * whether or not busy polling is built in; before 6.9, ENOTTY.
 */
TEST(params_other_epoll_ioctl_numbers_einval, .gate = &params_ioctls)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int want = params_exist() ? EINVAL : ENOTTY;
	struct epoll_params p;
	uint32_t word = 0;

	memset(&p, 0, sizeof(p));
	EXPECT_ERRNO(ioctl(ep, _IOW(EPOLL_IOC_TYPE, 0x01, uint32_t), &word), want);
	EXPECT_ERRNO(ioctl(ep, _IOR(EPOLL_IOC_TYPE, 0x02, uint32_t), &word), want);
	EXPECT_ERRNO(ioctl(ep, _IOR(EPOLL_IOC_TYPE, 0x01, struct epoll_params), &p),
		     want);
	EXPECT_ERRNO(ioctl(ep, _IOWR(EPOLL_IOC_TYPE, 0x03, struct epoll_params), &p),
		     want);
}
