// SPDX-License-Identifier: GPL-2.0
/*
 * epoll-lab-runas USER CMD [ARG...]: run CMD as USER (a name or uid from
 * /etc/passwd), the way `epoll-lab exec --user` and the test runner need it.
 *
 * Part of the agent's binary (a static i386 program carries ~600 KB of
 * glibc; a second one would grow every image and snapshot): the agent runs
 * this when started under the name epoll-lab-runas.
 *
 * Going from root to a non-zero uid with setuid() clears the permitted and
 * effective capability sets (no SECBIT_KEEP_CAPS), so CMD runs without
 * privileges. The supplementary groups become just the user's own group.
 * HOME, USER and LOGNAME follow the user; the working directory stays.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runas.h"

struct user {
	char name[64];
	char home[256];
	uid_t uid;
	gid_t gid;
};

/*
 * Looks USER up in /etc/passwd by name or by uid. Parsed here rather than
 * with getpwnam(): a static glibc program would want NSS modules for that.
 */
static int find_user(const char *want, struct user *u)
{
	char line[512], *end;
	unsigned long want_uid = strtoul(want, &end, 10);
	int by_uid = *want && !*end;
	FILE *f = fopen("/etc/passwd", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *field[7], *p = line;
		int n = 0;

		line[strcspn(line, "\n")] = 0;
		/* name:password:uid:gid:gecos:home:shell; gecos may be empty. */
		while (n < 7) {
			char *colon = strchr(p, ':');

			field[n++] = p;
			if (!colon)
				break;
			*colon = 0;
			p = colon + 1;
		}
		if (n < 7)
			continue;
		if (by_uid ? strtoul(field[2], NULL, 10) != want_uid : strcmp(field[0], want))
			continue;
		snprintf(u->name, sizeof(u->name), "%s", field[0]);
		snprintf(u->home, sizeof(u->home), "%s", field[5]);
		u->uid = strtoul(field[2], NULL, 10);
		u->gid = strtoul(field[3], NULL, 10);
		fclose(f);
		return 0;
	}
	fclose(f);
	return -1;
}

int runas_main(int argc, char **argv)
{
	struct user u;

	if (argc < 3) {
		fprintf(stderr, "usage: epoll-lab-runas USER|UID CMD [ARG...]\n");
		return 2;
	}
	if (find_user(argv[1], &u)) {
		fprintf(stderr, "epoll-lab-runas: no user %s in /etc/passwd\n", argv[1]);
		return 2;
	}
	/* Groups first: after setuid() we may no longer change them. */
	if (setgroups(1, &u.gid) || setgid(u.gid) || setuid(u.uid)) {
		fprintf(stderr, "epoll-lab-runas: becoming %s: %s\n", u.name, strerror(errno));
		return 126;
	}
	setenv("HOME", u.home, 1);
	setenv("USER", u.name, 1);
	setenv("LOGNAME", u.name, 1);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "epoll-lab-runas: %s: %s\n", argv[2], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
