// SPDX-License-Identifier: GPL-2.0
/*
 * Builds the kernel's own epoll selftest, unchanged, from the Debian kernel
 * source the image was built from (the pipeline puts its
 * tools/testing/selftests on the include path; nothing of it is copied here).
 *
 * One thing is adjusted: kselftest_harness.h kills any test after a fixed
 * TEST_TIMEOUT_DEFAULT of 30 s. Under emulation the CPU-bound cases (e.g.
 * epoll59, 100k ET+MOD iterations) need longer, so after the harness is
 * included, and before the TEST() macros that read the value expand, the
 * limit is raised. The header's include guard keeps the test file's own
 * #include of it from undoing this.
 */
#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#include "filesystems/epoll/epoll_wakeup_test.c"
