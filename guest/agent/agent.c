// SPDX-License-Identifier: GPL-2.0
/*
 * epoll-lab-agent: the host's hands inside the guest.
 *
 * Started by /init on the machine channel: /dev/hvc0, v86's virtio console,
 * or ttyS1 on a machine without one (the QEMU baseline). It runs commands for the
 * host, each in its own process group, streams their stdout and stderr back
 * as separate frames, enforces timeouts by killing the group, reports the
 * exit status or terminating signal, and forwards every /dev/kmsg record so
 * the host can spot oopses and panics. The wire format is in protocol.h and
 * docs/protocol.md.
 *
 * The agent is one epoll loop: the channel's tty, /dev/kmsg, a signalfd for SIGCHLD
 * and, per session, the child's stdout/stderr pipes, its stdin pipe and a
 * timerfd. Nothing here sleeps; every wait is a readiness wait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands-cgroup.h"
#include "protocol.h"
#include "reach.h"
#include "runas.h"

#define MAX_SESSIONS 32
#define MAX_ARGS 256

/* What an epoll event refers to: the kind in the high half of data.u64. */
enum source {
	SRC_TTY = 1,
	SRC_KMSG,
	SRC_SIGCHLD,
	SRC_STDOUT,
	SRC_STDERR,
	SRC_STDIN,
	SRC_TIMER,
};

struct session {
	bool used;
	uint32_t id;
	pid_t pid;		/* session leader, also its process group */
	bool exited;
	int status;		/* waitpid status once exited */
	bool timed_out;
	int out_fd, err_fd;	/* read ends; -1 once at EOF */
	int in_fd;		/* write end of the child's stdin; -1 if closed */
	int timer_fd;		/* -1 without a timeout */
	unsigned char *pending;	/* stdin bytes not yet taken by the child */
	size_t pending_len;
	bool eof_requested;	/* close stdin once pending is flushed */
};

static struct session sessions[MAX_SESSIONS];
static int ep_fd = -1, tty_fd = -1, console_fd = -1, kmsg_fd = -1;

/* Receive buffer for frames from the host. */
static unsigned char rx[EL_HEADER_SIZE + EL_MAX_PAYLOAD];
static size_t rx_len;

/*
 * Every frame to the host is assembled here and written with one write():
 * on the virtio console each write becomes as few virtqueue buffers as the
 * tty allows, and command output is read straight into tx_payload.
 */
static unsigned char tx[EL_HEADER_SIZE + EL_MAX_PAYLOAD];
static unsigned char *const tx_payload = tx + EL_HEADER_SIZE;

static void die(const char *what)
{
	fprintf(stderr, "epoll-lab-agent: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get_u32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("write to host channel");
		p += n;
		len -= n;
	}
}

/*
 * Frames larger than the protocol allows are split; only data frames are.
 * A payload may already sit in tx_payload (read_output reads it there).
 */
static void send_frame(int type, uint32_t id, const void *payload, size_t len)
{
	const unsigned char *p = payload;

	do {
		size_t n = len > EL_MAX_PAYLOAD ? EL_MAX_PAYLOAD : len;

		tx[0] = EL_MAGIC0;
		tx[1] = EL_MAGIC1;
		tx[2] = type;
		tx[3] = 0;
		put_u32(tx + 4, id);
		put_u32(tx + 8, n);
		if (n && p != tx_payload)
			memcpy(tx_payload, p, n);
		write_all(tty_fd, tx, EL_HEADER_SIZE + n);
		p += n;
		len -= n;
	} while (len);
}

static void send_u32(int type, uint32_t id, uint32_t v)
{
	unsigned char b[4];

	put_u32(b, v);
	send_frame(type, id, b, sizeof(b));
}

static void send_error(uint32_t id, const char *msg)
{
	send_frame(EL_ERROR, id, msg, strlen(msg));
}

static void watch(int fd, uint32_t events, enum source src, int index)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = (uint64_t)src << 32 | (uint32_t)index,
	};

	if (epoll_ctl(ep_fd, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl ADD");
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		/* close() also drops the fd from the epoll interest list. */
		close(*fd);
		*fd = -1;
	}
}

static struct session *find_session(uint32_t id)
{
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].used && sessions[i].id == id)
			return &sessions[i];
	return NULL;
}

/*
 * Each read returns one record. Drain them all now, so what the kernel
 * logged while a command ran reaches the host before that command's EXIT.
 */
static void read_kmsg(void)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(kmsg_fd, buf, sizeof(buf));

		if (n > 0)
			send_frame(EL_KMSG, 0, buf, n);
		/* EPIPE: records were overwritten before we read them; go on. */
		else if (n < 0 && errno == EPIPE)
			continue;
		else
			break;
	}
}

/*
 * A session is over when its leader has been reaped and both output pipes
 * reached EOF, so no output can arrive after the EXIT frame.
 */
static void maybe_finish(struct session *s)
{
	unsigned char b[12];
	int code = -1, sig = 0;

	if (!s->exited || s->out_fd >= 0 || s->err_fd >= 0)
		return;
	if (WIFEXITED(s->status))
		code = WEXITSTATUS(s->status);
	else if (WIFSIGNALED(s->status))
		sig = WTERMSIG(s->status);
	/* Kernel messages the command caused go out before its EXIT. */
	read_kmsg();
	put_u32(b, (uint32_t)code);
	put_u32(b + 4, sig);
	put_u32(b + 8, s->timed_out ? EL_EXIT_TIMED_OUT : 0);
	send_frame(EL_EXIT, s->id, b, sizeof(b));

	close_fd(&s->in_fd);
	close_fd(&s->timer_fd);
	free(s->pending);
	memset(s, 0, sizeof(*s));
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Writes /proc/self/oom_score_adj; a kernel without /proc leaves it as it is. */
static void set_oom_score_adj(const char *value)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, value, strlen(value)) < 0)
		dprintf(2, "epoll-lab-agent: oom_score_adj %s: %s\n", value, strerror(errno));
	close(fd);
}

/*
 * The cgroup /init makes for commands (its pids, memory and cpu limits: see
 * guest/init/init.c), open for the children to join; -1 on a kernel without
 * cgroups, where commands run unbounded as before.
 */
static int commands_cgroup_fd = -1;

/* Moves the calling process into the commands' cgroup, before it runs user code. */
static void join_commands_cgroup(void)
{
	if (commands_cgroup_fd >= 0 && write(commands_cgroup_fd, "0", 1) < 0)
		dprintf(2, "epoll-lab-agent: joining %s: %s\n", COMMANDS_CGROUP_PROCS, strerror(errno));
}

/* Default environment; the host's env entries are applied on top. */
static const char *const base_env[] = {
	"PATH=/sbin:/bin:/usr/sbin:/usr/bin",
	"HOME=/root",
	"TERM=linux",
	NULL,
};

static void exec_child(char **argv, char **env, int envc, const char *cwd,
		       int in, int out, int err)
{
	sigset_t none;

	/* Undo what the agent changed for itself before running user code. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	/*
	 * The agent is exempt from the OOM killer (oom_score_adj -1000, set by
	 * init and inherited); its commands must not be, or a command that
	 * exhausts memory leaves the kernel nothing to kill but the guest.
	 */
	set_oom_score_adj("0");
	join_commands_cgroup();

	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);

	clearenv();
	for (int i = 0; base_env[i]; i++)
		putenv((char *)base_env[i]);
	for (int i = 0; i < envc; i++)
		putenv(env[i]);

	if (*cwd && chdir(cwd)) {
		dprintf(2, "epoll-lab-agent: cd %s: %s\n", cwd, strerror(errno));
		_exit(126);
	}
	execvp(argv[0], argv);
	/* The shell's conventions: 127 for not found, 126 for not runnable. */
	dprintf(2, "epoll-lab-agent: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/*
 * EXEC payload: u32 timeout_ms, u32 flags, u16 argc, u16 envc, then argc
 * argument strings, envc "NAME=value" strings and one cwd string, each
 * NUL-terminated.
 */
static void handle_exec(uint32_t id, unsigned char *p, uint32_t len)
{
	char *argv[MAX_ARGS + 1], *env[MAX_ARGS], *cwd = "";
	int in_pipe[2], out_pipe[2], err_pipe[2], slot = -1;
	uint32_t timeout_ms, flags, argc, envc, off = 12;
	struct session *s;
	pid_t pid;

	if (len < 12)
		return send_error(id, "EXEC payload too short");
	if (find_session(id))
		return send_error(id, "EXEC with an id already in use");
	timeout_ms = get_u32(p);
	flags = get_u32(p + 4);
	argc = get_u16(p + 8);
	envc = get_u16(p + 10);
	if (argc < 1 || argc > MAX_ARGS || envc > MAX_ARGS)
		return send_error(id, "EXEC needs 1..256 arguments and at most 256 env entries");
	for (uint32_t i = 0; i < argc + envc + 1; i++) {
		char *str = (char *)p + off;
		char *nul = off < len ? memchr(str, 0, len - off) : NULL;

		if (!nul)
			return send_error(id, "EXEC strings are not NUL-terminated");
		if (i < argc)
			argv[i] = str;
		else if (i < argc + envc)
			env[i - argc] = str;
		else
			cwd = str;
		off += nul - str + 1;
	}
	argv[argc] = NULL;

	for (int i = 0; i < MAX_SESSIONS; i++)
		if (!sessions[i].used) {
			slot = i;
			break;
		}
	if (slot < 0)
		return send_error(id, "too many sessions running");

	if (flags & EL_EXEC_STDIN) {
		if (pipe2(in_pipe, O_CLOEXEC))
			return send_error(id, "pipe failed");
	} else {
		in_pipe[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		in_pipe[1] = -1;
	}
	if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
		return send_error(id, "pipe failed");

	pid = fork();
	if (pid < 0)
		return send_error(id, "fork failed");
	if (pid == 0)
		exec_child(argv, env, envc, cwd, in_pipe[0], out_pipe[1], err_pipe[1]);
	/* Also in the parent: a signal sent before the child runs must hit the group. */
	setpgid(pid, pid);
	close(in_pipe[0]);
	close(out_pipe[1]);
	close(err_pipe[1]);

	s = &sessions[slot];
	*s = (struct session){
		.used = true, .id = id, .pid = pid,
		.out_fd = out_pipe[0], .err_fd = err_pipe[0],
		.in_fd = in_pipe[1], .timer_fd = -1,
	};
	set_nonblock(s->out_fd);
	set_nonblock(s->err_fd);
	watch(s->out_fd, EPOLLIN, SRC_STDOUT, slot);
	watch(s->err_fd, EPOLLIN, SRC_STDERR, slot);
	if (s->in_fd >= 0) {
		set_nonblock(s->in_fd);
		/* Registered now, armed for EPOLLOUT only while bytes wait. */
		watch(s->in_fd, 0, SRC_STDIN, slot);
	}
	if (timeout_ms) {
		struct itimerspec its = {
			.it_value.tv_sec = timeout_ms / 1000,
			.it_value.tv_nsec = (timeout_ms % 1000) * 1000000L,
		};

		s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (s->timer_fd < 0 || timerfd_settime(s->timer_fd, 0, &its, NULL))
			die("timerfd");
		watch(s->timer_fd, EPOLLIN, SRC_TIMER, slot);
	}
	send_u32(EL_STARTED, id, pid);
}

static void arm_stdin(struct session *s, bool want_out)
{
	struct epoll_event ev = {
		.events = want_out ? EPOLLOUT : 0,
		.data.u64 = (uint64_t)SRC_STDIN << 32 | (uint32_t)(s - sessions),
	};

	epoll_ctl(ep_fd, EPOLL_CTL_MOD, s->in_fd, &ev);
}

/*
 * Hand pending stdin bytes to the child. Every byte taken (or dropped
 * because the child closed its stdin) is acknowledged, which is what lets
 * the host send more: it never has more than a window in flight.
 */
static void flush_stdin(struct session *s)
{
	size_t done = 0;

	while (s->in_fd >= 0 && done < s->pending_len) {
		ssize_t n = write(s->in_fd, s->pending + done, s->pending_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			/* EPIPE: the child will never read; discard the rest. */
			close_fd(&s->in_fd);
			done = s->pending_len;
			break;
		}
		done += n;
	}
	if (s->in_fd < 0)
		done = s->pending_len;
	if (done) {
		memmove(s->pending, s->pending + done, s->pending_len - done);
		s->pending_len -= done;
		send_u32(EL_STDIN_ACK, s->id, done);
	}
	if (s->in_fd >= 0) {
		if (!s->pending_len && s->eof_requested)
			close_fd(&s->in_fd);
		else
			arm_stdin(s, s->pending_len > 0);
	}
}

static void handle_stdin(struct session *s, const unsigned char *p, uint32_t len)
{
	unsigned char *grown = realloc(s->pending, s->pending_len + len);

	if (!grown)
		die("realloc");
	s->pending = grown;
	memcpy(s->pending + s->pending_len, p, len);
	s->pending_len += len;
	flush_stdin(s);
}

/*
 * STDIN_FILE: the next stdin bytes, in a file the host put into the share's
 * root-only directory (src/host/core/share-host-dir.ts). Bulk stdin comes
 * this way: a 9p read moves up to 64 KiB per request, where the console's
 * tty hands over 16 bytes per poll. The file is read whole and its bytes
 * join the pending ones in frame order; STDIN_FILE_DONE then tells the host
 * it may refill the file (it reuses a few). If it cannot be read, its bytes
 * are acknowledged as discarded, so the host is not left waiting, and the
 * command's stderr says why.
 */
#define STDIN_FILE_DIR "/mnt/host/from-host/"

static void handle_stdin_file(struct session *s, uint32_t id, const unsigned char *p, uint32_t len)
{
	const char *path = (const char *)p + 4;
	uint32_t bytes, got = 0;
	char line[256];
	int fd = -1, open_errno = 0, n;

	if (len < 6 || p[len - 1] || strncmp(path, STDIN_FILE_DIR, strlen(STDIN_FILE_DIR)) ||
	    strchr(path + strlen(STDIN_FILE_DIR), '/'))
		return send_error(id, "STDIN_FILE needs a byte count and a file of " STDIN_FILE_DIR);
	bytes = get_u32(p);
	if (s) {
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		open_errno = errno;
	}
	if (fd >= 0) {
		unsigned char *grown = realloc(s->pending, s->pending_len + bytes);

		if (!grown)
			die("realloc");
		s->pending = grown;
		while (got < bytes) {
			ssize_t r = read(fd, s->pending + s->pending_len + got, bytes - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += r;
		}
		close(fd);
	}
	send_frame(EL_STDIN_FILE_DONE, id, path, strlen(path));
	if (!s) {
		/* The session has ended: nothing will read these bytes. */
		send_u32(EL_STDIN_ACK, id, bytes);
		return;
	}
	if (got < bytes) {
		n = snprintf(line, sizeof(line), "epoll-lab-agent: %u stdin bytes lost: %s: %s\n",
			     bytes - got, path, fd < 0 ? strerror(open_errno) : "shorter than announced");
		send_frame(EL_STDERR, id, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
		send_u32(EL_STDIN_ACK, id, bytes - got);
	}
	s->pending_len += got;
	flush_stdin(s);
}

/*
 * A restored snapshot wakes with the wall clock of the moment it was saved
 * (the kernel reads the RTC only at boot), so the host sends its own time.
 * clock_settime64 directly: the i386 libc's clock_settime takes a 32-bit
 * time_t, and this must not stop working in 2038.
 */
static void set_realtime(const unsigned char *p)
{
	struct {
		int64_t tv_sec;
		int64_t tv_nsec;
	} ts = {
		.tv_sec = (int64_t)((uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32),
		.tv_nsec = get_u32(p + 8),
	};

	if (ts.tv_nsec < 1000000000 && syscall(SYS_clock_settime64, CLOCK_REALTIME, &ts) < 0)
		fprintf(stderr, "epoll-lab-agent: clock_settime64: %s\n", strerror(errno));
}

static void handle_frame(int type, uint32_t id, unsigned char *p, uint32_t len)
{
	struct session *s = find_session(id);

	switch (type) {
	case EL_EXEC:
		handle_exec(id, p, len);
		break;
	case EL_STDIN:
		if (s)
			handle_stdin(s, p, len);
		else
			send_u32(EL_STDIN_ACK, id, len);
		break;
	case EL_STDIN_FILE:
		handle_stdin_file(s, id, p, len);
		break;
	case EL_STDIN_EOF:
		if (s) {
			s->eof_requested = true;
			flush_stdin(s);
		}
		break;
	case EL_SIGNAL:
		if (s && !s->exited && len >= 4)
			kill(-s->pid, get_u32(p));
		break;
	case EL_PING:
		send_frame(EL_PONG, id, p, len);
		break;
	case EL_SET_TIME:
		if (len >= 12)
			set_realtime(p);
		break;
	case EL_RESIZE:
		if (len >= 4 && console_fd >= 0) {
			struct winsize ws = { .ws_row = get_u16(p), .ws_col = get_u16(p + 2) };

			/* The tty sends SIGWINCH to its foreground group itself. */
			ioctl(console_fd, TIOCSWINSZ, &ws);
		}
		break;
	default:
		send_error(id, "unknown frame type");
	}
}

/* Split the byte stream from the host into frames, resyncing on the magic. */
static void read_tty(void)
{
	ssize_t n = read(tty_fd, rx + rx_len, sizeof(rx) - rx_len);
	size_t start = 0;

	if (n <= 0)
		return;
	/*
	 * Tell the host first: on the virtio console it may only send as much
	 * as the guest's posted buffers hold, and what we have read is free.
	 */
	send_u32(EL_CHANNEL_ACK, 0, n);
	rx_len += n;
	while (rx_len - start >= EL_HEADER_SIZE) {
		unsigned char *h = rx + start;
		uint32_t len = get_u32(h + 8);

		if (h[0] != EL_MAGIC0 || h[1] != EL_MAGIC1 || len > EL_MAX_PAYLOAD) {
			start++;
			continue;
		}
		if (rx_len - start < EL_HEADER_SIZE + len)
			break;
		handle_frame(h[2], get_u32(h + 4), h + EL_HEADER_SIZE, len);
		start += EL_HEADER_SIZE + len;
	}
	memmove(rx, rx + start, rx_len - start);
	rx_len -= start;
}

/* A whole pipe's worth (64 KiB) at a time: fewer frames, fewer writes. */
static void read_output(struct session *s, int *fd, int type)
{
	ssize_t n = read(*fd, tx_payload, EL_MAX_PAYLOAD);

	if (n > 0) {
		send_frame(type, s->id, tx_payload, n);
		return;
	}
	/* Stale readiness from earlier in a batch: nothing to read yet. */
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close_fd(fd);
	maybe_finish(s);
}

/* Sends what a (non-blocking) output pipe still holds, up to a bound. */
static void drain_output(struct session *s, int fd, int type)
{
	ssize_t n;

	for (int rounds = 0; fd >= 0 && rounds < 4; rounds++) {
		n = read(fd, tx_payload, EL_MAX_PAYLOAD);
		if (n <= 0)
			break;
		send_frame(type, s->id, tx_payload, n);
	}
}

static void reap_children(int sig_fd)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < MAX_SESSIONS; i++) {
			struct session *s = &sessions[i];

			if (!s->used || s->pid != pid)
				continue;
			s->exited = true;
			s->status = status;
			/*
			 * The command owns its process group: what it left
			 * running there goes with it, so the pipes close.
			 */
			kill(-pid, SIGKILL);
			maybe_finish(s);
		}
	}
}

/*
 * The timeout ends everything the command started: its group, descendants
 * that left the group, and whatever holds its output pipes (reach.c). The
 * command's stderr says what was killed; what the pipes still hold is read
 * first, then they are closed, so the EXIT cannot wait on a survivor.
 */
static void handle_timeout(struct session *s)
{
	int fds[2] = { s->out_fd, s->err_fd };
	char said[400], line[512];
	int n;

	s->timed_out = true;
	/*
	 * Walk the tree before killing the group: killed members would hand
	 * their children to us and hide where they came from. Once the leader
	 * is reaped its pid may be someone else's: then only the pipes count.
	 */
	n = reach_kill(s->exited ? 0 : s->pid, fds, 2, said, sizeof(said));
	if (!s->exited)
		kill(-s->pid, SIGKILL);
	drain_output(s, s->out_fd, EL_STDOUT);
	drain_output(s, s->err_fd, EL_STDERR);
	if (n > 0) {
		int len = snprintf(line, sizeof(line), "epoll-lab-agent: timed out; killed %s\n", said);

		send_frame(EL_STDERR, s->id, line, len < (int)sizeof(line) ? (size_t)len : sizeof(line) - 1);
	}
	close_fd(&s->out_fd);
	close_fd(&s->err_fd);
	close_fd(&s->timer_fd);
	maybe_finish(s);
}

/*
 * The virtio console's ports come up in the kernel's own time: its driver
 * probes before /init, but each port's hvc tty is made by control-message
 * work queued after that. Wait for the device node to be created (devtmpfs
 * reports it to inotify) rather than polling for it.
 */
static void wait_for_device(const char *path)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *slash = strrchr(path, '/');
	char dir[256];
	int fd;

	if (!slash || access(path, F_OK) == 0)
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, *dir ? dir : "/", IN_CREATE) < 0)
		die("inotify");
	/* Checked again after the watch exists: it may have appeared meanwhile. */
	while (access(path, F_OK) != 0)
		if (read(fd, buf, sizeof(buf)) < 0 && errno != EINTR)
			die("inotify read");
	close(fd);
}

static void setup_tty(const char *path)
{
	struct termios t;

	wait_for_device(path);
	tty_fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_fd < 0)
		die(path);
	if (tcgetattr(tty_fd, &t))
		die("tcgetattr");
	/* Binary-safe: no echo, no line editing, no CR/LF translation. */
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~CRTSCTS;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetspeed(&t, B115200);
	if (tcsetattr(tty_fd, TCSANOW, &t))
		die("tcsetattr");
	tcflush(tty_fd, TCIOFLUSH);
}

static void send_hello(void)
{
	struct utsname u;
	char buf[512];
	int n;

	uname(&u);
	n = snprintf(buf, sizeof(buf), "release=%s\nmachine=%s\nprotocol=1\n",
		     u.release, u.machine);
	send_frame(EL_HELLO, 0, buf, n);
}

__attribute__((noreturn)) static void agent_main(int argc, char **argv);

int main(int argc, char **argv)
{
	const char *slash = strrchr(argv[0], '/');

	/* One binary, two programs: see runas.c. */
	if (!strcmp(slash ? slash + 1 : argv[0], RUNAS_NAME))
		return runas_main(argc, argv);
	agent_main(argc, argv);
}

/* The agent: serves the machine channel until the machine stops. */
static void agent_main(int argc, char **argv)
{
	const char *tty = argc > 1 ? argv[1] : "/dev/ttyS1";
	const char *console = argc > 2 ? argv[2] : "/dev/ttyS0";
	int sig_fd;
	sigset_t chld;

	setup_tty(tty);
	console_fd = open(console, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	/* Orphans of our commands become our children, so we reap them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/*
	 * Out of the OOM killer's reach even if started by something other
	 * than our init: a command that fills memory must lose, not the agent.
	 */
	set_oom_score_adj("-1000");
	commands_cgroup_fd = open(COMMANDS_CGROUP_PROCS, O_WRONLY | O_CLOEXEC);

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sig_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (sig_fd < 0 || ep_fd < 0)
		die("signalfd/epoll_create1");
	watch(tty_fd, EPOLLIN, SRC_TTY, 0);
	watch(sig_fd, EPOLLIN, SRC_SIGCHLD, 0);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		watch(kmsg_fd, EPOLLIN, SRC_KMSG, 0);

	send_hello();
	for (;;) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep_fd, evs, 16, -1);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			enum source src = evs[i].data.u64 >> 32;
			struct session *s = &sessions[(uint32_t)evs[i].data.u64];

			switch (src) {
			case SRC_TTY:
				read_tty();
				break;
			case SRC_KMSG:
				read_kmsg();
				break;
			case SRC_SIGCHLD:
				reap_children(sig_fd);
				break;
			/*
			 * Earlier events in this batch may have finished the
			 * session; its fds are then closed (-1) and skipped.
			 */
			case SRC_STDOUT:
				if (s->used && s->out_fd >= 0)
					read_output(s, &s->out_fd, EL_STDOUT);
				break;
			case SRC_STDERR:
				if (s->used && s->err_fd >= 0)
					read_output(s, &s->err_fd, EL_STDERR);
				break;
			case SRC_STDIN:
				if (s->used && s->in_fd >= 0)
					flush_stdin(s);
				break;
			case SRC_TIMER:
				if (s->used && s->timer_fd >= 0)
					handle_timeout(s);
				break;
			}
		}
	}
}
