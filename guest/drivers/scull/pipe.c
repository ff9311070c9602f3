// SPDX-License-Identifier: GPL-2.0
/*
 * pipe.c - scullpipe0..N-1: a blocking circular buffer with FIFO
 * end-of-file semantics, poll/epoll, SIGIO and fsync.
 *
 * Locking: each device has one mutex, dev->lock, protecting the buffer
 * (buffer, rp, len) and the open counts (nreaders, nwriters, w_counter).
 * It is a mutex, not a spinlock, because copy_to_user()/copy_from_user()
 * may fault and sleep while we hold it. Nobody ever sleeps waiting for
 * the buffer with the mutex held: a reader waiting for data needs a
 * writer to take the mutex to put the data there (and vice versa), so
 * sleeping with it would deadlock. The wait_event() conditions therefore
 * peek at the fields without the lock and every waker re-checks under it.
 *
 * End of file works the way fs/pipe.c does it for FIFOs. A reader sees
 * end of file (read returns 0, poll reports EPOLLHUP) only when no writer
 * has the device open AND a writer has come and gone since this reader
 * opened. A reader that opens before any writer therefore waits for data
 * instead of reading 0 at once. (Real FIFOs block in open() until a
 * writer arrives; scullpipe never blocks in open.) To know whether a
 * writer has come and gone, every writer open increments dev->w_counter,
 * and each reader remembers at open whether a writer was present and the
 * value of w_counter:
 *
 *   eof = nwriters == 0 && (writer_at_open || w_counter != w_counter_at_open)
 *
 * Writers never see an error: as in LDD3, scullpipe keeps accepting data
 * while nobody reads; write blocks (or EAGAIN) only when the buffer is full.
 */
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "scull.h"

struct scull_pipe {
	wait_queue_head_t inq;		/* readers wait here for data or EOF */
	wait_queue_head_t outq;		/* writers wait for room, fsync for empty */
	char *buffer;			/* allocated at first open, freed at last close */
	size_t size;			/* bytes in buffer */
	size_t rp;			/* where the next read starts */
	size_t len;			/* bytes buffered, starting at rp */
	int nreaders, nwriters;		/* files open for reading / writing */
	unsigned int w_counter;		/* writer opens so far */
	struct fasync_struct *async_queue;	/* SIGIO subscribers */
	struct mutex lock;		/* see the top of this file */
	struct cdev cdev;
};

/* Per open file: the snapshot taken at open for the end-of-file rule. */
struct scull_pipe_file {
	struct scull_pipe *dev;
	bool writer_at_open;
	unsigned int w_counter_at_open;
};

static struct scull_pipe *scull_p_devices;	/* scull_p_nr_devs of them */

/* The FIFO end-of-file rule (see the top of the file). */
static bool scull_p_eof(struct scull_pipe *dev, struct scull_pipe_file *pf)
{
	return READ_ONCE(dev->nwriters) == 0 &&
	       (pf->writer_at_open ||
		READ_ONCE(dev->w_counter) != pf->w_counter_at_open);
}

/* wait_event() conditions: lockless peeks, re-checked under the lock. */
static bool scull_p_readable(struct scull_pipe *dev,
			     struct scull_pipe_file *pf)
{
	return READ_ONCE(dev->len) > 0 || scull_p_eof(dev, pf);
}

static bool scull_p_writable(struct scull_pipe *dev)
{
	return READ_ONCE(dev->len) < dev->size;
}

static int scull_p_open(struct inode *inode, struct file *filp)
{
	struct scull_pipe *dev = container_of(inode->i_cdev, struct scull_pipe,
					      cdev);
	struct scull_pipe_file *pf;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;
	pf->dev = dev;

	if (mutex_lock_interruptible(&dev->lock)) {
		kfree(pf);
		return -ERESTARTSYS;
	}
	if (!dev->buffer) {
		dev->buffer = kmalloc(dev->size, GFP_KERNEL);
		if (!dev->buffer) {
			mutex_unlock(&dev->lock);
			kfree(pf);
			return -ENOMEM;
		}
		dev->rp = 0;
		dev->len = 0;
	}
	/* Snapshot before counting ourselves: an O_RDWR file is both. */
	pf->writer_at_open = dev->nwriters > 0;
	pf->w_counter_at_open = dev->w_counter;
	if (filp->f_mode & FMODE_READ)
		dev->nreaders++;
	if (filp->f_mode & FMODE_WRITE) {
		WRITE_ONCE(dev->nwriters, dev->nwriters + 1);
		WRITE_ONCE(dev->w_counter, dev->w_counter + 1);
	}
	mutex_unlock(&dev->lock);

	filp->private_data = pf;
	/*
	 * A stream has no file position: stream_open() clears FMODE_LSEEK
	 * and FMODE_PREAD/PWRITE, so lseek() and pread() fail with ESPIPE.
	 * That is also why .llseek stays unset (no_llseek is gone in 6.12).
	 */
	return stream_open(inode, filp);
}

static int scull_p_release(struct inode *inode, struct file *filp)
{
	struct scull_pipe_file *pf = filp->private_data;
	struct scull_pipe *dev = pf->dev;
	bool last_writer = false;

	/*
	 * No fasync(-1, filp, 0) call needed here: __fput() does it for
	 * every file that still has FASYNC set, before calling release.
	 */
	mutex_lock(&dev->lock);
	if (filp->f_mode & FMODE_READ)
		dev->nreaders--;
	if (filp->f_mode & FMODE_WRITE) {
		WRITE_ONCE(dev->nwriters, dev->nwriters - 1);
		last_writer = dev->nwriters == 0;
	}
	if (dev->nreaders + dev->nwriters == 0) {
		/* Like a FIFO, data nobody can read any more is dropped. */
		kfree(dev->buffer);
		dev->buffer = NULL;
		WRITE_ONCE(dev->len, 0);
	}
	mutex_unlock(&dev->lock);

	if (last_writer) {
		/*
		 * End of file for the readers: wake every one of them, also
		 * every EPOLLEXCLUSIVE waiter (nr_exclusive 0, as kernel pipes
		 * do with wake_up_interruptible_all()), with the EPOLLHUP key.
		 * epoll always listens for EPOLLHUP, so no key filter drops it.
		 */
		__wake_up(&dev->inq, TASK_INTERRUPTIBLE, 0,
			  poll_to_key(EPOLLHUP));
		kill_fasync(&dev->async_queue, SIGIO, POLL_HUP);
	}
	kfree(pf);
	return 0;
}

static ssize_t scull_p_read(struct file *filp, char __user *buf, size_t count,
			    loff_t *f_pos)
{
	struct scull_pipe_file *pf = filp->private_data;
	struct scull_pipe *dev = pf->dev;
	size_t first;

	if (!count)
		return 0;
	if (mutex_lock_interruptible(&dev->lock))
		return -ERESTARTSYS;
	while (!dev->len) {
		if (scull_p_eof(dev, pf)) {
			mutex_unlock(&dev->lock);
			return 0;
		}
		/* Drop the lock before sleeping: a writer needs it. */
		mutex_unlock(&dev->lock);
		if (filp->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(dev->inq,
					     scull_p_readable(dev, pf)))
			return -ERESTARTSYS;	/* a signal: let the VFS retry */
		/* Another reader may have taken the data: loop and re-check. */
		if (mutex_lock_interruptible(&dev->lock))
			return -ERESTARTSYS;
	}

	/* Return what is there, even if less than asked; at most 2 copies. */
	count = min(count, dev->len);
	first = min(count, dev->size - dev->rp);
	if (copy_to_user(buf, dev->buffer + dev->rp, first) ||
	    copy_to_user(buf + first, dev->buffer, count - first)) {
		mutex_unlock(&dev->lock);
		return -EFAULT;
	}
	dev->rp = (dev->rp + count) % dev->size;
	WRITE_ONCE(dev->len, dev->len - count);
	mutex_unlock(&dev->lock);

	/*
	 * Room was made. The key tells epoll which event this is, so an
	 * EPOLLIN-only watcher is not woken and an EPOLLEXCLUSIVE EPOLLOUT
	 * watcher counts as the one woken. Blocked writers and fsync
	 * callers (non-exclusive waiters) are all woken.
	 */
	wake_up_interruptible_poll(&dev->outq, EPOLLOUT | EPOLLWRNORM);
	return count;
}

static ssize_t scull_p_write(struct file *filp, const char __user *buf,
			     size_t count, loff_t *f_pos)
{
	struct scull_pipe_file *pf = filp->private_data;
	struct scull_pipe *dev = pf->dev;
	size_t wp, first;

	if (!count)
		return 0;
	if (mutex_lock_interruptible(&dev->lock))
		return -ERESTARTSYS;
	while (dev->len == dev->size) {
		/* Drop the lock before sleeping: a reader needs it. */
		mutex_unlock(&dev->lock);
		if (filp->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(dev->outq, scull_p_writable(dev)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&dev->lock))
			return -ERESTARTSYS;
	}

	/* Accept what fits (at least one byte); at most two copies. */
	count = min(count, dev->size - dev->len);
	wp = (dev->rp + dev->len) % dev->size;
	first = min(count, dev->size - wp);
	if (copy_from_user(dev->buffer + wp, buf, first) ||
	    copy_from_user(dev->buffer, buf + first, count - first)) {
		mutex_unlock(&dev->lock);
		return -EFAULT;
	}
	WRITE_ONCE(dev->len, dev->len + count);
	mutex_unlock(&dev->lock);

	/* Data arrived: wake readers and pollers, then signal SIGIO owners. */
	wake_up_interruptible_poll(&dev->inq, EPOLLIN | EPOLLRDNORM);
	kill_fasync(&dev->async_queue, SIGIO, POLL_IN);
	return count;
}

static __poll_t scull_p_poll(struct file *filp, poll_table *wait)
{
	struct scull_pipe_file *pf = filp->private_data;
	struct scull_pipe *dev = pf->dev;
	__poll_t mask = 0;

	/*
	 * Register on both queues BEFORE looking at the state. If data
	 * arrives between the check below and the caller going to sleep,
	 * the writer's wake-up already finds the caller's entry on inq and
	 * the event is not lost. Checked the other way round, a wake-up in
	 * that gap would find nobody to wake. poll_wait() never sleeps;
	 * for epoll it installs ep_poll_callback on the queue once, at
	 * EPOLL_CTL_ADD time (later calls pass a NULL table).
	 */
	poll_wait(filp, &dev->inq, wait);
	poll_wait(filp, &dev->outq, wait);

	mutex_lock(&dev->lock);
	if (dev->len)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (dev->len < dev->size)
		mask |= EPOLLOUT | EPOLLWRNORM;
	if ((filp->f_mode & FMODE_READ) && scull_p_eof(dev, pf))
		mask |= EPOLLHUP;
	mutex_unlock(&dev->lock);
	return mask;
}

static int scull_p_fasync(int fd, struct file *filp, int on)
{
	struct scull_pipe_file *pf = filp->private_data;

	/* fasync_helper() does its own locking of the list. */
	return fasync_helper(fd, filp, on, &pf->dev->async_queue);
}

/*
 * fsync(): return once readers have drained everything buffered, so a
 * writer knows its data was consumed. Interruptible: if nobody reads,
 * only a signal ends the wait. Readers wake outq after every read.
 */
static int scull_p_fsync(struct file *filp, loff_t start, loff_t end,
			 int datasync)
{
	struct scull_pipe_file *pf = filp->private_data;
	struct scull_pipe *dev = pf->dev;

	if (wait_event_interruptible(dev->outq, READ_ONCE(dev->len) == 0))
		return -ERESTARTSYS;
	return 0;
}

static const struct file_operations scull_pipe_fops = {
	.owner		= THIS_MODULE,
	.open		= scull_p_open,
	.release	= scull_p_release,
	.read		= scull_p_read,
	.write		= scull_p_write,
	.poll		= scull_p_poll,
	.fasync		= scull_p_fasync,
	.fsync		= scull_p_fsync,
};

static void scull_p_setup(struct scull_pipe *dev)
{
	init_waitqueue_head(&dev->inq);
	init_waitqueue_head(&dev->outq);
	mutex_init(&dev->lock);
	dev->size = scull_p_buffer;
	cdev_init(&dev->cdev, &scull_pipe_fops);
	dev->cdev.owner = THIS_MODULE;
}

int scull_pipe_init(dev_t first)
{
	char name[24];	/* "scullpipe" and any int: W=1 (7.2) checks it */
	int i, err;

	scull_p_devices = kcalloc(scull_p_nr_devs, sizeof(*scull_p_devices),
				  GFP_KERNEL);
	if (!scull_p_devices && scull_p_nr_devs)
		return -ENOMEM;

	for (i = 0; i < scull_p_nr_devs; i++) {
		scull_p_setup(&scull_p_devices[i]);
		snprintf(name, sizeof(name), "scullpipe%d", i);
		err = scull_cdev_add(&scull_p_devices[i].cdev, first + i, name);
		if (err) {
			mutex_destroy(&scull_p_devices[i].lock);
			goto fail;
		}
	}
	return 0;

fail:
	while (--i >= 0) {
		scull_cdev_del(&scull_p_devices[i].cdev);
		mutex_destroy(&scull_p_devices[i].lock);
	}
	kfree(scull_p_devices);
	return err;
}

void scull_pipe_exit(void)
{
	int i;

	/* No file is open (the module is pinned while one is): no buffers. */
	for (i = scull_p_nr_devs - 1; i >= 0; i--) {
		scull_cdev_del(&scull_p_devices[i].cdev);
		mutex_destroy(&scull_p_devices[i].lock);
	}
	kfree(scull_p_devices);
}
