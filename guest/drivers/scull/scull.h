/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scull.h - what the parts of scull.ko share.
 *
 * scull.ko is one module built from four files:
 *   main.c    module parameters, the char device region, the class
 *   mem.c     scull0..N-1: memory devices made of quantum/qset lists
 *   pipe.c    scullpipe0..N-1: blocking FIFOs with poll, fasync, fsync
 *   access.c  scullsingle, sculluid, scullwuid, scullpriv
 *
 * All devices share one char device region named "scull" in
 * /proc/devices. Minors are handed out in that order: scullN first, then
 * scullpipeN, then the four access-control devices.
 */
#ifndef SCULL_H
#define SCULL_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/version.h>

#include "scull_ioctl.h"

/* Module parameters (main.c). */
extern int scull_major;
extern int scull_nr_devs;
extern int scull_quantum;	/* changed at run time by the ioctls */
extern int scull_qset;		/* changed at run time by the ioctls */
extern int scull_p_nr_devs;
extern int scull_p_buffer;

/* The class every scull device node belongs to (main.c). */
extern struct class *scull_class;

/*
 * A memory device keeps its data in a list of qsets. Each qset node
 * points to an array of @qset pointers, each to a @quantum-byte area:
 *
 *   dev->data -> [qset] -> [qset] -> NULL
 *                  |
 *                  data[0] -> quantum bytes
 *                  data[1] -> quantum bytes ...
 *
 * Areas are allocated on first write, so a device only holds what has
 * been written to it (unwritten holes read back as zeros).
 */
struct scull_qset {
	void **data;
	struct scull_qset *next;
};

struct scull_dev {
	struct scull_qset *data;	/* first list node, NULL if empty */
	int quantum;			/* layout in use until the next trim */
	int qset;
	loff_t size;			/* bytes stored (highest offset written) */
	struct mutex lock;		/* protects all the fields above */
	struct cdev cdev;		/* unused by the scullpriv instances */
};

/* mem.c: the plain memory devices and the operations access.c reuses. */
int scull_mem_init(dev_t first);
void scull_mem_exit(void);
void scull_dev_init(struct scull_dev *dev);
void scull_dev_destroy(struct scull_dev *dev);
int scull_dev_open(struct scull_dev *dev, struct file *filp);
ssize_t scull_read(struct file *filp, char __user *buf, size_t count,
		   loff_t *f_pos);
ssize_t scull_write(struct file *filp, const char __user *buf, size_t count,
		    loff_t *f_pos);
loff_t scull_llseek(struct file *filp, loff_t off, int whence);
long scull_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);

/* pipe.c */
int scull_pipe_init(dev_t first);
void scull_pipe_exit(void);

/* access.c: four devices, minors first .. first + 3 */
#define SCULL_ACCESS_NR_DEVS 4
int scull_access_init(dev_t first);
void scull_access_exit(void);

/*
 * Add @cdev (already initialised with cdev_init()) at @devt and create its
 * /dev node; undo with scull_cdev_del(). Both in main.c.
 */
int scull_cdev_add(struct cdev *cdev, dev_t devt, const char *name);
void scull_cdev_del(struct cdev *cdev);

#endif /* SCULL_H */
