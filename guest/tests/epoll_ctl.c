// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_ctl: the control interface. Error returns for each kind of bad
 * argument (and which check wins when several apply), which files can be
 * watched at all, what ADD/MOD/DEL store (read back from
 * /proc/self/fdinfo) and their visible effect on epoll_wait.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <sys/stat.h>

/* ------------------------------------------------------------------------ */
/* One epoll_ctl call and its result, a row per case */

/* What the event argument points to. */
enum ctl_event {
	EVENT,			/* a struct epoll_event with .events (the default) */
	NULL_EVENT,
	UNMAPPED_EVENT,		/* a PROT_NONE page */
	BAD_POINTER,		/* (struct epoll_event *)8 */
};

/* What happened to fd in epfd before the call. */
enum ctl_history {
	NEVER_ADDED,
	ADDED,			/* ADD with EPOLLIN */
	ADDED_AND_DELETED,
};

FIXTURE(ctl_call) {
	int epfd, fd;
	struct epoll_event ev, *arg;
};

FIXTURE_VARIANT(ctl_call) {
	enum test_file epfd, fd;
	enum ctl_history history;
	int op;
	enum ctl_event arg;
	uint32_t events;
	int err;		/* 0: the call succeeds */
};

FIXTURE_SETUP(ctl_call)
{
	self->epfd = test_file_open(variant->epfd);
	self->fd = variant->fd == SAME_AS_EPFD ? self->epfd :
		   test_file_open(variant->fd);
	/* closed only now, so that no later open takes the number again */
	if (variant->epfd == CLOSED_EPOLL_FD)
		close(self->epfd);
	if (variant->fd == CLOSED_EVENTFD)
		close(self->fd);
	if (variant->history != NEVER_ADDED)
		ASSERT_OK(ep_add(self->epfd, self->fd, EPOLLIN));
	if (variant->history == ADDED_AND_DELETED)
		ASSERT_OK(epoll_ctl(self->epfd, EPOLL_CTL_DEL, self->fd, NULL));
	self->ev.events = variant->events;
	self->ev.data.u64 = 1;
	switch (variant->arg) {
	case EVENT:
		self->arg = &self->ev;
		break;
	case NULL_EVENT:
		self->arg = NULL;
		break;
	case UNMAPPED_EVENT:
		self->arg = mmap(NULL, 4096, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(self->arg != MAP_FAILED);
		break;
	case BAD_POINTER:
		self->arg = (struct epoll_event *)8;
		break;
	}
}

FIXTURE_VARIANT_ADD(ctl_call, ctl_bad_epfd_ebadf) {
	.epfd = MINUS_ONE, .op = EPOLL_CTL_ADD, .events = EPOLLIN, .err = EBADF,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_closed_epfd_ebadf) {
	.epfd = CLOSED_EPOLL_FD, .op = EPOLL_CTL_ADD, .events = EPOLLIN,
	.err = EBADF,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_bad_fd_ebadf) {
	.fd = MINUS_ONE, .op = EPOLL_CTL_ADD, .events = EPOLLIN, .err = EBADF,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_closed_fd_ebadf) {
	.fd = CLOSED_EVENTFD, .op = EPOLL_CTL_ADD, .events = EPOLLIN,
	.err = EBADF,
};

/* O_PATH descriptors do not count as open files for epoll_ctl. */
FIXTURE_VARIANT_ADD(ctl_call, ctl_o_path_fd_ebadf) {
	.fd = O_PATH_ROOT, .op = EPOLL_CTL_ADD, .events = EPOLLIN,
	.err = EBADF,
};

/*
 * Every op but EPOLL_CTL_DEL has its event copied in before anything else
 * is looked at, so an unknown op with a NULL event reports EFAULT.
 */
FIXTURE_VARIANT_ADD(ctl_call, ctl_unknown_op_with_null_event_efault) {
	.op = 0, .arg = NULL_EVENT, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_fd_equals_epfd_einval) {
	.fd = SAME_AS_EPFD, .op = EPOLL_CTL_ADD, .events = EPOLLIN,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_epfd_is_a_pipe_einval) {
	.epfd = PIPE_READ_END, .fd = PIPE_WRITE_END, .op = EPOLL_CTL_ADD,
	.events = EPOLLOUT, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_epfd_is_an_eventfd_einval) {
	.epfd = READY_EVENTFD, .op = EPOLL_CTL_ADD, .events = EPOLLIN,
	.err = EINVAL,
};

/*
 * With both a non-epoll epfd and an unpollable target, the target check
 * comes first: EPERM, not EINVAL.
 */
FIXTURE_VARIANT_ADD(ctl_call, ctl_unpollable_target_checked_before_epfd_kind) {
	.epfd = READY_EVENTFD, .fd = PROC_SELF_EXE, .op = EPOLL_CTL_ADD,
	.events = EPOLLIN, .err = EPERM,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_add_twice_eexist) {
	.history = ADDED, .op = EPOLL_CTL_ADD, .events = EPOLLOUT,
	.err = EEXIST,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_mod_unregistered_enoent) {
	.op = EPOLL_CTL_MOD, .events = EPOLLIN, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_del_unregistered_enoent) {
	.op = EPOLL_CTL_DEL, .arg = NULL_EVENT, .err = ENOENT,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_del_twice_enoent) {
	.history = ADDED_AND_DELETED, .op = EPOLL_CTL_DEL, .arg = NULL_EVENT,
	.err = ENOENT,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_add_null_event_efault) {
	.op = EPOLL_CTL_ADD, .arg = NULL_EVENT, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_mod_null_event_efault) {
	.history = ADDED, .op = EPOLL_CTL_MOD, .arg = NULL_EVENT,
	.err = EFAULT,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_add_unmapped_event_efault) {
	.op = EPOLL_CTL_ADD, .arg = UNMAPPED_EVENT, .err = EFAULT,
};

/* A NULL event is fine for DEL (since 2.6.9). */
FIXTURE_VARIANT_ADD(ctl_call, ctl_del_null_event_ok) {
	.history = ADDED, .op = EPOLL_CTL_DEL, .arg = NULL_EVENT,
};

/* DEL never reads its event argument, so not even a bad pointer matters. */
FIXTURE_VARIANT_ADD(ctl_call, ctl_del_ignores_event_pointer) {
	.history = ADDED, .op = EPOLL_CTL_DEL, .arg = BAD_POINTER,
};

/* Files without a poll method cannot be watched: EPERM. */
FIXTURE_VARIANT_ADD(ctl_call, ctl_regular_file_eperm) {
	.fd = PROC_SELF_EXE, .op = EPOLL_CTL_ADD, .events = EPOLLIN,
	.err = EPERM,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_tmpfs_file_eperm) {
	.fd = TMPFS_FILE, .op = EPOLL_CTL_ADD, .events = EPOLLIN | EPOLLOUT,
	.err = EPERM,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_directory_eperm) {
	.fd = ROOT_DIRECTORY, .op = EPOLL_CTL_ADD, .events = EPOLLIN,
	.err = EPERM,
};

/*
 * /dev/zero and /dev/null are always "ready" for read(2), but their
 * file_operations have no poll method, so epoll refuses them.
 */
FIXTURE_VARIANT_ADD(ctl_call, ctl_dev_zero_eperm) {
	.fd = DEV_ZERO, .op = EPOLL_CTL_ADD, .events = EPOLLIN, .err = EPERM,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_dev_null_eperm) {
	.fd = DEV_NULL, .op = EPOLL_CTL_ADD, .events = EPOLLIN | EPOLLOUT,
	.err = EPERM,
};

FIXTURE_VARIANT_ADD(ctl_call, ctl_add_epoll_fd_to_another_ok) {
	.fd = EPOLL_FD, .op = EPOLL_CTL_ADD, .events = EPOLLIN,
};

TEST_F(ctl_call, returns)
{
	if (variant->err)
		EXPECT_ERRNO(epoll_ctl(self->epfd, variant->op, self->fd, self->arg),
			     variant->err);
	else
		EXPECT_OK(epoll_ctl(self->epfd, variant->op, self->fd, self->arg));
}

/* ------------------------------------------------------------------------ */
/* Cases of their own */

/* DEL and MOD of a closed fd also fail with EBADF, not ENOENT. */
TEST(ctl_del_closed_fd_ebadf)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	close(fd);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), EBADF);
	EXPECT_ERRNO(ep_mod(ep, fd, EPOLLIN), EBADF);
}

/* An epoll instance and a readable eventfd, not yet watched. */
FIXTURE(ctl) {
	int ep, fd;
};

FIXTURE_SETUP(ctl)
{
	self->ep = ASSERT_OK(epoll_create1(0));
	self->fd = ASSERT_OK(ready_fd());
}

TEST_F(ctl, ctl_unknown_op_einval)
{
	static const int ops[] = { 0, 4, 100, -1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_ERRNO(ep_ctl(self->ep, ops[i], self->fd, EPOLLIN, 0),
			     EINVAL);
}

/* A refused second ADD leaves the first registration as it was. */
TEST_F(ctl, ctl_eexist_keeps_the_first_registration)
{
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(self->ep, EPOLL_CTL_ADD, self->fd, EPOLLIN, 111));
	ASSERT_ERRNO(ep_ctl(self->ep, EPOLL_CTL_ADD, self->fd, EPOLLOUT, 222),
		     EEXIST);
	ASSERT_EQ(epoll_wait(self->ep, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, 111);
}

/* The bits MOD accepts in any combination (EPOLLEXCLUSIVE is not one). */
static const uint32_t ctl_bits[] = {
	EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, EPOLLET, EPOLLONESHOT,
	EPOLLWAKEUP, EPOLLERR, EPOLLHUP, EPOLLRDNORM, EPOLLRDBAND,
	EPOLLWRNORM, EPOLLWRBAND, EPOLLMSG,
};
#define NR_CTL_BITS ARRAY_SIZE(ctl_bits)

static uint32_t combo_mask(unsigned int combo)
{
	uint32_t m = 0;
	unsigned int b;

	for (b = 0; b < NR_CTL_BITS; b++)
		if (combo & (1u << b))
			m |= ctl_bits[b];
	return m;
}

/* All 2^14 combinations of the non-exclusive bits pass MOD. */
TEST_F(ctl, ctl_mod_accepts_every_event_combination)
{
	unsigned int combo, refused = 0;

	ASSERT_OK(ep_add(self->ep, self->fd, EPOLLIN));
	for (combo = 0; combo < (1u << NR_CTL_BITS); combo++) {
		uint32_t m = combo_mask(combo);

		if (ep_mod(self->ep, self->fd, m) != 0 && refused++ < 5)
			FAIL("MOD with events 0x%x: %s", m, strerror(errno));
	}
	EXPECT_EQ(refused, 0);
}

/* ADD accepts the same combinations of the main bits. */
TEST_F(ctl, ctl_add_accepts_every_main_event_combination)
{
	unsigned int combo, refused = 0;

	for (combo = 0; combo < (1u << 7); combo++) {
		uint32_t m = combo_mask(combo);

		if (ep_add(self->ep, self->fd, m) != 0) {
			if (refused++ < 5)
				FAIL("ADD with events 0x%x: %s", m,
				     strerror(errno));
			continue;
		}
		ASSERT_OK(epoll_ctl(self->ep, EPOLL_CTL_DEL, self->fd, NULL));
	}
	EXPECT_EQ(refused, 0);
}

/*
 * What fdinfo holds for the one entry of @self: ADD and MOD store the
 * requested mask plus EPOLLERR|EPOLLHUP, and the data.
 */
static void expect_stored(struct ktap_self_ctl *self, uint32_t events,
			  uint64_t data)
{
	uint32_t got_events = 0;
	uint64_t got_data = 0;

	ASSERT_EQ(fdinfo_entry(self->ep, self->fd, &got_events, &got_data), 1);
	EXPECT_EVENTS(got_events, events | EPOLLERR | EPOLLHUP);
	EXPECT_EQ(got_data, data);
}

/* ADD stores the requested mask plus EPOLLERR|EPOLLHUP, and the data. */
TEST_F(ctl, ctl_add_stores_mask_with_err_and_hup)
{
	ASSERT_OK(ep_ctl(self->ep, EPOLL_CTL_ADD, self->fd, EPOLLIN | EPOLLET,
			 0x1122334455667788ULL));
	expect_stored(self, EPOLLIN | EPOLLET, 0x1122334455667788ULL);
}

/* MOD replaces the stored mask and data (again adding ERR|HUP). */
TEST_F(ctl, ctl_mod_replaces_mask_and_data)
{
	ASSERT_OK(ep_ctl(self->ep, EPOLL_CTL_ADD, self->fd, EPOLLIN | EPOLLET, 1));
	ASSERT_OK(ep_ctl(self->ep, EPOLL_CTL_MOD, self->fd,
			 EPOLLOUT | EPOLLONESHOT, 2));
	expect_stored(self, EPOLLOUT | EPOLLONESHOT, 2);
}

/* Bits epoll does not know are not rejected; they are stored as given. */
TEST_F(ctl, ctl_unknown_event_bits_are_stored)
{
	ASSERT_OK(ep_add(self->ep, self->fd, EPOLLIN | 0x00100000));
	expect_stored(self, EPOLLIN | 0x00100000, self->fd);
}

/*
 * EPOLLWAKEUP is kept only where it means something: with CONFIG_PM_SLEEP
 * (seen as /sys/power/wakeup_count) and CAP_BLOCK_SUSPEND; otherwise it is
 * silently dropped. The guest kernel has no CONFIG_PM_SLEEP.
 */
TEST_F(ctl, ctl_wakeup_kept_only_with_pm_sleep)
{
	int pm_sleep = access("/sys/power/wakeup_count", F_OK) == 0;

	if (access("/sys/power", F_OK) != 0 && access("/sys/kernel", F_OK) != 0)
		SKIP("/sys is not mounted");
	if (geteuid() != 0)
		SKIP("needs CAP_BLOCK_SUSPEND (run as root)");
	ASSERT_OK(ep_add(self->ep, self->fd, EPOLLIN | EPOLLWAKEUP));
	expect_stored(self, EPOLLIN | (pm_sleep ? EPOLLWAKEUP : 0), self->fd);
}

TEST_F(ctl, ctl_mod_changes_reported_events)
{
	ASSERT_OK(ep_add(self->ep, self->fd, EPOLLIN));
	EXPECT_EVENTS(ep_events_now(self->ep, 0), EPOLLIN);
	ASSERT_OK(ep_mod(self->ep, self->fd, EPOLLOUT));
	EXPECT_EVENTS(ep_events_now(self->ep, 0), EPOLLOUT);
}

TEST_F(ctl, ctl_del_stops_reports)
{
	struct epoll_event ev;
	uint32_t events;
	uint64_t data;

	ASSERT_OK(ep_add(self->ep, self->fd, EPOLLIN));
	ASSERT_EQ(epoll_wait(self->ep, &ev, 1, 0), 1);
	ASSERT_OK(epoll_ctl(self->ep, EPOLL_CTL_DEL, self->fd, NULL));
	EXPECT_EQ(epoll_wait(self->ep, &ev, 1, 0), 0);
	EXPECT_EQ(fdinfo_entry(self->ep, self->fd, &events, &data), 0);
}

TEST_F(ctl, ctl_add_again_after_del_ok)
{
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(self->ep, EPOLL_CTL_ADD, self->fd, EPOLLIN, 1));
	ASSERT_OK(epoll_ctl(self->ep, EPOLL_CTL_DEL, self->fd, NULL));
	ASSERT_OK(ep_ctl(self->ep, EPOLL_CTL_ADD, self->fd, EPOLLIN, 2));
	ASSERT_EQ(epoll_wait(self->ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 2);
}

/* Each kind of pollable target commonly used is accepted. */
TEST(ctl_add_pollable_kinds_ok)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int p[2], sv[2], efd;

	ASSERT_OK(pipe2(p, O_CLOEXEC));
	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	efd = ASSERT_OK(eventfd(0, EFD_CLOEXEC));
	EXPECT_OK(ep_add(ep, p[0], EPOLLIN));
	EXPECT_OK(ep_add(ep, p[1], EPOLLOUT));
	EXPECT_OK(ep_add(ep, sv[0], EPOLLIN | EPOLLOUT));
	EXPECT_OK(ep_add(ep, efd, EPOLLIN));
}

/* An epoll fd's count of watches matches the ADDs minus the DELs. */
TEST(ctl_fdinfo_lists_each_registration)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fds[4], i, n = 0;
	char path[64], line[256];
	FILE *f;

	for (i = 0; i < 4; i++) {
		fds[i] = ASSERT_OK(ready_fd());
		ASSERT_OK(ep_add(ep, fds[i], EPOLLIN));
	}
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fds[2], NULL));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	f = fopen(path, "re");
	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "tfd:", 4))
			n++;
	fclose(f);
	EXPECT_EQ(n, 3);
}
