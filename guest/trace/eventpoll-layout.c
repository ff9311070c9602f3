// SPDX-License-Identifier: GPL-2.0
/*
 * Where fs/eventpoll.c keeps what `epoll-lab trace` reads, for the kernel
 * being built. struct epitem, struct eventpoll and friends are private to
 * fs/eventpoll.c, so their offsets cannot come from a header or from us:
 * the image build compiles this file to assembly only (never linked, never
 * loaded) with that kernel's own eventpoll.c force-included ahead of it
 * (-include), through the kernel's kbuild, with the kernel's own flags.
 *
 * Each LAYOUT() leaves a line `->name value` in the .s file, the way the
 * kernel's asm-offsets are made; src/images/eventpoll-layout.ts turns them
 * into the JSON the host reads. A field a kernel renamed fails the build
 * here, with the compiler naming it, rather than a trace reading garbage.
 */
#include <linux/stddef.h>
#include <linux/fs.h>
#include <asm/ptrace.h>

/*
 * The epitem's link on the overflow list was "next" for years and is
 * "ovflist_next" in newer trees; the build finds the one struct epitem
 * pointer member in this tree's struct epitem and passes its name here.
 */
#ifndef EPITEM_OVFLIST_LINK
#define EPITEM_OVFLIST_LINK next
#endif

#define LAYOUT(name, value) \
	asm volatile("\n.ascii \"->" #name " %0\"" : : "i" ((long)(value)))

void epoll_lab_layout(void);
void epoll_lab_layout(void)
{
	/* One epitem per (epoll instance, watched file): the interest set's node. */
	LAYOUT(epitem_rdllink, offsetof(struct epitem, rdllink));
	LAYOUT(epitem_next, offsetof(struct epitem, EPITEM_OVFLIST_LINK));
	LAYOUT(epitem_file, offsetof(struct epitem, ffd.file));
	LAYOUT(epitem_fd, offsetof(struct epitem, ffd.fd));
	LAYOUT(epitem_ep, offsetof(struct epitem, ep));
	LAYOUT(epitem_events, offsetof(struct epitem, event.events));
	/* The epoll instance: ready list, overflow list, its own waiters. */
	LAYOUT(eventpoll_rdllist, offsetof(struct eventpoll, rdllist));
	LAYOUT(eventpoll_ovflist, offsetof(struct eventpoll, ovflist));
	LAYOUT(eventpoll_wq_head, offsetof(struct eventpoll, wq) + offsetof(struct wait_queue_head, head));
	/* The wait-queue entry ep_poll_callback() is called with, and its epitem. */
	LAYOUT(eppoll_entry_wait, offsetof(struct eppoll_entry, wait));
	LAYOUT(eppoll_entry_base, offsetof(struct eppoll_entry, base));
	/* ep_ptable_queue_proc()'s poll_table sits in an ep_pqueue beside the epitem. */
	LAYOUT(ep_pqueue_pt, offsetof(struct ep_pqueue, pt));
	LAYOUT(ep_pqueue_epi, offsetof(struct ep_pqueue, epi));
	/* An epoll file's private_data is its struct eventpoll. */
	LAYOUT(file_private_data, offsetof(struct file, private_data));
	/* The registers a system call's arguments arrive in (i386: ebx, ecx, edx, esi, edi). */
	LAYOUT(pt_regs_arg1, offsetof(struct pt_regs, bx));
	LAYOUT(pt_regs_arg2, offsetof(struct pt_regs, cx));
	LAYOUT(pt_regs_arg3, offsetof(struct pt_regs, dx));
	LAYOUT(pt_regs_arg4, offsetof(struct pt_regs, si));
	LAYOUT(pt_regs_arg5, offsetof(struct pt_regs, di));
	/* ovflist's "no transfer in progress" mark, and the bits that are not poll events. */
	LAYOUT(ep_unactive_ptr, EP_UNACTIVE_PTR);
	LAYOUT(ep_private_bits, EP_PRIVATE_BITS);
}
