// SPDX-License-Identifier: GPL-2.0
/*
 * epoll-bench: epoll latency and scaling measurements, run natively, in
 * the v86 guest and under QEMU alike.
 *
 *	epoll-bench pingpong  [--iters N]
 *	epoll-bench eventfd   [--iters N]
 *	epoll-bench unix-echo [--iters N]
 *	epoll-bench scaling   [--n LIST] [--active LIST] [--iters N]
 *	epoll-bench timers
 *	epoll-bench all
 *
 * Every command also takes --quick. Results are JSON lines on stdout (see
 * bench.h); exit status 0 on success, 1 when a measurement failed, 2 when
 * the command line was wrong.
 *
 * This file is the command line and the output helpers; the measurements
 * live in latency.c, scaling.c and timers.c.
 */
#include "bench.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_ITERS	(1u << 0)
#define OPT_N		(1u << 1)
#define OPT_ACTIVE	(1u << 2)

/* Upper bounds that keep a typo from asking for hours or gigabytes. */
#define MAX_ITERS	1000000000L
#define MAX_N		1000000L

static int bench_all(const struct bench_opts *o);

static const struct subcommand {
	const char *name;
	int (*run)(const struct bench_opts *o);
	unsigned int opts;	/* OPT_* it accepts besides --quick */
	const char *args;
	const char *help;
} subcommands[] = {
	{ "pingpong", bench_pingpong, OPT_ITERS, "[--iters N]",
	  "two processes, two pipes, 1 byte each way, both sides in epoll_wait" },
	{ "eventfd", bench_eventfd, OPT_ITERS, "[--iters N]",
	  "wake a thread in epoll_wait on an eventfd; it acks on a second one" },
	{ "unix-echo", bench_unix_echo, OPT_ITERS, "[--iters N]",
	  "64-byte echo over a unix stream socketpair, both sides through epoll" },
	{ "scaling", bench_scaling, OPT_ITERS | OPT_N | OPT_ACTIVE,
	  "[--n LIST] [--active LIST] [--iters N]",
	  "epoll_wait vs poll vs select, non-blocking, over N eventfds with A ready" },
	{ "timers", bench_timers, 0, "",
	  "how late epoll_wait wakes after a 1, 10 and 100 ms timeout expires" },
	/* Not timers: the host runs those alone, against v86 with its own scheduling too. */
	{ "all", bench_all, 0, "",
	  "every benchmark above but timers, with its defaults" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: epoll-bench COMMAND [--quick] [OPTION...]\n\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %s%s%s\n\t%s\n", subcommands[i].name,
			*subcommands[i].args ? " " : "", subcommands[i].args,
			subcommands[i].help);
	fprintf(f,
		"\n"
		"  --quick        about a tenth of the default work\n"
		"  --iters N      round trips (latency; a tenth more run first as\n"
		"                 warm-up) or calls per measurement (scaling);\n"
		"                 default: calibrated to take 150 ms (latency) or\n"
		"                 40 ms (scaling) each, a tenth with --quick\n"
		"  --n LIST       descriptor counts, default 10,100,1000,10000\n"
		"  --active LIST  ready descriptors, default 1,10\n"
		"\n"
		"Output: one JSON object per line on stdout, e.g.\n"
		"  {\"bench\":\"pingpong\",\"iters\":10000,\"us\":12.345}\n"
		"  {\"bench\":\"scaling\",\"n\":1000,\"active\":10,"
		"\"epollUs\":0.5,\"pollUs\":12.3,\"selectUs\":null,\n"
		"   \"iters\":{\"epoll\":65536,\"poll\":2048,\"select\":null}}\n"
		"  {\"bench\":\"timer\",\"timeoutMs\":1,\"samples\":500,\"early\":0,"
		"\"minUs\":52.1,\"p50Us\":60.3,\n"
		"   \"p99Us\":80.0,\"maxUs\":95.2,\"meanUs\":61.0}\n"
		"Times are microseconds per round trip or per call: the mean of\n"
		"the fastest of several timed batches, as emulators lose time\n"
		"between batches. iters counts all timed operations. timer figures\n"
		"are how much later than its timeout each epoll_wait returned\n"
		"(500, 200 and 30 samples of 1, 10 and 100 ms; a tenth with --quick).\n");
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("epoll-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void bench_die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("epoll-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

void bench_emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	/* A reader that went away must not look like a finished run. */
	if (fflush(stdout) || ferror(stdout))
		bench_die_errno("writing results");
}

void bench_flush(void)
{
	if (fflush(stdout))
		bench_die_errno("writing results");
}

static int bench_all(const struct bench_opts *o)
{
	static int (*const all[])(const struct bench_opts *o) = {
		bench_pingpong, bench_eventfd, bench_unix_echo, bench_scaling,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i](o))
			return 1;
	return 0;
}

/* A whole-string decimal in [min, max], or -1. */
static long parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

/* "10,100,1000": 0 on success, -1 on a malformed list. */
static int parse_list(const char *s, long min, long max, struct bench_list *l)
{
	char buf[256], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	l->len = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (l->len == BENCH_LIST_MAX)
			return -1;
		l->val[l->len] = parse_long(tok, min, max);
		if (l->val[l->len] < 0)
			return -1;
		l->len++;
	}
	return l->len ? 0 : -1;
}

static int __attribute__((format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("epoll-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(epoll-bench --help lists commands and options)\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const struct subcommand *cmd = NULL;
	struct bench_opts o;
	size_t i;
	int a;

	memset(&o, 0, sizeof(o));
	if (argc < 2)
		return bad_usage("%s", "missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			cmd = &subcommands[i];
	if (!cmd)
		return bad_usage("unknown command '%s'", argv[1]);

	for (a = 2; a < argc; a++) {
		const char *opt = argv[a], *val = NULL, *eq = strchr(opt, '=');
		char name[32];

		if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(opt, "--quick")) {
			o.quick = 1;
			continue;
		}
		/* --opt VALUE and --opt=VALUE both work. */
		snprintf(name, sizeof(name), "%.*s",
			 eq ? (int)(eq - opt) : (int)strlen(opt), opt);
		if (eq)
			val = eq + 1;
		else if (a + 1 < argc)
			val = argv[a + 1];

		if ((cmd->opts & OPT_ITERS) && !strcmp(name, "--iters")) {
			o.iters = val ? parse_long(val, 1, MAX_ITERS) : -1;
			if (o.iters < 0)
				return bad_usage("--iters needs a count from 1 to 10^9, got '%s'",
						 val ? val : "");
		} else if ((cmd->opts & OPT_N) && !strcmp(name, "--n")) {
			if (!val || parse_list(val, 1, MAX_N, &o.n))
				return bad_usage("--n needs a list like 10,100,1000 (each 1 to 10^6), got '%s'",
						 val ? val : "");
		} else if ((cmd->opts & OPT_ACTIVE) && !strcmp(name, "--active")) {
			if (!val || parse_list(val, 0, MAX_N, &o.active))
				return bad_usage("--active needs a list like 1,10, got '%s'",
						 val ? val : "");
		} else {
			return bad_usage("unknown option '%s' for '%s'",
					 opt, cmd->name);
		}
		if (!eq)
			a++;
	}
	return cmd->run(&o) ? 1 : 0;
}
