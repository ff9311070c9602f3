/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup every command and the console's shell run in: /init
 * (guest/init/init.c) makes it with its limits and puts the shell there,
 * the agent (guest/agent/agent.c) puts each command there before it runs.
 */
#ifndef EPOLL_LAB_COMMANDS_CGROUP_H
#define EPOLL_LAB_COMMANDS_CGROUP_H

#define COMMANDS_CGROUP "/sys/fs/cgroup/commands"
/* Writing "0" here moves the writing process into the cgroup. */
#define COMMANDS_CGROUP_PROCS COMMANDS_CGROUP "/cgroup.procs"

#endif
