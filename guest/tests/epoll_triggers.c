// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_triggers: level-triggered (default), edge-triggered (EPOLLET) and
 * one-shot (EPOLLONESHOT) reporting, and re-arming with EPOLL_CTL_MOD.
 * The stress cases check that events arriving while other threads are
 * collecting are never lost: every byte or count written is read back,
 * within bounded loops and with no sleeps.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <poll.h>

struct pipe_set {
	int ep;
	int rd, wr;
};

/* A pipe whose read end (non-blocking) is registered with @events. */
static void pipe_setup(struct pipe_set *s, uint32_t events)
{
	int p[2];

	ASSERT_OK(pipe2(p, O_NONBLOCK | O_CLOEXEC));
	s->rd = p[0];
	s->wr = p[1];
	s->ep = ASSERT_OK(epoll_create1(EPOLL_CLOEXEC));
	ASSERT_OK(ep_add(s->ep, s->rd, events));
}

static void put(int fd, size_t n)
{
	char buf[64] = { 0 };

	ASSERT_LE(n, sizeof(buf));
	ASSERT_EQ(write(fd, buf, n), (ssize_t)n);
}

static void take(int fd, size_t n)
{
	char buf[64];

	ASSERT_LE(n, sizeof(buf));
	ASSERT_EQ(read(fd, buf, n), (ssize_t)n);
}

static int poll_now(int ep)
{
	struct epoll_event ev;

	return epoll_wait(ep, &ev, 1, 0);
}

TEST(lt_reports_again_without_read)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN);
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 1);
}

TEST(lt_reports_again_after_partial_read)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN);
	put(s.wr, 10);
	ASSERT_EQ(poll_now(s.ep), 1);
	take(s.rd, 5);
	EXPECT_EQ(poll_now(s.ep), 1);
}

TEST(lt_quiet_after_full_drain)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN);
	put(s.wr, 10);
	ASSERT_EQ(poll_now(s.ep), 1);
	take(s.rd, 10);
	EXPECT_EQ(poll_now(s.ep), 0);
}

TEST(et_reports_once)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLET);
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 0);
}

TEST(et_not_again_after_partial_read)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLET);
	put(s.wr, 10);
	ASSERT_EQ(poll_now(s.ep), 1);
	take(s.rd, 5);
	EXPECT_EQ(poll_now(s.ep), 0);
}

TEST(et_again_after_new_data)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLET);
	put(s.wr, 1);
	ASSERT_EQ(poll_now(s.ep), 1);
	take(s.rd, 1);
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 0);
}

/*
 * Every write to a non-empty, polled pipe is a new edge. (5.5 briefly
 * woke readers only on empty -> non-empty; 5.14+ wakes epoll waiters on
 * every write again, see pipe->poll_usage.)
 */
TEST(et_pipe_write_to_nonempty_pipe_is_an_edge)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLET);
	put(s.wr, 1);
	ASSERT_EQ(poll_now(s.ep), 1);
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 1);
}

TEST(et_eventfd_every_write_is_an_edge)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(0, 0));
	int i;

	ASSERT_OK(ep_add(ep, efd, EPOLLIN | EPOLLET));
	for (i = 0; i < 3; i++) {
		efd_write(efd, 1);
		EXPECT_EQ(poll_now(ep), 1);
		EXPECT_EQ(poll_now(ep), 0);
	}
	EXPECT_EQ(efd_read(efd), 3);
}

TEST(et_unix_stream_every_send_is_an_edge)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int sv[2];

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_OK(ep_add(ep, sv[0], EPOLLIN | EPOLLET));
	put(sv[1], 3);
	EXPECT_EQ(poll_now(ep), 1);
	EXPECT_EQ(poll_now(ep), 0);
	put(sv[1], 3);
	EXPECT_EQ(poll_now(ep), 1);
}

/* ET on the write side: writable once, then again after space is made. */
TEST(et_epollout_edge_after_pipe_drained)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int p[2];
	char buf[65536];

	ASSERT_OK(pipe2(p, O_NONBLOCK));
	ASSERT_OK(ep_add(ep, p[1], EPOLLOUT | EPOLLET));
	EXPECT_EQ(poll_now(ep), 1);
	EXPECT_EQ(poll_now(ep), 0);
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	ASSERT_EQ(errno, EAGAIN);
	EXPECT_EQ(poll_now(ep), 0);
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	EXPECT_EQ(poll_now(ep), 1);
}

/* MOD of an ET entry whose fd is still ready queues it again. */
TEST(et_mod_rearms_pending_readiness)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLET);
	put(s.wr, 1);
	ASSERT_EQ(poll_now(s.ep), 1);
	ASSERT_EQ(poll_now(s.ep), 0);
	ASSERT_OK(ep_mod(s.ep, s.rd, EPOLLIN | EPOLLET));
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 0);
}

/* MOD from ET to LT: the still-ready fd is reported on every call again. */
TEST(mod_from_et_to_lt)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLET);
	put(s.wr, 1);
	ASSERT_EQ(poll_now(s.ep), 1);
	ASSERT_EQ(poll_now(s.ep), 0);
	ASSERT_OK(ep_mod(s.ep, s.rd, EPOLLIN));
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 1);
}

TEST(et_hup_reported_once)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLET);
	close(s.wr);
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 0);
}

TEST(lt_hup_reported_on_every_call)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN);
	close(s.wr);
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 1);
}

TEST(oneshot_reports_once_then_disarmed)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLONESHOT);
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 0);
	/* new data does not re-arm it */
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 0);
}

TEST(oneshot_mod_rearms)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLONESHOT);
	put(s.wr, 1);
	ASSERT_EQ(poll_now(s.ep), 1);
	ASSERT_EQ(poll_now(s.ep), 0);
	ASSERT_OK(ep_mod(s.ep, s.rd, EPOLLIN | EPOLLONESHOT));
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 0);
}

/* A disarmed entry is still registered: ADD says EEXIST, DEL works. */
TEST(oneshot_disarmed_entry_stays_registered)
{
	struct pipe_set s;
	uint32_t events = 0;
	uint64_t data;

	pipe_setup(&s, EPOLLIN | EPOLLONESHOT);
	put(s.wr, 1);
	ASSERT_EQ(poll_now(s.ep), 1);
	EXPECT_ERRNO(ep_add(s.ep, s.rd, EPOLLIN), EEXIST);
	/* its stored mask is reduced to the private bits */
	ASSERT_EQ(fdinfo_entry(s.ep, s.rd, &events, &data), 1);
	EXPECT_EVENTS(events, EPOLLONESHOT);
	EXPECT_OK(epoll_ctl(s.ep, EPOLL_CTL_DEL, s.rd, NULL));
}

/* While disarmed, not even EPOLLHUP is reported; after MOD it is. */
TEST(oneshot_disarmed_hides_hup_until_rearmed)
{
	struct pipe_set s;
	struct epoll_event ev;

	pipe_setup(&s, EPOLLIN | EPOLLONESHOT);
	put(s.wr, 1);
	ASSERT_EQ(poll_now(s.ep), 1);
	take(s.rd, 1);
	close(s.wr);
	EXPECT_EQ(poll_now(s.ep), 0);
	ASSERT_OK(ep_mod(s.ep, s.rd, EPOLLIN | EPOLLONESHOT));
	ASSERT_EQ(epoll_wait(s.ep, &ev, 1, 0), 1);
	EXPECT_EVENTS(ev.events, EPOLLHUP);
}

TEST(oneshot_et_reports_once_per_arming)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLET | EPOLLONESHOT);
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 1);
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 0);
	/* re-armed with data pending: reported once more, then not again */
	ASSERT_OK(ep_mod(s.ep, s.rd, EPOLLIN | EPOLLET | EPOLLONESHOT));
	EXPECT_EQ(poll_now(s.ep), 1);
	EXPECT_EQ(poll_now(s.ep), 0);
}

/* A one-shot entry armed on a quiet fd fires on the next arrival. */
TEST(oneshot_armed_on_quiet_fd_fires_later)
{
	struct pipe_set s;

	pipe_setup(&s, EPOLLIN | EPOLLONESHOT);
	EXPECT_EQ(poll_now(s.ep), 0);
	put(s.wr, 1);
	EXPECT_EQ(poll_now(s.ep), 1);
}

/* --- stress: no event is lost while others collect ---------------------- */

#define WRITERS 2
#define READERS 3
#define WRITES_PER_WRITER 1000

struct stress {
	int ep;
	int rd, wr;		/* the pipe, or rd == wr == an eventfd */
	int stop;		/* eventfd registered LT: tells readers to quit */
	int done;		/* eventfd the main thread waits on */
	int is_eventfd;
	int oneshot;
	volatile long total;	/* bytes or counts read so far */
	long target;
	volatile int errors;
};

static void *stress_writer(void *p)
{
	struct stress *s = p;
	int i;

	for (i = 0; i < WRITES_PER_WRITER; i++) {
		int ok = s->is_eventfd ? efd_write(s->wr, 1) == 0 :
					 write(s->wr, "x", 1) == 1;

		if (!ok)
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* Reads everything available; returns how much. */
static long stress_drain(struct stress *s)
{
	long got = 0;
	char buf[256];

	for (;;) {
		if (s->is_eventfd) {
			uint64_t v;

			if (read(s->rd, &v, sizeof(v)) != sizeof(v))
				break;
			got += (long)v;
		} else {
			ssize_t n = read(s->rd, buf, sizeof(buf));

			if (n <= 0)
				break;
			got += n;
		}
	}
	if (errno != EAGAIN)
		__atomic_add_fetch(&s->errors, 1, __ATOMIC_SEQ_CST);
	return got;
}

static void *stress_reader(void *p)
{
	struct stress *s = p;
	struct epoll_event ev[2];

	for (;;) {
		int n = epoll_wait(s->ep, ev, 2, -1), i;

		if (n < 0) {
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_SEQ_CST);
			return NULL;
		}
		for (i = 0; i < n; i++) {
			long got;

			if (ev[i].data.u64 == (uint64_t)s->stop)
				return NULL;
			got = stress_drain(s);
			if (s->oneshot &&
			    ep_mod(s->ep, s->rd, EPOLLIN | EPOLLONESHOT) != 0)
				__atomic_add_fetch(&s->errors, 1,
						   __ATOMIC_SEQ_CST);
			if (got && __atomic_add_fetch(&s->total, got,
						      __ATOMIC_SEQ_CST) ==
				   s->target) {
				efd_write(s->stop, 1);
				efd_write(s->done, 1);
			}
		}
	}
}

static void run_stress(int is_eventfd, uint32_t mode)
{
	pthread_t w[WRITERS], r[READERS];
	struct pollfd pfd;
	struct stress s;
	int i, ready;

	memset(&s, 0, sizeof(s));
	s.is_eventfd = is_eventfd;
	s.oneshot = !!(mode & EPOLLONESHOT);
	s.target = (long)WRITERS * WRITES_PER_WRITER;
	if (is_eventfd) {
		s.rd = s.wr = ASSERT_OK(eventfd(0, EFD_NONBLOCK));
	} else {
		int p[2];

		ASSERT_OK(pipe2(p, O_NONBLOCK));
		s.rd = p[0];
		s.wr = p[1];
		/* the writers may block on a full pipe; the read end not */
		ASSERT_OK(fcntl(s.wr, F_SETFL, 0));
	}
	s.stop = ASSERT_OK(eventfd(0, 0));
	s.done = ASSERT_OK(eventfd(0, 0));
	s.ep = ASSERT_OK(epoll_create1(0));
	ASSERT_OK(ep_add(s.ep, s.rd, EPOLLIN | mode));
	ASSERT_OK(ep_add(s.ep, s.stop, EPOLLIN));

	for (i = 0; i < READERS; i++)
		ASSERT_EQ(pthread_create(&r[i], NULL, stress_reader, &s), 0);
	for (i = 0; i < WRITERS; i++)
		ASSERT_EQ(pthread_create(&w[i], NULL, stress_writer, &s), 0);
	for (i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);

	/* bounded: a lost event shows up as this poll running out */
	pfd.fd = s.done;
	pfd.events = POLLIN;
	ready = poll(&pfd, 1, (int)(ktap_case_timeout() * 500));
	if (ready != 1)
		FAIL("events lost: read %ld of %ld after all writers finished",
		     s.total, s.target);
	else
		for (i = 0; i < READERS; i++)
			pthread_join(r[i], NULL);
	EXPECT_EQ(s.total, s.target);
	EXPECT_EQ(s.errors, 0);
}

TEST(stress_et_pipe_no_byte_lost)
{
	run_stress(0, EPOLLET);
}

TEST(stress_lt_pipe_no_byte_lost)
{
	run_stress(0, 0);
}

TEST(stress_et_eventfd_counts_add_up)
{
	run_stress(1, EPOLLET);
}

/*
 * One-shot with re-arming after each drain: arrivals between the drain and
 * the MOD are caught by the MOD itself.
 */
TEST(stress_oneshot_rearm_no_byte_lost)
{
	run_stress(0, EPOLLONESHOT);
}
