/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktap.h - a small declarative test harness for epoll-lab's guest programs.
 *
 * A public file: your own suites include it and run beside the image's with
 * `epoll-lab test --add FILE.c` (README, "Your own tests on every kernel");
 * what this comment documents is kept compatible.
 *
 * A test program is a list of cases:
 *
 *	#include "ktap.h"
 *
 *	TEST(create1_rejects_unknown_flags)
 *	{
 *		EXPECT_ERRNO(epoll_create1(1), EINVAL);
 *	}
 *
 *	TEST(slow_case, .timeout = 60)
 *	{
 *		...
 *	}
 *
 * Cases that share their setup use a fixture; a fixture with variants is a
 * table, one case per row, each named by its row:
 *
 *	FIXTURE(watched) { int ep, fd; };
 *	FIXTURE_SETUP(watched) { self->ep = ASSERT_OK(epoll_create1(0)); ... }
 *	FIXTURE_TEARDOWN(watched) { close(self->fd); close(self->ep); }
 *	FIXTURE_VARIANT(watched) { uint32_t events; int err; };
 *	FIXTURE_VARIANT_ADD(watched, ctl_with_pri_einval) { EPOLLPRI, EINVAL };
 *	FIXTURE_VARIANT_ADD(watched, ctl_with_in_ok) { EPOLLIN, 0 };
 *	TEST_F(watched, add)
 *	{
 *		...self->ep, variant->events...
 *	}
 *
 * A case whose checked value changed in a kernel release declares the
 * change (see KERNEL_GATE) and asks it: --list shows it, every run prints it.
 *
 *	KERNEL_GATE(ioctl_method, "6.9 gave the epoll file an ioctl method ...", 6, 9, 0);
 *	TEST(unknown_ioctl, .gate = &ioctl_method) { if (kernel_has(&ioctl_method)) ... }
 *
 * and this header supplies main() (define KTAP_NO_MAIN to call ktap_main()
 * yourself; with KTAP_MULTICALL the program joins the multi-call binary
 * instead, see ktap-program.h). Each case runs in a forked child, in its own process group,
 * with a timeout; a crash or a hang fails that case and the run goes on.
 * Output is KTAP version 1 on stdout:
 *
 *	KTAP version 1
 *	1..3
 *	# epoll_create.c:42: epoll_create1(1): expected -1 with errno EINVAL, got 3
 *	not ok 1 first_case
 *	ok 2 second_case
 *	ok 3 third_case # SKIP pidfd_open: ENOSYS
 *	# elapsed 0.042 s
 *	# totals: pass 1 fail 1 skip 1
 *
 * A crash adds "# killed by signal 11 (SIGSEGV)", a hang "# timed out
 * after 20 s". The exit status is 0 iff no case failed, 2 for a usage
 * error (an unknown case name is reported on stderr).
 *
 * Command line:
 *	prog			run every case
 *	prog --list		print the case names, one per line; a gated
 *				case adds a tab and its gate ("since 6.9.0: why")
 *	prog NAME...		run the named cases, numbered 1..K in that order
 *	prog --filter SUBSTR	run the cases whose name contains SUBSTR
 *	prog --help		print this usage
 *
 * Environment: KTAP_TIMEOUT_SCALE multiplies every case timeout (default 1).
 *
 * Checks: EXPECT_* record a failure and go on; ASSERT_* record it and end
 * the case. Failures print "# file:line: ..." with the stringified call or
 * expressions and the values seen. SKIP(fmt, ...) ends the case as skipped.
 * A process the case forks may use the same checks: its failures fail the
 * case (the verdict lives in a page shared by the case's process tree); it
 * must leave with ktap_child_exit() or _exit(), never by returning.
 *
 * A fixture's teardown runs once its setup has finished, even when the
 * case ends early (an ASSERT_* that failed, SKIP); it is how a case undoes
 * what outlives its processes (a loaded module, a file). The harness kills
 * the case's process group afterwards, so closing fds is optional.
 */
#ifndef KTAP_H
#define KTAP_H

/*
 * What a program that defines KTAP_NO_MAIN calls its own main(), so that it
 * also works inside the multi-call binary (see ktap-program.h).
 */
#ifdef KTAP_MULTICALL
#define KTAP_PROGRAM_MAIN ktap_program_main
#else
#define KTAP_PROGRAM_MAIN main
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KTAP_DEFAULT_TIMEOUT	20	/* seconds; the guest is ~30x slower */

#define KTAP_MAX_CASES		512
#define KTAP_REASON_MAX		256

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/*
 * A behaviour that changed in a kernel release, declared once with
 * KERNEL_GATE and named by the cases that check it (.gate = &name). Each
 * such case prints, before its body runs, one line the host reads into its
 * report:
 *
 *	# kernel-change since 6.9.0: yes: unknown ioctls on an epoll fd fail ...
 *	# kernel-change since 6.17.0 (backported to 6.1.149, 6.12.43): no: ...
 *
 * so a run across kernels can say, for each case whose checked value
 * differs, which release changed what; --list prints the same gate after
 * the case's name. `why` is one sentence naming the change.
 */
#define KTAP_MAX_BACKPORTS	4

struct ktap_gate {
	const char *name;	/* the identifier, for diagnostics */
	const char *why;
	unsigned int since;	/* KTAP_KVER() of the mainline release */
	/* The first release of each stable series with a backport; 0 ends it. */
	unsigned int backports[KTAP_MAX_BACKPORTS + 1];
};

/*
 * KERNEL_GATE(name, why, major, minor, sub[, KTAP_KVER(backport)...]):
 * declares the gate `name`; optional trailing KTAP_KVER() values list the
 * first release of each stable series that carries a backport.
 */
#define KERNEL_GATE(name, why, major, minor, sub, ...)			\
	static const struct ktap_gate name = {				\
		#name, why, KTAP_KVER(major, minor, sub), { __VA_ARGS__ } \
	}

/* What a case declares besides its body: TEST(name, .timeout = 60). */
struct ktap_opts {
	int line;		/* source order: cases run as written */
	unsigned int timeout;	/* seconds before scaling; 0: the default */
	const struct ktap_gate *gate;	/* the kernel change it checks */
};

/* A fixture: its data's setup and teardown, filled in by constructors. */
struct ktap_fixture {
	const char *name;
	void (*setup)(void *self, const void *variant);
	void (*teardown)(void *self, const void *variant);
};

/* A TEST_F: a body over a fixture, before it is expanded into cases. */
struct ktap_fixture_test {
	const char *name;
	struct ktap_fixture *fixture;
	size_t size;		/* of the fixture's data */
	void (*fn)(void *self, const void *variant);
	struct ktap_opts opts;
};

/* A row of a fixture's table. */
struct ktap_variant {
	const char *name;
	const struct ktap_fixture *fixture;
	const void *data;
	int line;
};

struct ktap_case {
	const char *name;
	void (*fn)(void);			/* TEST */
	const struct ktap_fixture_test *ftest;	/* or TEST_F */
	const void *variant;			/* its row, if any */
	struct ktap_opts opts;
};

/*
 * State shared (MAP_SHARED) between the runner and a case's whole process
 * tree, so a failure in a forked helper fails the case and a crash cannot
 * lose a verdict that was already recorded.
 */
struct ktap_shared {
	volatile int failed;
	volatile int skipped;
	volatile int done;	/* the case body returned or ended itself */
	volatile pid_t case_pid;
	char skip_reason[KTAP_REASON_MAX];
};

static struct ktap_case ktap_cases[KTAP_MAX_CASES];
static int ktap_ncases;
static struct ktap_fixture_test ktap_ftests[KTAP_MAX_CASES];
static int ktap_nftests;
static struct ktap_variant ktap_variants[KTAP_MAX_CASES];
static int ktap_nvariants;
static struct ktap_shared *ktap_shm;
static const struct ktap_case *ktap_current;
static double ktap_scale = 1.0;

/* The fixture data and row of a case whose teardown has yet to run. */
static void *ktap_teardown_self;

static inline void ktap_too_many(void)
{
	fprintf(stderr, "ktap: more than %d cases\n", KTAP_MAX_CASES);
	abort();
}

static inline void ktap_register(const char *name, void (*fn)(void),
				 struct ktap_opts opts)
{
	if (ktap_ncases == KTAP_MAX_CASES)
		ktap_too_many();
	ktap_cases[ktap_ncases].name = name;
	ktap_cases[ktap_ncases].fn = fn;
	ktap_cases[ktap_ncases].opts = opts;
	ktap_ncases++;
}

static inline void ktap_register_f(struct ktap_fixture *fixture, size_t size,
				   const char *name,
				   void (*fn)(void *, const void *),
				   struct ktap_opts opts)
{
	if (ktap_nftests == KTAP_MAX_CASES)
		ktap_too_many();
	ktap_ftests[ktap_nftests++] = (struct ktap_fixture_test){
		name, fixture, size, fn, opts,
	};
}

static inline void ktap_add_variant(const struct ktap_fixture *fixture,
				    const char *name, const void *data,
				    int line)
{
	if (ktap_nvariants == KTAP_MAX_CASES)
		ktap_too_many();
	ktap_variants[ktap_nvariants++] = (struct ktap_variant){
		name, fixture, data, line,
	};
}

/*
 * Declares a case. Options follow the name as designated initializers of
 * struct ktap_opts: TEST(name), TEST(name, .timeout = 60),
 * TEST(name, .gate = &some_gate).
 */
#define TEST(name, ...)							\
	static void ktap_body_##name(void);				\
	__attribute__((constructor)) static void ktap_reg_##name(void)	\
	{								\
		ktap_register(#name, ktap_body_##name,			\
			      (struct ktap_opts){ .line = __LINE__,	\
						  __VA_ARGS__ });	\
	}								\
	static void ktap_body_##name(void)

/*
 * FIXTURE(f) { fields; };  the data each case of f gets as `self`, zeroed.
 * FIXTURE_SETUP(f) { ... }  runs before each case's body (optional).
 * FIXTURE_TEARDOWN(f) { ... }  runs after it, see the top of the file
 * (optional). Both see `self` and `variant`.
 */
#define FIXTURE(f)							\
	struct ktap_variant_##f;					\
	static struct ktap_fixture ktap_fixture_##f = { .name = #f };	\
	struct ktap_self_##f

#define KTAP_FIXTURE_ARGS(f)						\
	__attribute__((unused)) struct ktap_self_##f *self,		\
	__attribute__((unused)) const struct ktap_variant_##f *variant

#define KTAP_FIXTURE_HOOK(f, hook)					\
	static void ktap_##hook##_##f(KTAP_FIXTURE_ARGS(f));		\
	static void ktap_##hook##_call_##f(void *s, const void *v)	\
	{								\
		ktap_##hook##_##f(s, v);				\
	}								\
	__attribute__((constructor))					\
	static void ktap_reg_##hook##_##f(void)				\
	{								\
		ktap_fixture_##f.hook = ktap_##hook##_call_##f;		\
	}								\
	static void ktap_##hook##_##f(KTAP_FIXTURE_ARGS(f))

#define FIXTURE_SETUP(f) KTAP_FIXTURE_HOOK(f, setup)
#define FIXTURE_TEARDOWN(f) KTAP_FIXTURE_HOOK(f, teardown)

/*
 * FIXTURE_VARIANT(f) { fields; };  what a row of f's table holds; the
 * case sees its row as `variant`.
 * FIXTURE_VARIANT_ADD(f, name) { initializer };  adds a row: one case
 * named `name` per row, in the order the rows are written. A fixture with
 * rows has exactly one TEST_F, the body every row runs.
 */
#define FIXTURE_VARIANT(f) struct ktap_variant_##f

#define FIXTURE_VARIANT_ADD(f, v)					\
	static const struct ktap_variant_##f ktap_row_##f##_##v;	\
	__attribute__((constructor)) static void ktap_reg_row_##f##_##v(void) \
	{								\
		ktap_add_variant(&ktap_fixture_##f, #v,			\
				 &ktap_row_##f##_##v, __LINE__);	\
	}								\
	static const struct ktap_variant_##f ktap_row_##f##_##v =

/*
 * TEST_F(f, name, options...) { body }: a case over fixture f, named
 * `name`; or, when f has rows, the body each row runs as a case named by
 * its row. Options as for TEST().
 */
#define TEST_F(f, name, ...)						\
	static void ktap_body_##f##_##name(KTAP_FIXTURE_ARGS(f));	\
	static void ktap_call_##f##_##name(void *s, const void *v)	\
	{								\
		ktap_body_##f##_##name(s, v);				\
	}								\
	__attribute__((constructor)) static void ktap_reg_##f##_##name(void) \
	{								\
		ktap_register_f(&ktap_fixture_##f,			\
				sizeof(struct ktap_self_##f), #name,	\
				ktap_call_##f##_##name,			\
				(struct ktap_opts){ .line = __LINE__,	\
						    __VA_ARGS__ });	\
	}								\
	static void ktap_body_##f##_##name(KTAP_FIXTURE_ARGS(f))

/* ------------------------------------------------------------------------ */
/* Names for diagnostics */

static inline const char *ktap_errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case ELOOP: return "ELOOP";
	case ENOTSOCK: return "ENOTSOCK";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EADDRINUSE: return "EADDRINUSE";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case ENOTCONN: return "ENOTCONN";
	case EINPROGRESS: return "EINPROGRESS";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return "E?";
	}
}

static inline const char *ktap_signal_name(int sig)
{
	switch (sig) {
	case SIGHUP: return "SIGHUP";
	case SIGINT: return "SIGINT";
	case SIGQUIT: return "SIGQUIT";
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGUSR1: return "SIGUSR1";
	case SIGSEGV: return "SIGSEGV";
	case SIGUSR2: return "SIGUSR2";
	case SIGPIPE: return "SIGPIPE";
	case SIGALRM: return "SIGALRM";
	case SIGTERM: return "SIGTERM";
	case SIGSYS: return "SIGSYS";
	default: return "SIG?";
	}
}

static inline const char *ktap_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* ------------------------------------------------------------------------ */
/* Verdicts, inside a case */

/* Prints one "# " diagnostic line (a newline is added); see DIAG(). */
__attribute__((format(printf, 1, 2)))
static inline void ktap_diag(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s\n", buf);
	fflush(stdout);
}

/*
 * Ends the calling process of a case. The process that runs the case body
 * records that it finished; forked helpers just leave.
 */
static inline void ktap_run_teardown(void);

__attribute__((noreturn))
static inline void ktap_end(void)
{
	int in_case = ktap_shm && getpid() == ktap_shm->case_pid;

	if (in_case)
		ktap_run_teardown();
	fflush(stdout);
	if (in_case)
		ktap_shm->done = 1;
	_exit(ktap_shm && ktap_shm->failed ? 1 : 0);
}

/* For a process a case forked: leave with this case's verdict so far. */
__attribute__((noreturn))
static inline void ktap_child_exit(void)
{
	fflush(stdout);
	_exit(ktap_shm && ktap_shm->failed ? 1 : 0);
}

__attribute__((format(printf, 4, 5)))
static inline void ktap_fail(int fatal, const char *file, int line,
			     const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s:%d: %s\n", ktap_basename(file), line, buf);
	fflush(stdout);
	if (ktap_shm)
		ktap_shm->failed = 1;
	if (fatal)
		ktap_end();
}

/*
 * Checks report through this, so that for ASSERT_* (fatal a constant 1)
 * the compiler sees the noreturn ktap_end() on the failure path.
 */
#define KTAP_REPORT(fatal, ...) do {					\
	ktap_fail(0, __FILE__, __LINE__, __VA_ARGS__);			\
	if (fatal)							\
		ktap_end();						\
} while (0)

__attribute__((noreturn, format(printf, 1, 2)))
static inline void ktap_skip(const char *fmt, ...)
{
	va_list ap;

	if (ktap_shm) {
		char *nl;

		va_start(ap, fmt);
		vsnprintf(ktap_shm->skip_reason, KTAP_REASON_MAX, fmt, ap);
		va_end(ap);
		/* the reason must stay on the "ok" line */
		while ((nl = strchr(ktap_shm->skip_reason, '\n')))
			*nl = ' ';
		ktap_shm->skipped = 1;
	}
	ktap_end();
}

/* Ends the case as skipped, with a printf-style reason. */
#define SKIP(...) ktap_skip(__VA_ARGS__)

/* Prints a printf-style "# " diagnostic line. */
#define DIAG(...) ktap_diag(__VA_ARGS__)

/* Records a failure with a printf-style message and goes on. */
#define FAIL(...) ktap_fail(0, __FILE__, __LINE__, __VA_ARGS__)

/* ------------------------------------------------------------------------ */
/* Assertion macros. EXPECT_* go on after a failure, ASSERT_* end the case. */

/* call >= 0; the value of the macro is the call's result. */
#define KTAP_CHECK_OK(call, fatal) ({					\
	long long __r = (long long)(call);				\
	int __e = errno;						\
	if (__r < 0)							\
		KTAP_REPORT(fatal, "%s returned %lld, errno %s (%s)",	\
			    #call, __r, ktap_errno_name(__e),		\
			    strerror(__e));				\
	errno = __e;							\
	__r;								\
})
#define EXPECT_OK(call) KTAP_CHECK_OK(call, 0)
#define ASSERT_OK(call) KTAP_CHECK_OK(call, 1)

/* call == -1 with errno == err. */
#define KTAP_CHECK_ERRNO(call, err, fatal) do {				\
	long long __r = (long long)(call);				\
	int __e = errno;						\
	int __want = (err);						\
	if (__r != -1)							\
		KTAP_REPORT(fatal,					\
			    "%s: expected -1 with errno %s, got %lld",	\
			    #call, ktap_errno_name(__want), __r);	\
	else if (__e != __want)						\
		KTAP_REPORT(fatal,					\
			    "%s: expected errno %s, got errno %s (%s)",	\
			    #call, ktap_errno_name(__want),		\
			    ktap_errno_name(__e), strerror(__e));	\
} while (0)
#define EXPECT_ERRNO(call, err) KTAP_CHECK_ERRNO(call, err, 0)
#define ASSERT_ERRNO(call, err) KTAP_CHECK_ERRNO(call, err, 1)

/*
 * Integer comparisons of any mix of signed and unsigned types, each operand
 * evaluated once: a value is carried as its 64 bits plus "is negative".
 */
static inline int ktap_is_neg(int is_signed, long long v)
{
	return is_signed && v < 0;
}

#define KTAP_IS_NEG(v) ktap_is_neg((__typeof__(v))-1 < 1, (long long)(v))

static inline int ktap_cmp(int a_neg, unsigned long long a,
			   int b_neg, unsigned long long b)
{
	if (a_neg != b_neg)
		return a_neg ? -1 : 1;
	return a < b ? -1 : a > b;
}

static inline const char *ktap_fmt_int(char *buf, size_t len, int neg,
				       unsigned long long v)
{
	if (neg)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "%llu (0x%llx)", v, v);
	return buf;
}

#define KTAP_CHECK_CMP(a, op, b, fatal) do {				\
	__typeof__(a) __a = (a);					\
	__typeof__(b) __b = (b);					\
	int __an = KTAP_IS_NEG(__a), __bn = KTAP_IS_NEG(__b);		\
	unsigned long long __av = (unsigned long long)__a;		\
	unsigned long long __bv = (unsigned long long)__b;		\
	char __sa[48], __sb[48];					\
	if (!(ktap_cmp(__an, __av, __bn, __bv) op 0))			\
		KTAP_REPORT(fatal, "expected %s %s %s, got %s vs %s",	\
			    #a, #op, #b,				\
			    ktap_fmt_int(__sa, sizeof(__sa), __an, __av), \
			    ktap_fmt_int(__sb, sizeof(__sb), __bn, __bv)); \
} while (0)
#define EXPECT_EQ(a, b) KTAP_CHECK_CMP(a, ==, b, 0)
#define EXPECT_NE(a, b) KTAP_CHECK_CMP(a, !=, b, 0)
#define EXPECT_LT(a, b) KTAP_CHECK_CMP(a, <, b, 0)
#define EXPECT_LE(a, b) KTAP_CHECK_CMP(a, <=, b, 0)
#define EXPECT_GT(a, b) KTAP_CHECK_CMP(a, >, b, 0)
#define EXPECT_GE(a, b) KTAP_CHECK_CMP(a, >=, b, 0)
#define ASSERT_EQ(a, b) KTAP_CHECK_CMP(a, ==, b, 1)
#define ASSERT_NE(a, b) KTAP_CHECK_CMP(a, !=, b, 1)
#define ASSERT_LT(a, b) KTAP_CHECK_CMP(a, <, b, 1)
#define ASSERT_LE(a, b) KTAP_CHECK_CMP(a, <=, b, 1)
#define ASSERT_GT(a, b) KTAP_CHECK_CMP(a, >, b, 1)
#define ASSERT_GE(a, b) KTAP_CHECK_CMP(a, >=, b, 1)

#define KTAP_CHECK_BOOL(x, want, fatal) do {				\
	if (!(x) != !(want))						\
		KTAP_REPORT(fatal, "expected %s to be %s", #x,		\
			    (want) ? "true" : "false");			\
} while (0)
#define EXPECT_TRUE(x) KTAP_CHECK_BOOL(x, 1, 0)
#define EXPECT_FALSE(x) KTAP_CHECK_BOOL(x, 0, 0)
#define ASSERT_TRUE(x) KTAP_CHECK_BOOL(x, 1, 1)
#define ASSERT_FALSE(x) KTAP_CHECK_BOOL(x, 0, 1)

#define KTAP_CHECK_STREQ(a, b, fatal) do {				\
	const char *__a = (a), *__b = (b);				\
	if (strcmp(__a, __b) != 0)					\
		KTAP_REPORT(fatal,					\
			    "expected %s == %s, got \"%s\" vs \"%s\"",	\
			    #a, #b, __a, __b);				\
} while (0)
#define EXPECT_STREQ(a, b) KTAP_CHECK_STREQ(a, b, 0)
#define ASSERT_STREQ(a, b) KTAP_CHECK_STREQ(a, b, 1)

/*
 * Waits for a process the case forked and fails the case unless it exited
 * with status 0 (its own EXPECT failures have already failed the case).
 */
#define EXPECT_CHILD_OK(pid) do {					\
	pid_t __p = (pid);						\
	int __st = 0;							\
	if (waitpid(__p, &__st, 0) != __p)				\
		ktap_fail(0, __FILE__, __LINE__, "waitpid(%s): %s",	\
			  #pid, strerror(errno));			\
	else if (WIFSIGNALED(__st))					\
		ktap_fail(0, __FILE__, __LINE__,			\
			  "child %s killed by signal %d (%s)", #pid,	\
			  WTERMSIG(__st),				\
			  ktap_signal_name(WTERMSIG(__st)));		\
	else if (WEXITSTATUS(__st) != 0)				\
		ktap_fail(0, __FILE__, __LINE__,			\
			  "child %s exited with status %d", #pid,	\
			  WEXITSTATUS(__st));				\
} while (0)

/* ------------------------------------------------------------------------ */
/* Time and kernel version helpers for cases */

static inline long long ktap_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* KTAP_TIMEOUT_SCALE, so cases can scale their own bounded waits. */
static inline double ktap_timeout_scale(void)
{
	return ktap_scale;
}

/* A case's timeout in seconds, before scaling. */
static inline unsigned int ktap_timeout_of(const struct ktap_case *c)
{
	return c && c->opts.timeout ? c->opts.timeout : KTAP_DEFAULT_TIMEOUT;
}

/* The current case's timeout in seconds, after scaling. */
static inline double ktap_case_timeout(void)
{
	return ktap_timeout_of(ktap_current) * ktap_scale;
}

#define KTAP_KVER(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

/* The running kernel's version from uname -r, as KTAP_KVER(major, minor, sub). */
static inline unsigned int kernel_version(void)
{
	static unsigned int cached;
	unsigned int a = 0, b = 0, c = 0;
	struct utsname u;

	if (cached)
		return cached;
	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u.%u", &a, &b, &c);
	cached = KTAP_KVER(a, b, c);
	return cached;
}

static inline int kernel_at_least(unsigned int major, unsigned int minor)
{
	return kernel_version() >= KTAP_KVER(major, minor, 0);
}

static inline int kernel_at_least_sub(unsigned int major, unsigned int minor,
				      unsigned int sub)
{
	return kernel_version() >= KTAP_KVER(major, minor, sub);
}

/* Whether the running kernel has the change @g names (pure; no output). */
static inline int ktap_gate_applies(const struct ktap_gate *g)
{
	unsigned int now = kernel_version();
	int i;

	if (now >= g->since)
		return 1;
	for (i = 0; i < KTAP_MAX_BACKPORTS && g->backports[i]; i++)
		if ((now >> 8) == (g->backports[i] >> 8) && now >= g->backports[i])
			return 1;
	return 0;
}

static inline void ktap_print_release(unsigned int v)
{
	printf("%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

/* "since 6.17.0 (backported to 6.1.149, 6.12.43)", for --list and runs. */
static inline void ktap_print_gate(const struct ktap_gate *g)
{
	int i;

	printf("since ");
	ktap_print_release(g->since);
	for (i = 0; i < KTAP_MAX_BACKPORTS && g->backports[i]; i++) {
		printf(i ? ", " : " (backported to ");
		ktap_print_release(g->backports[i]);
	}
	printf("%s", g->backports[0] ? ")" : "");
}

/*
 * kernel_has(&gate): whether the running kernel has the change, for a case
 * that declares the gate (.gate = &gate). Asking a gate the case does not
 * declare fails the case, so --list cannot leave one out.
 */
#define kernel_has(gate) ktap_kernel_has(gate, __FILE__, __LINE__)

static inline int ktap_kernel_has(const struct ktap_gate *g, const char *file,
				  int line)
{
	if (ktap_current && ktap_current->opts.gate != g)
		ktap_fail(0, file, line,
			  "kernel_has(&%s): the case does not declare this gate; add .gate = &%s to it",
			  g->name, g->name);
	return ktap_gate_applies(g);
}

/* ------------------------------------------------------------------------ */
/* The runner */

enum ktap_verdict { KTAP_PASS, KTAP_FAIL, KTAP_SKIP };

/* Case child: runs the body in its own process group; never returns. */
__attribute__((noreturn))
static inline void ktap_child(const struct ktap_case *c, const sigset_t *mask)
{
	struct rlimit no_core = { 0, 0 };

	setpgid(0, 0);
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* A deliberate or accidental crash should not litter core files. */
	setrlimit(RLIMIT_CORE, &no_core);
	/* Line buffered, so diagnostics printed before a crash survive it. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ktap_current = c;
	ktap_shm->case_pid = getpid();
	if (c->opts.gate) {
		printf("# kernel-change ");
		ktap_print_gate(c->opts.gate);
		printf(": %s: %s\n", ktap_gate_applies(c->opts.gate) ? "yes" : "no",
		       c->opts.gate->why);
	}
	if (c->ftest) {
		const struct ktap_fixture *f = c->ftest->fixture;
		void *self = calloc(1, c->ftest->size ? c->ftest->size : 1);

		if (!self)
			ktap_fail(1, __FILE__, __LINE__, "fixture %s: no memory",
				  f->name);
		if (f->setup)
			f->setup(self, c->variant);
		ktap_teardown_self = self;
		c->ftest->fn(self, c->variant);
	} else {
		c->fn();
	}
	ktap_end();
}

/*
 * The fixture's teardown, once, in the case's own process: after the body,
 * or when the case ends early. A check that fails in it ends only it.
 */
static inline void ktap_run_teardown(void)
{
	void *self = ktap_teardown_self;
	const struct ktap_fixture *f;

	if (!self || !ktap_current || !ktap_current->ftest)
		return;
	ktap_teardown_self = NULL;
	f = ktap_current->ftest->fixture;
	if (f->teardown)
		f->teardown(self, ktap_current->variant);
}

/*
 * Waits for the case child without polling: SIGCHLD is blocked and taken
 * with sigtimedwait() until the child exits or the deadline passes. The
 * child is left unreaped (WNOWAIT) so its process group id cannot be reused
 * before the group is killed. Returns 1 on timeout.
 */
static inline int ktap_wait_case(pid_t pid, double timeout_s)
{
	long long deadline = ktap_now_ns() + (long long)(timeout_s * 1e9);
	sigset_t chld;
	siginfo_t info;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		long long left;
		struct timespec ts;

		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == pid)
			return 0;
		left = deadline - ktap_now_ns();
		if (left <= 0)
			return 1;
		ts.tv_sec = left / 1000000000LL;
		ts.tv_nsec = left % 1000000000LL;
		sigtimedwait(&chld, NULL, &ts);
	}
}

static inline enum ktap_verdict ktap_run_case(const struct ktap_case *c,
					      const sigset_t *orig_mask)
{
	double timeout_s = ktap_timeout_of(c) * ktap_scale;
	int status = 0, timed_out;
	pid_t pid;

	memset(ktap_shm, 0, sizeof(*ktap_shm));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("# fork: %s\n", strerror(errno));
		return KTAP_FAIL;
	}
	if (pid == 0)
		ktap_child(c, orig_mask);
	setpgid(pid, pid);	/* also here, so the kill below cannot miss */

	timed_out = ktap_wait_case(pid, timeout_s);
	/* End whatever the case left behind: helpers, threads, a hang. */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);

	if (timed_out) {
		printf("# timed out after %g s\n", timeout_s);
		return KTAP_FAIL;
	}
	if (WIFSIGNALED(status)) {
		printf("# killed by signal %d (%s)\n", WTERMSIG(status),
		       ktap_signal_name(WTERMSIG(status)));
		return KTAP_FAIL;
	}
	if (ktap_shm->failed)
		return KTAP_FAIL;
	if (!ktap_shm->done) {
		printf("# exited with status %d before the case finished\n",
		       WEXITSTATUS(status));
		return KTAP_FAIL;
	}
	if (WEXITSTATUS(status) != 0) {
		printf("# exited with status %d\n", WEXITSTATUS(status));
		return KTAP_FAIL;
	}
	return ktap_shm->skipped ? KTAP_SKIP : KTAP_PASS;
}

static inline int ktap_case_cmp(const void *a, const void *b)
{
	return ((const struct ktap_case *)a)->opts.line -
	       ((const struct ktap_case *)b)->opts.line;
}

static inline const struct ktap_case *ktap_find(const char *name)
{
	int i;

	for (i = 0; i < ktap_ncases; i++)
		if (strcmp(ktap_cases[i].name, name) == 0)
			return &ktap_cases[i];
	return NULL;
}

/*
 * Turns each TEST_F into its cases: one, or one per row of its fixture.
 * Returns -1, having said why on stderr, when the table contradicts
 * itself: two bodies for one fixture's rows, or two cases of one name.
 */
static inline int ktap_expand(const char *prog)
{
	int i, j, rows;

	for (i = 0; i < ktap_nftests; i++) {
		const struct ktap_fixture_test *t = &ktap_ftests[i];
		struct ktap_case c = { .ftest = t, .opts = t->opts };

		for (j = rows = 0; j < ktap_nvariants; j++) {
			const struct ktap_variant *v = &ktap_variants[j];

			if (v->fixture != t->fixture)
				continue;
			c.name = v->name;
			c.variant = v->data;
			c.opts.line = v->line;
			if (ktap_ncases == KTAP_MAX_CASES)
				ktap_too_many();
			ktap_cases[ktap_ncases++] = c;
			rows++;
		}
		for (j = 0; rows && j < i; j++) {
			if (ktap_ftests[j].fixture == t->fixture) {
				fprintf(stderr, "%s: fixture %s has rows, so it takes one TEST_F, not %s and %s\n",
					prog, t->fixture->name, ktap_ftests[j].name, t->name);
				return -1;
			}
		}
		if (!rows) {
			c.name = t->name;
			if (ktap_ncases == KTAP_MAX_CASES)
				ktap_too_many();
			ktap_cases[ktap_ncases++] = c;
		}
	}
	for (i = 0; i < ktap_ncases; i++) {
		for (j = 0; j < i; j++) {
			if (!strcmp(ktap_cases[i].name, ktap_cases[j].name)) {
				fprintf(stderr, "%s: two cases are named %s\n",
					prog, ktap_cases[i].name);
				return -1;
			}
		}
	}
	return 0;
}

static inline void ktap_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--list | --filter SUBSTR | NAME...]\n"
		"  (no arguments)   run every case\n"
		"  --list           print the case names, one per line; a case that\n"
		"                   checks a kernel change adds a tab and the change\n"
		"  --filter SUBSTR  run the cases whose name contains SUBSTR\n"
		"  NAME...          run the named cases\n"
		"Output is KTAP version 1; exit status 0 iff no case failed.\n"
		"KTAP_TIMEOUT_SCALE=F multiplies every case timeout.\n",
		prog);
}

static inline int ktap_main(int argc, char **argv)
{
	static const struct ktap_case *sel[KTAP_MAX_CASES];
	int nsel = 0, pass = 0, fail = 0, skip = 0, i;
	const char *scale = getenv("KTAP_TIMEOUT_SCALE");
	sigset_t chld, orig;
	long long t0 = ktap_now_ns();

	if (ktap_expand(argv[0]) < 0)
		return 2;
	qsort(ktap_cases, ktap_ncases, sizeof(ktap_cases[0]), ktap_case_cmp);

	if (scale && *scale) {
		char *end;

		ktap_scale = strtod(scale, &end);
		if (*end || !(ktap_scale > 0)) {
			fprintf(stderr, "%s: bad KTAP_TIMEOUT_SCALE '%s'\n",
				argv[0], scale);
			return 2;
		}
	}

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		ktap_usage(stdout, argv[0]);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < ktap_ncases; i++) {
			const struct ktap_gate *g = ktap_cases[i].opts.gate;

			printf("%s", ktap_cases[i].name);
			if (g) {
				printf("\t");
				ktap_print_gate(g);
				printf(": %s", g->why);
			}
			printf("\n");
		}
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--filter")) {
		if (argc != 3) {
			ktap_usage(stderr, argv[0]);
			return 2;
		}
		for (i = 0; i < ktap_ncases; i++)
			if (strstr(ktap_cases[i].name, argv[2]))
				sel[nsel++] = &ktap_cases[i];
	} else if (argc >= 2) {
		for (i = 1; i < argc; i++) {
			const struct ktap_case *c = ktap_find(argv[i]);

			if (!c) {
				fprintf(stderr, "%s: no case named '%s' (see --list)\n",
					argv[0], argv[i]);
				return 2;
			}
			if (nsel == KTAP_MAX_CASES) {
				ktap_usage(stderr, argv[0]);
				return 2;
			}
			sel[nsel++] = c;
		}
	} else {
		for (i = 0; i < ktap_ncases; i++)
			sel[nsel++] = &ktap_cases[i];
	}

	ktap_shm = mmap(NULL, sizeof(*ktap_shm), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ktap_shm == MAP_FAILED) {
		perror("ktap: mmap");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &orig);

	printf("KTAP version 1\n");
	printf("1..%d\n", nsel);
	for (i = 0; i < nsel; i++) {
		switch (ktap_run_case(sel[i], &orig)) {
		case KTAP_PASS:
			printf("ok %d %s\n", i + 1, sel[i]->name);
			pass++;
			break;
		case KTAP_SKIP:
			printf("ok %d %s # SKIP %s\n", i + 1, sel[i]->name,
			       ktap_shm->skip_reason);
			skip++;
			break;
		case KTAP_FAIL:
			printf("not ok %d %s\n", i + 1, sel[i]->name);
			fail++;
			break;
		}
	}
	printf("# elapsed %.3f s\n", (ktap_now_ns() - t0) / 1e9);
	printf("# totals: pass %d fail %d skip %d\n", pass, fail, skip);
	fflush(stdout);
	return fail ? 1 : 0;
}

#if defined(KTAP_MULTICALL)
#include "ktap-program.h"

/* Each source file's cases sit in its own static table; this is its door. */
#ifdef KTAP_NO_MAIN
/* The program wraps ktap_main() itself, in a function named KTAP_PROGRAM_MAIN. */
static int ktap_program_main(int argc, char **argv);
#else
static int ktap_program_main(int argc, char **argv)
{
	return ktap_main(argc, argv);
}
#endif

static const struct ktap_program ktap_program_entry
	__attribute__((section(KTAP_PROGRAMS_SECTION), used,
		       aligned(sizeof(void *)))) = {
	.file = __BASE_FILE__,
	.main = ktap_program_main,
};
#elif !defined(KTAP_NO_MAIN)
int main(int argc, char **argv)
{
	return ktap_main(argc, argv);
}
#endif

#endif /* KTAP_H */
