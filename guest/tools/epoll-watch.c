// SPDX-License-Identifier: GPL-2.0
/*
 * epoll-watch: show how epoll sees one file, as readiness changes.
 *
 *	epoll-watch [--rdwr] [--et] PATH
 *
 * Opens PATH non-blocking (read-only, or read-write with --rdwr: for a
 * scullpipe that keeps a writer present, so the buffer is never hung up and
 * freed), registers it for EPOLLIN|EPOLLRDHUP (plus EPOLLET with
 * --et) and never reads, so the level stays where writers put it. Prints:
 *
 *	ready 0x<mask> NAMES	level-triggered: whenever the reported mask changes
 *	edge 0x<mask> NAMES	edge-triggered: every wake-up
 *	idle			nothing ready any more
 *
 * Lines are flushed as written, for whoever reads the pipe (the browser's
 * Drivers panel). The 250 ms timeout is only there to notice "idle" in
 * level-triggered mode; no readiness is ever polled for. SIGTERM ends it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static const struct {
	unsigned int bit;
	const char *name;
} event_names[] = {
	{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
	{ EPOLLERR, "ERR" }, { EPOLLHUP, "HUP" }, { EPOLLRDNORM, "RDNORM" },
	{ EPOLLWRNORM, "WRNORM" }, { EPOLLRDHUP, "RDHUP" },
};

static void print_mask(const char *kind, unsigned int mask)
{
	printf("%s 0x%x", kind, mask);
	for (size_t i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++)
		if (mask & event_names[i].bit)
			printf(" %s", event_names[i].name);
	printf("\n");
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr, "usage: epoll-watch [--rdwr] [--et] PATH\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { 0 };
	int rdwr = 0, et = 0, fd, ep, i;
	unsigned int last = 0;
	const char *path = NULL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rdwr"))
			rdwr = 1;
		else if (!strcmp(argv[i], "--et"))
			et = 1;
		else if (argv[i][0] == '-' || path)
			return usage();
		else
			path = argv[i];
	}
	if (!path)
		return usage();

	fd = open(path, (rdwr ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "epoll-watch: %s: %s\n", path, strerror(errno));
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN | EPOLLRDHUP | (et ? EPOLLET : 0);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		fprintf(stderr, "epoll-watch: epoll_ctl %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("watching %s (%s)\n", path, et ? "edge-triggered" : "level-triggered");
	fflush(stdout);

	for (;;) {
		struct epoll_event out;
		int n = epoll_wait(ep, &out, 1, et ? -1 : 250);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll-watch: epoll_wait");
			return 1;
		}
		if (et) {
			print_mask("edge", out.events);
			continue;
		}
		if (n == 0 && last) {
			printf("idle\n");
			fflush(stdout);
			last = 0;
		} else if (n == 1 && out.events != last) {
			print_mask("ready", out.events);
			last = out.events;
		}
	}
}
