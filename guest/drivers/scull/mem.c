// SPDX-License-Identifier: GPL-2.0
/*
 * mem.c - scull0..N-1: a global, persistent memory area per device.
 *
 * Data lives in a list of qsets (see scull.h) that grows on write and is
 * freed ("trimmed") when the device is opened write-only. Reads and writes
 * move at most one quantum per call, so callers see short transfers at
 * quantum boundaries, which LDD3's read/write rules allow.
 *
 * There is deliberately no poll method: such a file is always "ready", and
 * epoll_ctl(EPOLL_CTL_ADD) refuses it with EPERM.
 */
#include <linux/capability.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "scull.h"

/*
 * Longest list a write may build. Without a limit, a seek far beyond the
 * end followed by a write would walk (and allocate) an unbounded list.
 */
#define SCULL_MAX_QSETS 65536

static struct scull_dev *scull_devices;	/* scull_nr_devs of them */

/* Free all data and adopt the current module-wide layout. Lock held. */
static void scull_trim(struct scull_dev *dev)
{
	struct scull_qset *dptr, *next;
	int i;

	for (dptr = dev->data; dptr; dptr = next) {
		if (dptr->data) {
			for (i = 0; i < dev->qset; i++)
				kfree(dptr->data[i]);
			kfree(dptr->data);
		}
		next = dptr->next;
		kfree(dptr);
	}
	dev->data = NULL;
	dev->size = 0;
	/* The ioctls may change these at any time; read each once. */
	dev->quantum = READ_ONCE(scull_quantum);
	dev->qset = READ_ONCE(scull_qset);
}

void scull_dev_init(struct scull_dev *dev)
{
	mutex_init(&dev->lock);
	dev->data = NULL;
	scull_trim(dev);
}

void scull_dev_destroy(struct scull_dev *dev)
{
	scull_trim(dev);
	mutex_destroy(&dev->lock);
}

/*
 * Return list node @n, allocating missing nodes on the way if @alloc.
 * Lock held.
 */
static struct scull_qset *scull_follow(struct scull_dev *dev, u64 n,
				       bool alloc)
{
	struct scull_qset **pp = &dev->data;

	for (;;) {
		if (!*pp) {
			if (!alloc)
				return NULL;
			*pp = kzalloc(sizeof(**pp), GFP_KERNEL);
			if (!*pp)
				return NULL;
		}
		if (!n--)
			return *pp;
		pp = &(*pp)->next;
	}
}

/*
 * Split a file position into list node, quantum index within the node and
 * byte offset within the quantum. The 64-bit divisions go through the
 * math64 helpers: a 32-bit kernel has no native 64-bit division.
 */
static void scull_locate(struct scull_dev *dev, loff_t pos, u64 *item,
			 int *s_pos, int *q_pos)
{
	u64 itemsize = (u64)dev->quantum * dev->qset;
	u64 rest;
	u32 q;

	*item = div64_u64_rem(pos, itemsize, &rest);
	*s_pos = div_u64_rem(rest, dev->quantum, &q);
	*q_pos = q;
}

int scull_dev_open(struct scull_dev *dev, struct file *filp)
{
	filp->private_data = dev;

	/* Opening write-only truncates the device, like O_TRUNC would. */
	if ((filp->f_flags & O_ACCMODE) == O_WRONLY) {
		if (mutex_lock_interruptible(&dev->lock))
			return -ERESTARTSYS;
		scull_trim(dev);
		mutex_unlock(&dev->lock);
	}
	return 0;
}

static int scull_open(struct inode *inode, struct file *filp)
{
	struct scull_dev *dev = container_of(inode->i_cdev, struct scull_dev,
					     cdev);

	return scull_dev_open(dev, filp);
}

ssize_t scull_read(struct file *filp, char __user *buf, size_t count,
		   loff_t *f_pos)
{
	struct scull_dev *dev = filp->private_data;
	struct scull_qset *dptr;
	int s_pos, q_pos;
	ssize_t ret = 0;
	u64 item;

	if (mutex_lock_interruptible(&dev->lock))
		return -ERESTARTSYS;
	if (*f_pos >= dev->size)
		goto out;			/* end of file */
	if (count > dev->size - *f_pos)
		count = dev->size - *f_pos;

	scull_locate(dev, *f_pos, &item, &s_pos, &q_pos);
	/* Stop at the end of this quantum: a short read is allowed. */
	count = min_t(size_t, count, dev->quantum - q_pos);

	dptr = scull_follow(dev, item, false);
	if (dptr && dptr->data && dptr->data[s_pos]) {
		if (copy_to_user(buf, dptr->data[s_pos] + q_pos, count)) {
			ret = -EFAULT;
			goto out;
		}
	} else if (clear_user(buf, count)) {	/* a hole reads as zeros */
		ret = -EFAULT;
		goto out;
	}
	*f_pos += count;
	ret = count;
out:
	mutex_unlock(&dev->lock);
	return ret;
}

ssize_t scull_write(struct file *filp, const char __user *buf, size_t count,
		    loff_t *f_pos)
{
	struct scull_dev *dev = filp->private_data;
	struct scull_qset *dptr;
	int s_pos, q_pos;
	ssize_t ret = -ENOMEM;
	u64 item;

	if (mutex_lock_interruptible(&dev->lock))
		return -ERESTARTSYS;

	scull_locate(dev, *f_pos, &item, &s_pos, &q_pos);
	if (item >= SCULL_MAX_QSETS) {
		ret = -EFBIG;
		goto out;
	}
	dptr = scull_follow(dev, item, true);
	if (!dptr)
		goto out;
	if (!dptr->data) {
		dptr->data = kcalloc(dev->qset, sizeof(*dptr->data),
				     GFP_KERNEL);
		if (!dptr->data)
			goto out;
	}
	if (!dptr->data[s_pos]) {
		/* Zeroed, so bytes skipped by a seek read back as zeros. */
		dptr->data[s_pos] = kzalloc(dev->quantum, GFP_KERNEL);
		if (!dptr->data[s_pos])
			goto out;
	}
	/* Stop at the end of this quantum: a short write is allowed. */
	count = min_t(size_t, count, dev->quantum - q_pos);
	if (copy_from_user(dptr->data[s_pos] + q_pos, buf, count)) {
		ret = -EFAULT;
		goto out;
	}
	*f_pos += count;
	ret = count;
	if (dev->size < *f_pos)
		dev->size = *f_pos;
out:
	mutex_unlock(&dev->lock);
	return ret;
}

loff_t scull_llseek(struct file *filp, loff_t off, int whence)
{
	struct scull_dev *dev = filp->private_data;
	loff_t base, newpos;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = filp->f_pos;
		break;
	case SEEK_END:
		if (mutex_lock_interruptible(&dev->lock))
			return -ERESTARTSYS;
		base = dev->size;
		mutex_unlock(&dev->lock);
		break;
	default:
		return -EINVAL;
	}
	if (check_add_overflow(base, off, &newpos) || newpos < 0)
		return -EINVAL;
	filp->f_pos = newpos;
	return newpos;
}

static bool scull_quantum_valid(long val)
{
	return val > 0 && val <= SCULL_QUANTUM_MAX;
}

static bool scull_qset_valid(long val)
{
	return val > 0 && val <= SCULL_QSET_MAX;
}

/*
 * The ioctls act on the module-wide scull_quantum/scull_qset (see
 * scull_ioctl.h). Plain int stores are enough for set and get; exchange
 * uses xchg() so two exchangers each get a distinct old value.
 */
long scull_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	int __user *uarg = (int __user *)arg;
	int val, err;

	/* Not ours: ENOTTY is what "wrong ioctl for this device" means. */
	if (_IOC_TYPE(cmd) != SCULL_IOC_MAGIC || _IOC_NR(cmd) > SCULL_IOC_MAXNR)
		return -ENOTTY;

	switch (cmd) {
	case SCULL_IOCRESET:
	case SCULL_IOCSQUANTUM:
	case SCULL_IOCSQSET:
	case SCULL_IOCTQUANTUM:
	case SCULL_IOCTQSET:
	case SCULL_IOCXQUANTUM:
	case SCULL_IOCXQSET:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		break;
	}

	switch (cmd) {
	case SCULL_IOCRESET:
		WRITE_ONCE(scull_quantum, SCULL_QUANTUM_DEFAULT);
		WRITE_ONCE(scull_qset, SCULL_QSET_DEFAULT);
		return 0;

	case SCULL_IOCSQUANTUM:
	case SCULL_IOCSQSET:
	case SCULL_IOCXQUANTUM:
	case SCULL_IOCXQSET:
		/* get_user() checks that the pointer is a user address. */
		err = get_user(val, uarg);
		if (err)
			return err;
		if (cmd == SCULL_IOCSQUANTUM || cmd == SCULL_IOCXQUANTUM) {
			if (!scull_quantum_valid(val))
				return -EINVAL;
			if (cmd == SCULL_IOCSQUANTUM) {
				WRITE_ONCE(scull_quantum, val);
				return 0;
			}
			return put_user(xchg(&scull_quantum, val), uarg);
		}
		if (!scull_qset_valid(val))
			return -EINVAL;
		if (cmd == SCULL_IOCSQSET) {
			WRITE_ONCE(scull_qset, val);
			return 0;
		}
		return put_user(xchg(&scull_qset, val), uarg);

	case SCULL_IOCTQUANTUM:		/* the value is the argument itself */
		if (arg > INT_MAX || !scull_quantum_valid(arg))
			return -EINVAL;
		WRITE_ONCE(scull_quantum, arg);
		return 0;
	case SCULL_IOCTQSET:
		if (arg > INT_MAX || !scull_qset_valid(arg))
			return -EINVAL;
		WRITE_ONCE(scull_qset, arg);
		return 0;

	case SCULL_IOCGQUANTUM:
		return put_user(READ_ONCE(scull_quantum), uarg);
	case SCULL_IOCGQSET:
		return put_user(READ_ONCE(scull_qset), uarg);

	case SCULL_IOCQQUANTUM:		/* positive return value */
		return READ_ONCE(scull_quantum);
	case SCULL_IOCQQSET:
		return READ_ONCE(scull_qset);
	}
	return -ENOTTY;
}

static const struct file_operations scull_fops = {
	.owner		= THIS_MODULE,	/* pins the module while open */
	.open		= scull_open,
	.read		= scull_read,
	.write		= scull_write,
	.llseek		= scull_llseek,
	.unlocked_ioctl	= scull_ioctl,
	/*
	 * A 64-bit kernel with 32-bit callers: the pointer ioctls pass
	 * through as is; the by-value ones too on every architecture but
	 * s390. NULL when the kernel has no CONFIG_COMPAT.
	 */
	.compat_ioctl	= compat_ptr_ioctl,
	/* no .poll: see the comment at the top */
};

int scull_mem_init(dev_t first)
{
	char name[24];	/* "scull" and any int: W=1 (7.2) checks it */
	int i, err;

	scull_devices = kcalloc(scull_nr_devs, sizeof(*scull_devices),
				GFP_KERNEL);
	if (!scull_devices && scull_nr_devs)
		return -ENOMEM;

	for (i = 0; i < scull_nr_devs; i++) {
		struct scull_dev *dev = &scull_devices[i];

		scull_dev_init(dev);
		cdev_init(&dev->cdev, &scull_fops);
		dev->cdev.owner = THIS_MODULE;
		snprintf(name, sizeof(name), "scull%d", i);
		err = scull_cdev_add(&dev->cdev, first + i, name);
		if (err) {
			scull_dev_destroy(dev);
			goto fail;
		}
	}
	return 0;

fail:
	while (--i >= 0) {
		scull_cdev_del(&scull_devices[i].cdev);
		scull_dev_destroy(&scull_devices[i]);
	}
	kfree(scull_devices);
	return err;
}

void scull_mem_exit(void)
{
	int i;

	for (i = scull_nr_devs - 1; i >= 0; i--) {
		scull_cdev_del(&scull_devices[i].cdev);
		scull_dev_destroy(&scull_devices[i]);
	}
	kfree(scull_devices);
}
