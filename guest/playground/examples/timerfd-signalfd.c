/*
 * epoll on a timerfd and a signalfd: time and signals as file descriptors.
 *
 * A timerfd becomes readable when its timer expires; reading it returns how
 * many expirations happened since the last read. A signalfd becomes
 * readable when a signal it covers is pending; the signal must be blocked,
 * or it would be delivered the ordinary way instead. One epoll loop waits
 * for both: three ticks of a 100 ms timer, then the program sends itself
 * SIGUSR1, which arrives as data on the signalfd.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void watch(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("EPOLL_CTL_ADD");
}

int main(void)
{
	struct itimerspec every_100ms = { { 0, 100000000 }, { 0, 100000000 } };
	struct signalfd_siginfo info;
	struct epoll_event ev;
	sigset_t usr1;
	uint64_t expirations;
	int tfd, sfd, ep, ticks = 0;

	/* Blocked, SIGUSR1 stays pending, and the signalfd reports it. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0)
		die("sigprocmask");
	sfd = signalfd(-1, &usr1, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = epoll_create1(0);
	if (sfd < 0 || tfd < 0 || ep < 0)
		die("signalfd / timerfd_create / epoll_create1");
	watch(ep, tfd);
	watch(ep, sfd);
	if (timerfd_settime(tfd, 0, &every_100ms, NULL) < 0)
		die("timerfd_settime");

	for (;;) {
		if (epoll_wait(ep, &ev, 1, -1) != 1)
			die("epoll_wait");
		if (ev.data.fd == tfd) {
			if (read(tfd, &expirations, sizeof(expirations)) != sizeof(expirations))
				die("read timerfd");
			ticks++;
			printf("timerfd readable: %llu expiration(s), tick %d\n", (unsigned long long)expirations, ticks);
			if (ticks == 3) {
				printf("sending myself SIGUSR1\n");
				kill(getpid(), SIGUSR1);
			}
		} else {
			if (read(sfd, &info, sizeof(info)) != sizeof(info))
				die("read signalfd");
			printf("signalfd readable: signal %u (SIGUSR1 is %d) from pid %u\n", info.ssi_signo, SIGUSR1, info.ssi_pid);
			break;
		}
		fflush(stdout);
	}
	return 0;
}
