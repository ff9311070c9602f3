// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_events: what a returned event contains. The mask is the requested
 * events intersected with the file's readiness, plus EPOLLERR and EPOLLHUP
 * which are always reported; EPOLLRDHUP and EPOLLPRI for sockets; and the
 * user data, all 64 bits of it, exactly as last given to ADD or MOD.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <netinet/tcp.h>
#include <poll.h>

/*
 * For readiness that arrives in steps (network packets): the mask seen
 * once all of @bits are present, waiting for each step in epoll_wait.
 * Bounded by most of the case's timeout.
 */
static uint32_t events_once_all(int ep, uint32_t bits)
{
	long long deadline = ktap_now_ns() +
			     (long long)(ktap_case_timeout() * 0.5e9);
	uint32_t m = 0;

	while (ktap_now_ns() < deadline) {
		m = ep_events_now(ep, -1);
		if ((m & bits) == bits)
			break;
		sched_yield();
	}
	return m;
}

/*
 * One end of a pipe watched, then the other end closed: the mask before
 * and after, a row per case. EPOLLHUP comes to a reader without being
 * asked for when the writer is gone, EPOLLERR to a writer when the reader
 * is.
 */
FIXTURE(pipe_end) {
	int p[2], ep;
};

FIXTURE_VARIANT(pipe_end) {
	int writer;		/* watch the write end, close the read end */
	uint32_t events;
	int unread_byte;	/* written before the close */
	uint32_t before, after;	/* the masks reported */
};

FIXTURE_SETUP(pipe_end)
{
	ASSERT_OK(pipe(self->p));
	self->ep = ep_watch(self->p[variant->writer], variant->events);
	if (variant->unread_byte)
		ASSERT_EQ(write(self->p[1], "x", 1), 1);
}

FIXTURE_VARIANT_ADD(pipe_end, events_hup_unrequested_on_pipe_reader) {
	.events = EPOLLIN, .before = 0, .after = EPOLLHUP,
};

FIXTURE_VARIANT_ADD(pipe_end, events_hup_with_unread_data) {
	.events = EPOLLIN, .unread_byte = 1, .before = EPOLLIN,
	.after = EPOLLIN | EPOLLHUP,
};

FIXTURE_VARIANT_ADD(pipe_end, events_err_unrequested_on_pipe_writer) {
	.writer = 1, .events = EPOLLIN, .before = 0, .after = EPOLLERR,
};

FIXTURE_VARIANT_ADD(pipe_end, events_err_with_requested_out) {
	.writer = 1, .events = EPOLLOUT, .before = EPOLLOUT,
	.after = EPOLLOUT | EPOLLERR,
};

/* An empty mask still gets EPOLLHUP and EPOLLERR ... */
FIXTURE_VARIANT_ADD(pipe_end, events_zero_mask_still_gets_hup) {
	.events = 0, .before = 0, .after = EPOLLHUP,
};

FIXTURE_VARIANT_ADD(pipe_end, events_zero_mask_still_gets_err) {
	.writer = 1, .events = 0, .before = 0, .after = EPOLLERR,
};

TEST_F(pipe_end, other_end_closed)
{
	EXPECT_EVENTS(ep_events_now(self->ep, 0), variant->before);
	ASSERT_OK(close(self->p[!variant->writer]));
	EXPECT_EVENTS(ep_events_now(self->ep, 0), variant->after);
}

/* ... and nothing else, however ready the file is. */
TEST(events_zero_mask_ignores_readiness)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, 0);

	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

/* Returned mask = requested ∩ ready: a socket that is IN|OUT ready. */
TEST(events_mask_is_requested_and_ready)
{
	int sv[2], ep;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(write(sv[1], "x", 1), 1);
	ep = ep_watch(sv[0], EPOLLIN);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
	ASSERT_OK(ep_mod(ep, sv[0], EPOLLOUT));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
	ASSERT_OK(ep_mod(ep, sv[0], EPOLLIN | EPOLLOUT | EPOLLPRI));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLOUT);
	ASSERT_OK(ep_mod(ep, sv[0], EPOLLIN | EPOLLRDNORM | EPOLLWRNORM));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLRDNORM | EPOLLWRNORM);
}

TEST(events_rdnorm_alone)
{
	int p[2], ep;

	ASSERT_OK(pipe(p));
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ep = ep_watch(p[0], EPOLLRDNORM);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLRDNORM);
}

TEST(events_wrnorm_alone)
{
	int p[2], ep;

	ASSERT_OK(pipe(p));
	ep = ep_watch(p[1], EPOLLWRNORM);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLWRNORM);
}

TEST(events_pipe_full_is_not_writable)
{
	int p[2], ep;
	char buf[65536];

	ASSERT_OK(pipe2(p, O_NONBLOCK));
	ep = ep_watch(p[1], EPOLLOUT);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	ASSERT_EQ(errno, EAGAIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
}

TEST(events_eventfd_writable_when_zero)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN | EPOLLOUT);

	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
}

/* At the maximum count 0xfffffffffffffffe an eventfd is not writable. */
TEST(events_eventfd_full_is_readable_not_writable)
{
	int efd = ASSERT_OK(eventfd(0, 0));
	int ep = ep_watch(efd, EPOLLIN | EPOLLOUT);

	ASSERT_OK(efd_write(efd, 0xfffffffffffffffeULL));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}

/* EPOLLRDHUP: the peer shut down its sending side. */
TEST(events_rdhup_unix_stream_shutdown_wr)
{
	int sv[2], ep;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ep = ep_watch(sv[0], EPOLLIN | EPOLLRDHUP);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_OK(shutdown(sv[1], SHUT_WR));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLRDHUP);
}

/* EPOLLRDHUP is not implied: without it only EPOLLIN (EOF) shows. */
TEST(events_rdhup_only_when_requested)
{
	int sv[2], ep;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ep = ep_watch(sv[0], EPOLLIN);
	ASSERT_OK(shutdown(sv[1], SHUT_WR));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}

/* Our own SHUT_RD also counts as "no more to read". */
TEST(events_rdhup_unix_stream_own_shutdown_rd)
{
	int sv[2], ep;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ep = ep_watch(sv[0], EPOLLIN | EPOLLRDHUP);
	ASSERT_OK(shutdown(sv[0], SHUT_RD));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLRDHUP);
}

/* The peer closing entirely: EOF, RDHUP and HUP, still writable. */
TEST(events_unix_stream_peer_closed)
{
	int sv[2], ep;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ep = ep_watch(sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	close(sv[1]);
	EXPECT_EVENTS(ep_events_now(ep, 0),
		      EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP);
}

TEST(events_rdhup_tcp_shutdown_wr)
{
	int c, s, ep;

	ASSERT_OK(tcp_pair(&c, &s));
	ep = ep_watch(s, EPOLLIN | EPOLLRDHUP);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_OK(shutdown(c, SHUT_WR));
	/* the FIN travels through loopback: wait for it */
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLIN | EPOLLRDHUP);
}

/* A half-closed TCP socket can still send: EPOLLOUT stays. */
TEST(events_tcp_half_closed_still_writable)
{
	int c, s, ep;

	ASSERT_OK(tcp_pair(&c, &s));
	ep = ep_watch(s, EPOLLRDHUP);
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_EVENTS(ep_events_now(ep, -1), EPOLLRDHUP);
	ASSERT_OK(ep_mod(ep, s, EPOLLOUT | EPOLLRDHUP));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT | EPOLLRDHUP);
}

/* Out-of-band TCP data makes the receiver EPOLLPRI. */
TEST(events_pri_tcp_oob)
{
	int c, s, ep;

	ASSERT_OK(tcp_pair(&c, &s));
	ep = ep_watch(s, EPOLLPRI);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(send(c, "!", 1, MSG_OOB), 1);
	EXPECT_EVENTS(ep_events_now(ep, -1), EPOLLPRI);
}

/*
 * The urgent byte alone is not "readable" (it is read with MSG_OOB), so
 * with normal data absent EPOLLIN is not set.
 */
TEST(events_pri_urgent_byte_alone_not_epollin)
{
	struct pollfd pfd;
	int c, s, ep;

	ASSERT_OK(tcp_pair(&c, &s));
	ep = ep_watch(s, EPOLLIN);
	ASSERT_EQ(send(c, "!", 1, MSG_OOB), 1);
	pfd.fd = s;
	pfd.events = POLLPRI;
	ASSERT_EQ(poll(&pfd, 1, -1), 1);	/* it has arrived */
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

TEST(events_pri_with_normal_data)
{
	int c, s, ep;
	char b;

	ASSERT_OK(tcp_pair(&c, &s));
	ep = ep_watch(s, EPOLLIN | EPOLLPRI);
	ASSERT_EQ(send(c, "ab", 2, 0), 2);
	ASSERT_EQ(send(c, "!", 1, MSG_OOB), 1);
	EXPECT_EVENTS(events_once_all(ep, EPOLLIN | EPOLLPRI),
		      EPOLLIN | EPOLLPRI);
	/* reading the urgent byte ends EPOLLPRI */
	ASSERT_EQ(recv(s, &b, 1, MSG_OOB), 1);
	EXPECT_EQ(b, '!');
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}

/* A refused non-blocking connect: writable, error and hang-up. */
TEST(events_tcp_refused_connect)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int l, c, ep;

	/* a port nobody listens on: bind one, note it, close it */
	l = ASSERT_OK(socket(AF_INET, SOCK_STREAM, 0));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(getsockname(l, (struct sockaddr *)&a, &alen));
	close(l);
	c = ASSERT_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	ep = ep_watch(c, EPOLLOUT);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) == 0)
		SKIP("connect to a closed port succeeded");
	ASSERT_TRUE(errno == EINPROGRESS || errno == ECONNREFUSED);
	EXPECT_EVENTS(events_once_all(ep, EPOLLHUP),
		      EPOLLOUT | EPOLLERR | EPOLLHUP);
}

/* The data is returned exactly, all 64 bits. */
TEST(events_data_u64_returned_unchanged)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN,
			 0xfedcba9876543210ULL));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 0xfedcba9876543210ULL);
}

TEST(events_data_changed_by_mod)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 1));
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN,
			 0x8000000000000001ULL));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 0x8000000000000001ULL);
}

/* Each registration carries its own data; one call returns both. */
TEST(events_data_distinguishes_registrations)
{
	int a = ASSERT_OK(eventfd(1, 0));
	int b = ASSERT_OK(eventfd(1, 0));
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev[2];

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, a, EPOLLIN, 0xaaaa));
	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, b, EPOLLIN, 0xbbbb));
	ASSERT_EQ(epoll_wait(ep, ev, 2, 0), 2);
	EXPECT_EQ(ev[0].data.u64 ^ ev[1].data.u64, 0xaaaa ^ 0xbbbb);
}

/* Control bits (ET, ONESHOT, ...) never appear in returned events. */
TEST(events_control_bits_not_returned)
{
	int efd = ASSERT_OK(eventfd(1, 0));
	int ep = ep_watch(efd, EPOLLIN | EPOLLET | EPOLLONESHOT | EPOLLRDHUP);

	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN);
}
