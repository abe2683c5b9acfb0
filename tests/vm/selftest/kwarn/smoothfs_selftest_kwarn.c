// SPDX-License-Identifier: GPL-2.0-only
/*
 * Harness self-test only: a module whose load prints a kernel WARNING, so
 * the VM harness can prove that it fails a run on one.
 */
#include <linux/module.h>

static int __init kwarn_init(void)
{
	WARN(1, "smoothfs harness self-test warning\n");
	return -EAGAIN;
}
module_init(kwarn_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("smoothfs VM harness self-test");
