/* SPDX-License-Identifier: GPL-2.0 */
/*
 * epoll_util.h - helpers shared by the guest epoll tests (include after
 * ktap.h): event-mask checks that print masks by name, small fd factories,
 * and a way to know that a thread is really asleep in a system call, which
 * is what replaces sleep() as synchronisation in the multi-thread cases.
 */
#ifndef EPOLL_UTIL_H
#define EPOLL_UTIL_H

#include "ktap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* ------------------------------------------------------------------------ */
/* Event masks */

static inline const char *epoll_mask_str(uint32_t m, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
		{ EPOLLERR, "ERR" }, { EPOLLHUP, "HUP" },
		{ EPOLLRDNORM, "RDNORM" }, { EPOLLRDBAND, "RDBAND" },
		{ EPOLLWRNORM, "WRNORM" }, { EPOLLWRBAND, "WRBAND" },
		{ EPOLLMSG, "MSG" }, { EPOLLRDHUP, "RDHUP" },
		{ EPOLLEXCLUSIVE, "EXCLUSIVE" }, { EPOLLWAKEUP, "WAKEUP" },
		{ EPOLLONESHOT, "ONESHOT" }, { EPOLLET, "ET" },
	};
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(m & names[i].bit))
			continue;
		m &= ~names[i].bit;
		off += snprintf(buf + off, len > off ? len - off : 0, "%s%s",
				off ? "|" : "", names[i].name);
	}
	if (m || !off)
		snprintf(buf + off, len > off ? len - off : 0, "%s0x%x",
			 off ? "|" : "", m);
	return buf;
}

/* got == want for event masks, printed by name on failure. */
#define KTAP_CHECK_EVENTS(got, want, fatal) do {			\
	uint32_t __g = (got), __w = (want);				\
	char __gs[128], __ws[128];					\
	if (__g != __w)							\
		KTAP_REPORT(fatal, "events %s: expected %s, got %s",	\
			    #got,					\
			    epoll_mask_str(__w, __ws, sizeof(__ws)),	\
			    epoll_mask_str(__g, __gs, sizeof(__gs)));	\
} while (0)
#define EXPECT_EVENTS(got, want) KTAP_CHECK_EVENTS(got, want, 0)
#define ASSERT_EVENTS(got, want) KTAP_CHECK_EVENTS(got, want, 1)

/* ------------------------------------------------------------------------ */
/* Thin wrappers */

/* epoll_ctl with data.u64 = data. */
static inline int ep_ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = data;
	return epoll_ctl(ep, op, fd, &ev);
}

/* EPOLL_CTL_ADD with data.u64 = fd, the convention most cases use. */
static inline int ep_add(int ep, int fd, uint32_t events)
{
	return ep_ctl(ep, EPOLL_CTL_ADD, fd, events, (uint64_t)fd);
}

static inline int ep_mod(int ep, int fd, uint32_t events)
{
	return ep_ctl(ep, EPOLL_CTL_MOD, fd, events, (uint64_t)fd);
}

/* A new epoll instance watching @fd for @events (data.u64 = fd). */
static inline int ep_watch(int fd, uint32_t events)
{
	int ep = ASSERT_OK(epoll_create1(EPOLL_CLOEXEC));

	ASSERT_OK(ep_add(ep, fd, events));
	return ep;
}

/*
 * The mask of the one event epoll_wait(ep, .., 1, @timeout) returns, or 0
 * if it returns none (a failure of the call itself fails the case).
 */
static inline uint32_t ep_events_now(int ep, int timeout)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, timeout);

	if (n < 0)
		FAIL("epoll_wait: %s", strerror(errno));
	return n == 1 ? ev.events : 0;
}

static inline int efd_write(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -1;
}

/* Reads an eventfd's counter; returns it, or (uint64_t)-1 on error. */
static inline uint64_t efd_read(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? v : (uint64_t)-1;
}

/* A pollable target: an eventfd that is readable (counter 1). */
static inline int ready_fd(void)
{
	return eventfd(1, EFD_CLOEXEC);
}

/*
 * What an fd argument is, for tables of calls: test_file_open() opens one.
 * A CLOSED_* kind opens a file whose number the caller closes once every
 * file of the call is open, so that no later open takes the number again.
 */
enum test_file {
	EPOLL_FD,		/* an epoll instance (the default epfd) */
	READY_EVENTFD,		/* ready_fd() (the default fd) */
	QUIET_EVENTFD,		/* an eventfd with counter 0 */
	CLOSED_EPOLL_FD,	/* an epoll fd's number after close() */
	CLOSED_EVENTFD,
	MINUS_ONE,
	SAME_AS_EPFD,
	PIPE_READ_END,
	PIPE_WRITE_END,
	O_PATH_ROOT,		/* open("/", O_PATH) */
	PROC_SELF_EXE,		/* a regular file: no poll method */
	TMPFS_FILE,
	ROOT_DIRECTORY,
	DEV_ZERO,		/* always "ready" for read(2), but no poll method */
	DEV_NULL,
};

static inline int test_file_open(enum test_file what)
{
	char path[] = "/tmp/epoll-ctl-XXXXXX";
	int p[2], fd;

	switch (what) {
	case EPOLL_FD:
	case CLOSED_EPOLL_FD:
		return ASSERT_OK(epoll_create1(0));
	case READY_EVENTFD:
	case CLOSED_EVENTFD:
		return ASSERT_OK(ready_fd());
	case QUIET_EVENTFD:
		return ASSERT_OK(eventfd(0, EFD_CLOEXEC));
	case PIPE_READ_END:
	case PIPE_WRITE_END:
		ASSERT_OK(pipe2(p, O_CLOEXEC));
		return p[what == PIPE_WRITE_END];
	case O_PATH_ROOT:
		return ASSERT_OK(open("/", O_PATH | O_CLOEXEC));
	case PROC_SELF_EXE:
		return ASSERT_OK(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
	case TMPFS_FILE:
		fd = ASSERT_OK(mkostemp(path, O_CLOEXEC));
		unlink(path);
		return fd;
	case ROOT_DIRECTORY:
		return ASSERT_OK(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	case DEV_ZERO:
	case DEV_NULL:
		fd = open(what == DEV_ZERO ? "/dev/zero" : "/dev/null",
			  (what == DEV_ZERO ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0)
			SKIP("%s: %s", what == DEV_ZERO ? "/dev/zero" : "/dev/null",
			     strerror(errno));
		return fd;
	case MINUS_ONE:
	case SAME_AS_EPFD:
		break;
	}
	return -1;
}

/*
 * A connected TCP pair over 127.0.0.1: *client and *server (the accepted
 * socket). Returns 0, or -1 with errno set.
 */
static inline int tcp_pair(int *client, int *server)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int l, c = -1, s = -1, err;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0)
		goto fail;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		goto fail;
	close(l);
	*client = c;
	*server = s;
	return 0;
fail:
	err = errno;
	if (c >= 0)
		close(c);
	close(l);
	errno = err;
	return -1;
}

static inline int ktap_read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/*
 * What the kernel stored for target fd @tfd in epoll instance @ep, from
 * /proc/self/fdinfo/EP ("tfd: %8d events: %8x data: %16llx ..."). Returns
 * how many registrations carry that fd number (0 if none); the first one's
 * mask and data go to *events and *data.
 */
static inline int fdinfo_entry(int ep, int tfd, uint32_t *events,
			       uint64_t *data)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int ev;
		unsigned long long d;
		int fd;

		if (sscanf(line, "tfd: %d events: %x data: %llx", &fd, &ev,
			   &d) != 3 || fd != tfd)
			continue;
		if (!found++) {
			*events = ev;
			*data = d;
		}
	}
	fclose(f);
	return found;
}

/* ------------------------------------------------------------------------ */
/* Knowing that a thread sleeps in a system call */

/*
 * 1 if thread @tid of this process is asleep inside system call @nr (any
 * system call if @nr < 0), 0 if not (yet), -1 if it no longer exists.
 *
 * The evidence, all from /proc/self/task/TID:
 *  - stat: state 'S' (interruptible sleep);
 *  - syscall: the number of the system call it is in;
 *  - wchan: not "0". The kernel reports a wait channel only for a task that
 *    schedule() has taken off the run queue, so this excludes the short
 *    window in which a task has set its state to sleeping but not yet
 *    queued itself on the wait queue (ep_poll sets TASK_INTERRUPTIBLE
 *    before it adds itself to ep->wq). Kernels without CONFIG_KALLSYMS
 *    have no wchan file; then the first two must do.
 */
static inline int task_blocked_in(pid_t tid, long nr, int *wchan_zero)
{
	char path[64], buf[512], *p;
	long cur;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if (ktap_read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'S')
		return 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	if (ktap_read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	if (sscanf(buf, "%ld", &cur) != 1 || (nr >= 0 && cur != nr))
		return 0;

	*wchan_zero = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	if (ktap_read_small(path, buf, sizeof(buf)) > 0 && !strcmp(buf, "0")) {
		*wchan_zero = 1;
		return 0;
	}
	return 1;
}

/*
 * Waits until thread @tid is asleep in system call @nr (see above), or
 * until *@flag (if not NULL) becomes non-zero: a bounded loop that yields
 * the CPU to the thread it waits for. Returns 1 when the thread is asleep,
 * 2 when the flag was seen set, 0 if neither happened within most of the
 * case's timeout (or the thread is gone).
 *
 * Should an unwinder ever report no wait channel at all, a thread seen
 * sleeping in @nr with wchan "0" for many consecutive looks is accepted:
 * the window wchan guards against lasts a few instructions.
 */
static inline int wait_blocked_or(pid_t tid, long nr, const volatile int *flag)
{
	long long deadline = ktap_now_ns() +
			     (long long)(ktap_case_timeout() * 0.75e9);
	int zero_streak = 0;

	while (ktap_now_ns() < deadline) {
		int wchan_zero = 0, r;

		if (flag && __atomic_load_n(flag, __ATOMIC_SEQ_CST))
			return 2;
		r = task_blocked_in(tid, nr, &wchan_zero);
		if (r == 1)
			return 1;
		if (r < 0)
			return flag && __atomic_load_n(flag, __ATOMIC_SEQ_CST) ?
			       2 : 0;
		zero_streak = wchan_zero ? zero_streak + 1 : 0;
		if (zero_streak >= 2000)
			return 1;
		sched_yield();
	}
	return 0;
}

static inline int wait_blocked(pid_t tid, long nr)
{
	return wait_blocked_or(tid, nr, NULL) == 1;
}

/* Waits (bounded) for a new thread to publish its tid; 1 when it did. */
static inline int wait_tid(const volatile pid_t *tid)
{
	long long deadline = ktap_now_ns() +
			     (long long)(ktap_case_timeout() * 0.5e9);

	while (!*tid && ktap_now_ns() < deadline)
		sched_yield();
	return *tid != 0;
}

#define SYS_ANY (-1L)

/*
 * Runs fn(arg) on a helper thread once thread @tid is asleep in system
 * call @nr: the usual shape is "the main thread blocks in epoll_wait, the
 * helper makes an fd ready". fn runs even if the wait failed, so the main
 * thread is not left blocked forever; check ab->blocked afterwards.
 */
struct after_blocked {
	pthread_t th;
	pid_t tid;
	long nr;
	void (*fn)(void *arg);
	void *arg;
	volatile int blocked;
};

static inline void *after_blocked_main(void *p)
{
	struct after_blocked *ab = p;

	ab->blocked = wait_blocked(ab->tid, ab->nr);
	ab->fn(ab->arg);
	return NULL;
}

static inline int run_when_blocked(struct after_blocked *ab, pid_t tid,
				   long nr, void (*fn)(void *), void *arg)
{
	ab->tid = tid;
	ab->nr = nr;
	ab->fn = fn;
	ab->arg = arg;
	ab->blocked = 0;
	return pthread_create(&ab->th, NULL, after_blocked_main, ab);
}

/* Common actions for run_when_blocked. */
/*
 * epoll_wait(@ep, @ev, 1, @timeout) while a helper thread runs @act(@arg)
 * once this thread is seen asleep in it: returns what epoll_wait returned
 * (errno kept) after the helper has ended, and fails the case if this
 * thread was never seen asleep.
 */
static inline int ep_wait_while(int ep, struct epoll_event *ev, int timeout,
				void (*act)(void *arg), void *arg)
{
	struct after_blocked ab;
	int n, err;

	ASSERT_EQ(run_when_blocked(&ab, gettid(), SYS_epoll_wait, act, arg), 0);
	n = epoll_wait(ep, ev, 1, timeout);
	err = errno;
	pthread_join(ab.th, NULL);
	EXPECT_TRUE(ab.blocked);
	errno = err;
	return n;
}

static inline void do_efd_write1(void *arg)
{
	efd_write(*(int *)arg, 1);
}

static inline void do_write_byte(void *arg)
{
	if (write(*(int *)arg, "x", 1) != 1)
		FAIL("write: %s", strerror(errno));
}

static inline void do_close(void *arg)
{
	close(*(int *)arg);
}

/* ------------------------------------------------------------------------ */
/* Waiter threads: each makes one epoll_wait call and records the outcome */

struct waiter {
	pthread_t th;
	int ep;
	int timeout;
	int notify_fd;		/* eventfd written once it returned, or -1 */
	volatile pid_t tid;
	volatile int returned;
	int n;			/* what epoll_wait returned */
	int err;		/* errno if n < 0 */
	struct epoll_event ev;
};

static inline void *waiter_main(void *p)
{
	struct waiter *w = p;

	w->tid = gettid();
	w->n = epoll_wait(w->ep, &w->ev, 1, w->timeout);
	w->err = errno;
	__atomic_store_n(&w->returned, 1, __ATOMIC_SEQ_CST);
	if (w->notify_fd >= 0)
		efd_write(w->notify_fd, 1);
	return NULL;
}

/*
 * Starts a waiter in epoll_wait(ep, .., 1, -1) and returns once it is
 * asleep there. Returns 0, or -1 if it could not be started or never got
 * to sleep.
 */
static inline int waiter_start(struct waiter *w, int ep, int notify_fd)
{
	memset(w, 0, sizeof(*w));
	w->ep = ep;
	w->timeout = -1;
	w->notify_fd = notify_fd;
	if (pthread_create(&w->th, NULL, waiter_main, w) != 0)
		return -1;
	return wait_tid(&w->tid) && wait_blocked(w->tid, SYS_epoll_wait) ?
	       0 : -1;
}

/*
 * After an event: waits until the waiter has either returned from
 * epoll_wait or is (still or again) asleep in it. Returns 1 if it
 * returned, 0 if it sleeps, -1 if neither could be established.
 */
static inline int waiter_settle(struct waiter *w)
{
	switch (wait_blocked_or(w->tid, SYS_epoll_wait, &w->returned)) {
	case 1:
		/* asleep; but it may have returned just after the look */
		return __atomic_load_n(&w->returned, __ATOMIC_SEQ_CST);
	case 2:
		return 1;
	default:
		return -1;
	}
}

/*
 * After an event: settles every waiter and returns how many returned, each
 * with exactly one event whose mask is @events; -1 (the case failed) if a
 * waiter's state could not be established.
 */
static inline int waiters_woken(struct waiter *w, int count, uint32_t events)
{
	int woken = 0;

	for (int i = 0; i < count; i++) {
		int r = waiter_settle(&w[i]);

		if (r < 0) {
			FAIL("waiter %d neither returned nor slept", i);
			return -1;
		}
		if (r) {
			EXPECT_EQ(w[i].n, 1);
			EXPECT_EVENTS(w[i].ev.events, events);
			woken++;
		}
	}
	return woken;
}

#endif /* EPOLL_UTIL_H */
