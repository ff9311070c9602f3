// SPDX-License-Identifier: GPL-2.0
/*
 * Everything a command started, for ending it on a timeout.
 *
 * Killing the command's process group is not enough: a descendant that
 * called setsid() (or setpgid()) has left the group, and one that still holds
 * the command's stdout keeps its pipe open, so the command never "ends".
 * reach_kill() ends every process that descends from the command's leader
 * (by parent links, while the chain is intact) or holds one of its output
 * pipes (which also finds descendants orphaned earlier and re-parented to
 * the agent, the subreaper), and says which it killed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reach.h"

#define MAX_PROCS 4096

struct proc {
	pid_t pid, ppid;
	char comm[20];
	int mark;
};

/* pid, ppid and name from /proc/PID/stat ("pid (comm) state ppid ..."). */
static int read_stat(pid_t pid, struct proc *p)
{
	char path[64], buf[512], *open, *close;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return -1;
	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close - open - 1), open + 1);
	if (sscanf(close + 1, " %*c %d", &p->ppid) != 1)
		return -1;
	return 0;
}

/* Whether PID has an fd open on one of the pipes (by inode). */
static int holds_pipe(pid_t pid, const ino_t *pipes, int npipes)
{
	char dir[64], path[320], link[64];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		ssize_t n;
		unsigned long ino;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (sscanf(link, "pipe:[%lu]", &ino) != 1)
			continue;
		for (int i = 0; i < npipes; i++)
			found |= pipes[i] == (ino_t)ino;
	}
	closedir(d);
	return found;
}

int reach_kill(pid_t leader, const int *fds, int nfds, char *said, size_t size)
{
	static struct proc procs[MAX_PROCS];
	ino_t pipes[4];
	int n = 0, npipes = 0, killed = 0, grew = 1;
	pid_t self = getpid();
	struct dirent *e;
	size_t used = 0;
	DIR *d;

	for (int i = 0; i < nfds && npipes < 4; i++) {
		struct stat st;

		if (fds[i] >= 0 && !fstat(fds[i], &st))
			pipes[npipes++] = st.st_ino;
	}
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_PROCS) {
		pid_t pid = atoi(e->d_name);

		if (pid <= 1 || pid == self || read_stat(pid, &procs[n]))
			continue;
		procs[n].mark = pid == leader || holds_pipe(pid, pipes, npipes);
		n++;
	}
	closedir(d);
	/* Descendants of anything marked, until nothing more joins. */
	while (grew) {
		grew = 0;
		for (int i = 0; i < n; i++) {
			if (procs[i].mark)
				continue;
			for (int j = 0; j < n; j++) {
				if (procs[j].mark && procs[i].ppid == procs[j].pid) {
					procs[i].mark = grew = 1;
					break;
				}
			}
		}
	}
	said[0] = 0;
	for (int i = 0; i < n; i++) {
		if (!procs[i].mark || kill(procs[i].pid, SIGKILL))
			continue;
		killed++;
		if (used < size) {
			int w = snprintf(said + used, size - used, "%s%d (%s)", used ? ", " : "",
					 procs[i].pid, procs[i].comm);

			used += w > 0 ? (size_t)w : 0;
		}
	}
	return killed;
}
