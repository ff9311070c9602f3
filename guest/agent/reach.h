/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EPOLL_LAB_REACH_H
#define EPOLL_LAB_REACH_H

#include <stddef.h>
#include <sys/types.h>

/*
 * SIGKILLs every process that descends from `leader` or holds one of the
 * pipes `fds` are ends of; writes "PID (comm), ..." into `said`. Returns how
 * many it killed. See reach.c.
 */
int reach_kill(pid_t leader, const int *fds, int nfds, char *said, size_t size);

#endif
