// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_abi: the binary interface as an i386 program sees it. struct
 * epoll_event is packed on x86 (12 bytes, data at offset 4, no padding),
 * the kernel writes events at that stride and carries all 64 data bits,
 * the flag and op constants have their uapi values, and the system calls
 * answer at their i386 numbers.
 */
#include "ktap.h"
#include "epoll_util.h"

#include <signal.h>
#include <stddef.h>

TEST(abi_sizeof_epoll_event_is_12)
{
	EXPECT_EQ(sizeof(struct epoll_event), 12);
}

TEST(abi_events_at_offset_0_data_at_offset_4)
{
	EXPECT_EQ(offsetof(struct epoll_event, events), 0);
	EXPECT_EQ(offsetof(struct epoll_event, data), 4);
	EXPECT_EQ(sizeof(((struct epoll_event *)0)->data), 8);
}

/* An array has no padding either: element 1 starts at byte 12. */
TEST(abi_array_stride_is_12)
{
	struct epoll_event ev[2];

	EXPECT_EQ((char *)&ev[1] - (char *)&ev[0], 12);
}

TEST(abi_event_bits_have_uapi_values)
{
	EXPECT_EQ(EPOLLIN, 0x001);
	EXPECT_EQ(EPOLLPRI, 0x002);
	EXPECT_EQ(EPOLLOUT, 0x004);
	EXPECT_EQ(EPOLLERR, 0x008);
	EXPECT_EQ(EPOLLHUP, 0x010);
	EXPECT_EQ(EPOLLRDNORM, 0x040);
	EXPECT_EQ(EPOLLRDBAND, 0x080);
	EXPECT_EQ(EPOLLWRNORM, 0x100);
	EXPECT_EQ(EPOLLWRBAND, 0x200);
	EXPECT_EQ(EPOLLMSG, 0x400);
	EXPECT_EQ(EPOLLRDHUP, 0x2000);
	EXPECT_EQ((uint32_t)EPOLLEXCLUSIVE, 1u << 28);
	EXPECT_EQ((uint32_t)EPOLLWAKEUP, 1u << 29);
	EXPECT_EQ((uint32_t)EPOLLONESHOT, 1u << 30);
	EXPECT_EQ((uint32_t)EPOLLET, 1u << 31);
}

TEST(abi_ops_and_flags_have_uapi_values)
{
	EXPECT_EQ(EPOLL_CTL_ADD, 1);
	EXPECT_EQ(EPOLL_CTL_DEL, 2);
	EXPECT_EQ(EPOLL_CTL_MOD, 3);
	EXPECT_EQ(EPOLL_CLOEXEC, O_CLOEXEC);
	EXPECT_EQ(EPOLL_CLOEXEC, 02000000);
}

/* Bit patterns that would expose truncation or sign extension. */
TEST(abi_data_u64_patterns_round_trip)
{
	static const uint64_t patterns[] = {
		0, 1, 0xffffffffULL, 0x100000000ULL, 0x8000000000000000ULL,
		0xffffffffffffffffULL, 0x0123456789abcdefULL,
		0xdeadbeef00000000ULL,
	};
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;
	unsigned int i;

	ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0));
	for (i = 0; i < ARRAY_SIZE(patterns); i++) {
		ASSERT_OK(ep_ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN, patterns[i]));
		ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
		EXPECT_EQ(ev.data.u64, patterns[i]);
	}
}

/* data.fd is the low 32 bits of data.u64 on little-endian x86. */
TEST(abi_data_fd_is_low_half_of_u64)
{
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = efd;
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	memset(&ev, 0xff, sizeof(ev));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.fd, efd);
	EXPECT_EQ(ev.data.u64, (uint64_t)efd);
}

/* A pointer in data.ptr comes back as the same pointer. */
TEST(abi_data_ptr_round_trips)
{
	static int anchor;
	int ep = ASSERT_OK(epoll_create1(0));
	int efd = ASSERT_OK(eventfd(1, 0));
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &anchor;
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	EXPECT_TRUE(ev.data.ptr == &anchor);
}

/*
 * Read the kernel's output as raw bytes: three events at a 12-byte
 * stride, u32 events then u64 data, nothing written past them.
 */
TEST(abi_kernel_writes_packed_records)
{
	unsigned char raw[3 * 12 + 8];
	int ep = ASSERT_OK(epoll_create1(0));
	uint64_t seen = 0;
	int i, untouched = 0;

	for (i = 1; i <= 3; i++) {
		int efd = ASSERT_OK(eventfd(1, 0));

		ASSERT_OK(ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN,
				 0x1111111100000000ULL * i + i));
	}
	memset(raw, 0xa5, sizeof(raw));
	ASSERT_EQ(epoll_wait(ep, (struct epoll_event *)raw, 3, 0), 3);
	for (i = 0; i < 3; i++) {
		uint32_t events;
		uint64_t data;

		memcpy(&events, raw + 12 * i, 4);
		memcpy(&data, raw + 12 * i + 4, 8);
		EXPECT_EVENTS(events, EPOLLIN);
		EXPECT_EQ(data >> 32, (data & 0xffffffff) * 0x11111111ULL);
		seen |= 1ULL << (data & 0xff);
	}
	EXPECT_EQ(seen, 0xeULL);
	for (i = 36; i < (int)sizeof(raw); i++)
		untouched += raw[i] == 0xa5;
	EXPECT_EQ(untouched, 8);
}

/* The i386 system call numbers, as called through syscall(2). */
#define NR_EPOLL_CREATE		254
#define NR_EPOLL_CTL		255
#define NR_EPOLL_WAIT		256
#define NR_EPOLL_PWAIT		319
#define NR_EPOLL_CREATE1	329
#define NR_EPOLL_PWAIT2		441

static void need_i386(void)
{
#ifndef __i386__
	SKIP("built for another architecture: the numbers are i386's");
#endif
}

TEST(abi_i386_syscall_numbers_in_headers)
{
	need_i386();
	EXPECT_EQ(SYS_epoll_create, NR_EPOLL_CREATE);
	EXPECT_EQ(SYS_epoll_ctl, NR_EPOLL_CTL);
	EXPECT_EQ(SYS_epoll_wait, NR_EPOLL_WAIT);
	EXPECT_EQ(SYS_epoll_pwait, NR_EPOLL_PWAIT);
	EXPECT_EQ(SYS_epoll_create1, NR_EPOLL_CREATE1);
}

/* create (254), ctl (255) and wait (256) by number, end to end. */
TEST(abi_raw_create_ctl_wait)
{
	struct epoll_event ev;
	int ep, efd;

	need_i386();
	ep = ASSERT_OK(syscall(NR_EPOLL_CREATE, 1));
	efd = ASSERT_OK(eventfd(1, 0));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = 0xabcdef0123456789ULL;
	ASSERT_OK(syscall(NR_EPOLL_CTL, ep, EPOLL_CTL_ADD, efd, &ev));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(syscall(NR_EPOLL_WAIT, ep, &ev, 1, 0), 1);
	EXPECT_EQ(ev.data.u64, 0xabcdef0123456789ULL);
	EXPECT_ERRNO(syscall(NR_EPOLL_CREATE, 0), EINVAL);
}

/* create1 (329) and pwait (319, 8-byte kernel sigset) by number. */
TEST(abi_raw_create1_pwait)
{
	struct epoll_event ev;
	uint64_t kmask = 0;	/* the kernel's 64-signal sigset_t */
	int ep, efd;

	need_i386();
	ep = ASSERT_OK(syscall(NR_EPOLL_CREATE1, EPOLL_CLOEXEC));
	EXPECT_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	efd = ASSERT_OK(eventfd(1, 0));
	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	EXPECT_EQ(syscall(NR_EPOLL_PWAIT, ep, &ev, 1, 0, &kmask, 8), 1);
}

/* pwait2 (441) takes a 64-bit struct __kernel_timespec even on i386. */
TEST(abi_raw_pwait2_64bit_timespec)
{
	struct { long long sec, nsec; } ts = { 0, 0 };
	struct epoll_event ev;
	int ep, efd;
	long r;

	need_i386();
	EXPECT_EQ(sizeof(ts), 16);
	ep = ASSERT_OK(epoll_create1(0));
	efd = ASSERT_OK(eventfd(1, 0));
	ASSERT_OK(ep_add(ep, efd, EPOLLIN));
	r = syscall(NR_EPOLL_PWAIT2, ep, &ev, 1, &ts, NULL, 0);
	if (r == -1 && errno == ENOSYS)
		SKIP("epoll_pwait2: ENOSYS (added in 5.11)");
	EXPECT_EQ(r, 1);
	/* a high half in tv_sec is read as seconds, not ignored: valid */
	ts.sec = 1LL << 32;
	EXPECT_EQ(syscall(NR_EPOLL_PWAIT2, ep, &ev, 1, &ts, NULL, 0), 1);
}
