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

/* A pollable target: an eventfd that is readable (counter 1). */
static int ready_fd(void)
{
	return eventfd(1, EFD_CLOEXEC);
}

TEST(ctl_bad_epfd_ebadf)
{
	int fd = ASSERT_OK(ready_fd());

	EXPECT_ERRNO(ep_add(-1, fd, EPOLLIN), EBADF);
	close(fd);
}

TEST(ctl_closed_epfd_ebadf)
{
	int fd = ASSERT_OK(ready_fd());
	int ep = ASSERT_OK(epoll_create1(0));

	close(ep);
	EXPECT_ERRNO(ep_add(ep, fd, EPOLLIN), EBADF);
	close(fd);
}

TEST(ctl_bad_fd_ebadf)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_ERRNO(ep_add(ep, -1, EPOLLIN), EBADF);
	close(ep);
}

TEST(ctl_closed_fd_ebadf)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	close(fd);
	EXPECT_ERRNO(ep_add(ep, fd, EPOLLIN), EBADF);
	close(ep);
}

/* DEL and MOD of a closed fd also fail with EBADF, not ENOENT. */
TEST(ctl_del_closed_fd_ebadf)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	close(fd);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), EBADF);
	EXPECT_ERRNO(ep_mod(ep, fd, EPOLLIN), EBADF);
	close(ep);
}

/* O_PATH descriptors do not count as open files for epoll_ctl. */
TEST(ctl_o_path_fd_ebadf)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(open("/", O_PATH | O_CLOEXEC));

	EXPECT_ERRNO(ep_add(ep, fd, EPOLLIN), EBADF);
	close(fd);
	close(ep);
}

TEST(ctl_unknown_op_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	static const int ops[] = { 0, 4, 100, -1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_ERRNO(ep_ctl(ep, ops[i], fd, EPOLLIN, 0), EINVAL);
	close(fd);
	close(ep);
}

/*
 * Every op but EPOLL_CTL_DEL has its event copied in before anything else
 * is looked at, so an unknown op with a NULL event reports EFAULT.
 */
TEST(ctl_unknown_op_with_null_event_efault)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	EXPECT_ERRNO(epoll_ctl(ep, 0, fd, NULL), EFAULT);
	close(fd);
	close(ep);
}

TEST(ctl_fd_equals_epfd_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_ERRNO(ep_add(ep, ep, EPOLLIN), EINVAL);
	close(ep);
}

TEST(ctl_epfd_is_a_pipe_einval)
{
	int p[2];

	ASSERT_OK(pipe2(p, O_CLOEXEC));
	EXPECT_ERRNO(ep_add(p[0], p[1], EPOLLOUT), EINVAL);
	close(p[0]);
	close(p[1]);
}

TEST(ctl_epfd_is_an_eventfd_einval)
{
	int a = ASSERT_OK(ready_fd());
	int b = ASSERT_OK(ready_fd());

	EXPECT_ERRNO(ep_add(a, b, EPOLLIN), EINVAL);
	close(a);
	close(b);
}

/*
 * With both a non-epoll epfd and an unpollable target, the target check
 * comes first: EPERM, not EINVAL.
 */
TEST(ctl_unpollable_target_checked_before_epfd_kind)
{
	int a = ASSERT_OK(ready_fd());
	int file = ASSERT_OK(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));

	EXPECT_ERRNO(ep_add(a, file, EPOLLIN), EPERM);
	close(file);
	close(a);
}

TEST(ctl_add_twice_eexist)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	ASSERT_OK(ep_add(ep, fd, EPOLLIN));
	EXPECT_ERRNO(ep_add(ep, fd, EPOLLOUT), EEXIST);
	close(fd);
	close(ep);
}

/* A refused second ADD leaves the first registration as it was. */
TEST(ctl_eexist_keeps_the_first_registration)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN, 111));
	ASSERT_ERRNO(ep_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLOUT, 222), EEXIST);
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u64, 111);
	close(fd);
	close(ep);
}

TEST(ctl_mod_unregistered_enoent)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	EXPECT_ERRNO(ep_mod(ep, fd, EPOLLIN), ENOENT);
	close(fd);
	close(ep);
}

TEST(ctl_del_unregistered_enoent)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), ENOENT);
	close(fd);
	close(ep);
}

TEST(ctl_del_twice_enoent)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	ASSERT_OK(ep_add(ep, fd, EPOLLIN));
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), ENOENT);
	close(fd);
	close(ep);
}

TEST(ctl_add_null_event_efault)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, fd, NULL), EFAULT);
	close(fd);
	close(ep);
}

TEST(ctl_mod_null_event_efault)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	ASSERT_OK(ep_add(ep, fd, EPOLLIN));
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, fd, NULL), EFAULT);
	close(fd);
	close(ep);
}

TEST(ctl_add_unmapped_event_efault)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	ASSERT_TRUE(page != MAP_FAILED);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, fd, page), EFAULT);
	close(fd);
	close(ep);
}

/* A NULL event is fine for DEL (since 2.6.9). */
TEST(ctl_del_null_event_ok)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	ASSERT_OK(ep_add(ep, fd, EPOLLIN));
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
	close(fd);
	close(ep);
}

/* DEL never reads its event argument, so not even a bad pointer matters. */
TEST(ctl_del_ignores_event_pointer)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());

	ASSERT_OK(ep_add(ep, fd, EPOLLIN));
	EXPECT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, (struct epoll_event *)8));
	close(fd);
	close(ep);
}

/* Files without a poll method cannot be watched: EPERM. */
TEST(ctl_regular_file_eperm)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));

	EXPECT_ERRNO(ep_add(ep, fd, EPOLLIN), EPERM);
	close(fd);
	close(ep);
}

TEST(ctl_tmpfs_file_eperm)
{
	char path[] = "/tmp/epoll-ctl-XXXXXX";
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(mkostemp(path, O_CLOEXEC));

	unlink(path);
	EXPECT_ERRNO(ep_add(ep, fd, EPOLLIN | EPOLLOUT), EPERM);
	close(fd);
	close(ep);
}

TEST(ctl_directory_eperm)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));

	EXPECT_ERRNO(ep_add(ep, fd, EPOLLIN), EPERM);
	close(fd);
	close(ep);
}

/*
 * /dev/zero and /dev/null are always "ready" for read(2), but their
 * file_operations have no poll method, so epoll refuses them.
 */
TEST(ctl_dev_zero_eperm)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		SKIP("/dev/zero: %s", strerror(errno));
	EXPECT_ERRNO(ep_add(ep, fd, EPOLLIN), EPERM);
	close(fd);
	close(ep);
}

TEST(ctl_dev_null_eperm)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP("/dev/null: %s", strerror(errno));
	EXPECT_ERRNO(ep_add(ep, fd, EPOLLIN | EPOLLOUT), EPERM);
	close(fd);
	close(ep);
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
TEST(ctl_mod_accepts_every_event_combination)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	unsigned int combo, refused = 0;

	ASSERT_OK(ep_add(ep, fd, EPOLLIN));
	for (combo = 0; combo < (1u << NR_CTL_BITS); combo++) {
		uint32_t m = combo_mask(combo);

		if (ep_mod(ep, fd, m) != 0 && refused++ < 5)
			FAIL("MOD with events 0x%x: %s", m, strerror(errno));
	}
	EXPECT_EQ(refused, 0);
	close(fd);
	close(ep);
}

/* ADD accepts the same combinations of the main bits. */
TEST(ctl_add_accepts_every_main_event_combination)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	unsigned int combo, refused = 0;

	for (combo = 0; combo < (1u << 7); combo++) {
		uint32_t m = combo_mask(combo);

		if (ep_add(ep, fd, m) != 0) {
			if (refused++ < 5)
				FAIL("ADD with events 0x%x: %s", m,
				     strerror(errno));
			continue;
		}
		ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
	}
	EXPECT_EQ(refused, 0);
	close(fd);
	close(ep);
}

/* ADD stores the requested mask plus EPOLLERR|EPOLLHUP, and the data. */
TEST(ctl_add_stores_mask_with_err_and_hup)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	uint32_t events = 0;
	uint64_t data = 0;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET,
			 0x1122334455667788ULL));
	ASSERT_EQ(fdinfo_entry(ep, fd, &events, &data), 1);
	EXPECT_EVENTS(events, EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP);
	EXPECT_EQ(data, 0x1122334455667788ULL);
	close(fd);
	close(ep);
}

/* MOD replaces the stored mask and data (again adding ERR|HUP). */
TEST(ctl_mod_replaces_mask_and_data)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	uint32_t events = 0;
	uint64_t data = 0;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET, 1));
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_MOD, fd, EPOLLOUT | EPOLLONESHOT, 2));
	ASSERT_EQ(fdinfo_entry(ep, fd, &events, &data), 1);
	EXPECT_EVENTS(events, EPOLLOUT | EPOLLONESHOT | EPOLLERR | EPOLLHUP);
	EXPECT_EQ(data, 2);
	close(fd);
	close(ep);
}

/* Bits epoll does not know are not rejected; they are stored as given. */
TEST(ctl_unknown_event_bits_are_stored)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	uint32_t events = 0;
	uint64_t data = 0;

	ASSERT_OK(ep_add(ep, fd, EPOLLIN | 0x00100000));
	ASSERT_EQ(fdinfo_entry(ep, fd, &events, &data), 1);
	EXPECT_EVENTS(events, EPOLLIN | 0x00100000 | EPOLLERR | EPOLLHUP);
	close(fd);
	close(ep);
}

/*
 * EPOLLWAKEUP is kept only where it means something: with CONFIG_PM_SLEEP
 * (seen as /sys/power/wakeup_count) and CAP_BLOCK_SUSPEND; otherwise it is
 * silently dropped. The guest kernel has no CONFIG_PM_SLEEP.
 */
TEST(ctl_wakeup_kept_only_with_pm_sleep)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	int pm_sleep = access("/sys/power/wakeup_count", F_OK) == 0;
	uint32_t events = 0;
	uint64_t data = 0;

	if (access("/sys/power", F_OK) != 0 && access("/sys/kernel", F_OK) != 0)
		SKIP("/sys is not mounted");
	if (geteuid() != 0)
		SKIP("needs CAP_BLOCK_SUSPEND (run as root)");
	ASSERT_OK(ep_add(ep, fd, EPOLLIN | EPOLLWAKEUP));
	ASSERT_EQ(fdinfo_entry(ep, fd, &events, &data), 1);
	EXPECT_EVENTS(events, EPOLLIN | EPOLLERR | EPOLLHUP |
		      (pm_sleep ? EPOLLWAKEUP : 0));
	close(fd);
	close(ep);
}

TEST(ctl_mod_changes_reported_events)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	struct epoll_event ev;

	ASSERT_OK(ep_add(ep, fd, EPOLLIN));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLIN);
	ASSERT_OK(ep_mod(ep, fd, EPOLLOUT));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLOUT);
	close(fd);
	close(ep);
}

TEST(ctl_del_stops_reports)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	struct epoll_event ev;
	uint32_t events;
	uint64_t data;

	ASSERT_OK(ep_add(ep, fd, EPOLLIN));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	EXPECT_EQ(fdinfo_entry(ep, fd, &events, &data), 0);
	close(fd);
	close(ep);
}

TEST(ctl_add_again_after_del_ok)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int fd = ASSERT_OK(ready_fd());
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN, 1));
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN, 2));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 2);
	close(fd);
	close(ep);
}

TEST(ctl_add_epoll_fd_to_another_ok)
{
	int outer = ASSERT_OK(epoll_create1(0));
	int inner = ASSERT_OK(epoll_create1(0));

	EXPECT_OK(ep_add(outer, inner, EPOLLIN));
	close(inner);
	close(outer);
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
	close(efd);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	close(ep);
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
	for (i = 0; i < 4; i++)
		close(fds[i]);
	close(ep);
}
