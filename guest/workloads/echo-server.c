// SPDX-License-Identifier: GPL-2.0
/*
 * epoll-echo-server: a TCP echo server on one edge-triggered epoll loop.
 *
 *	epoll-echo-server [--port N] [--bind ADDR]
 *
 * One thread and one epoll set hold the listening socket, a signalfd for
 * SIGTERM and SIGINT, and every connection, all with EPOLLET. Under
 * edge-triggering an event means "the state changed", not "there is
 * something to do", and no second event comes for data already waiting.
 * So every handler drains until EAGAIN: accept until EAGAIN, then per
 * connection write what is pending and read until EAGAIN.
 *
 * Bytes the socket will not take yet stay in the connection's buffer and go
 * out on the next EPOLLOUT edge; while any are pending the connection reads
 * no more (a client that never reads cannot make the server buffer without
 * bound). Reading stopped with data possibly still queued, and no EPOLLIN
 * edge will announce that data again, so the EPOLLOUT handler resumes
 * reading after it has flushed: serve() below is the one path for both.
 *
 * On SIGTERM or SIGINT it prints one JSON object to stdout and exits 0:
 *
 *	{"server":"epoll-echo-server","accepted":N,"maxOpen":N,"bytes":N,
 *	 "waits":N,"events":N,"resets":N,"errors":N}
 *
 * Errors go to stderr, one line each, starting "epoll-echo-server: error:".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE	16384
#define MAX_EVENTS	256

enum kind { LISTENER, SIGNALS, CONNECTION };

/* What an epoll event's data.ptr points to; the kind says which struct. */
struct source {
	enum kind kind;
	int fd;
};

struct conn {
	struct source src;	/* first: data.ptr is a struct conn * too */
	size_t off;		/* next byte of buf to write */
	size_t len;		/* bytes in buf */
	char buf[BUF_SIZE];
};

static struct {
	unsigned long long accepted, open, max_open, bytes;
	unsigned long long waits, events, resets, errors;
} stats;

static void error_line(const char *what)
{
	stats.errors++;
	fprintf(stderr, "epoll-echo-server: error: %s: %s\n", what, strerror(errno));
}

static void conn_close(struct conn *c)
{
	/* close() removes the fd from the epoll set: no other reference exists. */
	close(c->src.fd);
	free(c);
	stats.open--;
}

/*
 * Flush what is pending, then read and echo until the socket has nothing
 * more or will take nothing more. Returns -1 once the connection is closed.
 */
static int serve(struct conn *c)
{
	for (;;) {
		while (c->off < c->len) {
			ssize_t n = write(c->src.fd, c->buf + c->off, c->len - c->off);

			if (n > 0) {
				c->off += n;
				stats.bytes += n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return 0;	/* the next EPOLLOUT edge resumes here */
			if (n < 0 && (errno == ECONNRESET || errno == EPIPE))
				stats.resets++;
			else
				error_line("write");
			conn_close(c);
			return -1;
		}
		c->off = c->len = 0;

		ssize_t n = read(c->src.fd, c->buf, sizeof(c->buf));

		if (n > 0) {
			c->len = n;
			continue;
		}
		if (n == 0) {		/* the client is done */
			conn_close(c);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;	/* drained: wait for the next EPOLLIN edge */
		if (errno == ECONNRESET)
			stats.resets++;
		else
			error_line("read");
		conn_close(c);
		return -1;
	}
}

static void accept_all(int ep, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				error_line("accept4");
			return;
		}
		/* Replies are written as soon as a request is read: no Nagle. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

		struct conn *c = calloc(1, sizeof(*c));
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			.data.ptr = c,
		};

		if (!c) {
			errno = ENOMEM;
			error_line("calloc");
			close(fd);
			continue;
		}
		c->src.kind = CONNECTION;
		c->src.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			error_line("epoll_ctl(ADD connection)");
			close(fd);
			free(c);
			continue;
		}
		stats.accepted++;
		if (++stats.open > stats.max_open)
			stats.max_open = stats.open;
		/* Data may have arrived before the registration: serve it now. */
		serve(c);
	}
}

static int listen_on(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, SOMAXCONN) < 0)
		return -1;
	return fd;
}

/* Many connections need many descriptors: take the hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void print_stats(void)
{
	printf("{\"server\":\"epoll-echo-server\",\"accepted\":%llu,\"maxOpen\":%llu,"
	       "\"bytes\":%llu,\"waits\":%llu,\"events\":%llu,\"resets\":%llu,"
	       "\"errors\":%llu}\n",
	       stats.accepted, stats.max_open, stats.bytes, stats.waits,
	       stats.events, stats.resets, stats.errors);
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr, "usage: epoll-echo-server [--port N] [--bind ADDR]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct source listener = { LISTENER, -1 }, signals = { SIGNALS, -1 };
	struct epoll_event events[MAX_EVENTS];
	const char *addr = "127.0.0.1";
	int port = 7000, ep, i;
	sigset_t mask;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--bind") && i + 1 < argc)
			addr = argv[++i];
		else
			return usage();
	}
	if (port <= 0 || port > 65535)
		return usage();

	raise_fd_limit();
	/* A client that vanishes mid-write must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	/* Blocked before the signalfd exists, so no SIGTERM is lost or fatal. */
	sigprocmask(SIG_BLOCK, &mask, NULL);

	ep = epoll_create1(EPOLL_CLOEXEC);
	signals.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	listener.fd = listen_on(addr, port);
	if (ep < 0 || signals.fd < 0 || listener.fd < 0) {
		error_line(listener.fd < 0 ? "listen" : "setup");
		return 1;
	}
	struct epoll_event lev = { .events = EPOLLIN | EPOLLET, .data.ptr = &listener };
	struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &signals };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, listener.fd, &lev) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, signals.fd, &sev) < 0) {
		error_line("epoll_ctl(ADD)");
		return 1;
	}
	fprintf(stderr, "epoll-echo-server: listening on %s:%d\n", addr, port);

	for (;;) {
		int n = epoll_wait(ep, events, MAX_EVENTS, -1);

		stats.waits++;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_line("epoll_wait");
			return 1;
		}
		stats.events += n;
		for (i = 0; i < n; i++) {
			struct source *src = events[i].data.ptr;

			switch (src->kind) {
			case LISTENER:
				accept_all(ep, src->fd);
				break;
			case SIGNALS:
				print_stats();
				return stats.errors ? 1 : 0;
			case CONNECTION:
				serve((struct conn *)src);
				break;
			}
		}
	}
}
