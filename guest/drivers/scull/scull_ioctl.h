/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * scull_ioctl.h - ioctl commands of the scull memory devices.
 *
 * Shared by the driver and by user space (guest/tests/scull_*.c include it
 * with -I guest/drivers/scull), so it only uses <linux/ioctl.h>.
 *
 * The quantum (bytes per allocation unit) and the qset (quanta per list
 * node) are module-wide values, exactly the scull_quantum and scull_qset
 * module parameters (also readable in /sys/module/scull/parameters/).
 * As in LDD3, a device adopts the current values when it is trimmed, that
 * is when it is opened write-only (O_WRONLY), so changing the values never
 * reshuffles data already stored. Setting requires CAP_SYS_ADMIN (EPERM
 * otherwise); values outside 1..SCULL_QUANTUM_MAX / 1..SCULL_QSET_MAX
 * give EINVAL.
 *
 * Naming, after LDD3: S = "set" through a pointer, T = "tell" by value,
 * G = "get" through a pointer, Q = "query" in the return value,
 * X = "exchange" through a pointer (set, and store the old value there).
 */
#ifndef SCULL_IOCTL_H
#define SCULL_IOCTL_H

#include <linux/ioctl.h>

/* 'k' as LDD3 suggests; Documentation/userspace-api/ioctl/ioctl-number.rst */
#define SCULL_IOC_MAGIC		'k'

/* Reset quantum and qset to the compiled-in defaults. */
#define SCULL_IOCRESET		_IO(SCULL_IOC_MAGIC, 0)

#define SCULL_IOCSQUANTUM	_IOW(SCULL_IOC_MAGIC, 1, int)
#define SCULL_IOCSQSET		_IOW(SCULL_IOC_MAGIC, 2, int)
#define SCULL_IOCTQUANTUM	_IO(SCULL_IOC_MAGIC, 3)
#define SCULL_IOCTQSET		_IO(SCULL_IOC_MAGIC, 4)
#define SCULL_IOCGQUANTUM	_IOR(SCULL_IOC_MAGIC, 5, int)
#define SCULL_IOCGQSET		_IOR(SCULL_IOC_MAGIC, 6, int)
#define SCULL_IOCQQUANTUM	_IO(SCULL_IOC_MAGIC, 7)
#define SCULL_IOCQQSET		_IO(SCULL_IOC_MAGIC, 8)
#define SCULL_IOCXQUANTUM	_IOWR(SCULL_IOC_MAGIC, 9, int)
#define SCULL_IOCXQSET		_IOWR(SCULL_IOC_MAGIC, 10, int)

#define SCULL_IOC_MAXNR		10

/* Compiled-in defaults (what SCULL_IOCRESET restores) and limits. */
#define SCULL_QUANTUM_DEFAULT	4000
#define SCULL_QSET_DEFAULT	1000
#define SCULL_QUANTUM_MAX	(1 << 20)
#define SCULL_QSET_MAX		(1 << 16)

#endif /* SCULL_IOCTL_H */
