/*
 * Five epoll instances deep, and the sixth: ELOOP or EINVAL by kernel.
 *
 * An epoll instance can watch another epoll instance. fs/eventpoll.c
 * allows chains of at most five instances (EP_MAX_NESTS = 4 links). This
 * program builds a chain from the top down, ep0 watching ep1 watching ep2
 * and so on, tries a sixth instance, then puts an eventfd at the bottom
 * and checks that a write to it wakes the top through every level.
 *
 * Where the sixth link is refused depends on the kernel. Since the fix for
 * CVE-2025-38614 (6.17; stable 6.1.149, 6.12.43; so all three kernels of
 * this site) epoll_ctl counts the links above the new one as well as below
 * it: the sixth link fails with ELOOP. Older kernels counted only the links
 * below, accepted the sixth instance, and refused the eventfd at the bottom
 * instead: its wake-up path was now too long (reverse_path_check), EINVAL.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#define INSTANCES 6

static const char *errno_name(int e)
{
	return e == ELOOP ? "ELOOP" : e == EINVAL ? "EINVAL" : strerror(e);
}

/* EPOLL_CTL_ADD of @fd into @ep; prints what happened, returns 0 or the errno. */
static int add(int ep, int fd, const char *what)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	int err = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? errno : 0;

	printf("  %-28s %s\n", what, err ? errno_name(err) : "ok");
	return err;
}

int main(void)
{
	struct epoll_event ev;
	struct utsname uts;
	uint64_t one = 1;
	int ep[INSTANCES];
	int efd, i, bottom = 0;
	char what[64];

	uname(&uts);
	printf("Linux %s, building a chain from the top down:\n", uts.release);
	for (i = 0; i < INSTANCES; i++)
		ep[i] = epoll_create1(0);
	efd = eventfd(0, 0);
	if (ep[INSTANCES - 1] < 0 || efd < 0) {
		perror("epoll_create1 / eventfd");
		return 1;
	}
	for (i = 0; i + 1 < INSTANCES; i++) {
		snprintf(what, sizeof(what), "ep%d watches ep%d (%d deep):", i, i + 1, i + 2);
		if (add(ep[i], ep[i + 1], what) != 0)
			break;
		bottom = i + 1;
	}
	snprintf(what, sizeof(what), "ep%d watches an eventfd:", bottom);
	if (add(ep[bottom], efd, what) != 0) {
		printf("The chain of %d instances was accepted, but not a file at its bottom.\n", bottom + 1);
		return 0;
	}
	if (write(efd, &one, sizeof(one)) != sizeof(one)) {
		perror("write");
		return 1;
	}
	printf("After a write to the eventfd, ep0 at the top reports %d event (through %d levels).\n",
	       epoll_wait(ep[0], &ev, 1, 0), bottom + 1);
	return 0;
}
