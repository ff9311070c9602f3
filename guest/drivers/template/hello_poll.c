// SPDX-License-Identifier: GPL-2.0
/*
 * hello_poll.c - the smallest useful pollable char device: start here.
 *
 * /dev/hello_poll holds up to HELLO_SIZE bytes. write() appends what fits,
 * read() takes bytes out from the front. Both block when they cannot make
 * progress (or fail with EAGAIN under O_NONBLOCK), and poll/select/epoll
 * report EPOLLIN while there are bytes and EPOLLOUT while there is room.
 *
 * Build:  make -C <kernel tree> ARCH=i386 CROSS_COMPILE=i686-linux-gnu- M=$PWD modules
 *         (or just `make`)
 * Load:   insmod hello_poll.ko      the node appears as /dev/hello_poll
 * Try:    echo hi > /dev/hello_poll; cat /dev/hello_poll
 * Test:   guest/drivers/template/test_hello_poll.c
 *
 * Ideas to try: make HELLO_SIZE a module parameter; report EPOLLPRI when
 * the buffer is full; wake with plain wake_up_interruptible() (no key) and
 * watch an edge-triggered EPOLLOUT watcher get an event from every write
 * (guest/tests/scull_poll.c, epoll_wakeup_keys_filter_events, shows it).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#define HELLO_SIZE 16

/*
 * One device, so plain statics. @lock protects @buf and @len and is a
 * mutex because copy_to_user()/copy_from_user() may sleep while we hold
 * it. @wq is where blocked readers, blocked writers and poll/epoll wait.
 */
static DEFINE_MUTEX(hello_lock);
static char hello_buf[HELLO_SIZE];
static size_t hello_len;
static DECLARE_WAIT_QUEUE_HEAD(hello_wq);

/* Lockless peeks for wait_event(): the caller re-checks under the lock. */
static bool hello_readable(void)
{
	return READ_ONCE(hello_len) > 0;
}

static bool hello_writable(void)
{
	return READ_ONCE(hello_len) < HELLO_SIZE;
}

static ssize_t hello_read(struct file *filp, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	if (!count)
		return 0;
	if (mutex_lock_interruptible(&hello_lock))
		return -ERESTARTSYS;
	while (!hello_len) {
		/*
		 * Never sleep holding the lock: the writer that would wake
		 * us needs it to put the data in.
		 */
		mutex_unlock(&hello_lock);
		if (filp->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(hello_wq, hello_readable()))
			return -ERESTARTSYS;	/* interrupted by a signal */
		if (mutex_lock_interruptible(&hello_lock))
			return -ERESTARTSYS;
	}
	count = min(count, hello_len);
	if (copy_to_user(ubuf, hello_buf, count)) {
		mutex_unlock(&hello_lock);
		return -EFAULT;
	}
	memmove(hello_buf, hello_buf + count, hello_len - count);
	WRITE_ONCE(hello_len, hello_len - count);
	mutex_unlock(&hello_lock);

	/*
	 * There is room now. The key (EPOLLOUT) lets epoll skip watchers
	 * that only asked for EPOLLIN; blocked writers are woken regardless.
	 */
	wake_up_interruptible_poll(&hello_wq, EPOLLOUT | EPOLLWRNORM);
	return count;
}

static ssize_t hello_write(struct file *filp, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	if (!count)
		return 0;
	if (mutex_lock_interruptible(&hello_lock))
		return -ERESTARTSYS;
	while (hello_len == HELLO_SIZE) {
		mutex_unlock(&hello_lock);
		if (filp->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(hello_wq, hello_writable()))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&hello_lock))
			return -ERESTARTSYS;
	}
	/* Take what fits: a short write is fine as long as it is >= 1. */
	count = min(count, HELLO_SIZE - hello_len);
	if (copy_from_user(hello_buf + hello_len, ubuf, count)) {
		mutex_unlock(&hello_lock);
		return -EFAULT;
	}
	WRITE_ONCE(hello_len, hello_len + count);
	mutex_unlock(&hello_lock);

	wake_up_interruptible_poll(&hello_wq, EPOLLIN | EPOLLRDNORM);
	return count;
}

static __poll_t hello_poll(struct file *filp, poll_table *wait)
{
	__poll_t mask = 0;

	/*
	 * First put the caller on the wait queue, then look at the state.
	 * In that order a write that lands right after our check still
	 * finds the caller on hello_wq and wakes it. poll_wait() itself
	 * never sleeps: poll/select sleep after every file was asked, and
	 * epoll keeps the entry from EPOLL_CTL_ADD until EPOLL_CTL_DEL.
	 */
	poll_wait(filp, &hello_wq, wait);

	mutex_lock(&hello_lock);
	if (hello_len)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (hello_len < HELLO_SIZE)
		mask |= EPOLLOUT | EPOLLWRNORM;
	mutex_unlock(&hello_lock);
	return mask;
}

static const struct file_operations hello_fops = {
	.owner		= THIS_MODULE,	/* no unload while a file is open */
	.read		= hello_read,
	.write		= hello_write,
	.poll		= hello_poll,
	/* A stream: misc_open() keeps our fops; lseek fails with ESPIPE. */
	.open		= stream_open,
};

/*
 * A misc device is the shortest way to a char device: one fixed major
 * (10), a dynamic minor, and the /dev node created for us. ../scull shows
 * the longer way: a chrdev region, cdevs and a class of its own.
 */
static struct miscdevice hello_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "hello_poll",
	.fops	= &hello_fops,
	.mode	= 0666,		/* anyone may open it */
};

static int __init hello_init(void)
{
	return misc_register(&hello_misc);
}

static void __exit hello_exit(void)
{
	misc_deregister(&hello_misc);
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hello_poll: a tiny pollable buffer to experiment with");
