/*
 * EPOLLONESHOT and re-arming with EPOLL_CTL_MOD.
 *
 * With EPOLLONESHOT the kernel disarms an item after reporting it once:
 * later writes to the pipe do not report it again, although the data is
 * there, until EPOLL_CTL_MOD re-arms it. This is how a server hands one
 * connection to exactly one of several threads and gets it back only when
 * that thread is done with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int ready_now(int ep)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, 0);

	if (n < 0)
		die("epoll_wait");
	return n;
}

static void put(int fd, const char *byte)
{
	if (write(fd, byte, 1) != 1)
		die("write");
}

int main(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };
	int p[2];
	int ep;

	if (pipe(p) < 0 || (ep = epoll_create1(0)) < 0)
		die("setup");
	ev.data.fd = p[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) < 0)
		die("EPOLL_CTL_ADD");

	put(p[1], "a");
	printf("after a write:                  %d event (reported, then disarmed)\n", ready_now(ep));
	printf("asked again, data still there:  %d events (disarmed)\n", ready_now(ep));
	put(p[1], "b");
	printf("after another write:            %d events (still disarmed)\n", ready_now(ep));

	/* Re-arm with the same mask: the pipe is readable, so it is reported at once. */
	if (epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) < 0)
		die("EPOLL_CTL_MOD");
	printf("after EPOLL_CTL_MOD re-arms it: %d event\n", ready_now(ep));
	printf("asked again:                    %d events (disarmed again)\n", ready_now(ep));
	return 0;
}
