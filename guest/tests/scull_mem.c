// SPDX-License-Identifier: GPL-2.0
/*
 * scull_mem: the scull0 memory device (quantum/qset storage, short reads
 * and writes at quantum boundaries, llseek, trim on O_WRONLY open) and
 * its quantum/qset ioctls. Needs scull.ko loaded; skips otherwise.
 *
 * The quantum and qset are module-wide: cases that change them put the
 * defaults back with SCULL_IOCRESET before they end.
 */
#include "scull_util.h"

#include <sys/ioctl.h>

/* Small layout so a few hundred bytes cross many boundaries: 16 x 4. */
#define QUANTUM	16
#define QSET	4

/* Set the layout and trim scull0 so it adopts it; returns an O_RDWR fd. */
static int scull0_with_layout(int quantum, int qset)
{
	int fd = scull_open(SCULL_MEM, O_WRONLY);

	ASSERT_OK(ioctl(fd, SCULL_IOCSQUANTUM, &quantum));
	ASSERT_OK(ioctl(fd, SCULL_IOCSQSET, &qset));
	close(fd);
	/* This O_WRONLY open trims the device with the new layout. */
	close(scull_open(SCULL_MEM, O_WRONLY));
	return scull_open(SCULL_MEM, O_RDWR);
}

static void pattern(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed + i * 7);
}

/* Like write(), but loops over short writes; returns the call count. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
	int calls = 0;
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		ASSERT_GT(n, 0);
		buf += n;
		len -= n;
		calls++;
	}
	return calls;
}

static void read_all(int fd, unsigned char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, buf, len);
		ASSERT_GT(n, 0);
		buf += n;
		len -= n;
	}
}

/* Get/set by pointer, by value, query, exchange, reset. */
TEST(ioctl_quantum_and_qset)
{
	int fd = scull_open(SCULL_MEM, O_RDONLY);
	int val;

	ASSERT_OK(ioctl(fd, SCULL_IOCRESET));
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQUANTUM), SCULL_QUANTUM_DEFAULT);
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQSET), SCULL_QSET_DEFAULT);

	val = 100;
	EXPECT_OK(ioctl(fd, SCULL_IOCSQUANTUM, &val));
	val = 0;
	EXPECT_OK(ioctl(fd, SCULL_IOCGQUANTUM, &val));
	EXPECT_EQ(val, 100);
	EXPECT_EQ(scull_param("scull_quantum"), 100);	/* same variable */

	EXPECT_OK(ioctl(fd, SCULL_IOCTQSET, 50));
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQSET), 50);
	val = 0;
	EXPECT_OK(ioctl(fd, SCULL_IOCGQSET, &val));
	EXPECT_EQ(val, 50);

	val = 200;
	EXPECT_OK(ioctl(fd, SCULL_IOCXQUANTUM, &val));
	EXPECT_EQ(val, 100);				/* the old value */
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQUANTUM), 200);
	val = 60;
	EXPECT_OK(ioctl(fd, SCULL_IOCXQSET, &val));
	EXPECT_EQ(val, 50);
	EXPECT_OK(ioctl(fd, SCULL_IOCTQUANTUM, 300));
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQUANTUM), 300);

	EXPECT_OK(ioctl(fd, SCULL_IOCRESET));
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQUANTUM), SCULL_QUANTUM_DEFAULT);
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQSET), SCULL_QSET_DEFAULT);
}

/* Nonsense values, foreign commands and bad pointers are refused. */
TEST(ioctl_rejects_bad_input)
{
	int fd = scull_open(SCULL_MEM, O_RDONLY);
	int val = 0;

	ASSERT_OK(ioctl(fd, SCULL_IOCRESET));
	EXPECT_ERRNO(ioctl(fd, SCULL_IOCSQUANTUM, &val), EINVAL);
	val = -5;
	EXPECT_ERRNO(ioctl(fd, SCULL_IOCSQSET, &val), EINVAL);
	EXPECT_ERRNO(ioctl(fd, SCULL_IOCTQUANTUM, SCULL_QUANTUM_MAX + 1),
		     EINVAL);
	EXPECT_ERRNO(ioctl(fd, SCULL_IOCGQUANTUM, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, _IO(SCULL_IOC_MAGIC, SCULL_IOC_MAXNR + 1)),
		     ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IO('x', 1)), ENOTTY);
	EXPECT_EQ(ioctl(fd, SCULL_IOCQQUANTUM), SCULL_QUANTUM_DEFAULT);
}

/* Setting needs CAP_SYS_ADMIN; reading does not. */
TEST(ioctl_set_needs_cap_sys_admin)
{
	int fd = scull_open(SCULL_MEM, O_RDONLY);
	pid_t pid;

	ASSERT_OK(ioctl(fd, SCULL_IOCRESET));
	pid = ASSERT_OK(fork());

	if (pid == 0) {
		int val = 64;

		ASSERT_OK(setuid(1000));	/* drops every capability */
		EXPECT_ERRNO(ioctl(fd, SCULL_IOCSQUANTUM, &val), EPERM);
		EXPECT_ERRNO(ioctl(fd, SCULL_IOCTQSET, 8), EPERM);
		EXPECT_ERRNO(ioctl(fd, SCULL_IOCXQUANTUM, &val), EPERM);
		EXPECT_ERRNO(ioctl(fd, SCULL_IOCRESET), EPERM);
		EXPECT_EQ(ioctl(fd, SCULL_IOCQQUANTUM), SCULL_QUANTUM_DEFAULT);
		ktap_child_exit();
	}
	EXPECT_CHILD_OK(pid);
}

/*
 * Writes and reads move at most up to the end of the current quantum:
 * LDD3's "return less than asked" rule, visible at every boundary.
 */
TEST(short_transfers_at_quantum_boundaries)
{
	int fd = scull0_with_layout(QUANTUM, QSET);
	unsigned char out[100], in[100];

	pattern(out, sizeof(out), 1);
	EXPECT_EQ(write(fd, out, sizeof(out)), QUANTUM);
	ASSERT_EQ(lseek(fd, 10, SEEK_SET), 10);
	EXPECT_EQ(write(fd, out, sizeof(out)), QUANTUM - 10);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(read(fd, in, sizeof(in)), QUANTUM);
	ioctl(fd, SCULL_IOCRESET);
}

/* Data spanning several quanta and qsets reads back intact, from anywhere. */
TEST(data_across_quanta_and_qsets)
{
	int fd = scull0_with_layout(QUANTUM, QSET);
	unsigned char out[300], in[300];
	int calls;

	pattern(out, sizeof(out), 3);
	calls = write_all(fd, out, sizeof(out));
	DIAG("300 bytes took %d writes with quantum %d", calls, QUANTUM);
	EXPECT_GE(calls, (int)(sizeof(out) / QUANTUM));
	EXPECT_EQ(lseek(fd, 0, SEEK_END), (off_t)sizeof(out));

	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	read_all(fd, in, sizeof(in));
	EXPECT_EQ(memcmp(in, out, sizeof(out)), 0);

	/* 60..100 crosses the boundary between qset nodes at 64. */
	ASSERT_EQ(lseek(fd, 60, SEEK_SET), 60);
	EXPECT_EQ(read(fd, in, 40), 4);		/* to the end of the quantum */
	read_all(fd, in + 4, 36);
	EXPECT_EQ(memcmp(in, out + 60, 40), 0);

	/* SEEK_CUR and SEEK_END. */
	ASSERT_EQ(lseek(fd, -10, SEEK_CUR), 90);
	read_all(fd, in, 10);
	EXPECT_EQ(memcmp(in, out + 90, 10), 0);
	ASSERT_EQ(lseek(fd, -5, SEEK_END), (off_t)sizeof(out) - 5);
	read_all(fd, in, 5);
	EXPECT_EQ(memcmp(in, out + sizeof(out) - 5, 5), 0);
	EXPECT_EQ(read(fd, in, 1), 0);		/* end of file */

	/* Overwrite in the middle across a boundary, then check it all. */
	pattern(out + 120, 50, 99);
	ASSERT_EQ(lseek(fd, 120, SEEK_SET), 120);
	write_all(fd, out + 120, 50);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), (off_t)sizeof(out));
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	read_all(fd, in, sizeof(in));
	EXPECT_EQ(memcmp(in, out, sizeof(out)), 0);
	ioctl(fd, SCULL_IOCRESET);
}

/* Writing past the end leaves a hole that reads back as zeros. */
TEST(hole_reads_as_zeros)
{
	int fd = scull0_with_layout(QUANTUM, QSET);
	unsigned char in[8], zeros[8] = { 0 };

	ASSERT_EQ(lseek(fd, 200, SEEK_SET), 200);
	ASSERT_EQ(write(fd, "z", 1), 1);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 201);
	ASSERT_EQ(lseek(fd, 100, SEEK_SET), 100);
	read_all(fd, in, sizeof(in));
	EXPECT_EQ(memcmp(in, zeros, sizeof(in)), 0);
	ASSERT_EQ(lseek(fd, 200, SEEK_SET), 200);
	EXPECT_EQ(read(fd, in, 8), 1);
	EXPECT_EQ(in[0], 'z');
	ioctl(fd, SCULL_IOCRESET);
}

/* O_WRONLY open empties the device; O_RDWR and O_RDONLY do not. */
TEST(trim_on_write_only_open)
{
	int fd = scull_open(SCULL_MEM, O_WRONLY);
	char buf[8];

	ASSERT_EQ(write(fd, "keep", 4), 4);
	close(fd);

	fd = scull_open(SCULL_MEM, O_RDWR);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 4);
	close(fd);
	fd = scull_open(SCULL_MEM, O_RDONLY);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 4);
	close(fd);

	close(scull_open(SCULL_MEM, O_WRONLY));
	fd = scull_open(SCULL_MEM, O_RDONLY);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 0);
}

/* The layout is adopted at trim time, not on the fly. */
TEST(layout_changes_at_next_trim)
{
	int fd = scull0_with_layout(QUANTUM, QSET);
	int big = 1000;
	char buf[100];

	memset(buf, 'q', sizeof(buf));
	EXPECT_EQ(write(fd, buf, sizeof(buf)), QUANTUM);
	ASSERT_OK(ioctl(fd, SCULL_IOCSQUANTUM, &big));
	EXPECT_EQ(write(fd, buf, sizeof(buf)), QUANTUM);	/* old layout */
	close(fd);
	close(scull_open(SCULL_MEM, O_WRONLY));			/* trim */
	fd = scull_open(SCULL_MEM, O_RDWR);
	EXPECT_EQ(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ioctl(fd, SCULL_IOCRESET);
}

/* llseek refuses negative positions and unknown whence values. */
TEST(llseek_errors)
{
	int fd = scull_open(SCULL_MEM, O_RDONLY);

	EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, -1, SEEK_CUR), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, 42), EINVAL);
	EXPECT_EQ(lseek(fd, 12345, SEEK_SET), 12345);
}

/* The devices are separate: trimming scull0 leaves scull1's data. */
TEST(devices_are_independent)
{
	int fd1 = scull_open("/dev/scull1", O_WRONLY);
	int fd0;
	char buf[8];

	ASSERT_EQ(write(fd1, "one", 3), 3);
	close(fd1);
	fd0 = scull_open("/dev/scull0", O_WRONLY);
	ASSERT_EQ(write(fd0, "zero", 4), 4);
	fd1 = scull_open("/dev/scull1", O_RDONLY);
	EXPECT_EQ(read(fd1, buf, sizeof(buf)), 3);
	EXPECT_EQ(memcmp(buf, "one", 3), 0);
}

/* Pipes have no ioctls. */
TEST(pipe_ioctl_is_enotty)
{
	int fd = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);

	EXPECT_ERRNO(ioctl(fd, SCULL_IOCQQUANTUM), ENOTTY);
}
