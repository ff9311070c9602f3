# SPDX-License-Identifier: GPL-2.0
# Shared by the Makefiles of the drivers under guest/drivers/: `make` in a
# driver directory builds its module out of tree. What to build is in that
# directory's Kbuild file (kbuild reads Kbuild before Makefile).
#
#   make                          newest complete epoll-lab kernel tree
#   make KDIR=/path/to/linux      any configured tree with modules_prepare done
#   make clean
#
# The same as: make -C <tree> ARCH=i386 CROSS_COMPILE=i686-linux-gnu- M=$PWD modules
# The epoll-lab image build caches its i386 tree (with .complete once built)
# under ~/.cache/epoll-lab/kernel/, built by Debian's i686 cross compiler
# (gcc-i686-linux-gnu), which modules for it need too; without such a tree,
# use the running kernel's.
EPOLL_LAB_KDIR := $(shell ls -td $(HOME)/.cache/epoll-lab/kernel/6.1-*/.complete 2>/dev/null | head -n1 | xargs -r dirname)

ifneq ($(EPOLL_LAB_KDIR),)
KDIR ?= $(EPOLL_LAB_KDIR)
ARCH ?= i386
CROSS_COMPILE ?= i686-linux-gnu-
else
KDIR ?= /lib/modules/$(shell uname -r)/build
endif

KMAKE = $(MAKE) -C $(KDIR) $(if $(ARCH),ARCH=$(ARCH)) $(if $(CROSS_COMPILE),CROSS_COMPILE=$(CROSS_COMPILE)) M=$(CURDIR)

all modules:
	$(KMAKE) modules

clean:
	$(KMAKE) clean

.PHONY: all modules clean
