// SPDX-License-Identifier: GPL-2.0
/*
 * scull_lifecycle: loading and unloading scull.ko with finit_module() and
 * delete_module(): device nodes and the char device region come and go,
 * parameters take effect, bad parameters are refused, unloading is refused
 * while a device is open, and 100 load/unload cycles leak no memory.
 *
 * The module file is $SCULL_KO (default /lib/modules/scull.ko); without it
 * every case is skipped. Cases start from "not loaded" (unloading a loaded
 * scull first). When the program ends it reloads scull.ko if it was loaded
 * at the start, with the parameter values it had then (except the major,
 * which is allocated again), so later tests find it as they expect.
 */
#define KTAP_NO_MAIN
#include "scull_util.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#define MODNAME		"scull"
#define DEFAULT_KO	"/lib/modules/scull.ko"

static const char *ko_path(void)
{
	const char *p = getenv("SCULL_KO");

	return p && *p ? p : DEFAULT_KO;
}

static int scull_loaded(void)
{
	return access("/sys/module/" MODNAME, F_OK) == 0;
}

/* init_module() from a buffer, for kernels without finit_module(). */
static long init_module_from_fd(int fd, const char *params)
{
	struct stat st;
	char *image;
	long r;

	if (fstat(fd, &st) < 0)
		return -1;
	image = malloc(st.st_size);
	if (!image || pread(fd, image, st.st_size, 0) != st.st_size) {
		free(image);
		errno = EIO;
		return -1;
	}
	r = syscall(SYS_init_module, image, (unsigned long)st.st_size, params);
	free(image);
	return r;
}

/* Load scull.ko with @params; -1 with errno on failure, like the syscall. */
static long load(const char *params)
{
	int fd = open(ko_path(), O_RDONLY | O_CLOEXEC);
	long r;
	int err;

	if (fd < 0)
		return -1;
	r = syscall(SYS_finit_module, fd, params, 0);
	if (r < 0 && errno == ENOSYS)
		r = init_module_from_fd(fd, params);
	err = errno;
	close(fd);
	errno = err;
	return r;
}

/*
 * O_NONBLOCK: fail at once if the module is in use. (Without it, old
 * kernels waited for the last user; since 3.13 the flag is implied.)
 */
static long unload(void)
{
	return syscall(SYS_delete_module, MODNAME, O_NONBLOCK);
}

/* Skip without the .ko; unload a loaded scull (skip if it is in use). */
static void start_unloaded(void)
{
	if (access(ko_path(), R_OK))
		SKIP("%s: %s (set SCULL_KO to the module's path)", ko_path(),
		     strerror(errno));
	if (scull_loaded() && unload() < 0)
		SKIP("scull is loaded and cannot be unloaded: %s",
		     strerror(errno));
	ASSERT_FALSE(scull_loaded());
}

/* The major "scull" has in /proc/devices, or -1. */
static int proc_devices_major(void)
{
	FILE *f = fopen("/proc/devices", "r");
	char line[128], name[64];
	int major, found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %63s", &major, name) == 2 &&
		    !strcmp(name, MODNAME))
			found = major;
	fclose(f);
	return found;
}

static const char *const all_nodes[] = {
	"/dev/scull0", "/dev/scull1", "/dev/scull2", "/dev/scull3",
	"/dev/scullpipe0", "/dev/scullpipe1", "/dev/scullpipe2",
	"/dev/scullpipe3", "/dev/scullsingle", "/dev/sculluid",
	"/dev/scullwuid", "/dev/scullpriv",
};

#define NNODES ARRAY_SIZE(all_nodes)

TEST(load_creates_nodes_unload_removes_them, .timeout = 60)
{
	struct stat st;
	unsigned int i;
	int maj;

	start_unloaded();
	ASSERT_OK(load(""));
	maj = scull_param("scull_major");
	EXPECT_GT(maj, 0);
	EXPECT_EQ(proc_devices_major(), maj);
	for (i = 0; i < NNODES; i++) {
		if (stat(all_nodes[i], &st) < 0) {
			FAIL("%s: %s", all_nodes[i], strerror(errno));
			continue;
		}
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(st.st_mode & 07777, 0666);
		EXPECT_EQ((int)major(st.st_rdev), maj);
	}

	ASSERT_OK(unload());
	EXPECT_FALSE(scull_loaded());
	EXPECT_EQ(proc_devices_major(), -1);
	for (i = 0; i < NNODES; i++)
		EXPECT_ERRNO(stat(all_nodes[i], &st), ENOENT);
}

TEST(params_set_counts_and_sizes, .timeout = 60)
{
	int fd;

	start_unloaded();
	ASSERT_OK(load("scull_nr_devs=2 scull_p_nr_devs=1 scull_p_buffer=100 "
		       "scull_quantum=64 scull_qset=8"));
	EXPECT_OK(access("/dev/scull1", F_OK));
	EXPECT_ERRNO(access("/dev/scull2", F_OK), ENOENT);
	EXPECT_OK(access("/dev/scullpipe0", F_OK));
	EXPECT_ERRNO(access("/dev/scullpipe1", F_OK), ENOENT);
	EXPECT_OK(access("/dev/scullwuid", F_OK));
	EXPECT_EQ(scull_param("scull_quantum"), 64);

	fd = ASSERT_OK(open("/dev/scullpipe0", O_RDWR | O_NONBLOCK));
	EXPECT_EQ(scull_fill(fd), 100);
	close(fd);
	fd = ASSERT_OK(open("/dev/scull0", O_RDONLY));
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQSET), 8);
	close(fd);
	ASSERT_OK(unload());
}

/* scull_major=N registers that major instead of allocating one. */
TEST(fixed_major, .timeout = 60)
{
	const int want = 240;	/* 240-254: "local/experimental use" */
	struct stat st;

	start_unloaded();
	if (load("scull_major=240") < 0) {
		if (errno == EBUSY)
			SKIP("major %d is taken", want);
		FAIL("load(scull_major=240): %s", strerror(errno));
		return;
	}
	EXPECT_EQ(scull_param("scull_major"), want);
	EXPECT_EQ(proc_devices_major(), want);
	if (EXPECT_OK(stat("/dev/scullpipe0", &st)) == 0)
		EXPECT_EQ((int)major(st.st_rdev), want);
	ASSERT_OK(unload());
}

/* Bad parameters fail the load and leave nothing behind. */
TEST(bad_params_are_refused, .timeout = 60)
{
	static const char *const bad[] = {
		"scull_nr_devs=-1", "scull_p_nr_devs=1000", "scull_quantum=0",
		"scull_qset=-3", "scull_p_buffer=0",
	};
	unsigned int i;

	start_unloaded();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_ERRNO(load(bad[i]), EINVAL);
		EXPECT_FALSE(scull_loaded());
		EXPECT_EQ(proc_devices_major(), -1);
		EXPECT_ERRNO(access("/dev/scull0", F_OK), ENOENT);
	}
}

/*
 * An open file pins the module (fops->owner): delete_module() fails with
 * EWOULDBLOCK, which is EAGAIN on Linux (kernel/module/main.c,
 * try_stop_module()). EBUSY would mean "still initialising or already
 * going away", which is not the case here.
 */
TEST(unload_refused_while_open, .timeout = 60)
{
	static const char *const nodes[] = {
		"/dev/scull0", "/dev/scullpipe0", "/dev/scullsingle",
		"/dev/sculluid", "/dev/scullwuid",
	};
	unsigned int i;
	int fd;

	start_unloaded();
	ASSERT_OK(load(""));
	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		fd = ASSERT_OK(open(nodes[i], O_RDWR | O_NONBLOCK));
		if (unload() == 0) {
			FAIL("unloaded with %s open", nodes[i]);
			return;
		}
		if (errno != EAGAIN)
			FAIL("%s open: delete_module: expected EAGAIN, got %s",
			     nodes[i], ktap_errno_name(errno));
		EXPECT_TRUE(scull_loaded());
		EXPECT_EQ(write(fd, "x", 1), 1);	/* still works */
		close(fd);
	}
	DIAG("delete_module with a device open: EAGAIN (EWOULDBLOCK)");
	EXPECT_OK(unload());
	EXPECT_FALSE(scull_loaded());
}

/* ---- leak check ---------------------------------------------------------- */

struct meminfo {
	long mem_free, slab, sunreclaim, vmalloc_used;	/* kB */
};

static void read_meminfo(struct meminfo *m)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v;

	memset(m, 0, sizeof(*m));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %ld", &v) == 1)
			m->mem_free = v;
		else if (sscanf(line, "Slab: %ld", &v) == 1)
			m->slab = v;
		else if (sscanf(line, "SUnreclaim: %ld", &v) == 1)
			m->sunreclaim = v;
		else if (sscanf(line, "VmallocUsed: %ld", &v) == 1)
			m->vmalloc_used = v;
	}
	fclose(f);
}

/* Drop clean caches so MemFree compares like with like. */
static void settle(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		if (write(fd, "3", 1) < 0)
			DIAG("drop_caches: %s", strerror(errno));
		close(fd);
	}
}

/* Open, use and close every device scull offers without a terminal. */
static void exercise(void)
{
	static const char *const rw[] = {
		"/dev/scull0", "/dev/scull1", "/dev/scull2", "/dev/scull3",
		"/dev/scullsingle", "/dev/sculluid", "/dev/scullwuid",
	};
	static char buf[9000];
	unsigned int i;
	char path[32];
	int fd;

	for (i = 0; i < ARRAY_SIZE(rw); i++) {
		/* 9000 bytes: three 4000-byte quanta get allocated. */
		fd = ASSERT_OK(open(rw[i], O_WRONLY));
		while (lseek(fd, 0, SEEK_CUR) < (off_t)sizeof(buf))
			ASSERT_GT(write(fd, buf, sizeof(buf)), 0);
		close(fd);
	}
	for (i = 0; i < 4; i++) {
		/* Allocates the pipe buffer; the last close frees it. */
		snprintf(path, sizeof(path), "/dev/scullpipe%u", i);
		fd = ASSERT_OK(open(path, O_RDWR | O_NONBLOCK));
		ASSERT_EQ(write(fd, "data", 4), 4);
		close(fd);
	}
}

static void cycle(void)
{
	ASSERT_OK(load(""));
	exercise();
	ASSERT_OK(unload());
}

#define CYCLES		100
#define WARMUP		3
/*
 * Tolerances, in kB, for the growth over CYCLES cycles. Everything scull
 * allocates comes from kmalloc (slab): a quantum, a qset array or a pipe
 * buffer is 4 kB, so leaking any one of them per cycle grows SUnreclaim
 * by 400 kB; 256 kB leaves room for allocator caches (partial slabs,
 * objects freed after an RCU grace period) while catching leaks of about
 * 2.5 kB per cycle and more. MemFree is noisier (per-CPU page lists, page
 * tables for the module area, whatever else runs in the guest): 2 MB,
 * about 20 kB per cycle. The numbers are printed either way.
 */
#define SUNRECLAIM_TOLERANCE_KB	256
#define MEMFREE_TOLERANCE_KB	2048

TEST(load_unload_cycles_leak_nothing, .timeout = 900)
{
	struct meminfo before, after;
	long long t0;
	int i;

	start_unloaded();
	for (i = 0; i < WARMUP; i++)	/* fill caches the first loads create */
		cycle();
	settle();
	read_meminfo(&before);

	t0 = ktap_now_ns();
	for (i = 0; i < CYCLES; i++)
		cycle();
	settle();
	read_meminfo(&after);

	DIAG("%d cycles in %.1f s", CYCLES, (ktap_now_ns() - t0) / 1e9);
	DIAG("MemFree %ld -> %ld kB (delta %+ld kB, tolerance -%d kB)",
	     before.mem_free, after.mem_free, after.mem_free - before.mem_free,
	     MEMFREE_TOLERANCE_KB);
	DIAG("SUnreclaim %ld -> %ld kB (delta %+ld kB, tolerance +%d kB)",
	     before.sunreclaim, after.sunreclaim,
	     after.sunreclaim - before.sunreclaim, SUNRECLAIM_TOLERANCE_KB);
	DIAG("Slab %ld -> %ld kB (delta %+ld kB); VmallocUsed %ld -> %ld kB (delta %+ld kB)",
	     before.slab, after.slab, after.slab - before.slab,
	     before.vmalloc_used, after.vmalloc_used,
	     after.vmalloc_used - before.vmalloc_used);
	EXPECT_LE(after.sunreclaim - before.sunreclaim,
		  SUNRECLAIM_TOLERANCE_KB);
	EXPECT_LE(before.mem_free - after.mem_free, MEMFREE_TOLERANCE_KB);
}

/* ---- main: run the cases, then put scull back as it was ------------------ */

static const char *const saved_params[] = {
	"scull_nr_devs", "scull_quantum", "scull_qset", "scull_p_nr_devs",
	"scull_p_buffer",
};

int KTAP_PROGRAM_MAIN(int argc, char **argv)
{
	char params[256] = "";
	size_t len = 0;
	unsigned int i;
	int was_loaded = scull_loaded(), ret;

	for (i = 0; was_loaded && i < ARRAY_SIZE(saved_params); i++)
		len += snprintf(params + len, sizeof(params) - len, "%s=%d ",
				saved_params[i], scull_param(saved_params[i]));

	ret = ktap_main(argc, argv);

	if (was_loaded && !scull_loaded()) {
		if (load(params) < 0)
			printf("# could not reload %s (%s): %s\n", ko_path(),
			       params, strerror(errno));
		else
			printf("# reloaded %s with %s\n", ko_path(), params);
	}
	return ret;
}
