// SPDX-License-Identifier: GPL-2.0
/*
 * test_hello_poll: checks /dev/hello_poll (hello_poll.ko must be loaded;
 * the cases skip otherwise). Start your own driver's test from this one.
 *
 * Build: i686-linux-gnu-gcc -static -O2 -Wall -Wextra -pthread \
 *            -I guest/include -o test_hello_poll test_hello_poll.c
 * Run:   ./test_hello_poll            (KTAP output; --help for options)
 */
#include "ktap.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>

#define DEV		"/dev/hello_poll"
#define HELLO_SIZE	16	/* as in hello_poll.c */

static int open_dev(int flags)
{
	int fd = open(DEV, flags);

	if (fd < 0 && errno == ENOENT)
		SKIP(DEV " does not exist: insmod hello_poll.ko first");
	ASSERT_OK(fd);
	return fd;
}

/* revents of one fd, without waiting. */
static short revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/* Drain whatever an earlier run left behind. */
static void drain(int fd)
{
	char buf[HELLO_SIZE];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

TEST(poll_follows_the_buffer)
{
	int fd = open_dev(O_RDWR | O_NONBLOCK);
	char buf[HELLO_SIZE * 2];

	drain(fd);
	EXPECT_EQ(revents(fd), POLLOUT);		/* empty */
	ASSERT_EQ(write(fd, "hi", 2), 2);
	EXPECT_EQ(revents(fd), POLLIN | POLLOUT);	/* some data, some room */
	memset(buf, 'x', sizeof(buf));
	EXPECT_EQ(write(fd, buf, sizeof(buf)), HELLO_SIZE - 2);	/* short */
	EXPECT_EQ(revents(fd), POLLIN);			/* full */
	EXPECT_ERRNO(write(fd, buf, 1), EAGAIN);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), HELLO_SIZE);
	EXPECT_EQ(revents(fd), POLLOUT);
	EXPECT_ERRNO(read(fd, buf, 1), EAGAIN);
}

TEST(epoll_level_and_edge)
{
	int fd = open_dev(O_RDWR | O_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
	int lt = ASSERT_OK(epoll_create1(0));
	int et = ASSERT_OK(epoll_create1(0));
	char c;

	drain(fd);
	ASSERT_OK(epoll_ctl(lt, EPOLL_CTL_ADD, fd, &ev));
	ev.events = EPOLLIN | EPOLLET;
	ASSERT_OK(epoll_ctl(et, EPOLL_CTL_ADD, fd, &ev));

	EXPECT_EQ(epoll_wait(lt, &ev, 1, 0), 0);
	EXPECT_EQ(epoll_wait(et, &ev, 1, 0), 0);
	ASSERT_EQ(write(fd, "ab", 2), 2);
	EXPECT_EQ(epoll_wait(lt, &ev, 1, 0), 1);
	EXPECT_EQ(epoll_wait(lt, &ev, 1, 0), 1);	/* level: again */
	EXPECT_EQ(epoll_wait(et, &ev, 1, 0), 1);
	EXPECT_EQ(epoll_wait(et, &ev, 1, 0), 0);	/* edge: once */
	ASSERT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(epoll_wait(lt, &ev, 1, 0), 1);	/* "b" is left */
	ASSERT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(epoll_wait(lt, &ev, 1, 0), 0);
}

/* A thread sleeping in epoll_wait() is woken by a write. */
static void *waiter(void *arg)
{
	struct epoll_event ev;
	int ep = *(int *)arg;

	return (void *)(long)epoll_wait(ep, &ev, 1, -1);
}

TEST(epoll_wait_wakes_on_write)
{
	int fd = open_dev(O_RDWR | O_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = ASSERT_OK(epoll_create1(0));
	pthread_t t;
	void *ret;

	drain(fd);
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	ASSERT_EQ(pthread_create(&t, NULL, waiter, &ep), 0);
	/*
	 * Whether the write comes before or after the thread sleeps, the
	 * thread must see the event: that is what calling poll_wait()
	 * before checking the state guarantees.
	 */
	ASSERT_EQ(write(fd, "w", 1), 1);
	pthread_join(t, &ret);
	EXPECT_EQ((long)ret, 1);
}

/* A blocking read sleeps until data comes. */
static void *reader(void *arg)
{
	char c;

	return (void *)(long)read(*(int *)arg, &c, 1);
}

TEST(blocking_read_gets_data)
{
	int fd = open_dev(O_RDWR);
	int nb = open_dev(O_RDWR | O_NONBLOCK);
	pthread_t t;
	void *ret;

	drain(nb);
	ASSERT_EQ(pthread_create(&t, NULL, reader, &fd), 0);
	ASSERT_EQ(write(fd, "r", 1), 1);
	pthread_join(t, &ret);
	EXPECT_EQ((long)ret, 1);
}
