// SPDX-License-Identifier: GPL-2.0
/*
 * scull_poll: poll, epoll (level, edge, one-shot, exclusive, wake-up
 * keys), SIGIO and the pollability of /dev/scullpipe0 and /dev/scull0.
 * Needs scull.ko loaded; skips otherwise.
 */
#include "scull_util.h"

#include <sys/select.h>

/* epoll_wait() without waiting; returns the count, the event in *ev. */
static int ready(int ep, struct epoll_event *ev)
{
	struct epoll_event dummy;

	return epoll_wait(ep, ev ? ev : &dummy, 1, 0);
}

static int epoll_for(int fd, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = ASSERT_OK(epoll_create1(EPOLL_CLOEXEC));

	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	return ep;
}

/* poll() masks: readable with data, writable with room, each with NORM. */
TEST(poll_masks_follow_the_buffer)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY | O_NONBLOCK);
	short all = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;

	EXPECT_EQ(scull_revents(r, all) & (POLLIN | POLLRDNORM), 0);
	EXPECT_EQ(scull_revents(w, all) & (POLLOUT | POLLWRNORM),
		  POLLOUT | POLLWRNORM);
	ASSERT_EQ(write(w, "x", 1), 1);
	EXPECT_EQ(scull_revents(r, all) & (POLLIN | POLLRDNORM),
		  POLLIN | POLLRDNORM);
	ASSERT_GT(scull_fill(w), 0);
	EXPECT_EQ(scull_revents(w, all) & (POLLOUT | POLLWRNORM), 0);
}

/* Level-triggered: reported as long as data is there. */
TEST(epoll_level_triggered)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	int ep = epoll_for(r, EPOLLIN);
	struct epoll_event ev;
	char buf[8];

	EXPECT_EQ(ready(ep, NULL), 0);
	ASSERT_EQ(write(w, "ab", 2), 2);
	EXPECT_EQ(ready(ep, &ev), 1);
	EXPECT_EQ(ev.events, EPOLLIN);
	EXPECT_EQ(ready(ep, NULL), 1);		/* still there: still reported */
	ASSERT_EQ(read(r, buf, 1), 1);
	EXPECT_EQ(ready(ep, NULL), 1);
	ASSERT_EQ(read(r, buf, 1), 1);
	EXPECT_EQ(ready(ep, NULL), 0);		/* drained */
}

/* Edge-triggered: once per arrival of data, not per epoll_wait. */
TEST(epoll_edge_triggered)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	int ep = epoll_for(r, EPOLLIN | EPOLLET);
	char buf[8];

	EXPECT_EQ(ready(ep, NULL), 0);
	ASSERT_EQ(write(w, "a", 1), 1);
	EXPECT_EQ(ready(ep, NULL), 1);
	EXPECT_EQ(ready(ep, NULL), 0);		/* no new edge */
	ASSERT_EQ(write(w, "b", 1), 1);
	EXPECT_EQ(ready(ep, NULL), 1);		/* new data, new edge */
	ASSERT_EQ(read(r, buf, sizeof(buf)), 2);
	EXPECT_EQ(ready(ep, NULL), 0);
}

/* One-shot: one report, then silence until EPOLL_CTL_MOD re-arms it. */
TEST(epoll_oneshot)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	int ep = epoll_for(r, EPOLLIN | EPOLLONESHOT);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };

	ASSERT_EQ(write(w, "a", 1), 1);
	EXPECT_EQ(ready(ep, NULL), 1);
	EXPECT_EQ(ready(ep, NULL), 0);		/* disarmed */
	ASSERT_EQ(write(w, "b", 1), 1);
	EXPECT_EQ(ready(ep, NULL), 0);		/* still disarmed */
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_MOD, r, &ev));
	EXPECT_EQ(ready(ep, NULL), 1);		/* re-armed: data is there */
	EXPECT_EQ(ready(ep, NULL), 0);
}

/* EPOLLOUT edges: full means silence, a read that makes room is an edge. */
TEST(epoll_out_edge_after_read)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY | O_NONBLOCK);
	int ep = epoll_for(w, EPOLLOUT | EPOLLET);
	struct epoll_event ev;
	char buf[8];

	EXPECT_EQ(ready(ep, &ev), 1);		/* empty: writable */
	ASSERT_GT(scull_fill(w), 0);
	EXPECT_EQ(ready(ep, NULL), 0);
	ASSERT_EQ(read(r, buf, 1), 1);
	EXPECT_EQ(ready(ep, &ev), 1);
	EXPECT_TRUE(ev.events & EPOLLOUT);
}

/*
 * Wake-up keys: a write wakes with EPOLLIN, so an edge-triggered EPOLLOUT
 * watcher gets no new event from it (epoll filters on the key), while a
 * read, waking with EPOLLOUT, gives it one. Without keys the write would
 * queue a spurious EPOLLOUT edge.
 */
TEST(epoll_wakeup_keys_filter_events)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY | O_NONBLOCK);
	int ep_out = epoll_for(w, EPOLLOUT | EPOLLET);
	int ep_in = epoll_for(r, EPOLLIN | EPOLLET);
	char buf[8];

	EXPECT_EQ(ready(ep_out, NULL), 1);	/* initial state: writable */
	EXPECT_EQ(ready(ep_out, NULL), 0);
	ASSERT_EQ(write(w, "ab", 2), 2);	/* key EPOLLIN */
	EXPECT_EQ(ready(ep_out, NULL), 0);
	EXPECT_EQ(ready(ep_in, NULL), 1);
	ASSERT_EQ(read(r, buf, 1), 1);		/* key EPOLLOUT */
	EXPECT_EQ(ready(ep_out, NULL), 1);
	EXPECT_EQ(ready(ep_in, NULL), 0);	/* data left, but no new edge */
}

/* The last writer's close wakes an epoll_wait() sleeper with EPOLLHUP. */
TEST(epoll_hup_on_last_writer_close)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w1 = scull_open(SCULL_PIPE, O_WRONLY);
	int w2 = scull_open(SCULL_PIPE, O_WRONLY);
	int ep = epoll_for(r, EPOLLIN);
	struct scull_bg bg = { .op = BG_EPOLL_WAIT, .fd = ep };

	scull_bg_start_blocked(&bg);
	close(w1);				/* not the last writer */
	ASSERT_SLEEPING(bg.tid);
	EXPECT_FALSE(__atomic_load_n(&bg.done, __ATOMIC_SEQ_CST));
	close(w2);
	scull_bg_join(&bg);
	EXPECT_EQ(bg.ret, 1);
	EXPECT_EQ(bg.ev.events, EPOLLHUP);
}

/*
 * EPOLLEXCLUSIVE: NTHREADS threads, each blocked in epoll_wait() on its
 * own epoll instance watching the same scullpipe file with EPOLLIN |
 * EPOLLEXCLUSIVE. Each one-byte write must wake exactly one more of them.
 * Which instances were woken is read off deterministically: a woken
 * instance holds the (level-triggered, still readable) item on its ready
 * list, so epoll_wait(..., 0) on it reports 1; an instance nobody woke
 * never polls the file and reports 0.
 */
#define NTHREADS 4

TEST(epoll_exclusive_wakes_one, .timeout = 60)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	struct scull_bg bg[NTHREADS];
	int ep[NTHREADS], i, k, woken, nready;

	for (i = 0; i < NTHREADS; i++) {
		ep[i] = epoll_for(r, EPOLLIN | EPOLLEXCLUSIVE);
		memset(&bg[i], 0, sizeof(bg[i]));
		bg[i].op = BG_EPOLL_WAIT;
		bg[i].fd = ep[i];
	}
	/* All must be asleep in epoll_wait() before the first write. */
	for (i = 0; i < NTHREADS; i++)
		scull_bg_start_blocked(&bg[i]);

	for (k = 1; k <= NTHREADS; k++) {
		ASSERT_EQ(write(w, "x", 1), 1);
		/* Wait until k threads have returned... */
		woken = scull_bg_wait_done(bg, NTHREADS, k);
		/* ...and that exactly k instances were woken. */
		nready = 0;
		for (i = 0; i < NTHREADS; i++)
			nready += ready(ep[i], NULL);
		DIAG("write %d: %d thread(s) returned, %d instance(s) woken",
		     k, woken, nready);
		ASSERT_EQ(woken, k);
		ASSERT_EQ(nready, k);
	}
	for (i = 0; i < NTHREADS; i++) {
		scull_bg_join(&bg[i]);
		EXPECT_EQ(bg[i].ret, 1);
		EXPECT_EQ(bg[i].ev.events, EPOLLIN);
	}
}

/* The hang-up is for everybody: it wakes all EPOLLEXCLUSIVE waiters. */
TEST(epoll_exclusive_hup_wakes_all, .timeout = 60)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	struct scull_bg bg[NTHREADS];
	int i, woken;

	for (i = 0; i < NTHREADS; i++) {
		memset(&bg[i], 0, sizeof(bg[i]));
		bg[i].op = BG_EPOLL_WAIT;
		bg[i].fd = epoll_for(r, EPOLLIN | EPOLLEXCLUSIVE);
	}
	for (i = 0; i < NTHREADS; i++)
		scull_bg_start_blocked(&bg[i]);
	close(w);
	woken = scull_bg_wait_done(bg, NTHREADS, NTHREADS);
	DIAG("%d of %d waiters woken by the hang-up", woken, NTHREADS);
	ASSERT_EQ(woken, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		scull_bg_join(&bg[i]);
		EXPECT_EQ(bg[i].ret, 1);
		EXPECT_TRUE(bg[i].ev.events & EPOLLHUP);
	}
}

/* select() counts a hang-up as readable (read would not block). */
TEST(select_reports_hup_as_readable)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	struct timeval tv = { 0, 0 };
	fd_set rfds;

	FD_ZERO(&rfds);
	FD_SET(r, &rfds);
	EXPECT_EQ(select(r + 1, &rfds, NULL, NULL, &tv), 0);
	close(w);
	FD_ZERO(&rfds);
	FD_SET(r, &rfds);
	EXPECT_EQ(select(r + 1, &rfds, NULL, NULL, &tv), 1);
	EXPECT_TRUE(FD_ISSET(r, &rfds));
}

/* Takes signal @sig (blocked by the caller) or fails after a bound. */
static int take_signal(int sig, siginfo_t *si)
{
	struct timespec ts = { (time_t)(ktap_case_timeout() / 2), 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, si, &ts);
}

/* F_SETOWN + O_ASYNC: the owner gets SIGIO when data arrives. */
TEST(sigio_sent_to_owner)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	siginfo_t si;
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_OK(fcntl(r, F_SETOWN, getpid()));
	ASSERT_OK(fcntl(r, F_SETFL, fcntl(r, F_GETFL) | O_ASYNC));

	ASSERT_OK(sigpending(&pending));
	EXPECT_FALSE(sigismember(&pending, SIGIO));	/* nothing yet */
	ASSERT_EQ(write(w, "s", 1), 1);
	EXPECT_EQ(take_signal(SIGIO, &si), SIGIO);

	/* Without O_ASYNC, no more signals. */
	ASSERT_OK(fcntl(r, F_SETFL, fcntl(r, F_GETFL) & ~O_ASYNC));
	ASSERT_EQ(write(w, "t", 1), 1);
	ASSERT_OK(sigpending(&pending));
	EXPECT_FALSE(sigismember(&pending, SIGIO));
}

/* With F_SETSIG the signal says why: POLL_IN for data, POLL_HUP at EOF. */
TEST(sigio_setsig_carries_band)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	int sig = SIGRTMIN + 1;
	siginfo_t si;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	ASSERT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_OK(fcntl(r, F_SETOWN, getpid()));
	ASSERT_OK(fcntl(r, F_SETSIG, sig));
	ASSERT_OK(fcntl(r, F_SETFL, fcntl(r, F_GETFL) | O_ASYNC));

	ASSERT_EQ(write(w, "s", 1), 1);
	ASSERT_EQ(take_signal(sig, &si), sig);
	EXPECT_EQ(si.si_code, POLL_IN);
	EXPECT_EQ(si.si_fd, r);
	EXPECT_TRUE(si.si_band & POLLIN);

	close(w);
	ASSERT_EQ(take_signal(sig, &si), sig);
	EXPECT_EQ(si.si_code, POLL_HUP);
}

/* scull0 has no poll method: epoll refuses it, poll() says "ready". */
TEST(scull0_without_poll_method)
{
	int fd = scull_open(SCULL_MEM, O_RDONLY);
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = ASSERT_OK(epoll_create1(0));
	short all = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EPERM);
	EXPECT_EQ(scull_revents(fd, all), all);
}
