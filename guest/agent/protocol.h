/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine channel between the host and the guest agent (on /dev/hvc0 in
 * v86, ttyS1 without a virtio console).
 * docs/protocol.md is the specification; src/host/core/protocol.ts is the
 * host's side of it. Change all three together.
 *
 * A frame is a 12-byte little-endian header followed by a payload:
 *	u8 magic[2] = "EL", u8 type, u8 reserved (0), u32 id, u32 length
 */
#ifndef EPOLL_LAB_PROTOCOL_H
#define EPOLL_LAB_PROTOCOL_H

#define EL_MAGIC0 'E'
#define EL_MAGIC1 'L'
#define EL_HEADER_SIZE 12
#define EL_MAX_PAYLOAD 65536

/* Host to guest. */
enum {
	EL_EXEC = 0x01,		/* start a command; id names the session */
	EL_STDIN = 0x02,	/* bytes for the session's stdin */
	EL_STDIN_EOF = 0x03,	/* close the session's stdin */
	EL_SIGNAL = 0x04,	/* u32 signo: signal the session's group */
	EL_PING = 0x05,		/* answered by PONG with the same payload */
	EL_RESIZE = 0x06,	/* u16 rows, u16 cols for the console tty */
	EL_SET_TIME = 0x07,	/* i64 seconds, u32 nanoseconds: CLOCK_REALTIME */
	EL_STDIN_FILE = 0x08,	/* u32 bytes, path: stdin bytes in a file of the share */
};

/* Guest to host. */
enum {
	EL_HELLO = 0x81,	/* agent is up; "key=value\n" lines */
	EL_STDOUT = 0x82,
	EL_STDERR = 0x83,
	EL_EXIT = 0x84,		/* i32 status, u32 signal, u32 flags */
	EL_PONG = 0x85,
	EL_KMSG = 0x86,		/* one /dev/kmsg record */
	EL_STDIN_ACK = 0x87,	/* u32 bytes written to the child */
	EL_STARTED = 0x88,	/* u32 pid of the session leader */
	EL_ERROR = 0x89,	/* a request the agent could not act on */
	EL_CHANNEL_ACK = 0x8a,	/* u32 bytes read from the channel since the last */
	EL_STDIN_FILE_DONE = 0x8b,	/* path: a STDIN_FILE's file was read */
};

/* EXEC payload flags. */
#define EL_EXEC_STDIN 0x1	/* stdin frames follow; else /dev/null */

/* EXIT payload flags. */
#define EL_EXIT_TIMED_OUT 0x1

#endif
