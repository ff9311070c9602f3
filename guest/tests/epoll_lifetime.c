// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_lifetime: how long a registration lives. Its key is the pair
 * (fd number at ADD time, open file description); it is removed when the
 * file description is finally released, not when the fd number is
 * closed. So a dup keeps it alive (still reporting the old number), a
 * reused or dup2'ed number is a different key, and a registration whose
 * number was closed can no longer be named by epoll_ctl. The interest
 * list belongs to the epoll file, shared by every process holding it.
 */
#include "ktap.h"
#include "epoll_util.h"

static int wait_now(int ep, struct epoll_event *ev, int max)
{
	return epoll_wait(ep, ev, max, 0);
}

static int entries_for(int ep, int fd)
{
	uint32_t events;
	uint64_t data;

	return fdinfo_entry(ep, fd, &events, &data);
}

/* Closing the only fd of a file removes its registration. */
TEST(life_close_only_fd_removes_registration)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	int p[2];

	ASSERT_OK(pipe(p));
	ASSERT_OK(ep_add(ep, p[0], EPOLLIN));
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(wait_now(ep, &ev, 1), 1);
	ASSERT_OK(close(p[0]));
	EXPECT_EQ(wait_now(ep, &ev, 1), 0);
	EXPECT_EQ(entries_for(ep, p[0]), 0);
}

/* A dup keeps the file, and so the registration, alive after close. */
TEST(life_dup_keeps_registration_alive)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	int p[2], copy;

	ASSERT_OK(pipe(p));
	ASSERT_OK(ep_add(ep, p[0], EPOLLIN));
	copy = ASSERT_OK(dup(p[0]));
	ASSERT_OK(close(p[0]));
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(wait_now(ep, &ev, 1), 1);
	/* reported under the number it was added with, now closed */
	EXPECT_EQ(ev.data.u64, p[0]);
	EXPECT_EQ(entries_for(ep, p[0]), 1);
	close(copy);
}

/*
 * That registration can no longer be removed: its number is closed
 * (EBADF) and the dup is a different key (ENOENT).
 */
TEST(life_closed_number_registration_cannot_be_deleted)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int p[2], copy;

	ASSERT_OK(pipe(p));
	ASSERT_OK(ep_add(ep, p[0], EPOLLIN));
	copy = ASSERT_OK(dup(p[0]));
	ASSERT_OK(close(p[0]));
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, copy, NULL), ENOENT);
	EXPECT_ERRNO(ep_mod(ep, copy, EPOLLOUT), ENOENT);
	/* releasing the last reference finally removes it */
	ASSERT_OK(close(copy));
	EXPECT_EQ(entries_for(ep, p[0]), 0);
}

/* The same file under two fd numbers: two registrations, two events. */
TEST(life_dup_can_be_added_separately)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev[4];
	int p[2], copy;

	ASSERT_OK(pipe(p));
	copy = ASSERT_OK(dup(p[0]));
	ASSERT_OK(ep_add(ep, p[0], EPOLLIN));
	EXPECT_OK(ep_add(ep, copy, EPOLLIN));
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(wait_now(ep, ev, 4), 2);
	EXPECT_EQ(ev[0].data.u64 + ev[1].data.u64,
		  (uint64_t)p[0] + (uint64_t)copy);
}

/*
 * A closed number reused by a new file is a new key: ADD succeeds, and
 * the interest list then holds two entries with the same fd number.
 */
TEST(life_reused_number_is_a_new_key)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int p[2], q[2], copy;

	ASSERT_OK(pipe(p));
	ASSERT_OK(ep_add(ep, p[0], EPOLLIN));
	copy = ASSERT_OK(dup(p[0]));
	ASSERT_OK(close(p[0]));
	ASSERT_OK(pipe(q));
	ASSERT_EQ(q[0], p[0]);	/* the lowest free number again */
	EXPECT_OK(ep_add(ep, q[0], EPOLLIN));
	EXPECT_EQ(entries_for(ep, p[0]), 2);
	close(copy);
}

/*
 * dup2 onto a registered number whose file stays open elsewhere: the old
 * registration survives (the key holds the old file) and ADD of the
 * number is not EEXIST but a second, independent registration.
 */
TEST(life_dup2_over_registered_number_adds_new_key)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev[4];
	int p[2], q[2], copy;

	ASSERT_OK(pipe(p));
	ASSERT_OK(pipe(q));
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
	copy = ASSERT_OK(dup(p[0]));
	ASSERT_OK(dup2(q[0], p[0]));
	EXPECT_OK(ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 2));
	/* the old pipe still reports, under data 1 */
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(wait_now(ep, ev, 4), 1);
	EXPECT_EQ(ev[0].data.u64, 1);
	close(copy);
}

/*
 * ... and MOD on the number before that ADD addresses the new file: not
 * registered, ENOENT.
 */
TEST(life_mod_after_dup2_is_enoent)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int p[2], q[2], copy;

	ASSERT_OK(pipe(p));
	ASSERT_OK(pipe(q));
	ASSERT_OK(ep_add(ep, p[0], EPOLLIN));
	copy = ASSERT_OK(dup(p[0]));
	ASSERT_OK(dup2(q[0], p[0]));
	EXPECT_ERRNO(ep_mod(ep, p[0], EPOLLIN), ENOENT);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	close(copy);
}

/* dup2 over the last reference releases the old file: entry gone. */
TEST(life_dup2_over_last_reference_removes_registration)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	int p[2], q[2];

	ASSERT_OK(pipe(p));
	ASSERT_OK(pipe(q));
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
	ASSERT_OK(dup2(q[0], p[0]));
	EXPECT_EQ(entries_for(ep, p[0]), 0);
	EXPECT_OK(ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 2));
	ASSERT_EQ(write(q[1], "x", 1), 1);
	ASSERT_EQ(wait_now(ep, &ev, 1), 1);
	EXPECT_EQ(ev.data.u64, 2);
}

/* Registrations made before fork are seen by the child. */
TEST(life_child_sees_parent_registrations)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	pid_t pid;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0xc0ffee));
	pid = ASSERT_OK(fork());
	if (pid == 0) {
		struct epoll_event ev;

		EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
		EXPECT_EQ(ev.data.u64, 0xc0ffee);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
}

/* The interest list is shared: what the child adds, the parent sees. */
TEST(life_parent_sees_child_registrations)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct epoll_event ev;
	pid_t pid;

	pid = ASSERT_OK(fork());
	if (pid == 0) {
		EXPECT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0xbeef));
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
	/* the child's copies of both fds are closed now; ours keep it */
	efd_write(efd, 1);
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 0xbeef);
}

/* The child's epoll_wait consumes a one-shot event for the parent too. */
TEST(life_fork_shares_ready_state)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;
	pid_t pid;

	ASSERT_OK(ep_add(ep, efd, EPOLLIN | EPOLLONESHOT));
	pid = ASSERT_OK(fork());
	if (pid == 0) {
		EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
}

/* A child closing its copy of the target fd changes nothing. */
TEST(life_child_close_keeps_registration)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	struct epoll_event ev;
	pid_t pid;

	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	pid = ASSERT_OK(fork());
	if (pid == 0) {
		EXPECT_OK(close(efd));
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
	efd_write(efd, 1);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(entries_for(ep, efd), 1);
}

/* Separate instances have separate registrations of one fd. */
TEST(life_closing_one_instance_leaves_another)
{
	int a = ASSERT_OK(epoll_create1(0));
	int b = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;

	ASSERT_OK(ep_add(a, efd, EPOLLIN));
	ASSERT_OK(ep_add(b, efd, EPOLLIN));
	ASSERT_OK(close(a));
	EXPECT_EQ(epoll_wait(b, &ev, 1, 0), 1);
	EXPECT_EQ(efd_read(efd), 1);
}

struct close_then_write {
	int ep;
	int efd;
};

static void do_close_then_write(void *arg)
{
	struct close_then_write *c = arg;

	if (close(c->ep) != 0)
		FAIL("close(ep): %s", strerror(errno));
	efd_write(c->efd, 1);
}

/*
 * Closing the epoll fd while a thread waits on it does not end the wait:
 * the waiter holds the epoll file, whose interest list still works.
 */
TEST(life_close_epfd_under_a_waiter)
{
	struct close_then_write c;
	struct epoll_event ev;

	c.ep = ASSERT_OK(epoll_create1(0));
	c.efd = ASSERT_OK(eventfd(0, 0));
	ASSERT_OK(ep_ctl(c.ep, EPOLL_CTL_ADD, c.efd, EPOLLIN, 31));
	EXPECT_EQ(ep_wait_while(c.ep, &ev, -1, do_close_then_write, &c), 1);
	EXPECT_EQ(ev.data.u64, 31);
	/* afterwards the number is closed */
	EXPECT_ERRNO(epoll_wait(c.ep, &ev, 1, 0), EBADF);
}

/* The target outlives the epoll instance unaffected. */
TEST(life_target_usable_after_epfd_closed)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int p[2];
	char c;

	ASSERT_OK(pipe(p));
	ASSERT_OK(ep_add(ep, p[0], EPOLLIN));
	ASSERT_OK(close(ep));
	ASSERT_EQ(write(p[1], "y", 1), 1);
	ASSERT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(c, 'y');
}
