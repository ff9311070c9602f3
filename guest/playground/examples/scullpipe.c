/*
 * epoll on a scullpipe: readiness comes from a driver's poll method.
 *
 * /dev/scullpipe0 is the scull module's pipe (guest/drivers/scull, LDD3's
 * example driver). epoll asks the driver's poll method what is ready:
 * readable once data is in its buffer, writable while the buffer has room,
 * and end of file (EPOLLHUP) for a reader once the writer has closed.
 * The guest loads scull at boot; if it was unloaded (Drivers panel,
 * "Unload (rmmod)"), "Load (insmod)" there brings the device back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define DEVICE "/dev/scullpipe0"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* What epoll reports right now for the reader and the writer, as names. */
static void show(const char *when, int ep)
{
	struct epoll_event ev[2];
	int n = epoll_wait(ep, ev, 2, 0);
	int i;

	if (n < 0)
		die("epoll_wait");
	printf("%-36s", when);
	if (n == 0)
		printf(" nothing ready");
	for (i = 0; i < n; i++) {
		printf(" %s:", ev[i].data.u32 ? "writer" : "reader");
		if (ev[i].events & EPOLLIN)
			printf(" IN");
		if (ev[i].events & EPOLLOUT)
			printf(" OUT");
		if (ev[i].events & EPOLLHUP)
			printf(" HUP");
	}
	printf("\n");
}

static void watch(int ep, int fd, unsigned int events, unsigned int tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("EPOLL_CTL_ADD");
}

int main(void)
{
	char buf[512];
	int r, w, ep;
	long filled = 0;
	ssize_t n;

	r = open(DEVICE, O_RDONLY | O_NONBLOCK);
	if (r < 0 && errno == ENOENT) {
		printf("%s does not exist: the scull module is not loaded. Load it in the Drivers panel (\"Load (insmod)\"), then run this again.\n", DEVICE);
		return 1;
	}
	if (r < 0)
		die(DEVICE);
	w = open(DEVICE, O_WRONLY | O_NONBLOCK);
	ep = epoll_create1(0);
	if (w < 0 || ep < 0)
		die("open writer / epoll_create1");
	watch(ep, r, EPOLLIN, 0);
	watch(ep, w, EPOLLOUT, 1);

	show("empty pipe:", ep);
	if (write(w, "hello", 5) != 5)
		die("write");
	show("after writing 5 bytes:", ep);
	n = read(r, buf, sizeof(buf));
	printf("read %zd bytes back\n", n);
	show("after reading them:", ep);

	/* Fill the driver's buffer until it refuses: then the writer is not writable. */
	memset(buf, 'x', sizeof(buf));
	while ((n = write(w, buf, sizeof(buf))) > 0)
		filled += n;
	if (errno != EAGAIN)
		die("write");
	printf("the buffer took %ld bytes before EAGAIN\n", filled);
	show("full pipe:", ep);
	n = read(r, buf, sizeof(buf));
	show("after reading some back:", ep);

	while (read(r, buf, sizeof(buf)) > 0)
		;
	close(w);
	show("writer closed, pipe drained:", ep);
	return 0;
}
