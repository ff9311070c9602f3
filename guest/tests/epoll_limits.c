// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_limits: resource limits around epoll. The per-user watch limit
 * /proc/sys/fs/epoll/max_user_watches (ENOSPC), the maxevents bound of
 * epoll_wait, and scale: ten thousand registered descriptors, a thousand
 * instances watching one file.
 *
 * The watch limit is global but counted per user (the user that created
 * the epoll instance). To test it without disturbing anyone, instances are
 * created with the real uid switched to otherwise unused uids, so their
 * count starts at zero, and the limit is only ever lowered to a value well
 * above what root already uses, for as long as the ADD loop runs; the
 * original value is written back before any check can end the case.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <dirent.h>

#define WATCHES_SYSCTL "/proc/sys/fs/epoll/max_user_watches"
#define TEST_UID_A 61000
#define TEST_UID_B 61001
#define FDS_PER_INSTANCE 64

static long read_max_watches(void)
{
	char buf[64];

	if (ktap_read_small(WATCHES_SYSCTL, buf, sizeof(buf)) <= 0)
		return -1;
	return atol(buf);
}

static int write_max_watches(long v)
{
	char buf[64];
	int fd = open(WATCHES_SYSCTL, O_WRONLY | O_CLOEXEC);
	int len, ok;

	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%ld\n", v);
	ok = write(fd, buf, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

/* Registrations in all epoll instances visible in /proc (an upper bound). */
static long count_all_watches(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	long total = 0;

	if (!proc)
		return -1;
	while ((p = readdir(proc))) {
		char path[600], link[64], line[256];
		struct dirent *f;
		DIR *fds;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			ssize_t n = readlinkat(dirfd(fds), f->d_name, link,
					       sizeof(link) - 1);
			FILE *info;

			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, "anon_inode:[eventpoll]"))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s",
				 p->d_name, f->d_name);
			info = fopen(path, "re");
			if (!info)
				continue;
			while (fgets(line, sizeof(line), info))
				total += !strncmp(line, "tfd:", 4);
			fclose(info);
		}
		closedir(fds);
	}
	closedir(proc);
	return total;
}

/* Creates @n epoll instances charged to @uid (the real uid at creation). */
static void create_as(uid_t uid, int *ep, int n)
{
	int i;

	ASSERT_OK(setresuid(uid, uid, 0));
	for (i = 0; i < n; i++)
		ep[i] = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_OK(setresuid(-1, 0, -1));
	ASSERT_OK(setresuid(0, 0, 0));
	for (i = 0; i < n; i++)
		ASSERT_GE(ep[i], 0);
}

struct watch_limit {
	long limit;
	int eps;		/* instances needed to hold limit + 1 watches */
	int ep[300];
	int fds[FDS_PER_INSTANCE];
};

/*
 * Picks a limit far above root's own use, makes the descriptors, or skips
 * when the sysctl cannot be written or the limit would be too large.
 */
static void watch_limit_setup(struct watch_limit *wl)
{
	long others = count_all_watches();
	int i;

	if (geteuid() != 0)
		SKIP("needs root to write " WATCHES_SYSCTL);
	if (access(WATCHES_SYSCTL, W_OK) != 0)
		SKIP(WATCHES_SYSCTL " is not writable: %s", strerror(errno));
	ASSERT_GE(others, 0);
	wl->limit = 2 * others + 256;
	wl->eps = wl->limit / FDS_PER_INSTANCE + 2;
	if (wl->eps > (int)ARRAY_SIZE(wl->ep))
		SKIP("%ld watches already in use: too many to lower the limit safely",
		     others);
	for (i = 0; i < FDS_PER_INSTANCE; i++)
		wl->fds[i] = ASSERT_OK(eventfd(0, EFD_CLOEXEC));
	DIAG("watches already in use (upper bound): %ld; limit for the test users: %ld",
	     others, wl->limit);
}

/*
 * Adds watches to @ep (instances of one user) until an ADD fails, at most
 * limit + 1. Returns how many succeeded; *err gets the failing errno.
 */
static long fill_watches(struct watch_limit *wl, const int *ep, int *err)
{
	long added = 0;
	int i, j;

	*err = 0;
	for (i = 0; i < wl->eps; i++)
		for (j = 0; j < FDS_PER_INSTANCE; j++) {
			if (added > wl->limit)
				return added;
			if (ep_add(ep[i], wl->fds[j], EPOLLIN) != 0) {
				*err = errno;
				return added;
			}
			added++;
		}
	return added;
}

/* Exactly max_user_watches ADDs succeed for a user; the next is ENOSPC. */
TEST(limits_max_user_watches_enospc)
{
	struct watch_limit wl;
	long orig, added;
	int err, restored;

	watch_limit_setup(&wl);
	create_as(TEST_UID_A, wl.ep, wl.eps);
	orig = ASSERT_OK(read_max_watches());

	ASSERT_OK(write_max_watches(wl.limit));
	added = fill_watches(&wl, wl.ep, &err);
	restored = write_max_watches(orig);

	ASSERT_OK(restored);
	EXPECT_EQ(added, wl.limit);
	EXPECT_EQ(err, ENOSPC);
}

/* At the limit, a DEL frees one slot and one more ADD fits. */
TEST(limits_max_user_watches_del_frees_a_slot)
{
	struct watch_limit wl;
	long orig, added;
	int err, err2, err3, restored, readd, again;

	watch_limit_setup(&wl);
	create_as(TEST_UID_A, wl.ep, wl.eps);
	orig = ASSERT_OK(read_max_watches());

	ASSERT_OK(write_max_watches(wl.limit));
	added = fill_watches(&wl, wl.ep, &err);
	epoll_ctl(wl.ep[0], EPOLL_CTL_DEL, wl.fds[0], NULL);
	readd = ep_add(wl.ep[0], wl.fds[0], EPOLLIN);
	err2 = errno;
	again = ep_add(wl.ep[wl.eps - 1], wl.fds[FDS_PER_INSTANCE - 1],
		       EPOLLIN);
	err3 = errno;
	restored = write_max_watches(orig);

	ASSERT_OK(restored);
	ASSERT_EQ(added, wl.limit);
	EXPECT_EQ(readd, 0);
	if (readd)
		DIAG("re-ADD after DEL failed: %s", ktap_errno_name(err2));
	EXPECT_EQ(again, -1);
	EXPECT_EQ(err3, ENOSPC);
}

/* The count is per user: one user at the limit does not stop another. */
TEST(limits_max_user_watches_is_per_user)
{
	struct watch_limit wl;
	int other[1];
	long orig, added;
	int err, other_add, restored;

	watch_limit_setup(&wl);
	create_as(TEST_UID_A, wl.ep, wl.eps);
	create_as(TEST_UID_B, other, 1);
	orig = ASSERT_OK(read_max_watches());

	ASSERT_OK(write_max_watches(wl.limit));
	added = fill_watches(&wl, wl.ep, &err);
	other_add = ep_add(other[0], wl.fds[0], EPOLLIN);
	restored = write_max_watches(orig);

	ASSERT_OK(restored);
	EXPECT_EQ(added, wl.limit);
	EXPECT_EQ(err, ENOSPC);
	EXPECT_EQ(other_add, 0);
}

/* The limit is checked at ADD time only: MOD of existing entries works. */
TEST(limits_mod_works_at_the_limit)
{
	struct watch_limit wl;
	long orig, added;
	int err, mod, restored;

	watch_limit_setup(&wl);
	create_as(TEST_UID_A, wl.ep, wl.eps);
	orig = ASSERT_OK(read_max_watches());

	ASSERT_OK(write_max_watches(wl.limit));
	added = fill_watches(&wl, wl.ep, &err);
	mod = ep_mod(wl.ep[0], wl.fds[0], EPOLLOUT);
	restored = write_max_watches(orig);

	ASSERT_OK(restored);
	EXPECT_EQ(added, wl.limit);
	EXPECT_EQ(mod, 0);
}

#define MANY 10000

static void need_many_fds(int extra)
{
	struct rlimit rl = { MANY + extra + 64, MANY + extra + 64 };
	long watches = read_max_watches();

	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		SKIP("cannot raise RLIMIT_NOFILE to %lu: %s",
		     (unsigned long)rl.rlim_cur, strerror(errno));
	if (watches >= 0 && watches < MANY + 1000)
		SKIP("max_user_watches is only %ld", watches);
}

/*
 * An epoll instance watching MANY eventfds (counter @count each) for
 * EPOLLIN, with data.u64 = index; their fds go to @fds.
 */
static int many_eventfds(int *fds, unsigned int count)
{
	int ep, i;

	need_many_fds(0);
	ep = ASSERT_OK(epoll_create1(0));
	for (i = 0; i < MANY; i++) {
		fds[i] = ASSERT_OK(eventfd(count, EFD_CLOEXEC));
		ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, fds[i], EPOLLIN, i));
	}
	return ep;
}

/* 10,000 registrations; exactly the three that become ready are reported. */
TEST(limits_ten_thousand_fds_only_ready_ones_reported, .timeout = 60)
{
	static int fds[MANY];
	static const int hot[3] = { 17, 5000, MANY - 1 };
	struct epoll_event ev[8];
	int ep, i, n, seen = 0;

	ep = many_eventfds(fds, 0);
	for (i = 0; i < 3; i++)
		efd_write(fds[hot[i]], 1);
	n = epoll_wait(ep, ev, 8, 0);
	ASSERT_EQ(n, 3);
	for (i = 0; i < n; i++) {
		int k;

		EXPECT_EVENTS(ev[i].events, EPOLLIN);
		for (k = 0; k < 3; k++)
			if (ev[i].data.u64 == (uint64_t)hot[k])
				seen |= 1 << k;
	}
	EXPECT_EQ(seen, 7);
}

/* 10,000 ready registrations come back in one call, each exactly once. */
TEST(limits_ten_thousand_ready_fds_in_one_call, .timeout = 60)
{
	static int fds[MANY];
	static struct epoll_event ev[MANY + 1];
	static unsigned char seen[MANY];
	int ep, i, n, dups = 0;

	ep = many_eventfds(fds, 1);
	n = epoll_wait(ep, ev, MANY + 1, 0);
	ASSERT_EQ(n, MANY);
	for (i = 0; i < n; i++) {
		uint64_t k = ev[i].data.u64;

		ASSERT_LT(k, MANY);
		dups += seen[k]++ != 0;
	}
	EXPECT_EQ(dups, 0);
}

/* A thousand instances watching one eventfd all see one write. */
TEST(limits_thousand_instances_watch_one_file)
{
	struct rlimit rl = { 1200, 1200 };
	static int ep[1000];
	struct epoll_event ev;
	int efd = ASSERT_OK(eventfd(0, EFD_CLOEXEC));
	int i, reported = 0;

	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		SKIP("cannot raise RLIMIT_NOFILE: %s", strerror(errno));
	for (i = 0; i < 1000; i++) {
		ep[i] = ASSERT_OK(epoll_create1(0));
		ASSERT_OK(ep_add(ep[i], efd, EPOLLIN | EPOLLET));
	}
	efd_write(efd, 1);
	for (i = 0; i < 1000; i++)
		reported += epoll_wait(ep[i], &ev, 1, 0) == 1;
	EXPECT_EQ(reported, 1000);
}

/* maxevents may not exceed INT_MAX / sizeof(struct epoll_event). */
TEST(limits_maxevents_above_ep_max_events_einval)
{
	int ep = ASSERT_OK(epoll_create1(0));
	struct epoll_event ev;
	/* volatile: the compiler would object to the buffer size otherwise */
	volatile int too_many = INT32_MAX / sizeof(struct epoll_event) + 1;
	volatile int int_max = INT32_MAX;

	EXPECT_ERRNO(epoll_wait(ep, &ev, too_many, 0), EINVAL);
	EXPECT_ERRNO(epoll_wait(ep, &ev, int_max, 0), EINVAL);
}

TEST(limits_max_user_watches_sysctl_is_positive)
{
	long v = read_max_watches();

	if (v < 0)
		SKIP(WATCHES_SYSCTL " not readable");
	EXPECT_GT(v, 0);
}
