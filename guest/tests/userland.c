// SPDX-License-Identifier: GPL-2.0
/*
 * userland: the small userland the guest gives ordinary programs, checked
 * the way they use it: names through getaddrinfo() and the files in /etc
 * (hosts, services, protocols, nsswitch.conf, resolv.conf), IPv6 on
 * loopback, /dev/fd and the /dev/std* links, a tmpfs /tmp, the users and
 * epoll-lab-runas, /etc/os-release.
 *
 * The same program runs natively for checking. Some of what it checks is
 * the image's own doing (an epoll-lab os-release, epoll-lab-runas, ::1 as
 * localhost, a tmpfs /tmp); a machine other than the guest may lack it, so
 * those cases skip there, saying what is missing. In the guest (known by
 * its agent, which every image has) they never skip.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <dirent.h>
#include <linux/magic.h>
#include <netdb.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define GUEST_AGENT	"/sbin/epoll-lab-agent"
#define RUNAS		"/sbin/epoll-lab-runas"

static int in_guest(void)
{
	return access(GUEST_AGENT, F_OK) == 0;
}

/* How long to wait for one step: half the case's timeout. */
static int step_ms(void)
{
	return (int)(ktap_case_timeout() * 500);
}

/* Whether /etc/hosts has a line giving ::1 the name localhost. */
static int hosts_has_localhost6(void)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/etc/hosts", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok, *save;

		line[strcspn(line, "#")] = '\0';
		tok = strtok_r(line, " \t\n", &save);
		if (!tok || strcmp(tok, "::1"))
			continue;
		while (!found && (tok = strtok_r(NULL, " \t\n", &save)))
			found = !strcmp(tok, "localhost");
	}
	fclose(f);
	return found;
}

static void need_localhost6(void)
{
	if (!in_guest() && !hosts_has_localhost6())
		SKIP("this machine's /etc/hosts does not name ::1 localhost (the guest's does)");
}

/* Addresses of a getaddrinfo() answer, sorted by what they are. */
struct answer {
	int v4_loopback, v6_loopback, other;
	char text[256];		/* every address, for a failure message */
};

static void tally(const struct addrinfo *ai, struct answer *an)
{
	size_t off = 0;

	memset(an, 0, sizeof(*an));
	for (; ai; ai = ai->ai_next) {
		char buf[INET6_ADDRSTRLEN] = "?";

		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *a = (void *)ai->ai_addr;

			inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
			if (a->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
				an->v4_loopback++;
			else
				an->other++;
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *a = (void *)ai->ai_addr;

			inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
			if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
				an->v6_loopback++;
			else
				an->other++;
		} else {
			an->other++;
		}
		off += snprintf(an->text + off, off < sizeof(an->text) ?
				sizeof(an->text) - off : 0, " %s", buf);
	}
}

/*
 * getaddrinfo() of @name for @family, one stream socket per address. No
 * AI_ADDRCONFIG: a machine whose only interface is loopback has no
 * "configured" address in that sense, and would get nothing.
 */
static int resolve(const char *name, int family, struct addrinfo **res)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	return getaddrinfo(name, NULL, &hints, res);
}

/*
 * hosts: files gives both lines of /etc/hosts that name localhost. glibc
 * returns every matching line, not just the first, only with "multi on" in
 * /etc/host.conf (resolv/res_hconf.c; off when the file is absent).
 */
TEST(userland_localhost_resolves_to_ipv4_and_ipv6)
{
	struct addrinfo *res;
	struct answer an;
	int rc;

	need_localhost6();
	rc = resolve("localhost", AF_UNSPEC, &res);
	if (rc) {
		FAIL("getaddrinfo(localhost, AF_UNSPEC): %s", gai_strerror(rc));
		return;
	}
	tally(res, &an);
	freeaddrinfo(res);
	if (an.v4_loopback != 1 || an.v6_loopback != 1 || an.other)
		FAIL("localhost: expected 127.0.0.1 and ::1, got%s", an.text);
}

TEST(userland_localhost_ipv6_is_loopback_only)
{
	struct addrinfo *res;
	struct answer an;
	int rc;

	need_localhost6();
	rc = resolve("localhost", AF_INET6, &res);
	if (rc) {
		FAIL("getaddrinfo(localhost, AF_INET6): %s", gai_strerror(rc));
		return;
	}
	tally(res, &an);
	freeaddrinfo(res);
	if (an.v4_loopback || an.v6_loopback != 1 || an.other)
		FAIL("localhost for AF_INET6: expected ::1 only, got%s", an.text);
}

/*
 * The state of a one-process echo over TCP: the client sends a pattern and
 * then shuts its side; the server echoes until end of file and then shuts
 * its own; the client reads until end of file.
 */
#define ECHO_BYTES	(64 * 1024)

struct echo {
	unsigned char out[ECHO_BYTES], in[ECHO_BYTES + 1];
	size_t sent, received;
	int client_done;		/* the client read end of file */
	unsigned char buf[4096];	/* what the server has yet to echo */
	size_t pending, off;
	int server_eof;
};

/* Every registration's interest follows from the state; set them all. */
static void echo_interest(int ep, int c, int s, const struct echo *e)
{
	ASSERT_OK(ep_mod(ep, c, EPOLLIN | (e->sent < ECHO_BYTES ? EPOLLOUT : 0)));
	if (s >= 0)
		ASSERT_OK(ep_mod(ep, s, e->pending ? EPOLLOUT : EPOLLIN));
}

static void echo_client(int c, uint32_t events, struct echo *e)
{
	ssize_t n;

	if ((events & EPOLLOUT) && e->sent < ECHO_BYTES) {
		n = send(c, e->out + e->sent, ECHO_BYTES - e->sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			ASSERT_OK(n);
		if (n > 0)
			e->sent += n;
		if (e->sent == ECHO_BYTES)
			ASSERT_OK(shutdown(c, SHUT_WR));
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* one byte of room beyond the pattern catches any excess */
		n = recv(c, e->in + e->received, sizeof(e->in) - e->received, 0);
		if (n < 0 && errno != EAGAIN)
			ASSERT_OK(n);
		if (n > 0)
			e->received += n;
		if (n == 0 || e->received > ECHO_BYTES)
			e->client_done = 1;
	}
}

/* Returns 1 once the server has echoed everything and closed @s. */
static int echo_server(int s, uint32_t events, struct echo *e)
{
	ssize_t n;

	if ((events & EPOLLIN) && !e->pending) {
		n = recv(s, e->buf, sizeof(e->buf), 0);
		if (n < 0 && errno != EAGAIN)
			ASSERT_OK(n);
		if (n > 0) {
			e->pending = n;
			e->off = 0;
		}
		if (n == 0)
			e->server_eof = 1;
	}
	if ((events & EPOLLOUT) && e->pending) {
		n = send(s, e->buf + e->off, e->pending, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			ASSERT_OK(n);
		if (n > 0) {
			e->off += n;
			e->pending -= n;
		}
	}
	if (!e->server_eof || e->pending)
		return 0;
	/* the FIN follows the echoed data; closing also ends the registration */
	ASSERT_OK(close(s));
	return 1;
}

/*
 * An echo over ::1 with every socket non-blocking and one epoll instance
 * driving listener, client and server: 64 KiB come back exactly.
 */
TEST(userland_tcp_echo_over_ipv6_loopback, .timeout = 60)
{
	static struct echo e;
	struct sockaddr_in6 a;
	socklen_t alen = sizeof(a);
	int l, c, s = -1, ep, n, i;

	for (i = 0; i < ECHO_BYTES; i++)
		e.out[i] = (unsigned char)((i * 2654435761u) >> 24);

	l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l < 0 && errno == EAFNOSUPPORT)
		SKIP("socket(AF_INET6): EAFNOSUPPORT (kernel without CONFIG_IPV6)");
	ASSERT_OK(l);
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	ASSERT_OK(bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(getsockname(l, (struct sockaddr *)&a, &alen));
	ASSERT_OK(listen(l, 1));
	c = ASSERT_OK(socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) != 0)
		ASSERT_EQ(errno, EINPROGRESS);

	ep = ep_watch(l, EPOLLIN);
	ASSERT_OK(ep_add(ep, c, 0));
	while (!e.client_done) {
		struct epoll_event ev[3];

		echo_interest(ep, c, s, &e);
		n = ASSERT_OK(epoll_wait(ep, ev, ARRAY_SIZE(ev), step_ms()));
		if (n == 0) {
			FAIL("no progress for %d ms: sent %zu, echoed %zu of %d",
			     step_ms(), e.sent, e.received, ECHO_BYTES);
			break;
		}
		for (i = 0; i < n; i++) {
			int fd = (int)ev[i].data.u64;

			if (fd == l) {
				s = ASSERT_OK(accept4(l, NULL, NULL,
						      SOCK_NONBLOCK | SOCK_CLOEXEC));
				ASSERT_OK(ep_ctl(ep, EPOLL_CTL_DEL, l, 0, 0));
				ASSERT_OK(ep_add(ep, s, EPOLLIN));
			} else if (fd == c) {
				echo_client(c, ev[i].events, &e);
			} else if (fd == s && echo_server(s, ev[i].events, &e)) {
				s = -1;
			}
		}
	}
	EXPECT_EQ(e.received, ECHO_BYTES);
	for (i = 0; i < ECHO_BYTES && i < (int)e.received; i++) {
		if (e.in[i] != e.out[i]) {
			FAIL("echoed byte %d is 0x%02x, sent 0x%02x", i, e.in[i], e.out[i]);
			break;
		}
	}
}

/* The largest fd number a /dev/fd listing names, or -1; checks each is open. */
static int list_dev_fd(int want1, int want2, int *seen1, int *seen2)
{
	struct dirent *d;
	DIR *dir = opendir("/dev/fd");
	int max = -1;

	if (!dir) {
		FAIL("opendir(/dev/fd): %s", strerror(errno));
		return -1;
	}
	while ((d = readdir(dir))) {
		char *end;
		long fd;

		if (d->d_name[0] == '.')
			continue;
		fd = strtol(d->d_name, &end, 10);
		if (*end || fd < 0) {
			FAIL("/dev/fd lists \"%s\", not an fd number", d->d_name);
			continue;
		}
		/* every entry is an fd of this process (one is the listing's own) */
		if (fcntl((int)fd, F_GETFD) < 0)
			FAIL("/dev/fd lists %ld, which is not open here", fd);
		*seen1 |= fd == want1;
		*seen2 |= fd == want2;
		if (fd > max)
			max = (int)fd;
	}
	closedir(dir);
	return max;
}

/*
 * /dev/fd is /proc/self/fd: a directory of the caller's own fds, and
 * opening /dev/fd/N opens what fd N refers to.
 */
TEST(userland_dev_fd_lists_own_fds)
{
	const int high = 77;
	char link[64], c = 0;
	struct stat st;
	int p[2], fd, seen_pipe = 0, seen_high = 0;
	ssize_t n;

	n = ASSERT_OK(readlink("/dev/fd", link, sizeof(link) - 1));
	link[n] = '\0';
	EXPECT_STREQ(link, "/proc/self/fd");
	ASSERT_OK(stat("/dev/fd", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));

	ASSERT_OK(pipe2(p, O_CLOEXEC));
	ASSERT_ERRNO(fcntl(high, F_GETFD), EBADF);
	ASSERT_EQ(dup2(p[1], high), high);
	EXPECT_GE(list_dev_fd(p[0], high, &seen_pipe, &seen_high), high);
	EXPECT_TRUE(seen_pipe);
	EXPECT_TRUE(seen_high);

	/* a write through /dev/fd/77 reaches the pipe */
	fd = ASSERT_OK(open("/dev/fd/77", O_WRONLY | O_CLOEXEC));
	ASSERT_EQ(write(fd, "z", 1), 1);
	ASSERT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(c, 'z');

	/* and a closed fd is gone from the listing */
	ASSERT_OK(close(high));
	seen_high = 0;
	list_dev_fd(p[0], high, &seen_pipe, &seen_high);
	EXPECT_FALSE(seen_high);
}

/* /dev/stdin, /dev/stdout and /dev/stderr are links to /proc/self/fd/0..2. */
TEST(userland_dev_stdio_links)
{
	static const char *const names[] = {
		"/dev/stdin", "/dev/stdout", "/dev/stderr",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		char link[64], want[32];
		struct stat via_path, via_fd;
		ssize_t n = readlink(names[i], link, sizeof(link) - 1);

		if (n < 0) {
			FAIL("readlink(%s): %s", names[i], strerror(errno));
			continue;
		}
		link[n] = '\0';
		snprintf(want, sizeof(want), "/proc/self/fd/%u", i);
		EXPECT_STREQ(link, want);
		/* resolved, the link is whatever this process has as fd i */
		if (fstat((int)i, &via_fd) < 0)
			continue;	/* the runner left fd i closed */
		if (stat(names[i], &via_path) < 0) {
			FAIL("stat(%s): %s", names[i], strerror(errno));
			continue;
		}
		EXPECT_EQ(via_path.st_dev, via_fd.st_dev);
		EXPECT_EQ(via_path.st_ino, via_fd.st_ino);
	}
}

TEST(userland_tmp_is_writable_tmpfs)
{
	char path[] = "/tmp/userland-XXXXXX", back[8] = "";
	struct statfs sfs;
	int fd;

	fd = ASSERT_OK(mkstemp(path));
	ASSERT_OK(unlink(path));
	ASSERT_EQ(write(fd, "tmp", 3), 3);
	ASSERT_EQ(pread(fd, back, sizeof(back) - 1, 0), 3);
	EXPECT_STREQ(back, "tmp");

	ASSERT_OK(statfs("/tmp", &sfs));
	if ((unsigned long)sfs.f_type != TMPFS_MAGIC && !in_guest())
		SKIP("/tmp on this machine is not tmpfs (f_type 0x%lx)",
		     (unsigned long)sfs.f_type);
	EXPECT_EQ((unsigned long)sfs.f_type, TMPFS_MAGIC);
}

/* /etc/services and /etc/protocols, through the "files" service. */
TEST(userland_services_and_protocols_from_files)
{
	struct servent *se;
	struct protoent *pe;

	se = getservbyname("echo", "tcp");
	ASSERT_TRUE(se != NULL);
	EXPECT_EQ(ntohs(se->s_port), 7);
	EXPECT_STREQ(se->s_proto, "tcp");
	se = getservbyname("echo", "udp");
	ASSERT_TRUE(se != NULL);
	EXPECT_EQ(ntohs(se->s_port), 7);
	se = getservbyport(htons(7), "tcp");
	ASSERT_TRUE(se != NULL);
	EXPECT_STREQ(se->s_name, "echo");

	pe = getprotobyname("tcp");
	ASSERT_TRUE(pe != NULL);
	EXPECT_EQ(pe->p_proto, IPPROTO_TCP);
	pe = getprotobyname("udp");
	ASSERT_TRUE(pe != NULL);
	EXPECT_EQ(pe->p_proto, IPPROTO_UDP);
}

/*
 * A name /etc/hosts lacks goes on to DNS (hosts: files dns), which has no
 * answer: "no such name", or "try again" where no server is reachable (the
 * guest's resolv.conf names a closed port on 127.0.0.1, so that fails at
 * once). How long it takes is the resolver's business; the case timeout
 * covers a native machine's resolver retrying an unreachable server.
 */
TEST(userland_unknown_host_fails, .timeout = 60)
{
	struct addrinfo *res = NULL;
	int rc = resolve("no-such-host.invalid", AF_UNSPEC, &res);

	if (rc == 0) {
		struct answer an;

		tally(res, &an);
		freeaddrinfo(res);
		FAIL("no-such-host.invalid resolved to%s", an.text);
	} else if (rc != EAI_NONAME && rc != EAI_AGAIN) {
		FAIL("getaddrinfo(no-such-host.invalid): %d (%s), expected EAI_NONAME or EAI_AGAIN",
		     rc, gai_strerror(rc));
	}
}

/*
 * Runs @argv (argv[0] a path) with its stdout in a pipe, which is read
 * through epoll with bounded waits, into @out; returns the exit status.
 */
static int run_capture(char *const argv[], char *out, size_t len)
{
	size_t got = 0;
	int p[2], ep, status = -1;
	pid_t pid;

	ASSERT_OK(pipe2(p, O_CLOEXEC));
	pid = ASSERT_OK(fork());
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	ep = ep_watch(p[0], EPOLLIN);
	for (;;) {
		ssize_t n;

		if (!ep_events_now(ep, step_ms())) {
			FAIL("%s wrote nothing more for %d ms", argv[0], step_ms());
			kill(pid, SIGKILL);
			break;
		}
		n = read(p[0], out + got, len - 1 - got);
		if (n <= 0)
			break;
		got += n;
		if (got == len - 1)
			break;
	}
	out[got] = '\0';
	close(p[0]);
	close(ep);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	return status;
}

/* The value after "Key:" in /proc/PID/status text, up to the line's end. */
static const char *status_field(const char *status, const char *key,
				char *val, size_t len)
{
	size_t klen = strlen(key);
	const char *line = status;

	while (strncmp(line, key, klen) || line[klen] != ':') {
		line = strchr(line, '\n');
		if (!line)
			return "(missing)";
		line++;
	}
	line += klen + 1;
	line += strspn(line, " \t");
	snprintf(val, len, "%.*s", (int)strcspn(line, "\n"), line);
	return val;
}

/*
 * Runs /bin/cat /proc/self/status as @user through epoll-lab-runas and
 * checks that cat ran with every uid and gid @id and no capabilities left,
 * permitted or effective.
 */
static void check_runas(const char *user, unsigned int id)
{
	char *const argv[] = {
		RUNAS, (char *)user, "/bin/cat", "/proc/self/status", NULL,
	};
	static char status[8192];
	char val[128], want[64];
	int st;

	if (access(RUNAS, F_OK) != 0) {
		if (!in_guest())
			SKIP("%s is absent (not the epoll-lab guest)", RUNAS);
		ASSERT_OK(access(RUNAS, F_OK));
	}
	if (geteuid() != 0)
		SKIP("needs root: %s changes user with setuid()", RUNAS);

	st = run_capture(argv, status, sizeof(status));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("%s %s /bin/cat: wait status 0x%x", RUNAS, user, st);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", id, id, id, id);
	EXPECT_STREQ(status_field(status, "Uid", val, sizeof(val)), want);
	EXPECT_STREQ(status_field(status, "Gid", val, sizeof(val)), want);
	EXPECT_STREQ(status_field(status, "CapPrm", val, sizeof(val)),
		     "0000000000000000");
	EXPECT_STREQ(status_field(status, "CapEff", val, sizeof(val)),
		     "0000000000000000");
}

/* By name: nobody is 65534 (group nogroup, 65534). */
TEST(userland_runas_nobody_without_capabilities)
{
	check_runas("nobody", 65534);
}

/* By uid: the ordinary user, 1000. */
TEST(userland_runas_uid_1000_without_capabilities)
{
	check_runas("1000", 1000);
}

TEST(userland_os_release_names_epoll_lab)
{
	char line[256];
	int found = 0;
	FILE *f;

	if (!in_guest())
		SKIP("not the epoll-lab guest (no %s): /etc/os-release is this machine's",
		     GUEST_AGENT);
	f = fopen("/etc/os-release", "re");
	if (!f) {
		FAIL("/etc/os-release: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found |= !strcmp(line, "ID=epoll-lab") ||
			 !strcmp(line, "ID=\"epoll-lab\"");
	}
	fclose(f);
	if (!found)
		FAIL("/etc/os-release has no line ID=epoll-lab");
}
