/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktap-program.h - how test programs find each other in the multi-call
 * binary. Every static i386 binary carries its own ~1 MB of glibc, so the
 * image links all test programs into one binary (busybox style) and
 * installs a symlink per program; guest/lib/ktap-multicall.c picks the
 * program by the name it was started under.
 *
 * Built with -DKTAP_MULTICALL, ktap.h puts one struct ktap_program per test
 * source file into the "ktap_programs" section instead of defining main().
 * GNU ld provides __start_/__stop_ symbols for such a section, so the
 * dispatcher sees every program linked in, with no table to maintain.
 */
#ifndef KTAP_PROGRAM_H
#define KTAP_PROGRAM_H

struct ktap_program {
	/* The source file (__BASE_FILE__); the program's name is its base name. */
	const char *file;
	int (*main)(int argc, char **argv);
};

#define KTAP_PROGRAMS_SECTION "ktap_programs"

#endif
