// SPDX-License-Identifier: GPL-2.0
/*
 * epoll-lab guest /init (PID 1).
 *
 * It makes busybox's applet links, mounts the pseudo filesystems, sizes the
 * tmpfs mounts, brings up loopback, sets the hostname, makes the commands'
 * cgroup, mounts the host share if v86 provides one, loads scull, starts the
 * agent on the machine channel (hvc0, or ttyS1 without a virtio console) and
 * keeps a login shell on the human console (ttyS0) forever.
 *
 * One program rather than a shell script: under emulation each fork+exec of
 * busybox costs tens of milliseconds, and the script ran some twenty of them
 * between "Run /init" and the agent's hello; here they are system calls.
 * The one command left is busybox's own installer.
 *
 * PID 1 must never exit: that would panic the kernel. Whatever fails is said
 * on the console and the rest goes on, as the script did.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands-cgroup.h"

#define AGENT "/sbin/epoll-lab-agent"
#define CONSOLE_TTY "/dev/ttyS0"

/* What failed, on the console; init goes on. */
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("epoll-lab init: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void mount_fs(const char *source, const char *target, const char *type, const char *options)
{
	if (mount(source, target, type, 0, options))
		say("mount %s on %s: %s", type, target, strerror(errno));
}

static void make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) && errno != EEXIST)
		say("mkdir %s: %s", path, strerror(errno));
}

static void make_link(const char *target, const char *path)
{
	if (symlink(target, path) && errno != EEXIST)
		say("ln -s %s %s: %s", target, path, strerror(errno));
}

/* Writes TEXT into a control file (cgroup, /proc); false on failure, said. */
static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	if (!ok)
		say("writing %s to %s: %s", text, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Reads up to SIZE-1 bytes of a small file, NUL-terminated; false if it cannot be read. */
static bool read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n >= 0;
}

/* Runs ARGV to its end; its wait status. */
static int run(char *const argv[])
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		say("%s: %s", argv[0], strerror(errno));
	return status;
}

static void bring_up_loopback(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)))
		say("lo up: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void set_hostname(void)
{
	char name[65];

	if (!read_file("/etc/hostname", name, sizeof(name)))
		return say("/etc/hostname: %s", strerror(errno));
	name[strcspn(name, "\n")] = '\0';
	if (sethostname(name, strlen(name)))
		say("hostname %s: %s", name, strerror(errno));
}

/*
 * Root's commands are bounded too, by cgroup v2 (guest/kernel/epoll-lab.config):
 * every command the agent runs, and the console's shell, go into the cgroup
 * "commands", while the agent and PID 1 stay in the root cgroup. A fork bomb
 * stops at pids.max, memory past memory.max is reclaimed or ends in the
 * cgroup's own OOM kill, and the cpu controller weighs the whole cgroup as one
 * task against the agent, so the agent answers however many processes spin.
 * The memory limit leaves 16 MiB to the kernel, the agent and the initramfs's
 * files. A kernel without cgroups (a user's tree) skips this.
 */
static void make_commands_cgroup(void)
{
	struct sysinfo si;
	char limit[32];

	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		return;
	if (!write_file("/sys/fs/cgroup/cgroup.subtree_control", "+pids +memory +cpu"))
		return;
	make_dir(COMMANDS_CGROUP, 0755);
	write_file(COMMANDS_CGROUP "/pids.max", "512");
	sysinfo(&si);
	snprintf(limit, sizeof(limit), "%llu", (unsigned long long)si.totalram * si.mem_unit - (16ULL << 20));
	write_file(COMMANDS_CGROUP "/memory.max", limit);
}

/* Whether a directory has an entry whose name starts with PREFIX (or whose file SUFFIX holds WORD). */
static bool dir_has(const char *dir, const char *prefix, const char *suffix, const char *word)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char path[512], text[64];

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		if (!suffix) {
			found = true;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s/%s", dir, e->d_name, suffix);
		found = read_file(path, text, sizeof(text)) && strstr(text, word);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * v86's virtio-9p device carries the mount tag "host9p". Without the device
 * the guest still works, only file transfer is unavailable.
 */
static void mount_host_share(void)
{
	if (!dir_has("/sys/bus/virtio/drivers/9pnet_virtio", "virtio", "mount_tag", "host9p"))
		return;
	mount_fs("host9p", "/mnt/host", "9p", "trans=virtio,version=9p2000.L,msize=65536");
	/*
	 * Everyone's, like /tmp, so sticky: no user renames or replaces
	 * another's file. The host's own files (modules, layers, programs root
	 * reads) go into from-host, which only root can write
	 * (src/host/core/share-host-dir.ts).
	 */
	if (chmod("/mnt/host", 01777))
		say("chmod /mnt/host: %s", strerror(errno));
	make_dir("/mnt/host/from-host", 0755);
}

/* The scull drivers are part of the lab: loaded at boot, so /dev/scull* is there from the first prompt. */
static void load_scull(void)
{
	int fd = open("/lib/modules/scull.ko", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (syscall(SYS_finit_module, fd, "", 0))
		say("insmod scull.ko: %s", strerror(errno));
	close(fd);
}

/* Sets the child's stdin, stdout and stderr: IN for 0, OUT for 1 and 2. */
static void stdio_to(const char *in, const char *out)
{
	int i = open(in, O_RDWR), o = open(out, O_RDWR | O_NOCTTY);

	dup2(i, 0);
	dup2(o, 1);
	dup2(o, 2);
	if (i > 2)
		close(i);
	if (o > 2)
		close(o);
}

/*
 * The machine channel: v86's virtio console, whose port 0 becomes
 * /dev/hvc0 (the agent waits for the node: the port is set up just after
 * the driver binds); on a machine without one, such as the QEMU baseline,
 * the second UART. The OOM killer must never pick the agent (-1000, which it
 * also sets itself; the kernel never picks PID 1): the agent sets its
 * commands back to 0.
 */
static pid_t start_agent(void)
{
	const char *channel = dir_has("/sys/bus/virtio/drivers/virtio_console", "virtio", NULL, NULL) ? "/dev/hvc0" : "/dev/ttyS1";
	pid_t pid = fork();

	if (pid == 0) {
		write_file("/proc/self/oom_score_adj", "-1000");
		setsid();
		/* Its stdio must be open, so its pipes do not land on fds 0-2. */
		stdio_to("/dev/null", "/dev/console");
		execl(AGENT, "epoll-lab-agent", channel, CONSOLE_TTY, (char *)NULL);
		say("%s: %s", AGENT, strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		say("starting the agent: %s", strerror(errno));
	return pid;
}

/* A login shell on the console with it as controlling tty (job control, Ctrl-C), in the commands' cgroup. */
static pid_t start_console_shell(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int cgroup = open(COMMANDS_CGROUP_PROCS, O_WRONLY | O_CLOEXEC);

		if (cgroup >= 0 && write(cgroup, "0", 1) < 0)
			say("joining %s: %s", COMMANDS_CGROUP, strerror(errno));
		setsid();
		stdio_to(CONSOLE_TTY, CONSOLE_TTY);
		ioctl(0, TIOCSCTTY, 0);
		execl("/bin/sh", "sh", "-l", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * Should the agent ever end (killed, or it gave up), the kernel log says so
 * at once, at a level the console prints even with `quiet`, and the host
 * fails the guest with the reason instead of waiting for its watchdog to
 * notice the silence (src/host/core/kernel-log.ts reads this line). The
 * status is as a shell reports it: 128+N for signal N.
 */
static void log_agent_exit(int status)
{
	char line[64];
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);

	snprintf(line, sizeof(line), "<2>epoll-lab: the agent exited, status %d\n", code);
	write_file("/dev/kmsg", line);
}

int main(void)
{
	char *install[] = { "/bin/busybox", "--install", "-s", NULL };
	struct rlimit nproc = { 256, 256 };
	struct utsname uts;
	pid_t agent, console;

	/*
	 * First, busybox's applet links (/bin/ls, /sbin/ip, /usr/bin/awk, ...):
	 * the initramfs has only /bin/busybox and /bin/sh, since the host that
	 * builds it never runs this i386 busybox to ask which applets it has.
	 * By absolute path: with /proc not mounted yet busybox cannot read
	 * /proc/self/exe. Paths that exist already (the project's own
	 * programs) are left as they are.
	 */
	run(install);

	setenv("PATH", "/sbin:/bin:/usr/sbin:/usr/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", "linux", 1);

	mount_fs("proc", "/proc", "proc", NULL);
	mount_fs("sysfs", "/sys", "sysfs", NULL);
	/* devtmpfs is not mounted automatically when the root is an initramfs. */
	mount_fs("devtmpfs", "/dev", "devtmpfs", NULL);
	make_dir("/dev/pts", 0755);
	make_dir("/dev/shm", 0755);
	mount_fs("devpts", "/dev/pts", "devpts", NULL);
	/*
	 * Sized: tmpfs pages are freed by no OOM kill, so an unsized tmpfs that
	 * any user can fill (the default is half the RAM each) leaves the
	 * kernel nothing to kill and it panics ("System is deadlocked on
	 * memory"). /tmp gets a fifth of the RAM, so a larger --memory gives a
	 * run's --files more room (21 MiB of the default guest's ~105); with
	 * the fixed ones below and the home they hold at most two fifths of it.
	 */
	mount_fs("tmpfs", "/tmp", "tmpfs", "size=20%,mode=1777");
	mount_fs("tmpfs", "/dev/shm", "tmpfs", "size=8m,mode=1777");
	mount_fs("tmpfs", "/run", "tmpfs", "size=4m,mode=755");
	/* What udev would make on any Linux box; programs open /dev/stdin and /dev/fd/N. */
	make_link("/proc/self/fd", "/dev/fd");
	make_link("/proc/self/fd/0", "/dev/stdin");
	make_link("/proc/self/fd/1", "/dev/stdout");
	make_link("/proc/self/fd/2", "/dev/stderr");
	/* The ordinary user's home (the archive's files all belong to root), a sized tmpfs of its own. */
	make_dir("/home/user", 0755);
	mount_fs("tmpfs", "/home/user", "tmpfs", "size=8m,mode=755,uid=1000,gid=1000");
	/*
	 * Any user but root may have this many processes and threads (root is
	 * not bound by it; the commands' cgroup bounds root's): a fork bomb of
	 * `user` or `nobody` stops at EAGAIN.
	 */
	if (setrlimit(RLIMIT_NPROC, &nproc))
		say("ulimit -u 256: %s", strerror(errno));
	bring_up_loopback();
	set_hostname();
	make_commands_cgroup();
	mount_host_share();
	load_scull();

	agent = start_agent();
	uname(&uts);
	printf("epoll-lab: guest ready, kernel %s\n", uts.release);
	fflush(stdout);
	console = start_console_shell();

	/* PID 1 reaps every orphan; the agent's end is logged, the console's shell started again. */
	for (;;) {
		int status;
		pid_t pid;

		/* A console shell that could not be started is tried again, once a second. */
		if (console < 0 && (console = start_console_shell()) < 0) {
			sleep(1);
			continue;
		}
		pid = wait(&status);
		if (pid < 0)
			continue;
		if (pid == agent) {
			log_agent_exit(status);
			agent = -1;
		} else if (pid == console) {
			console = start_console_shell();
		}
	}
}
