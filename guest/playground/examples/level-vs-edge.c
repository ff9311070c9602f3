/*
 * Level- vs edge-triggered on one pipe.
 *
 * Two epoll instances watch the same pipe's read end: one level-triggered
 * (the default), one with EPOLLET. After one write, both report the pipe.
 * Asked again without reading, the level-triggered instance reports it
 * again (the data is still there), the edge-triggered one stays silent:
 * it reports a change, and nothing has changed. A second write is a new
 * edge, so both report again.
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

static int watch_pipe(int fd, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll");
	return ep;
}

/* How many events the instance reports now, without waiting (timeout 0). */
static int ready_now(int ep)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, 0);

	if (n < 0)
		die("epoll_wait");
	return n;
}

static void ask_both(const char *when, int lt, int et)
{
	/* Two statements: the order in which a call's arguments run is unspecified. */
	int level = ready_now(lt);
	int edge = ready_now(et);

	printf("%-34s level-triggered: %d   edge-triggered: %d\n", when, level, edge);
}

int main(void)
{
	int p[2];
	int lt, et;

	if (pipe(p) < 0)
		die("pipe");
	lt = watch_pipe(p[0], EPOLLIN);
	et = watch_pipe(p[0], EPOLLIN | EPOLLET);

	ask_both("before any write:", lt, et);
	if (write(p[1], "a", 1) != 1)
		die("write");
	ask_both("after writing 1 byte:", lt, et);
	ask_both("asked again, nothing read:", lt, et);
	ask_both("and again:", lt, et);
	if (write(p[1], "b", 1) != 1)
		die("write");
	ask_both("after a second write (new edge):", lt, et);
	ask_both("asked again:", lt, et);
	return 0;
}
