/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EPOLL_LAB_RUNAS_H
#define EPOLL_LAB_RUNAS_H

/* The name the agent binary answers to as the run-as tool (see runas.c). */
#define RUNAS_NAME "epoll-lab-runas"

int runas_main(int argc, char **argv);

#endif
