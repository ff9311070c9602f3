// SPDX-License-Identifier: GPL-2.0
/*
 * The multi-call test binary's main(): runs the test program named by the
 * link it was started through (/usr/lib/epoll-lab/tests/epoll_ctl ->
 * epoll_ctl), or by its first argument when called by its own name.
 * See guest/include/ktap-program.h.
 */
#include <stdio.h>
#include <string.h>

#include "ktap-program.h"

extern const struct ktap_program __start_ktap_programs[];
extern const struct ktap_program __stop_ktap_programs[];

/* The program's name: its source file's base name without ".c". */
static const char *base_name(const char *file, size_t *len)
{
	const char *base = strrchr(file, '/');

	base = base ? base + 1 : file;
	*len = strcspn(base, ".");
	return base;
}

static const struct ktap_program *find(const char *name)
{
	const struct ktap_program *p;
	size_t len;

	for (p = __start_ktap_programs; p < __stop_ktap_programs; p++) {
		const char *base = base_name(p->file, &len);

		if (strlen(name) == len && !strncmp(base, name, len))
			return p;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const struct ktap_program *p;
	const char *self;
	size_t len;

	self = strrchr(argv[0], '/');
	self = self ? self + 1 : argv[0];
	p = find(self);
	if (p)
		return p->main(argc, argv);
	if (argc > 1) {
		p = find(argv[1]);
		if (p)
			return p->main(argc - 1, argv + 1);
	}
	fprintf(stderr, "usage: %s PROGRAM [ARGS]\nprograms:", self);
	for (p = __start_ktap_programs; p < __stop_ktap_programs; p++) {
		const char *base = base_name(p->file, &len);

		fprintf(stderr, " %.*s", (int)len, base);
	}
	fprintf(stderr, "\n");
	return 2;
}
