// SPDX-License-Identifier: GPL-2.0-only
/*
 * Harness self-test only: a module whose load leaks an allocation, so the
 * VM harness can prove that kmemleak (on the debug kernel) fails a test.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init kleak_init(void)
{
	char *p = kmalloc(128, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	strscpy(p, "smoothfs harness self-test leak", 128);
	pr_info("smoothfs_selftest_kleak: leaking %p\n", p);
	return -EAGAIN;
}
module_init(kleak_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("smoothfs VM harness self-test (kmemleak)");
