// SPDX-License-Identifier: GPL-2.0
/*
 * Builds the kernel's own epoll selftest, unchanged, from the Debian kernel
 * source the image was built from (the pipeline puts its
 * tools/testing/selftests on the include path; nothing of it is copied
 * here), and gives it a main() that the host can drive:
 *
 *	epoll_wakeup_test		run every test (TAP 13 on stdout)
 *	epoll_wakeup_test -l		list them, "global NAME" per line
 *	epoll_wakeup_test -t NAME...	run only these
 *
 * 6.1's kselftest_harness.h parses no options at all, so listing and
 * selecting happen here, on the harness's own list of registered tests,
 * before its main() runs.
 *
 * Two adjustments for the guest, both explained where they are made:
 * the harness's per-test timeout is raised for emulation, and on a
 * uniprocessor the tests that cannot finish there are skipped by name,
 * through the harness's own SKIP(), with the reason.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

/*
 * The harness kills a test after TEST_TIMEOUT_DEFAULT (30 s). The value is
 * read where the TEST() macros expand, in the test file below, so it can be
 * raised here; the header's include guard keeps the test file's own
 * #include of it from undoing that.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

/* TEST_HARNESS_MAIN defines main(); ours below wraps it. */
#define main kselftest_main
#include "filesystems/epoll/epoll_wakeup_test.c"
#undef main

/*
 * Tests that hand a token between threads with busy-wait loops. With one
 * CPU the spinning thread only gives way at a scheduler tick, so every hand-
 * off costs a tick: epoll59's 100000 round trips take tens of minutes on a
 * one-CPU machine, emulated or not (pinned to one host CPU it does not end
 * within the 300 s limit either; see the conformance issue's note). v86
 * emulates a single CPU, so these cannot run here.
 */
static const struct {
	const char *name;
	const char *reason;
} uniprocessor_skips[] = {
	{ "epoll59", "busy-waits on another thread 100000 times; on one CPU each hand-off waits for a scheduler tick, so it cannot finish (v86 has no SMP)" },
};

static const char *uniprocessor_reason(const char *name)
{
	for (size_t i = 0; i < sizeof(uniprocessor_skips) / sizeof(uniprocessor_skips[0]); i++)
		if (!strcmp(uniprocessor_skips[i].name, name))
			return uniprocessor_skips[i].reason;
	return NULL;
}

/* Stands in for a test's body: the harness reports it as skipped. */
static void skip_on_uniprocessor(struct __test_metadata *_metadata,
				 struct __fixture_variant_metadata *variant)
{
	(void)variant;
	SKIP(return, "%s", uniprocessor_reason(_metadata->name));
}

static int named(const char *name, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

/*
 * Keep only the tests in @names, in order. The harness's list is linked
 * through next, and the head's prev points at the tail.
 */
static void select_tests(int count, char **names)
{
	struct __test_metadata *t = _fixture_global.tests, *next;
	struct __test_metadata *head = NULL, *tail = NULL;

	for (; t; t = next) {
		next = t->next;
		if (!named(t->name, count, names))
			continue;
		t->next = NULL;
		t->prev = tail ? tail : t;
		if (tail)
			tail->next = t;
		else
			head = t;
		tail = t;
	}
	if (head)
		head->prev = tail;
	_fixture_global.tests = head;
}

/* CPUs this process may run on: 1 in the guest, and also under taskset -c 0. */
static int usable_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return sysconf(_SC_NPROCESSORS_ONLN);
	return CPU_COUNT(&set);
}

int main(int argc, char **argv)
{
	struct __test_metadata *t;

	if (argc > 1 && !strcmp(argv[1], "-l")) {
		for (t = _fixture_global.tests; t; t = t->next)
			printf("global %s\n", t->name);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "-t"))
		select_tests(argc - 2, argv + 2);

	if (usable_cpus() == 1)
		for (t = _fixture_global.tests; t; t = t->next)
			if (uniprocessor_reason(t->name))
				t->fn = skip_on_uniprocessor;

	return kselftest_main(1, argv);
}
