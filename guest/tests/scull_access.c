// SPDX-License-Identifier: GPL-2.0
/*
 * scull_access: the access-control devices of scull.ko, scullsingle,
 * sculluid, scullwuid and scullpriv. Runs as root and forks helpers that
 * setuid() to other users (1000, 1001), which drops every capability.
 * Needs scull.ko loaded; skips otherwise.
 *
 * A forked helper must close the files it inherited from the case:
 * an inherited open file still counts as the parent's open.
 */
#include "scull_util.h"

#include <sys/ioctl.h>
#include <termios.h>

#define SINGLE	"/dev/scullsingle"
#define UID	"/dev/sculluid"
#define WUID	"/dev/scullwuid"
#define PRIV	"/dev/scullpriv"

/* Fork a helper that becomes @uid; returns 0 in the helper like fork(). */
static pid_t fork_as(uid_t uid, int close_fd)
{
	pid_t pid = ASSERT_OK(fork());

	if (pid == 0) {
		if (close_fd >= 0)
			close(close_fd);
		ASSERT_OK(setgid(uid));
		ASSERT_OK(setuid(uid));
	}
	return pid;
}

/* One open at a time; a dup() is the same open file, not a second one. */
TEST(single_second_open_is_ebusy)
{
	int fd = scull_open(SINGLE, O_RDWR);
	int dupfd = ASSERT_OK(dup(fd));

	EXPECT_ERRNO(open(SINGLE, O_RDWR), EBUSY);
	EXPECT_ERRNO(open(SINGLE, O_RDONLY), EBUSY);
	close(fd);
	EXPECT_ERRNO(open(SINGLE, O_RDWR), EBUSY);	/* dupfd still open */
	close(dupfd);
	fd = EXPECT_OK(open(SINGLE, O_RDWR));
	EXPECT_EQ(write(fd, "single", 6), 6);
}

/* The owner may open sculluid many times; another user gets EBUSY. */
TEST(uid_other_user_is_ebusy)
{
	int fd = scull_open(UID, O_RDWR);
	int fd2 = EXPECT_OK(open(UID, O_RDWR));		/* same user: fine */
	pid_t pid = fork_as(1000, fd);

	if (pid == 0) {
		close(fd2);
		EXPECT_ERRNO(open(UID, O_RDWR), EBUSY);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);

	close(fd);
	close(fd2);
	pid = fork_as(1000, -1);			/* now it is free */
	if (pid == 0) {
		int u = EXPECT_OK(open(UID, O_RDWR));

		EXPECT_OK(open(UID, O_RDONLY));		/* and many times */
		close(u);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
}

/* CAP_DAC_OVERRIDE (root here) may open it while another user holds it. */
TEST(uid_cap_dac_override_may_share)
{
	int held[2], done[2];
	pid_t holder, other;
	char c;

	close(scull_open(UID, O_RDONLY));	/* skips if not loaded */
	ASSERT_OK(pipe(held));
	ASSERT_OK(pipe(done));
	holder = fork_as(1000, -1);
	if (holder == 0) {
		close(held[0]);
		close(done[1]);
		EXPECT_OK(open(UID, O_RDWR));
		/* Tell the case we hold it, then hold it until told to stop. */
		EXPECT_EQ(write(held[1], "h", 1), 1);
		EXPECT_EQ(read(done[0], &c, 1), 0);
		ktap_child_exit();
	}
	close(held[1]);
	close(done[0]);
	ASSERT_EQ(read(held[0], &c, 1), 1);

	EXPECT_OK(open(UID, O_RDWR));			/* root: allowed */
	other = fork_as(1001, -1);
	if (other == 0) {
		EXPECT_ERRNO(open(UID, O_RDWR), EBUSY);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(other);
	close(done[1]);
	EXPECT_CHILD_OK(holder);
}

/*
 * scullwuid: another user sleeps in open() until the owner has closed
 * every file, then gets in. With O_NONBLOCK it gets EAGAIN instead.
 */
TEST(wuid_other_user_waits_for_close)
{
	int fd = scull_open(WUID, O_RDWR);
	char wchan[64];
	pid_t pid = fork_as(1000, fd);

	if (pid == 0) {
		int w;

		EXPECT_ERRNO(open(WUID, O_RDWR | O_NONBLOCK), EAGAIN);
		w = open(WUID, O_RDWR);			/* sleeps */
		EXPECT_OK(w);
		EXPECT_EQ(write(w, "wuid", 4), 4);
		ktap_child_exit();
	}
	/* The helper's only blocking call is that open(). */
	ASSERT_SLEEPING(pid);
	DIAG("helper asleep in %s", scull_wchan(pid, wchan, sizeof(wchan)));
	EXPECT_EQ(waitpid(pid, NULL, WNOHANG), 0);	/* still in open() */
	close(fd);
	EXPECT_CHILD_OK(pid);
}

/* A signal ends the wait with EINTR (or a restart, SA_RESTART aside). */
static void on_usr1(int sig)
{
	(void)sig;
}

TEST(wuid_wait_is_interruptible)
{
	int fd = scull_open(WUID, O_RDWR);
	pid_t pid = fork_as(1000, fd);

	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };

		/* No SA_RESTART: the interrupted open() fails with EINTR. */
		ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
		EXPECT_ERRNO(open(WUID, O_RDWR), EINTR);
		ktap_child_exit();
	}
	ASSERT_SLEEPING(pid);
	ASSERT_OK(kill(pid, SIGUSR1));
	EXPECT_CHILD_OK(pid);
}

/* The same user never waits on scullwuid. */
TEST(wuid_same_user_does_not_wait)
{
	int fd = scull_open(WUID, O_RDWR);
	int fd2 = EXPECT_OK(open(WUID, O_RDWR | O_NONBLOCK));

	close(fd2);
	close(fd);
}

/* ---- scullpriv: one device per controlling terminal ----------------- */

/* A new pty; returns the master fd, the slave's path in @name. */
static int new_pty(char *name, size_t len)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0)
		SKIP("posix_openpt: %s", strerror(errno));
	ASSERT_OK(grantpt(m));
	ASSERT_OK(unlockpt(m));
	ASSERT_EQ(ptsname_r(m, name, len), 0);
	return m;
}

/* In a forked helper: a new session with @pts as controlling terminal. */
static void take_ctty(const char *pts)
{
	int fd;

	ASSERT_OK(setsid());
	fd = ASSERT_OK(open(pts, O_RDWR));	/* no O_NOCTTY: acquires it */
	ASSERT_OK(ioctl(fd, TIOCSCTTY, 0));
}

/* Without a controlling terminal there is no device to open. */
TEST(priv_without_ctty_is_enxio)
{
	pid_t pid;

	if (access(PRIV, F_OK))
		SKIP(PRIV " does not exist: is scull.ko loaded?");
	pid = ASSERT_OK(fork());
	if (pid == 0) {
		ASSERT_OK(setsid());		/* a session without a tty */
		EXPECT_ERRNO(open(PRIV, O_RDWR), ENXIO);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
}

/* Writes through terminal A's device are not seen through terminal B's. */
TEST(priv_one_device_per_tty)
{
	char a[64], b[64];
	int ma, mb;
	pid_t pid;

	if (access(PRIV, F_OK))
		SKIP(PRIV " does not exist: is scull.ko loaded?");
	ma = new_pty(a, sizeof(a));
	mb = new_pty(b, sizeof(b));
	DIAG("terminals %s and %s", a, b);

	pid = ASSERT_OK(fork());
	if (pid == 0) {			/* on A: write A's data */
		int fd;

		take_ctty(a);
		fd = ASSERT_OK(open(PRIV, O_WRONLY));
		EXPECT_EQ(write(fd, "from-A", 6), 6);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);

	pid = ASSERT_OK(fork());
	if (pid == 0) {			/* on B: a different device */
		char buf[16];
		int fd;

		take_ctty(b);
		fd = ASSERT_OK(open(PRIV, O_WRONLY));
		EXPECT_EQ(write(fd, "B", 1), 1);
		close(fd);
		fd = ASSERT_OK(open(PRIV, O_RDONLY));
		EXPECT_EQ(read(fd, buf, sizeof(buf)), 1);
		EXPECT_EQ(buf[0], 'B');
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);

	pid = ASSERT_OK(fork());
	if (pid == 0) {			/* on A again: A's data is still there */
		char buf[16];
		int fd;

		take_ctty(a);
		fd = ASSERT_OK(open(PRIV, O_RDONLY));
		EXPECT_EQ(read(fd, buf, sizeof(buf)), 6);
		EXPECT_EQ(memcmp(buf, "from-A", 6), 0);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
	close(ma);
	close(mb);
}
