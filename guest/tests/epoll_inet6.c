// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_inet6: readiness of AF_INET6 sockets over the loopback address ::1,
 * TCP and UDP, with the exact mask each step gives.
 *
 * What the masks come from (net/ipv4/tcp.c tcp_poll, shared by TCP over
 * IPv6; net/core/datagram.c datagram_poll under udp_poll):
 *  - a listener is EPOLLIN while its accept queue is not empty;
 *  - EPOLLRDHUP and EPOLLIN come with RCV_SHUTDOWN (the peer's FIN);
 *  - EPOLLHUP only when both directions are shut (sk_shutdown ==
 *    SHUTDOWN_MASK) or the socket is closed (TCP_CLOSE): a half-closed
 *    socket is not hung up;
 *  - a connected socket whose sending side is shut stays EPOLLOUT (a write
 *    fails at once rather than blocking);
 *  - a pending socket error (sk_err) is EPOLLERR until SO_ERROR reads it.
 * epoll adds EPOLLERR and EPOLLHUP to every registration and reports the
 * rest only if asked for (fs/eventpoll.c ep_item_poll).
 *
 * Packets on loopback are processed in softirq context, possibly after the
 * sending call returned, so every step that depends on a packet arriving
 * waits for it in epoll_wait, with a timeout.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <netinet/tcp.h>

/* How long to wait for one step on loopback: half the case's timeout. */
static int step_ms(void)
{
	return (int)(ktap_case_timeout() * 500);
}

/*
 * For readiness that arrives in steps: the mask seen once all of @bits are
 * present, waiting for each step in epoll_wait. Bounded by half the case's
 * timeout; the mask last seen (maybe 0) if @bits never all showed up.
 */
static uint32_t events_once_all(int ep, uint32_t bits)
{
	long long deadline = ktap_now_ns() + step_ms() * 1000000LL;
	uint32_t m = 0;
	long long left;

	while ((left = deadline - ktap_now_ns()) > 0) {
		m = ep_events_now(ep, (int)(left / 1000000) + 1);
		if ((m & bits) == bits)
			break;
		sched_yield();
	}
	return m;
}

/* An AF_INET6 socket, or the case is skipped if the kernel has no IPv6. */
static int inet6_socket(int type)
{
	int fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);

	if (fd < 0 && errno == EAFNOSUPPORT)
		SKIP("socket(AF_INET6): EAFNOSUPPORT (kernel without CONFIG_IPV6)");
	return ASSERT_OK(fd);
}

static void loopback6(struct sockaddr_in6 *a)
{
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	a->sin6_addr = in6addr_loopback;
}

/* Binds @fd to [::1] on an ephemeral port and stores the address in @a. */
static void bind_loopback6(int fd, struct sockaddr_in6 *a)
{
	socklen_t alen = sizeof(*a);

	loopback6(a);
	ASSERT_OK(bind(fd, (struct sockaddr *)a, sizeof(*a)));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)a, &alen));
}

/* A TCP listener on [::1] and an ephemeral port; @a gets its address. */
static int tcp6_listener(struct sockaddr_in6 *a)
{
	int l = inet6_socket(SOCK_STREAM);

	bind_loopback6(l, a);
	ASSERT_OK(listen(l, 4));
	return l;
}

/* A connected TCP pair over ::1: *client and *server (the accepted one). */
static void tcp6_pair(int *client, int *server)
{
	struct sockaddr_in6 a;
	int l = tcp6_listener(&a);

	*client = inet6_socket(SOCK_STREAM);
	ASSERT_OK(connect(*client, (struct sockaddr *)&a, sizeof(a)));
	*server = ASSERT_OK(accept4(l, NULL, NULL, SOCK_CLOEXEC));
	close(l);
}

/*
 * An address on ::1 where nothing of @type listens: an ephemeral port
 * bound, noted and released. Nothing else on the machine binds ports
 * during a case, so it stays free.
 */
static void closed_port6(int type, struct sockaddr_in6 *a)
{
	int fd = inet6_socket(type);

	bind_loopback6(fd, a);
	close(fd);
}

/*
 * A TCP listener on [::] (any address, so IPv4 can reach it unless
 * IPV6_V6ONLY is set): its port is in a->sin6_port.
 */
static int any6_listener(int v6only, struct sockaddr_in6 *a)
{
	socklen_t len = sizeof(*a);
	int l = inet6_socket(SOCK_STREAM);

	ASSERT_OK(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)));
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	a->sin6_addr = in6addr_any;
	ASSERT_OK(bind(l, (struct sockaddr *)a, sizeof(*a)));
	ASSERT_OK(getsockname(l, (struct sockaddr *)a, &len));
	ASSERT_OK(listen(l, 4));
	return l;
}

TEST(inet6_tcp_listener_readable_on_connect)
{
	struct sockaddr_in6 a;
	int l = tcp6_listener(&a);
	int ep = ep_watch(l, EPOLLIN | EPOLLOUT);
	int c;

	EXPECT_EQ(ep_events_now(ep, 0), 0);
	c = inet6_socket(SOCK_STREAM);
	ASSERT_OK(connect(c, (struct sockaddr *)&a, sizeof(a)));
	/* the handshake's last ACK may still be on its way to the listener */
	EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLIN);
	ASSERT_OK(accept4(l, NULL, NULL, SOCK_CLOEXEC));
	/* the queue is empty again; a listener is never writable */
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

/* A non-blocking connect to ::1 completes with EPOLLOUT and no error. */
TEST(inet6_tcp_nonblocking_connect_writable)
{
	struct sockaddr_in6 a;
	int l = tcp6_listener(&a);
	int c = inet6_socket(SOCK_STREAM | SOCK_NONBLOCK);
	int ep = ep_watch(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	int err = -1;
	socklen_t len = sizeof(err);

	if (connect(c, (struct sockaddr *)&a, sizeof(a)) != 0)
		ASSERT_EQ(errno, EINPROGRESS);
	EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLOUT);
	ASSERT_OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(err, 0);
	close(l);
}

/* Both ends of a fresh connection can send at once and have nothing to read. */
TEST(inet6_tcp_connected_writable_at_once)
{
	int c, s, epc, eps;

	tcp6_pair(&c, &s);
	epc = ep_watch(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	eps = ep_watch(s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	EXPECT_EVENTS(ep_events_now(epc, 0), EPOLLOUT);
	EXPECT_EVENTS(ep_events_now(eps, 0), EPOLLOUT);
}

TEST(inet6_tcp_readable_after_peer_write)
{
	char buf[8];
	int c, s, ep;

	tcp6_pair(&c, &s);
	ep = ep_watch(s, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(send(c, "hello", 5, 0), 5);
	EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLIN);
	ASSERT_OK(ep_mod(ep, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLOUT);
	/* reading all of it ends EPOLLIN */
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 5);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
}

/*
 * The peer's shutdown(SHUT_WR) sends a FIN: EPOLLIN (a read returns 0) and
 * EPOLLRDHUP. Only one direction is shut, so no EPOLLHUP, and this end can
 * still send.
 */
TEST(inet6_tcp_peer_shut_wr_in_rdhup)
{
	char b;
	int c, s, ep;

	tcp6_pair(&c, &s);
	ep = ep_watch(s, EPOLLIN | EPOLLRDHUP);
	ASSERT_OK(shutdown(c, SHUT_WR));
	EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLIN | EPOLLRDHUP);
	ASSERT_OK(ep_mod(ep, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	EXPECT_EQ(recv(s, &b, 1, 0), 0);
	/* end of file stays readable */
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
}

/*
 * Each side shuts its sending direction: once this end has the peer's FIN
 * and has shut its own side, sk_shutdown is SHUTDOWN_MASK and EPOLLHUP
 * joins EPOLLIN|EPOLLRDHUP. EPOLLOUT stays (tcp_poll reports a socket whose
 * sending side is shut as writable: a write fails at once with EPIPE).
 */
TEST(inet6_tcp_both_directions_shut_hup)
{
	const uint32_t all = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	int c, s, ep;

	tcp6_pair(&c, &s);
	ep = ep_watch(s, all);
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_EVENTS(events_once_all(ep, EPOLLRDHUP), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	ASSERT_OK(shutdown(s, SHUT_WR));
	EXPECT_EVENTS(ep_events_now(ep, 0), all | EPOLLHUP);
	/* EPOLLHUP comes unrequested */
	ASSERT_OK(ep_mod(ep, s, EPOLLRDHUP));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLRDHUP | EPOLLHUP);
}

/* As above, with the peer closing its socket instead of shutting one side. */
TEST(inet6_tcp_peer_close_local_shut_wr_hup)
{
	const uint32_t all = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	int c, s, ep;

	tcp6_pair(&c, &s);
	ep = ep_watch(s, all);
	ASSERT_OK(close(c));
	ASSERT_EVENTS(events_once_all(ep, EPOLLRDHUP), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	ASSERT_OK(shutdown(s, SHUT_WR));
	EXPECT_EVENTS(ep_events_now(ep, 0), all | EPOLLHUP);
}

/*
 * A peer that closes with SO_LINGER {1, 0} sends a RST: the connection is
 * reset (sk_err ECONNRESET, then closed), so this end sees everything:
 * EPOLLERR and EPOLLHUP, EPOLLIN|EPOLLRDHUP (read side shut) and EPOLLOUT
 * (send side shut). Reading SO_ERROR clears EPOLLERR.
 */
TEST(inet6_tcp_peer_reset_err_hup)
{
	const uint32_t all = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int c, s, ep, err = -1;
	socklen_t len = sizeof(err);

	tcp6_pair(&c, &s);
	ep = ep_watch(s, all);
	ASSERT_OK(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_OK(close(c));
	EXPECT_EVENTS(events_once_all(ep, EPOLLERR | EPOLLHUP), all | EPOLLERR | EPOLLHUP);
	ASSERT_OK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(err, ECONNRESET);
	EXPECT_EVENTS(ep_events_now(ep, 0), all | EPOLLHUP);
}

/*
 * Edge-triggered: each arrival is reported once, even though the data of
 * the earlier ones is still unread. TCP_NODELAY sends each byte at once, so
 * Nagle cannot hold the second until the first is acknowledged.
 */
TEST(inet6_tcp_edge_triggered_one_report_per_arrival)
{
	const int one = 1;
	char buf[8];
	int c, s, ep, i;

	tcp6_pair(&c, &s);
	ASSERT_OK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	ep = ep_watch(s, EPOLLIN | EPOLLET);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(send(c, "x", 1, 0), 1);
		EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLIN);
		/* unread data is no new edge */
		EXPECT_EQ(ep_events_now(ep, 0), 0);
	}
	EXPECT_EQ(recv(s, buf, sizeof(buf), MSG_DONTWAIT), 3);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

/* A UDP socket can send at once, bound or not, and has nothing to read. */
TEST(inet6_udp_writable_at_once)
{
	struct sockaddr_in6 a;
	int u = inet6_socket(SOCK_DGRAM);
	int ep = ep_watch(u, EPOLLIN | EPOLLOUT | EPOLLRDHUP);

	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
	bind_loopback6(u, &a);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
}

TEST(inet6_udp_readable_after_datagram)
{
	struct sockaddr_in6 a;
	int r = inet6_socket(SOCK_DGRAM);
	int s = inet6_socket(SOCK_DGRAM);
	char buf[8];
	int ep;

	bind_loopback6(r, &a);
	ep = ep_watch(r, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(sendto(s, "abc", 3, 0, (struct sockaddr *)&a, sizeof(a)), 3);
	EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLIN);
	EXPECT_EQ(recv(r, buf, sizeof(buf), MSG_DONTWAIT), 3);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}

/*
 * A connected UDP socket that sends to a closed port gets ICMPv6 "port
 * unreachable" back; the kernel turns it into sk_err ECONNREFUSED (only a
 * connected socket is told), which is EPOLLERR, requested or not, until
 * SO_ERROR reads it.
 */
TEST(inet6_udp_connected_refused_err)
{
	struct sockaddr_in6 a;
	int u, ep, err = -1;
	socklen_t len = sizeof(err);

	closed_port6(SOCK_DGRAM, &a);
	u = inet6_socket(SOCK_DGRAM);
	ASSERT_OK(connect(u, (struct sockaddr *)&a, sizeof(a)));
	ep = ep_watch(u, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
	ASSERT_EQ(send(u, "x", 1, 0), 1);
	EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLERR);
	ASSERT_OK(ep_mod(ep, u, EPOLLIN | EPOLLOUT));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT | EPOLLERR);
	ASSERT_OK(getsockopt(u, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(err, ECONNREFUSED);
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
}

/*
 * A dual-stack listener (IPV6_V6ONLY off, bound to ::) takes an IPv4
 * connection to 127.0.0.1; the peer shows as ::ffff:127.0.0.1 and the
 * accepted socket behaves as any other.
 */
TEST(inet6_v4mapped_listener_accepts_ipv4)
{
	struct sockaddr_in6 a6, peer;
	struct sockaddr_in a4, c4;
	socklen_t len;
	int l = any6_listener(0, &a6);
	int ep, c, s;

	ep = ep_watch(l, EPOLLIN);

	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a4.sin_port = a6.sin6_port;
	c = ASSERT_OK(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	ASSERT_OK(connect(c, (struct sockaddr *)&a4, sizeof(a4)));
	EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLIN);

	len = sizeof(peer);
	s = ASSERT_OK(accept4(l, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC));
	ASSERT_EQ(peer.sin6_family, AF_INET6);
	EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
	EXPECT_EQ(ntohl(peer.sin6_addr.s6_addr32[3]), INADDR_LOOPBACK);
	len = sizeof(c4);
	ASSERT_OK(getsockname(c, (struct sockaddr *)&c4, &len));
	EXPECT_EQ(ntohs(peer.sin6_port), ntohs(c4.sin_port));

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_DEL, l, 0, 0));
	ASSERT_OK(ep_add(ep, s, EPOLLIN | EPOLLOUT));
	EXPECT_EVENTS(ep_events_now(ep, 0), EPOLLOUT);
	ASSERT_OK(ep_mod(ep, s, EPOLLIN));
	ASSERT_EQ(send(c, "v4", 2, 0), 2);
	EXPECT_EVENTS(ep_events_now(ep, step_ms()), EPOLLIN);
}

/*
 * With IPV6_V6ONLY on, the same port over IPv4 has no listener: the
 * non-blocking connect is refused with a RST, which closes the socket with
 * sk_err ECONNREFUSED, every direction shut: the full mask.
 */
TEST(inet6_v6only_listener_refuses_ipv4)
{
	const uint32_t all = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	socklen_t len;
	int l = any6_listener(1, &a6);
	int c, ep, err = -1;

	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a4.sin_port = a6.sin6_port;
	c = ASSERT_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	ep = ep_watch(c, all);
	/* the RST is processed when connect() releases the socket, not within it */
	ASSERT_ERRNO(connect(c, (struct sockaddr *)&a4, sizeof(a4)), EINPROGRESS);
	EXPECT_EVENTS(events_once_all(ep, EPOLLERR), all | EPOLLERR | EPOLLHUP);
	len = sizeof(err);
	ASSERT_OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(err, ECONNREFUSED);
	/* and the listener saw nothing */
	ep = ep_watch(l, EPOLLIN);
	EXPECT_EQ(ep_events_now(ep, 0), 0);
}
