/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scull_util.h - helpers shared by the scull_*.c tests: opening scull
 * nodes (skipping when scull.ko is not loaded), reading module parameters,
 * and running a blocking call in a thread while the test waits, without
 * sleeping, until the kernel has really put that thread to sleep.
 */
#ifndef SCULL_UTIL_H
#define SCULL_UTIL_H

#include "ktap.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "scull_ioctl.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define SCULL_MEM	"/dev/scull0"
#define SCULL_PIPE	"/dev/scullpipe0"

/*
 * open() a scull node. A missing node means scull.ko is not loaded: the
 * case is skipped. Any other failure ends the case.
 */
#define scull_open(path, flags) ({					\
	const char *__path = (path);					\
	int __fd = open(__path, (flags));				\
	if (__fd < 0 && errno == ENOENT)				\
		SKIP("%s does not exist: is scull.ko loaded?", __path);\
	if (__fd < 0)							\
		ktap_fail(1, __FILE__, __LINE__, "open(%s, %s): %s",	\
			  __path, #flags, strerror(errno));		\
	__fd;								\
})

/* A module parameter from /sys/module/scull/parameters, or -1. */
static inline int scull_param(const char *name)
{
	char path[128];
	FILE *f;
	int val = -1;

	snprintf(path, sizeof(path), "/sys/module/scull/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* The scheduler state letter of task @tid (R, S, D, ...), 0 if unknown. */
static inline char scull_task_state(pid_t tid)
{
	char path[64], buf[512];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, so find the last ')'. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Where task @tid sleeps in the kernel (/proc/PID/wchan), for diagnostics. */
static inline const char *scull_wchan(pid_t tid, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * Wait until task @tid is asleep (state S), giving up after half the
 * case timeout. This waits for a state; it does not sleep and hope.
 * Returns 1 when asleep, 0 on timeout or if the task is gone.
 */
static inline int scull_wait_sleeping(pid_t tid)
{
	long long deadline = ktap_now_ns() +
			     (long long)(ktap_case_timeout() * 0.5e9);
	struct timespec backoff = { 0, 1000000 };
	unsigned int i;
	char s;

	for (i = 0;; i++) {
		s = scull_task_state(tid);
		if (s == 'S')
			return 1;
		if (!s || ktap_now_ns() > deadline)
			return 0;
		/* Let the other task run; back off if it takes a while. */
		if (i < 1000)
			sched_yield();
		else
			nanosleep(&backoff, NULL);
	}
}

#define ASSERT_SLEEPING(tid) do {					\
	pid_t __t = (tid);						\
	char __w[64];							\
	if (!scull_wait_sleeping(__t))					\
		ktap_fail(1, __FILE__, __LINE__,			\
			  "task %d (%s) never blocked: state '%c', wchan '%s'",\
			  (int)__t, #tid, scull_task_state(__t) ?: '?',	\
			  scull_wchan(__t, __w, sizeof(__w)));		\
} while (0)

/*
 * One blocking system call run in a thread: read, write, fsync or
 * epoll_wait on @fd. The test starts it, waits until the thread sleeps
 * in the call (so it is known to be blocked, not merely slow), acts, and
 * joins it to collect the result.
 */
enum scull_bg_op { BG_READ, BG_WRITE, BG_FSYNC, BG_EPOLL_WAIT };

struct scull_bg {
	enum scull_bg_op op;
	int fd;
	char *buf;
	size_t len;
	struct epoll_event ev;	/* BG_EPOLL_WAIT: the event returned */

	/* Set by the thread; read with __atomic builtins (tid after started). */
	pthread_t thread;
	pid_t tid;
	int started;		/* the thread is about to make the call */
	int done;		/* the call returned */
	long ret;
	int err;
};

static inline void *scull_bg_main(void *arg)
{
	struct scull_bg *b = arg;

	b->tid = gettid();
	__atomic_store_n(&b->started, 1, __ATOMIC_SEQ_CST);
	switch (b->op) {
	case BG_READ:
		b->ret = read(b->fd, b->buf, b->len);
		break;
	case BG_WRITE:
		b->ret = write(b->fd, b->buf, b->len);
		break;
	case BG_FSYNC:
		b->ret = fsync(b->fd);
		break;
	case BG_EPOLL_WAIT:
		b->ret = epoll_wait(b->fd, &b->ev, 1, -1);
		break;
	}
	b->err = errno;
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start @b and return once its thread sleeps inside the call. */
#define scull_bg_start_blocked(b) do {					\
	struct scull_bg *__b = (b);					\
	ASSERT_EQ(pthread_create(&__b->thread, NULL, scull_bg_main, __b), 0);\
	while (!__atomic_load_n(&__b->started, __ATOMIC_SEQ_CST))	\
		sched_yield();						\
	ASSERT_SLEEPING(__b->tid);					\
	ASSERT_FALSE(__atomic_load_n(&__b->done, __ATOMIC_SEQ_CST));	\
} while (0)

/*
 * How many of the @n calls in @b have returned, waiting until at least
 * @want have or half the case timeout has passed.
 */
static inline int scull_bg_wait_done(struct scull_bg *b, int n, int want)
{
	long long deadline = ktap_now_ns() +
			     (long long)(ktap_case_timeout() * 0.5e9);
	int i, done;

	for (;;) {
		done = 0;
		for (i = 0; i < n; i++)
			done += __atomic_load_n(&b[i].done, __ATOMIC_SEQ_CST);
		if (done >= want || ktap_now_ns() > deadline)
			return done;
		sched_yield();
	}
}

/* Wait for the call to return; the result is in b->ret and b->err. */
static inline void scull_bg_join(struct scull_bg *b)
{
	pthread_join(b->thread, NULL);
}

/* poll() one fd without waiting; returns revents. */
static inline short scull_revents(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/* Fill a scullpipe with non-blocking writes until EAGAIN; bytes written. */
static inline long scull_fill(int wfd)
{
	char chunk[512];
	long total = 0;
	ssize_t n;
	int flags = fcntl(wfd, F_GETFL);

	memset(chunk, 'f', sizeof(chunk));
	fcntl(wfd, F_SETFL, flags | O_NONBLOCK);
	while ((n = write(wfd, chunk, sizeof(chunk))) > 0)
		total += n;
	if (n < 0 && errno != EAGAIN)
		total = -1;
	fcntl(wfd, F_SETFL, flags);
	return total;
}

#endif /* SCULL_UTIL_H */
