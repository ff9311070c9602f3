/*
 * EPOLLEXCLUSIVE with several waiters.
 *
 * Three child processes each sleep in epoll_wait on their own epoll
 * instance, all watching one eventfd. One write to the eventfd wakes every
 * one of them when they watch it normally (the "thundering herd"), but
 * only one when they add it with EPOLLEXCLUSIVE: the eventfd's wait queue
 * stops after the first exclusive waiter that took the wake-up.
 *
 * Who was woken is read from /proc right after the write: the wake-ups
 * happen inside write(), so a waiter still sleeping (state S) then was not
 * chosen. No sleeps: the parent waits until each child's /proc/PID/syscall
 * says it is blocked in epoll_wait before it writes.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAITERS 3

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* A child: sleep in epoll_wait on its own instance, say when woken, exit. */
static void waiter(int index, int efd, unsigned int events)
{
	struct epoll_event ev = { .events = events };
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0)
		die("waiter epoll");
	if (epoll_wait(ep, &ev, 1, -1) == 1)
		printf("  waiter %d woke up\n", index);
	fflush(stdout);
	_exit(0);
}

/* The system call @pid is blocked in (the first number of /proc/PID/syscall), or -1. */
static long blocked_in(pid_t pid)
{
	char path[64];
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr;
}

/* The state letter of /proc/PID/stat: S sleeping, R running or runnable, Z exited. */
static char state_of(pid_t pid)
{
	char path[64], line[512];
	char *paren;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	paren = strrchr(line, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static int sleeps_in_epoll_wait(pid_t pid)
{
	long nr = blocked_in(pid);

	return state_of(pid) == 'S' && (nr == SYS_epoll_wait || nr == SYS_epoll_pwait);
}

static void round_of(const char *title, unsigned int events)
{
	pid_t pid[WAITERS];
	uint64_t one = 1;
	int efd = eventfd(0, 0);
	int i, still_asleep = 0;

	if (efd < 0)
		die("eventfd");
	printf("%s\n", title);
	fflush(stdout);
	for (i = 0; i < WAITERS; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			die("fork");
		if (pid[i] == 0)
			waiter(i + 1, efd, events);
	}
	/* Every waiter must be asleep before the write, or there is nobody to choose from. */
	for (i = 0; i < WAITERS; i++)
		while (!sleeps_in_epoll_wait(pid[i]))
			sched_yield();
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		die("write");
	for (i = 0; i < WAITERS; i++)
		if (sleeps_in_epoll_wait(pid[i]))
			still_asleep++;
	printf("  one write to the eventfd woke %d of %d waiters\n", WAITERS - still_asleep, WAITERS);
	fflush(stdout);
	/* The ones not chosen would sleep for ever: end them. */
	for (i = 0; i < WAITERS; i++) {
		if (sleeps_in_epoll_wait(pid[i]))
			kill(pid[i], SIGKILL);
		waitpid(pid[i], NULL, 0);
	}
	close(efd);
}

int main(void)
{
	round_of("Without EPOLLEXCLUSIVE:", EPOLLIN);
	round_of("With EPOLLEXCLUSIVE:", EPOLLIN | EPOLLEXCLUSIVE);
	return 0;
}
