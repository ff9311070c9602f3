# SPDX-License-Identifier: GPL-2.0
# Included by each driver's Kbuild. modpost checks a module's undefined
# symbols against the tree's Module.symvers, which only `make modules`
# writes. A tree prepared with just `bzImage modules_prepare` has the same
# table as vmlinux.symvers: use it then, so a misspelt or unexported symbol
# is still reported. (modpost still prints "Module.symvers is missing".)
ifeq ($(wildcard $(objtree)/Module.symvers),)
KBUILD_EXTRA_SYMBOLS += $(wildcard $(objtree)/vmlinux.symvers)
endif
