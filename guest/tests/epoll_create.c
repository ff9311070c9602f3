// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_create: creating epoll instances with epoll_create(2) and
 * epoll_create1(2): argument checks, close-on-exec, the fd limit, and what
 * kind of file the new descriptor refers to.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <limits.h>
#include <sys/ioctl.h>

/* epoll_create ignores its size since 2.6.8 but still rejects size <= 0. */
TEST(create_size_zero_einval)
{
	EXPECT_ERRNO(epoll_create(0), EINVAL);
}

TEST(create_size_minus_one_einval)
{
	EXPECT_ERRNO(epoll_create(-1), EINVAL);
}

TEST(create_size_int_min_einval)
{
	EXPECT_ERRNO(epoll_create(INT_MIN), EINVAL);
}

TEST(create_size_one_ok)
{
	int ep = ASSERT_OK(epoll_create(1));

	EXPECT_OK(close(ep));
}

/* The size is only a hint: a huge one is accepted too. */
TEST(create_size_int_max_ok)
{
	int ep = ASSERT_OK(epoll_create(INT_MAX));

	EXPECT_OK(close(ep));
}

TEST(create1_zero_flags_ok)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_OK(close(ep));
}

/* Only EPOLL_CLOEXEC is a valid flag. */
TEST(create1_unknown_flag_einval)
{
	EXPECT_ERRNO(epoll_create1(1), EINVAL);
}

TEST(create1_nonblock_flag_einval)
{
	EXPECT_ERRNO(epoll_create1(O_NONBLOCK), EINVAL);
}

TEST(create1_cloexec_plus_unknown_flag_einval)
{
	EXPECT_ERRNO(epoll_create1(EPOLL_CLOEXEC | 1), EINVAL);
}

TEST(create1_all_flags_einval)
{
	EXPECT_ERRNO(epoll_create1(-1), EINVAL);
}

TEST(create1_cloexec_sets_fd_cloexec)
{
	int ep = ASSERT_OK(epoll_create1(EPOLL_CLOEXEC));

	EXPECT_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	close(ep);
}

TEST(create1_plain_has_no_fd_cloexec)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_EQ(fcntl(ep, F_GETFD), 0);
	close(ep);
}

TEST(create_plain_has_no_fd_cloexec)
{
	int ep = ASSERT_OK(epoll_create(1));

	EXPECT_EQ(fcntl(ep, F_GETFD), 0);
	close(ep);
}

/* The new descriptor is the lowest free one, as for open(2). */
TEST(create_returns_lowest_free_fd)
{
	int a = ASSERT_OK(epoll_create1(0));
	int b = ASSERT_OK(epoll_create1(0));
	int c;

	close(a);
	c = ASSERT_OK(epoll_create1(0));
	EXPECT_EQ(c, a);
	close(b);
	close(c);
}

/* With every descriptor up to RLIMIT_NOFILE in use, creation fails. */
TEST(create_emfile_at_rlimit_nofile)
{
	struct rlimit rl = { 32, 32 };
	int i, fd = ASSERT_OK(open("/dev/null", O_RDONLY));

	ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < 32; i++)
		if (dup(fd) < 0)
			break;
	ASSERT_EQ(errno, EMFILE);
	EXPECT_ERRNO(epoll_create1(0), EMFILE);
	EXPECT_ERRNO(epoll_create(1), EMFILE);
}

/* Raising the limit again makes creation work at the same fd number. */
TEST(create_works_again_after_freeing_an_fd_at_the_limit)
{
	struct rlimit rl = { 32, 32 };
	int i, ep, fd = ASSERT_OK(open("/dev/null", O_RDONLY));

	ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < 32; i++)
		if (dup(fd) < 0)
			break;
	ASSERT_ERRNO(epoll_create1(0), EMFILE);
	ASSERT_OK(close(31));
	ep = ASSERT_OK(epoll_create1(0));
	EXPECT_EQ(ep, 31);
}

TEST(create_fd_is_anon_inode_eventpoll)
{
	int ep = ASSERT_OK(epoll_create1(0));
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
	n = ASSERT_OK(readlink(path, link, sizeof(link) - 1));
	link[n] = '\0';
	EXPECT_STREQ(link, "anon_inode:[eventpoll]");
	close(ep);
}

/* The file is opened O_RDWR, whatever the flags. */
TEST(create_fd_is_o_rdwr)
{
	int ep = ASSERT_OK(epoll_create1(EPOLL_CLOEXEC));

	EXPECT_EQ(fcntl(ep, F_GETFL) & O_ACCMODE, O_RDWR);
	close(ep);
}

/* An epoll file has no read method: read(2) fails with EINVAL. */
TEST(create_fd_read_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	char buf[16];

	EXPECT_ERRNO(read(ep, buf, sizeof(buf)), EINVAL);
	close(ep);
}

TEST(create_fd_write_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	char buf[16] = { 0 };

	EXPECT_ERRNO(write(ep, buf, sizeof(buf)), EINVAL);
	close(ep);
}

/* llseek is noop_llseek: it succeeds and the position stays 0. */
TEST(create_fd_lseek_is_a_noop)
{
	int ep = ASSERT_OK(epoll_create1(0));

	EXPECT_EQ(lseek(ep, 5, SEEK_SET), 0);
	EXPECT_EQ(lseek(ep, 0, SEEK_CUR), 0);
	close(ep);
}

/*
 * An ioctl the epoll file does not know: before 6.9 it has no ioctl method
 * at all (ENOTTY); 6.9 added one for the busy-poll parameters
 * (EPIOCSPARAMS/EPIOCGPARAMS) that answers EINVAL to anything else.
 */
KERNEL_GATE(epoll_ioctl_method,
	    "6.9 gave the epoll file an ioctl method (EPIOCSPARAMS/EPIOCGPARAMS): "
	    "any other ioctl fails with EINVAL, before it ENOTTY", 6, 9, 0);

TEST(create_fd_unknown_ioctl, .gate = &epoll_ioctl_method)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int n;

	if (kernel_has(&epoll_ioctl_method))
		EXPECT_ERRNO(ioctl(ep, FIONREAD, &n), EINVAL);
	else
		EXPECT_ERRNO(ioctl(ep, FIONREAD, &n), ENOTTY);
	close(ep);
}

/* Instances are independent: a registration in one is absent in another. */
TEST(create_instances_are_independent)
{
	int a = ASSERT_OK(epoll_create1(0));
	int b = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;

	ASSERT_OK(ep_add(a, efd, EPOLLIN));
	EXPECT_EQ(epoll_wait(a, &ev, 1, 0), 1);
	EXPECT_EQ(epoll_wait(b, &ev, 1, 0), 0);
	EXPECT_ERRNO(ep_mod(b, efd, EPOLLIN), ENOENT);
	close(efd);
	close(b);
	close(a);
}

/* A new instance is empty: nothing to report. */
TEST(create_new_instance_reports_nothing)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;

	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	close(ep);
}
