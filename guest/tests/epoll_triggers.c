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

/*
 * A pipe watched with some events, and a script of steps on it: write or
 * read bytes, see how many events epoll_wait(.., 0) reports, re-arm with
 * MOD, close the write end. A row per case.
 */
enum step_op { END, PUT, TAKE, SEE, MOD, CLOSE_WRITER };

struct step {
	enum step_op op;
	unsigned int arg;	/* bytes, events reported, or the MOD mask */
};

#define MAX_STEPS 8

FIXTURE(script) {
	struct pipe_set s;
};

FIXTURE_VARIANT(script) {
	uint32_t events;
	struct step steps[MAX_STEPS];
};

FIXTURE_SETUP(script)
{
	pipe_setup(&self->s, variant->events);
}

FIXTURE_VARIANT_ADD(script, lt_reports_again_without_read) {
	EPOLLIN, { { PUT, 1 }, { SEE, 1 }, { SEE, 1 }, { SEE, 1 } },
};

FIXTURE_VARIANT_ADD(script, lt_reports_again_after_partial_read) {
	EPOLLIN, { { PUT, 10 }, { SEE, 1 }, { TAKE, 5 }, { SEE, 1 } },
};

FIXTURE_VARIANT_ADD(script, lt_quiet_after_full_drain) {
	EPOLLIN, { { PUT, 10 }, { SEE, 1 }, { TAKE, 10 }, { SEE, 0 } },
};

FIXTURE_VARIANT_ADD(script, et_reports_once) {
	EPOLLIN | EPOLLET, { { PUT, 1 }, { SEE, 1 }, { SEE, 0 } },
};

FIXTURE_VARIANT_ADD(script, et_not_again_after_partial_read) {
	EPOLLIN | EPOLLET, { { PUT, 10 }, { SEE, 1 }, { TAKE, 5 }, { SEE, 0 } },
};

FIXTURE_VARIANT_ADD(script, et_again_after_new_data) {
	EPOLLIN | EPOLLET,
	{ { PUT, 1 }, { SEE, 1 }, { TAKE, 1 }, { PUT, 1 }, { SEE, 1 }, { SEE, 0 } },
};

/*
 * Every write to a non-empty, polled pipe is a new edge. (5.5 briefly
 * woke readers only on empty -> non-empty; 5.14+ wakes epoll waiters on
 * every write again, see pipe->poll_usage.)
 */
FIXTURE_VARIANT_ADD(script, et_pipe_write_to_nonempty_pipe_is_an_edge) {
	EPOLLIN | EPOLLET, { { PUT, 1 }, { SEE, 1 }, { PUT, 1 }, { SEE, 1 } },
};

/* MOD of an ET entry whose fd is still ready queues it again. */
FIXTURE_VARIANT_ADD(script, et_mod_rearms_pending_readiness) {
	EPOLLIN | EPOLLET,
	{ { PUT, 1 }, { SEE, 1 }, { SEE, 0 }, { MOD, EPOLLIN | EPOLLET },
	  { SEE, 1 }, { SEE, 0 } },
};

/* MOD from ET to LT: the still-ready fd is reported on every call again. */
FIXTURE_VARIANT_ADD(script, mod_from_et_to_lt) {
	EPOLLIN | EPOLLET,
	{ { PUT, 1 }, { SEE, 1 }, { SEE, 0 }, { MOD, EPOLLIN }, { SEE, 1 },
	  { SEE, 1 } },
};

FIXTURE_VARIANT_ADD(script, et_hup_reported_once) {
	EPOLLIN | EPOLLET, { { CLOSE_WRITER, 0 }, { SEE, 1 }, { SEE, 0 } },
};

FIXTURE_VARIANT_ADD(script, lt_hup_reported_on_every_call) {
	EPOLLIN, { { CLOSE_WRITER, 0 }, { SEE, 1 }, { SEE, 1 } },
};

/* New data does not re-arm a one-shot entry. */
FIXTURE_VARIANT_ADD(script, oneshot_reports_once_then_disarmed) {
	EPOLLIN | EPOLLONESHOT,
	{ { PUT, 1 }, { SEE, 1 }, { SEE, 0 }, { PUT, 1 }, { SEE, 0 } },
};

FIXTURE_VARIANT_ADD(script, oneshot_mod_rearms) {
	EPOLLIN | EPOLLONESHOT,
	{ { PUT, 1 }, { SEE, 1 }, { SEE, 0 }, { MOD, EPOLLIN | EPOLLONESHOT },
	  { SEE, 1 }, { SEE, 0 } },
};

/* Re-armed with data pending: reported once more, then not again. */
FIXTURE_VARIANT_ADD(script, oneshot_et_reports_once_per_arming) {
	EPOLLIN | EPOLLET | EPOLLONESHOT,
	{ { PUT, 1 }, { SEE, 1 }, { PUT, 1 }, { SEE, 0 },
	  { MOD, EPOLLIN | EPOLLET | EPOLLONESHOT }, { SEE, 1 }, { SEE, 0 } },
};

/* A one-shot entry armed on a quiet fd fires on the next arrival. */
FIXTURE_VARIANT_ADD(script, oneshot_armed_on_quiet_fd_fires_later) {
	EPOLLIN | EPOLLONESHOT, { { SEE, 0 }, { PUT, 1 }, { SEE, 1 } },
};

TEST_F(script, runs)
{
	const struct step *st;
	int n;

	for (st = variant->steps; st < variant->steps + MAX_STEPS; st++) {
		switch (st->op) {
		case END:
			return;
		case PUT:
			put(self->s.wr, st->arg);
			break;
		case TAKE:
			take(self->s.rd, st->arg);
			break;
		case SEE:
			n = poll_now(self->s.ep);
			if (n != (int)st->arg)
				FAIL("step %d: epoll_wait reported %d events, expected %u",
				     (int)(st - variant->steps) + 1, n, st->arg);
			break;
		case MOD:
			ASSERT_OK(ep_mod(self->s.ep, self->s.rd, st->arg));
			break;
		case CLOSE_WRITER:
			ASSERT_OK(close(self->s.wr));
			break;
		}
	}
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

FIXTURE(stress) {};

FIXTURE_VARIANT(stress) {
	int eventfd;		/* an eventfd, not a pipe */
	uint32_t mode;		/* EPOLLIN's companions */
};

FIXTURE_VARIANT_ADD(stress, stress_et_pipe_no_byte_lost) {
	.mode = EPOLLET,
};

FIXTURE_VARIANT_ADD(stress, stress_lt_pipe_no_byte_lost) {
	.mode = 0,
};

FIXTURE_VARIANT_ADD(stress, stress_et_eventfd_counts_add_up) {
	.eventfd = 1, .mode = EPOLLET,
};

/*
 * One-shot with re-arming after each drain: arrivals between the drain and
 * the MOD are caught by the MOD itself.
 */
FIXTURE_VARIANT_ADD(stress, stress_oneshot_rearm_no_byte_lost) {
	.mode = EPOLLONESHOT,
};

TEST_F(stress, runs)
{
	run_stress(variant->eventfd, variant->mode);
}
