// SPDX-License-Identifier: GPL-2.0
/*
 * epoll-echo-load: load generator for epoll-echo-server, and a one-request
 * client for any line protocol.
 *
 *	epoll-echo-load [--host A] [--port N] [--clients N] [--requests N]
 *			[--size BYTES] [--timeout-ms MS]
 *	epoll-echo-load [--host A] [--port N] --request TEXT --expect TEXT
 *			[--timeout-ms MS]
 *
 * Load: N connections, all open at once, share --requests messages (the
 * first requests % N connections send one more). Each connection sends a
 * message of --size bytes, reads the echo, checks every byte of it, and only
 * then sends its next message, so a message's latency is the time from its
 * first byte written to its last byte read back. One thread drives every
 * connection from one edge-triggered epoll set. The result is one JSON
 * object on stdout:
 *
 *	{"tool":"epoll-echo-load","clients":N,"requests":N,"size":N,"ops":N,
 *	 "errors":N,"mismatches":N,"elapsedUs":N,"opsPerSec":X,
 *	 "p50Us":N,"p99Us":N,"p999Us":N,"minUs":N,"maxUs":N,"meanUs":N}
 *
 * Exit status 0 when every message came back intact, 1 otherwise.
 *
 * One request (--request): connect, send TEXT (\r \n \t \\ and \xHH are
 * unescaped), read until the reply contains EXPECT, print the reply. Exit
 * 0 when it did, 1 when the reply ended or timed out without it, 3 when
 * nothing listens on the port (so a caller can poll for a server to come up).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "histogram.h"

#define MAX_EVENTS	256
#define MAX_SIZE	65536
#define MAX_ERRORS_SHOWN 5

enum conn_state { CONNECTING, RUNNING, DONE };

struct conn {
	int fd;
	unsigned int id;
	enum conn_state state;
	unsigned long quota;	/* messages this connection sends */
	unsigned long seq;	/* current message */
	size_t sent, received;	/* bytes of the current message */
	uint64_t started_ns;	/* first byte of the current message written */
	unsigned char *msg;	/* the current message */
};

static struct {
	unsigned long ops, errors, mismatches;
	struct histogram latency;
} result;

static unsigned int msg_size = 64;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void error_line(const struct conn *c, const char *what, int err)
{
	result.errors++;
	if (result.errors > MAX_ERRORS_SHOWN)
		return;
	if (err)
		fprintf(stderr, "epoll-echo-load: error: connection %u: %s: %s\n", c->id, what, strerror(err));
	else
		fprintf(stderr, "epoll-echo-load: error: connection %u: %s\n", c->id, what);
}

/*
 * Byte j of message seq on connection id: a hash of all three, so a byte
 * echoed to the wrong connection, out of order or twice does not match.
 */
static unsigned char pattern(unsigned int id, unsigned long seq, unsigned int j)
{
	uint32_t x = id * 0x9e3779b1u + (uint32_t)seq * 0x85ebca77u + j * 0xc2b2ae3du;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x & 0xff;
}

static void start_message(struct conn *c)
{
	for (unsigned int j = 0; j < msg_size; j++)
		c->msg[j] = pattern(c->id, c->seq, j);
	c->sent = c->received = 0;
	c->started_ns = now_ns();
}

static void finish(struct conn *c)
{
	c->state = DONE;
	close(c->fd);
	c->fd = -1;
}

/* Write, read and check until the socket blocks; returns when it does or the connection is done. */
static void pump(struct conn *c, uint32_t events)
{
	unsigned char buf[MAX_SIZE];

	if (c->state == CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			error_line(c, "connect", err);
			finish(c);
			return;
		}
		c->state = RUNNING;
		if (!c->quota) {
			finish(c);
			return;
		}
		start_message(c);
	}
	while (c->state == RUNNING) {
		while (c->sent < msg_size) {
			ssize_t n = write(c->fd, c->msg + c->sent, msg_size - c->sent);

			if (n > 0) {
				c->sent += n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;	/* EPOLLOUT will come; the reply may still be readable */
			error_line(c, "write", errno);
			finish(c);
			return;
		}

		if (c->received == c->sent)
			return;		/* nothing in flight: EPOLLOUT resumes */

		ssize_t n = read(c->fd, buf, c->sent - c->received);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;		/* wait for the next edge */
		if (n <= 0) {
			error_line(c, n ? "read" : "the server closed the connection early", n ? errno : 0);
			finish(c);
			return;
		}
		if (memcmp(buf, c->msg + c->received, n)) {
			result.mismatches++;
			error_line(c, "echoed bytes differ from the bytes sent", 0);
			finish(c);
			return;
		}
		c->received += n;
		if (c->received < msg_size)
			continue;
		hist_add(&result.latency, (uint32_t)((now_ns() - c->started_ns) / 1000));
		result.ops++;
		if (++c->seq == c->quota) {
			finish(c);
			return;
		}
		start_message(c);
	}
}

static int connect_to(const struct sockaddr_in *sin, int flags)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0 && errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int run_load(const struct sockaddr_in *sin, unsigned int clients,
		    unsigned long requests, int timeout_ms)
{
	struct epoll_event events[MAX_EVENTS];
	struct conn *conns = calloc(clients, sizeof(*conns));
	unsigned char *msgs = malloc((size_t)clients * msg_size);
	unsigned int open = 0, i;
	uint64_t start, deadline, elapsed_ns;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!conns || !msgs || ep < 0) {
		perror("epoll-echo-load: error: setup");
		return 1;
	}
	start = now_ns();
	deadline = start + (uint64_t)timeout_ms * 1000000u;
	for (i = 0; i < clients; i++) {
		struct conn *c = &conns[i];
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			.data.ptr = c,
		};

		c->id = i;
		c->msg = msgs + (size_t)i * msg_size;
		c->quota = requests / clients + (i < requests % clients);
		c->fd = connect_to(sin, SOCK_NONBLOCK);
		if (c->fd < 0) {
			error_line(c, "connect", errno);
			c->state = DONE;
			continue;
		}
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			error_line(c, "epoll_ctl(ADD)", errno);
			finish(c);
			continue;
		}
		open++;
	}

	while (open) {
		uint64_t now = now_ns();
		int n;

		if (now >= deadline) {
			fprintf(stderr, "epoll-echo-load: error: timed out after %d ms with %lu of %lu messages echoed\n",
				timeout_ms, result.ops, requests);
			result.errors++;
			break;
		}
		n = epoll_wait(ep, events, MAX_EVENTS, (int)((deadline - now) / 1000000u) + 1);
		if (n < 0 && errno != EINTR) {
			perror("epoll-echo-load: error: epoll_wait");
			result.errors++;
			break;
		}
		for (int k = 0; k < n; k++) {
			struct conn *c = events[k].data.ptr;

			if (c->state == DONE)
				continue;
			pump(c, events[k].events);
			if (c->state == DONE)
				open--;
		}
	}
	elapsed_ns = now_ns() - start;

	const struct histogram *h = &result.latency;

	printf("{\"tool\":\"epoll-echo-load\",\"clients\":%u,\"requests\":%lu,\"size\":%u,"
	       "\"ops\":%lu,\"errors\":%lu,\"mismatches\":%lu,\"elapsedUs\":%llu,"
	       "\"opsPerSec\":%.1f,\"p50Us\":%u,\"p99Us\":%u,\"p999Us\":%u,"
	       "\"minUs\":%u,\"maxUs\":%u,\"meanUs\":%llu}\n",
	       clients, requests, msg_size, result.ops, result.errors, result.mismatches,
	       (unsigned long long)(elapsed_ns / 1000),
	       elapsed_ns ? result.ops * 1e9 / elapsed_ns : 0.0,
	       hist_percentile(h, 50), hist_percentile(h, 99), hist_percentile(h, 99.9),
	       h->count ? h->min : 0, h->max,
	       (unsigned long long)(h->count ? h->sum / h->count : 0));
	return result.errors || result.mismatches || result.ops != requests ? 1 : 0;
}

/* \r \n \t \\ and \xHH, in place. */
static size_t unescape(char *s)
{
	char *out = s;
	const char *in = s;

	while (*in) {
		if (*in != '\\' || !in[1]) {
			*out++ = *in++;
			continue;
		}
		in++;
		if (*in == 'x') {
			char hex[3] = { in[1], in[1] ? in[2] : 0, 0 };

			*out++ = (char)strtoul(hex, NULL, 16);
			in += 1 + strlen(hex);
			continue;
		}
		*out++ = *in == 'r' ? '\r' : *in == 'n' ? '\n' : *in == 't' ? '\t' : *in;
		in++;
	}
	*out = '\0';
	return out - s;
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t now = now_ns();

	if (now >= deadline)
		return 0;
	return poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);
}

static int run_request(const struct sockaddr_in *sin, char *request, char *expect, int timeout_ms)
{
	static char reply[MAX_SIZE + 1];
	size_t len = unescape(request), got = 0, sent = 0;
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	int err = 0;
	socklen_t errlen = sizeof(err);
	int fd = connect_to(sin, SOCK_NONBLOCK);

	unescape(expect);
	if (fd >= 0 && wait_fd(fd, POLLOUT, deadline) > 0)
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
	else if (fd >= 0)
		err = ETIMEDOUT;
	else
		err = errno;
	if (err) {
		fprintf(stderr, "epoll-echo-load: connect: %s\n", strerror(err));
		return err == ECONNREFUSED ? 3 : 1;
	}
	while (sent < len) {
		ssize_t n = write(fd, request + sent, len - sent);

		if (n > 0)
			sent += n;
		else if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline) > 0)
			continue;
		else {
			fprintf(stderr, "epoll-echo-load: error: write: %s\n", n < 0 ? strerror(errno) : "timed out");
			return 1;
		}
	}
	while (!memmem(reply, got, expect, strlen(expect))) {
		ssize_t n = got < MAX_SIZE ? read(fd, reply + got, MAX_SIZE - got) : 0;

		if (n > 0) {
			got += n;
			continue;
		}
		if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLIN, deadline) > 0)
			continue;
		reply[got] = '\0';
		fprintf(stderr, "epoll-echo-load: error: the reply %s without the expected text; it was:\n%s\n",
			n == 0 ? "ended" : "timed out", reply);
		return 1;
	}
	fwrite(reply, 1, got, stdout);
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: epoll-echo-load [--host A] [--port N] [--clients N] [--requests N] [--size BYTES] [--timeout-ms MS]\n"
		"       epoll-echo-load [--host A] [--port N] --request TEXT --expect TEXT [--timeout-ms MS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *host = "127.0.0.1";
	char *request = NULL, *expect = NULL;
	unsigned long clients = 4, requests = 1000;
	int port = 7000, timeout_ms = 120000, i;
	struct rlimit rl;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return usage();
		i++;
		if (!strcmp(arg, "--host"))
			host = val;
		else if (!strcmp(arg, "--port"))
			port = atoi(val);
		else if (!strcmp(arg, "--clients"))
			clients = strtoul(val, NULL, 10);
		else if (!strcmp(arg, "--requests"))
			requests = strtoul(val, NULL, 10);
		else if (!strcmp(arg, "--size"))
			msg_size = strtoul(val, NULL, 10);
		else if (!strcmp(arg, "--timeout-ms"))
			timeout_ms = atoi(val);
		else if (!strcmp(arg, "--request"))
			request = argv[i];
		else if (!strcmp(arg, "--expect"))
			expect = argv[i];
		else
			return usage();
	}
	sin.sin_port = htons(port);
	if (port <= 0 || port > 65535 || timeout_ms <= 0 || inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	if (request || expect)
		return request && expect ? run_request(&sin, request, expect, timeout_ms) : usage();

	if (!clients || clients > 60000 || !msg_size || msg_size > MAX_SIZE)
		return usage();
	/* One descriptor per connection, plus a few. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return run_load(&sin, clients, requests, timeout_ms);
}
