// SPDX-License-Identifier: GPL-2.0
/*
 * scull_pipe: LDD3's read/write rules (chapter 6.3.1) and FIFO end-of-file
 * on /dev/scullpipe0. Needs scull.ko loaded; skips otherwise.
 *
 * Every case opens its own files and closes them all when it ends, and
 * scullpipe drops its buffer when the last file closes, so each case
 * starts from an empty pipe.
 */
#include "scull_util.h"

/* A read returns what is there, even if less than asked for. */
TEST(read_returns_what_is_there)
{
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	char buf[100];

	ASSERT_EQ(write(w, "0123456789", 10), 10);
	ASSERT_EQ(read(r, buf, sizeof(buf)), 10);
	EXPECT_EQ(memcmp(buf, "0123456789", 10), 0);
	ASSERT_EQ(write(w, "abc", 3), 3);
	EXPECT_EQ(read(r, buf, 2), 2);
	EXPECT_EQ(read(r, buf + 2, 2), 1);
	EXPECT_EQ(memcmp(buf, "abc", 3), 0);
}

/* With no data a blocking read sleeps until a writer supplies some. */
TEST(blocking_read_waits_for_writer)
{
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	int r = scull_open(SCULL_PIPE, O_RDONLY);
	char buf[100];
	struct scull_bg bg = { .op = BG_READ, .fd = r, .buf = buf,
			       .len = sizeof(buf) };

	scull_bg_start_blocked(&bg);
	ASSERT_EQ(write(w, "hello", 5), 5);
	scull_bg_join(&bg);
	EXPECT_EQ(bg.ret, 5);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);
}

/* O_NONBLOCK read on an empty pipe: EAGAIN, whether a writer is open or not. */
TEST(nonblock_read_empty_is_eagain)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w;
	char c;

	EXPECT_ERRNO(read(r, &c, 1), EAGAIN);	/* no writer yet */
	w = scull_open(SCULL_PIPE, O_WRONLY);
	EXPECT_ERRNO(read(r, &c, 1), EAGAIN);	/* a writer, no data */
	close(w);
}

/* The buffer holds scull_p_buffer bytes; then O_NONBLOCK write: EAGAIN. */
TEST(nonblock_write_full_is_eagain)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY);
	int w = scull_open(SCULL_PIPE, O_WRONLY | O_NONBLOCK);
	int size = scull_param("scull_p_buffer");
	long filled = scull_fill(w);

	ASSERT_GT(filled, 0);
	if (size > 0)
		EXPECT_EQ(filled, size);
	EXPECT_ERRNO(write(w, "x", 1), EAGAIN);
	EXPECT_FALSE(scull_revents(w, POLLOUT) & POLLOUT);
	close(r);
}

/* With less room than asked a write takes part of it (at least 1 byte). */
TEST(write_with_little_room_is_partial)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY);
	int w = scull_open(SCULL_PIPE, O_WRONLY | O_NONBLOCK);
	char buf[100];
	ssize_t n;

	memset(buf, 'p', sizeof(buf));
	ASSERT_GT(scull_fill(w), 10);
	ASSERT_EQ(read(r, buf, 10), 10);	/* make 10 bytes of room */
	n = write(w, buf, sizeof(buf));
	EXPECT_GE(n, 1);
	EXPECT_LE(n, 10);
	if (n == 10)				/* then it is full again */
		EXPECT_ERRNO(write(w, buf, 1), EAGAIN);
}

/* A blocking write on a full pipe sleeps until a reader makes room. */
TEST(blocking_write_waits_for_room)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	char buf[100];
	struct scull_bg bg = { .op = BG_WRITE, .fd = w, .buf = buf,
			       .len = sizeof(buf) };

	memset(buf, 'b', sizeof(buf));
	ASSERT_GT(scull_fill(w), 0);
	scull_bg_start_blocked(&bg);
	ASSERT_EQ(read(r, buf, 50), 50);
	scull_bg_join(&bg);
	EXPECT_GE(bg.ret, 1);
	EXPECT_LE(bg.ret, 50);
}

/* After the last writer closes: data first, then read 0 and POLLHUP. */
TEST(eof_after_last_writer_closes)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	char buf[16];

	ASSERT_EQ(write(w, "end", 3), 3);
	EXPECT_FALSE(scull_revents(r, POLLIN) & POLLHUP);
	close(w);
	/* Buffered data is still delivered, with POLLIN alongside POLLHUP. */
	EXPECT_EQ(scull_revents(r, POLLIN), POLLIN | POLLHUP);
	EXPECT_EQ(read(r, buf, sizeof(buf)), 3);
	EXPECT_EQ(read(r, buf, sizeof(buf)), 0);
	EXPECT_EQ(read(r, buf, sizeof(buf)), 0);
	EXPECT_EQ(scull_revents(r, POLLIN), POLLHUP);
}

/* EOF does not depend on O_NONBLOCK: a blocking read returns 0 too. */
TEST(blocking_read_at_eof_returns_0)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	char c;

	close(w);
	EXPECT_EQ(read(r, &c, 1), 0);
}

/*
 * The FIFO rule: a reader that opened before any writer does not see
 * end of file (no POLLHUP, and EAGAIN rather than 0) until a writer has
 * come and gone.
 */
TEST(reader_before_writer_sees_no_hup)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w;
	char c;

	EXPECT_FALSE(scull_revents(r, POLLIN) & (POLLHUP | POLLIN));
	EXPECT_ERRNO(read(r, &c, 1), EAGAIN);

	w = scull_open(SCULL_PIPE, O_WRONLY);
	EXPECT_FALSE(scull_revents(r, POLLIN) & POLLHUP);
	close(w);
	EXPECT_TRUE(scull_revents(r, POLLIN) & POLLHUP);
	EXPECT_EQ(read(r, &c, 1), 0);
}

/* A blocking reader that came first waits; a writer that leaves ends it. */
TEST(early_blocking_reader_woken_by_writer_close)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY);
	char buf[8];
	struct scull_bg bg = { .op = BG_READ, .fd = r, .buf = buf,
			       .len = sizeof(buf) };
	int w;

	scull_bg_start_blocked(&bg);	/* no writer: it must not see EOF */
	w = scull_open(SCULL_PIPE, O_WRONLY);
	ASSERT_SLEEPING(bg.tid);	/* a writer arriving changes nothing */
	close(w);			/* ... its leaving is end of file */
	scull_bg_join(&bg);
	EXPECT_EQ(bg.ret, 0);
}

/* A new writer ends the hang-up for readers that saw one. */
TEST(new_writer_clears_hup)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	char c;

	close(w);
	ASSERT_TRUE(scull_revents(r, POLLIN) & POLLHUP);
	w = scull_open(SCULL_PIPE, O_WRONLY);
	EXPECT_FALSE(scull_revents(r, POLLIN) & POLLHUP);
	EXPECT_ERRNO(read(r, &c, 1), EAGAIN);
	close(w);
}

/* An O_RDWR file is its own writer: it never sees end of file. */
TEST(rdwr_file_never_sees_hup)
{
	int rw = scull_open(SCULL_PIPE, O_RDWR | O_NONBLOCK);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	char c;

	close(w);
	EXPECT_FALSE(scull_revents(rw, POLLIN) & POLLHUP);
	EXPECT_ERRNO(read(rw, &c, 1), EAGAIN);
	EXPECT_EQ(write(rw, "s", 1), 1);
	EXPECT_EQ(read(rw, &c, 1), 1);
}

/* Like a FIFO, data nobody has open any more is gone. */
TEST(data_dropped_after_last_close)
{
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	int r;
	char c;

	ASSERT_EQ(write(w, "lost", 4), 4);
	close(w);
	r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	EXPECT_ERRNO(read(r, &c, 1), EAGAIN);
}

/* A pipe is a stream: no seeking, no pread. */
TEST(lseek_is_espipe)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY | O_NONBLOCK);
	char c;

	EXPECT_ERRNO(lseek(r, 0, SEEK_SET), ESPIPE);
	EXPECT_ERRNO(pread(r, &c, 1, 0), ESPIPE);
}

/* fsync() with nothing buffered returns at once. */
TEST(fsync_empty_returns_at_once)
{
	int w = scull_open(SCULL_PIPE, O_WRONLY);

	EXPECT_OK(fsync(w));
}

/* fsync() sleeps until readers have drained everything. */
TEST(fsync_blocks_until_drained)
{
	int r = scull_open(SCULL_PIPE, O_RDONLY);
	int w = scull_open(SCULL_PIPE, O_WRONLY);
	struct scull_bg bg = { .op = BG_FSYNC, .fd = w };
	char buf[10];

	ASSERT_EQ(write(w, "0123456789", 10), 10);
	scull_bg_start_blocked(&bg);

	ASSERT_EQ(read(r, buf, 4), 4);
	/* Woken by the read, it must find data left and sleep again. */
	ASSERT_SLEEPING(bg.tid);
	EXPECT_FALSE(__atomic_load_n(&bg.done, __ATOMIC_SEQ_CST));

	ASSERT_EQ(read(r, buf, sizeof(buf)), 6);
	scull_bg_join(&bg);
	EXPECT_EQ(bg.ret, 0);
}

/* Several pipes are independent devices. */
TEST(pipes_are_independent)
{
	int w0 = scull_open("/dev/scullpipe0", O_WRONLY);
	int r1 = scull_open("/dev/scullpipe1", O_RDONLY | O_NONBLOCK);
	int w1 = scull_open("/dev/scullpipe1", O_WRONLY);
	char c;

	ASSERT_EQ(write(w0, "0", 1), 1);
	EXPECT_ERRNO(read(r1, &c, 1), EAGAIN);
	close(w1);
}
