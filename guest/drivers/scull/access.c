// SPDX-License-Identifier: GPL-2.0
/*
 * access.c - scull memory devices with an access policy in open():
 *
 *   scullsingle  one open file at a time; any other open gets EBUSY
 *   sculluid     one user at a time: that user (or a CAP_DAC_OVERRIDE
 *                caller) may open it many times, others get EBUSY
 *   scullwuid    like sculluid, but other users sleep in open() until the
 *                current user has closed every file (O_NONBLOCK: EAGAIN)
 *   scullpriv    one private scull device per controlling terminal,
 *                created at its first open, freed at module unload
 *
 * Read, write, llseek and the ioctls are those of scull0 (mem.c).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/wait.h>

#include "scull.h"

/* ---- scullsingle -------------------------------------------------------- */

static struct scull_dev scull_s_dev;
static atomic_t scull_s_available = ATOMIC_INIT(1);

static int scull_s_open(struct inode *inode, struct file *filp)
{
	int err;

	/* Atomically take the only ticket: 1 -> 0, or fail. */
	if (atomic_cmpxchg(&scull_s_available, 1, 0) != 1)
		return -EBUSY;
	err = scull_dev_open(&scull_s_dev, filp);
	if (err)
		atomic_set(&scull_s_available, 1);
	return err;
}

static int scull_s_release(struct inode *inode, struct file *filp)
{
	atomic_set(&scull_s_available, 1);
	return 0;
}

static const struct file_operations scull_s_fops = {
	.owner		= THIS_MODULE,
	.open		= scull_s_open,
	.release	= scull_s_release,
	.read		= scull_read,
	.write		= scull_write,
	.llseek		= scull_llseek,
	.unlocked_ioctl	= scull_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* ---- sculluid and scullwuid ----------------------------------------------- */

/*
 * The two share the bookkeeping: how many files are open and which user
 * owns them. A mutex (not a spinlock) guards it because capable() is
 * called with it held and may do auditing work.
 */
struct scull_uid_state {
	struct scull_dev dev;
	struct mutex lock;	/* protects count and owner */
	int count;		/* open files */
	kuid_t owner;		/* user holding the device while count > 0 */
	wait_queue_head_t wait;	/* scullwuid openers wait for count == 0 */
};

static struct scull_uid_state scull_u, scull_w;

/* May the caller open @st now? Its lock held. */
static bool scull_uid_may_open(struct scull_uid_state *st)
{
	return st->count == 0 ||
	       uid_eq(st->owner, current_uid()) ||
	       uid_eq(st->owner, current_euid()) ||
	       capable(CAP_DAC_OVERRIDE);
}

/* Record the open; undone by scull_uid_put() on failure. Lock held. */
static void scull_uid_get(struct scull_uid_state *st)
{
	if (st->count == 0)
		st->owner = current_uid();
	WRITE_ONCE(st->count, st->count + 1);
}

static void scull_uid_put(struct scull_uid_state *st)
{
	bool free;

	mutex_lock(&st->lock);
	WRITE_ONCE(st->count, st->count - 1);
	free = st->count == 0;
	mutex_unlock(&st->lock);

	/* Let scullwuid openers waiting for another user re-check. */
	if (free)
		wake_up_interruptible(&st->wait);
}

static int scull_uid_finish_open(struct scull_uid_state *st,
				 struct file *filp)
{
	int err = scull_dev_open(&st->dev, filp);

	if (err)
		scull_uid_put(st);
	return err;
}

static int scull_u_open(struct inode *inode, struct file *filp)
{
	mutex_lock(&scull_u.lock);
	if (!scull_uid_may_open(&scull_u)) {
		mutex_unlock(&scull_u.lock);
		return -EBUSY;
	}
	scull_uid_get(&scull_u);
	mutex_unlock(&scull_u.lock);
	return scull_uid_finish_open(&scull_u, filp);
}

static int scull_u_release(struct inode *inode, struct file *filp)
{
	scull_uid_put(&scull_u);
	return 0;
}

static int scull_w_open(struct inode *inode, struct file *filp)
{
	if (mutex_lock_interruptible(&scull_w.lock))
		return -ERESTARTSYS;
	while (!scull_uid_may_open(&scull_w)) {
		/*
		 * Another user holds the device. Sleep without the lock (the
		 * holder's release needs it to decrement count). Only a
		 * count of 0 can end the wait: while count > 0 the owner
		 * does not change, and our credentials do not either.
		 */
		mutex_unlock(&scull_w.lock);
		if (filp->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(scull_w.wait,
					     READ_ONCE(scull_w.count) == 0))
			return -ERESTARTSYS;
		/* Someone else may have grabbed it first: re-check. */
		if (mutex_lock_interruptible(&scull_w.lock))
			return -ERESTARTSYS;
	}
	scull_uid_get(&scull_w);
	mutex_unlock(&scull_w.lock);
	return scull_uid_finish_open(&scull_w, filp);
}

static int scull_w_release(struct inode *inode, struct file *filp)
{
	scull_uid_put(&scull_w);
	return 0;
}

static const struct file_operations scull_u_fops = {
	.owner		= THIS_MODULE,
	.open		= scull_u_open,
	.release	= scull_u_release,
	.read		= scull_read,
	.write		= scull_write,
	.llseek		= scull_llseek,
	.unlocked_ioctl	= scull_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static const struct file_operations scull_w_fops = {
	.owner		= THIS_MODULE,
	.open		= scull_w_open,
	.release	= scull_w_release,
	.read		= scull_read,
	.write		= scull_write,
	.llseek		= scull_llseek,
	.unlocked_ioctl	= scull_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* ---- scullpriv ------------------------------------------------------------ */

/*
 * One scull_dev per controlling terminal. The key is the terminal's
 * device number, taken from current->signal->tty: the number stays valid
 * when the tty_struct itself is freed and reallocated, which a pointer
 * key would not survive.
 */
struct scull_priv_item {
	struct scull_dev dev;
	dev_t key;
	struct list_head list;
};

static struct cdev scull_priv_cdev;
static LIST_HEAD(scull_priv_list);
static DEFINE_MUTEX(scull_priv_lock);	/* protects scull_priv_list */

static struct scull_dev *scull_priv_lookup(dev_t key)
{
	struct scull_priv_item *item;

	list_for_each_entry(item, &scull_priv_list, list)
		if (item->key == key)
			return &item->dev;

	item = kzalloc(sizeof(*item), GFP_KERNEL);
	if (!item)
		return NULL;
	item->key = key;
	scull_dev_init(&item->dev);
	list_add(&item->list, &scull_priv_list);
	return &item->dev;
}

static int scull_priv_open(struct inode *inode, struct file *filp)
{
	struct tty_struct *tty;
	struct scull_dev *dev;
	dev_t key;

	/*
	 * get_current_tty() reads current->signal->tty under the siglock
	 * and takes a reference, so the tty cannot go away under us.
	 */
	tty = get_current_tty();
	if (!tty)
		return -ENXIO;	/* no controlling terminal, no device */
	key = tty_devnum(tty);
	tty_kref_put(tty);

	mutex_lock(&scull_priv_lock);
	dev = scull_priv_lookup(key);
	mutex_unlock(&scull_priv_lock);
	if (!dev)
		return -ENOMEM;
	return scull_dev_open(dev, filp);
}

static const struct file_operations scull_priv_fops = {
	.owner		= THIS_MODULE,
	.open		= scull_priv_open,
	.read		= scull_read,
	.write		= scull_write,
	.llseek		= scull_llseek,
	.unlocked_ioctl	= scull_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static void scull_priv_free_all(void)
{
	struct scull_priv_item *item, *next;

	list_for_each_entry_safe(item, next, &scull_priv_list, list) {
		list_del(&item->list);
		scull_dev_destroy(&item->dev);
		kfree(item);
	}
}

/* ---- set-up and tear-down --------------------------------------------- */

static void scull_uid_state_init(struct scull_uid_state *st,
				 const struct file_operations *fops)
{
	scull_dev_init(&st->dev);
	mutex_init(&st->lock);
	init_waitqueue_head(&st->wait);
	st->count = 0;
	cdev_init(&st->dev.cdev, fops);
	st->dev.cdev.owner = THIS_MODULE;
}

static void scull_uid_state_destroy(struct scull_uid_state *st)
{
	mutex_destroy(&st->lock);
	scull_dev_destroy(&st->dev);
}

int scull_access_init(dev_t first)
{
	int err;

	scull_dev_init(&scull_s_dev);
	cdev_init(&scull_s_dev.cdev, &scull_s_fops);
	scull_s_dev.cdev.owner = THIS_MODULE;
	err = scull_cdev_add(&scull_s_dev.cdev, first, "scullsingle");
	if (err)
		goto fail_single;

	scull_uid_state_init(&scull_u, &scull_u_fops);
	err = scull_cdev_add(&scull_u.dev.cdev, first + 1, "sculluid");
	if (err)
		goto fail_uid;

	scull_uid_state_init(&scull_w, &scull_w_fops);
	err = scull_cdev_add(&scull_w.dev.cdev, first + 2, "scullwuid");
	if (err)
		goto fail_wuid;

	cdev_init(&scull_priv_cdev, &scull_priv_fops);
	scull_priv_cdev.owner = THIS_MODULE;
	err = scull_cdev_add(&scull_priv_cdev, first + 3, "scullpriv");
	if (err)
		goto fail_priv;
	return 0;

fail_priv:
	scull_cdev_del(&scull_w.dev.cdev);
fail_wuid:
	scull_uid_state_destroy(&scull_w);
	scull_cdev_del(&scull_u.dev.cdev);
fail_uid:
	scull_uid_state_destroy(&scull_u);
	scull_cdev_del(&scull_s_dev.cdev);
fail_single:
	scull_dev_destroy(&scull_s_dev);
	return err;
}

void scull_access_exit(void)
{
	scull_cdev_del(&scull_priv_cdev);
	scull_priv_free_all();
	scull_cdev_del(&scull_w.dev.cdev);
	scull_uid_state_destroy(&scull_w);
	scull_cdev_del(&scull_u.dev.cdev);
	scull_uid_state_destroy(&scull_u);
	scull_cdev_del(&scull_s_dev.cdev);
	scull_dev_destroy(&scull_s_dev);
}
