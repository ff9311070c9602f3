// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_targets: readiness of each kind of file epoll is commonly used
 * with: pipes, FIFOs, unix stream/datagram/seqpacket sockets, TCP and UDP
 * on loopback (127.0.0.1), eventfd, timerfd, signalfd, pidfd, a pty pair
 * and inotify. Each case checks the exact mask when the file is ready and
 * that nothing is reported before. Where readiness arrives asynchronously
 * (network, tty flush, timers) the case waits for it in epoll_wait.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <signal.h>
#include <stddef.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* the same number on every architecture */
#endif

TEST(target_pipe_read_end)
{
	int p[2], ep;

	ASSERT_OK(pipe(p));
	ep = ep_watch(p[0], EPOLLIN | EPOLLOUT);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}

TEST(target_pipe_write_end)
{
	int p[2], ep;

	ASSERT_OK(pipe(p));
	ep = ep_watch(p[1], EPOLLIN | EPOLLOUT);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
}

static void make_fifo(char *path, size_t len)
{
	snprintf(path, len, "/tmp/epoll-fifo-%d", getpid());
	unlink(path);
	ASSERT_OK(mkfifo(path, 0600));
}

TEST(target_fifo_readable_after_write)
{
	char path[64];
	int rd, wr, ep;

	make_fifo(path, sizeof(path));
	rd = ASSERT_OK(open(path, O_RDONLY | O_NONBLOCK));
	wr = ASSERT_OK(open(path, O_WRONLY));
	unlink(path);
	ep = ep_watch(rd, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(write(wr, "x", 1), 1);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}

/*
 * Unlike a pipe, a FIFO read end that never had a writer is not hung up:
 * EPOLLHUP only comes once a writer has come and gone.
 */
TEST(target_fifo_no_hup_before_first_writer)
{
	char path[64];
	int rd, ep;

	make_fifo(path, sizeof(path));
	rd = ASSERT_OK(open(path, O_RDONLY | O_NONBLOCK));
	ep = ep_watch(rd, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	unlink(path);
}

TEST(target_fifo_hup_after_writer_leaves)
{
	char path[64];
	int rd, wr, ep;

	make_fifo(path, sizeof(path));
	rd = ASSERT_OK(open(path, O_RDONLY | O_NONBLOCK));
	ep = ep_watch(rd, EPOLLIN);
	wr = ASSERT_OK(open(path, O_WRONLY));
	unlink(path);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_OK(close(wr));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLHUP);
}

TEST(target_unix_stream)
{
	int sv[2], ep;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ep = ep_watch(sv[0], EPOLLIN | EPOLLOUT);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
	ASSERT_EQ(write(sv[1], "x", 1), 1);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLOUT);
}

TEST(target_unix_dgram)
{
	int sv[2], ep;
	char c;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	ep = ep_watch(sv[0], EPOLLIN | EPOLLOUT);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
	ASSERT_EQ(send(sv[1], "x", 1, 0), 1);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLOUT);
	ASSERT_EQ(recv(sv[0], &c, 1, 0), 1);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
}

TEST(target_unix_seqpacket)
{
	int sv[2], ep;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	ep = ep_watch(sv[0], EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(send(sv[1], "abc", 3, 0), 3);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}

/* A listening unix socket is readable when a connection is pending. */
TEST(target_unix_listener)
{
	struct sockaddr_un a;
	socklen_t alen;
	int l, c, ep;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	/* abstract name: nothing on disk to clean up */
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "epoll-lab-%d",
		 getpid());
	alen = offsetof(struct sockaddr_un, sun_path) + 1 +
	       strlen(a.sun_path + 1);
	l = ASSERT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	ASSERT_OK(bind(l, (struct sockaddr *)&a, alen));
	ASSERT_OK(listen(l, 4));
	ep = ep_watch(l, EPOLLIN | EPOLLOUT);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	c = ASSERT_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	ASSERT_OK(connect(c, (struct sockaddr *)&a, alen));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}

static int tcp_listener(struct sockaddr_in *a)
{
	socklen_t alen = sizeof(*a);
	int l = ASSERT_OK(socket(AF_INET, SOCK_STREAM, 0));

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(bind(l, (struct sockaddr *)a, sizeof(*a)));
	ASSERT_OK(listen(l, 4));
	ASSERT_OK(getsockname(l, (struct sockaddr *)a, &alen));
	return l;
}

TEST(target_tcp_listener)
{
	struct sockaddr_in a;
	int l = tcp_listener(&a);
	int ep = ep_watch(l, EPOLLIN | EPOLLOUT);
	int c;

	EXPECT_EQ(ep_events_now(ep, 0), 0);
	c = ASSERT_OK(socket(AF_INET, SOCK_STREAM, 0));
	ASSERT_OK(connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN);
}

/* A non-blocking connect completes with EPOLLOUT. */
TEST(target_tcp_nonblocking_connect)
{
	struct sockaddr_in a;
	int l = tcp_listener(&a);
	int c = ASSERT_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	int ep = ep_watch(c, EPOLLOUT);
	int err = -1;
	socklen_t len = sizeof(err);

	if (connect(c, (struct sockaddr *)&a, sizeof(a)) != 0)
		ASSERT_EQ(errno, EINPROGRESS);
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLOUT);
	ASSERT_OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(err, 0);
	close(l);
}

TEST(target_tcp_connected)
{
	int c, s, ep;

	ASSERT_OK(tcp_pair(&c, &s));
	ep = ep_watch(s, EPOLLIN | EPOLLOUT);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
	ASSERT_OK(ep_mod(ep, s, EPOLLIN));
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(send(c, "hello", 5, 0), 5);
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN);
}

TEST(target_udp)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int r = ASSERT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	int s = ASSERT_OK(socket(AF_INET, SOCK_DGRAM, 0));
	int ep;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(bind(r, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(getsockname(r, (struct sockaddr *)&a, &alen));
	ep = ep_watch(r, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1);
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN);
}

TEST(target_eventfd)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN);

	EXPECT_EQ(ep_events_now(ep, 0), 0);
	efd_write(efd, 5);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
	EXPECT_EQ(efd_read(efd), 5);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

/* EFD_SEMAPHORE: each read takes 1, readable until the count is 0. */
TEST(target_eventfd_semaphore)
{
	int efd = ASSERT_OK(eventfd(2, EFD_SEMAPHORE));
	int ep = ep_watch(efd, EPOLLIN);

	ASSERT_EQ(efd_read(efd), 1);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
	ASSERT_EQ(efd_read(efd), 1);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

TEST(target_timerfd_expiry)
{
	int tfd = ASSERT_OK(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };	/* 1 ms */
	int ep = ep_watch(tfd, EPOLLIN);
	uint64_t ticks = 0;

	ASSERT_OK(timerfd_settime(tfd, 0, &its, NULL));
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN);
	ASSERT_EQ(read(tfd, &ticks, sizeof(ticks)), (ssize_t)sizeof(ticks));
	EXPECT_EQ(ticks, 1);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

TEST(target_timerfd_quiet_before_expiry)
{
	int tfd = ASSERT_OK(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec its = { { 0, 0 }, { 3600, 0 } };
	int ep = ep_watch(tfd, EPOLLIN);

	ASSERT_OK(timerfd_settime(tfd, 0, &its, NULL));
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

/* An expired timer wakes a thread already asleep in epoll_wait. */
TEST(target_timerfd_wakes_blocked_waiter)
{
	int tfd = ASSERT_OK(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec its = { { 0, 0 }, { 0, 20000000 } };	/* 20 ms */
	int ep = ep_watch(tfd, EPOLLIN);
	long long t0 = ktap_now_ns();

	ASSERT_OK(timerfd_settime(tfd, 0, &its, NULL));
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN);
	EXPECT_GE(ktap_now_ns() - t0, 20000000LL);
}

static void block_usr1(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
}

TEST(target_signalfd)
{
	struct signalfd_siginfo si;
	sigset_t set;
	int sfd, ep;

	block_usr1();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sfd = ASSERT_OK(signalfd(-1, &set, 0));
	ep = ep_watch(sfd, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_OK(raise(SIGUSR1));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
	ASSERT_EQ(read(sfd, &si, sizeof(si)), (ssize_t)sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR1);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

/* Signals outside the signalfd's mask do not make it readable. */
TEST(target_signalfd_ignores_other_signals)
{
	sigset_t set;
	int sfd, ep;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	ASSERT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	sigdelset(&set, SIGUSR2);
	sfd = ASSERT_OK(signalfd(-1, &set, 0));
	ep = ep_watch(sfd, EPOLLIN);
	ASSERT_OK(raise(SIGUSR2));
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/*
 * A pidfd becomes readable when the process exits (before it is reaped).
 * The child waits on a pipe, so it is certainly alive at the first look.
 */
TEST(target_pidfd_readable_on_exit)
{
	int go[2], pfd, ep;
	pid_t pid;
	char c;

	ASSERT_OK(pipe(go));
	pid = ASSERT_OK(fork());
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	pfd = pidfd_open(pid);
	if (pfd < 0 && errno == ENOSYS) {
		kill(pid, SIGKILL);
		SKIP("pidfd_open: ENOSYS (added in 5.3)");
	}
	ASSERT_GE(pfd, 0);
	ep = ep_watch(pfd, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_OK(close(go[1]));	/* the child reads EOF and exits */
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN);
	EXPECT_CHILD_OK(pid);
}

/*
 * Once the child is reaped too: 6.9 made pidfd_poll add EPOLLHUP when the
 * task is gone ("pidfd_poll: report POLLHUP when pid_task() == NULL");
 * before, only EPOLLIN.
 */
KERNEL_GATE(pidfd_hup_after_reap,
	    "6.9 made a pidfd report EPOLLHUP once its process is reaped, "
	    "before it only EPOLLIN", 6, 9, 0);

TEST(target_pidfd_after_reap, .gate = &pidfd_hup_after_reap)
{
	int pfd, ep;
	pid_t pid;

	pid = ASSERT_OK(fork());
	if (pid == 0)
		_exit(0);
	pfd = pidfd_open(pid);
	if (pfd < 0 && errno == ENOSYS) {
		waitpid(pid, NULL, 0);
		SKIP("pidfd_open: ENOSYS (added in 5.3)");
	}
	ASSERT_GE(pfd, 0);
	EXPECT_CHILD_OK(pid);
	ep = ep_watch(pfd, EPOLLIN);
	if (kernel_has(&pidfd_hup_after_reap))
		EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLHUP);
	else
		EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}

/* A pseudo-terminal pair, the slave in canonical mode. */
FIXTURE(pty) {
	int master, slave;
};

FIXTURE_SETUP(pty)
{
	const char *name;

	self->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (self->master < 0)
		SKIP("posix_openpt: %s", strerror(errno));
	ASSERT_OK(grantpt(self->master));
	ASSERT_OK(unlockpt(self->master));
	name = ptsname(self->master);
	ASSERT_TRUE(name != NULL);
	self->slave = open(name, O_RDWR | O_NOCTTY);
	if (self->slave < 0)
		SKIP("open %s: %s (is /dev/pts mounted?)", name,
		     strerror(errno));
}

TEST_F(pty, target_pty_master_readable_after_slave_write)
{
	int ep = ep_watch(self->master, EPOLLIN);

	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(write(self->slave, "hi", 2), 2);
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN);
}

/* Canonical mode: the slave is readable once a whole line arrived. */
TEST_F(pty, target_pty_slave_readable_after_a_line)
{
	int ep = ep_watch(self->slave, EPOLLIN);

	ASSERT_EQ(write(self->master, "ab\n", 3), 3);
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN);
}

TEST_F(pty, target_pty_writable)
{
	int ep = ep_watch(self->master, EPOLLIN | EPOLLOUT);

	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
}

/* The slave side closed: the master reports EPOLLHUP, unrequested. */
TEST_F(pty, target_pty_master_hup_after_slave_closed)
{
	int ep = ep_watch(self->master, EPOLLIN);

	ASSERT_OK(close(self->slave));
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLHUP);
}

TEST(target_inotify)
{
	char dir[] = "/tmp/epoll-inotify-XXXXXX", path[64];
	int ifd = ASSERT_OK(inotify_init1(IN_CLOEXEC));
	int ep, fd;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_OK(inotify_add_watch(ifd, dir, IN_CREATE));
	ep = ep_watch(ifd, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = ASSERT_OK(open(path, O_CREAT | O_WRONLY, 0600));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
	close(fd);
	unlink(path);
	rmdir(dir);
}
