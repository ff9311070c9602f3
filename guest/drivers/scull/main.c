// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - scull module set-up: parameters, the char device region, the
 * "scull" class that makes the /dev nodes appear, and the init/exit order.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>

#include "scull.h"

int scull_major;		/* 0: let the kernel pick a major */
int scull_nr_devs = 4;
int scull_quantum = SCULL_QUANTUM_DEFAULT;
int scull_qset = SCULL_QSET_DEFAULT;
int scull_p_nr_devs = 4;
int scull_p_buffer = 4000;

/*
 * Read-only in sysfs: scull_major shows the major actually used, and
 * scull_quantum/scull_qset show the values the ioctls last set.
 */
module_param(scull_major, int, 0444);
MODULE_PARM_DESC(scull_major, "Major number (0 = dynamic)");
module_param(scull_nr_devs, int, 0444);
MODULE_PARM_DESC(scull_nr_devs, "Number of scull memory devices (0-32)");
module_param(scull_quantum, int, 0444);
MODULE_PARM_DESC(scull_quantum, "Bytes per quantum of a memory device");
module_param(scull_qset, int, 0444);
MODULE_PARM_DESC(scull_qset, "Quanta per qset of a memory device");
module_param(scull_p_nr_devs, int, 0444);
MODULE_PARM_DESC(scull_p_nr_devs, "Number of scullpipe devices (0-32)");
module_param(scull_p_buffer, int, 0444);
MODULE_PARM_DESC(scull_p_buffer, "Bytes of buffer per scullpipe device");

struct class *scull_class;

static dev_t scull_first;	/* first dev_t of our region */
static unsigned int scull_count;	/* minors in our region */

/*
 * Give every node mode 0666 so tests running as an ordinary user (the
 * sculluid family) can open them. devtmpfs asks the class for the mode.
 * The callback's device argument became const in Linux 6.2.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static char *scull_devnode(const struct device *dev, umode_t *mode)
#else
static char *scull_devnode(struct device *dev, umode_t *mode)
#endif
{
	if (mode)
		*mode = 0666;
	return NULL;	/* NULL: the node is named after the device */
}

int scull_cdev_add(struct cdev *cdev, dev_t devt, const char *name)
{
	struct device *device;
	int err;

	/* The device is live as soon as cdev_add() returns: set up first. */
	err = cdev_add(cdev, devt, 1);
	if (err)
		return err;

	/* device_create() makes devtmpfs create /dev/<name> before it returns. */
	device = device_create(scull_class, NULL, devt, NULL, "%s", name);
	if (IS_ERR(device)) {
		cdev_del(cdev);
		return PTR_ERR(device);
	}
	return 0;
}

void scull_cdev_del(struct cdev *cdev)
{
	device_destroy(scull_class, cdev->dev);
	cdev_del(cdev);
}

static bool scull_params_valid(void)
{
	return scull_nr_devs >= 0 && scull_nr_devs <= 32 &&
	       scull_p_nr_devs >= 0 && scull_p_nr_devs <= 32 &&
	       scull_quantum > 0 && scull_quantum <= SCULL_QUANTUM_MAX &&
	       scull_qset > 0 && scull_qset <= SCULL_QSET_MAX &&
	       scull_p_buffer > 0 && scull_p_buffer <= (1 << 20) &&
	       scull_major >= 0 && scull_major < (1 << (32 - MINORBITS));
}

static int __init scull_init(void)
{
	dev_t first;
	int err;

	if (!scull_params_valid())
		return -EINVAL;

	scull_count = scull_nr_devs + scull_p_nr_devs + SCULL_ACCESS_NR_DEVS;
	if (scull_major) {
		first = MKDEV(scull_major, 0);
		err = register_chrdev_region(first, scull_count, "scull");
	} else {
		err = alloc_chrdev_region(&first, 0, scull_count, "scull");
	}
	if (err)
		return err;
	scull_first = first;
	scull_major = MAJOR(first);

	/* class_create() lost its module argument in Linux 6.4. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	scull_class = class_create("scull");
#else
	scull_class = class_create(THIS_MODULE, "scull");
#endif
	if (IS_ERR(scull_class)) {
		err = PTR_ERR(scull_class);
		goto fail_class;
	}
	scull_class->devnode = scull_devnode;

	err = scull_mem_init(first);
	if (err)
		goto fail_mem;
	first += scull_nr_devs;

	err = scull_pipe_init(first);
	if (err)
		goto fail_pipe;
	first += scull_p_nr_devs;

	err = scull_access_init(first);
	if (err)
		goto fail_access;

	pr_info("scull: major %d, %d memory, %d pipe, %d access devices\n",
		scull_major, scull_nr_devs, scull_p_nr_devs,
		SCULL_ACCESS_NR_DEVS);
	return 0;

	/* Undo in the reverse order of the set-up above. */
fail_access:
	scull_pipe_exit();
fail_pipe:
	scull_mem_exit();
fail_mem:
	class_destroy(scull_class);
fail_class:
	unregister_chrdev_region(scull_first, scull_count);
	return err;
}

/*
 * Only runs when no scull file is open: every file holds a reference on
 * the module through fops->owner, so delete_module() fails with
 * EWOULDBLOCK (== EAGAIN) until the last one is closed.
 */
static void __exit scull_exit(void)
{
	scull_access_exit();
	scull_pipe_exit();
	scull_mem_exit();
	class_destroy(scull_class);
	unregister_chrdev_region(scull_first, scull_count);
}

module_init(scull_init);
module_exit(scull_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("scull: LDD3's char drivers rewritten for epoll-lab");
MODULE_AUTHOR("epoll-lab");
