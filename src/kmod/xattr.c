// SPDX-License-Identifier: GPL-2.0-only
/*
 * Extended attributes and POSIX ACLs.
 *
 * trusted.smoothfs.* through the mount is served by smoothfs itself:
 *   oid     16 bytes, read-only: the object's OID
 *   tier    1 byte, read-only: the rank of the tier the object is on now
 *   fileid  12 bytes, read-only: st_ino (u64 LE) | generation (u32 LE, 0:
 *           OIDs are never reused), the id SMB servers hand out
 *   pin     the pin state by name ("none", "pin_hot", "pin_cold",
 *           "pin_hardlink", "pin_lease", "pin_lun"); CAP_SYS_ADMIN sets
 *           none|pin_hot|pin_cold|pin_lease|pin_lun (pin_hardlink is
 *           automatic), "none" or removexattr clears it.  It is kept on
 *           the lower object as the same name, so it survives eviction and
 *           remount, and in smoothfs_inode.pin for the movement code.
 * Setting oid, tier or fileid is EPERM, a bad pin value EINVAL; other
 * trusted.smoothfs.* names are EOPNOTSUPP, so the lower's own reserved
 * xattrs are never reached through the mount.  listxattr shows the same:
 * the lower's list without its trusted.smoothfs.* names, then ours.
 *
 * Every other user.*, trusted.* and security.* xattr is passed to the lower
 * object with the mounter's credentials after the VFS has checked the
 * caller against the smoothfs inode (xattr_permission, LSM hooks).
 *
 * POSIX ACLs: smoothfs never caches them (ACL_DONT_CACHE); permission
 * checks read the lower's ACL (its cache in RCU walk), and setting one
 * sets the lower's, whose filesystem updates its mode, then copied up.
 * On 6.1 the ACL xattr names reach the generic posix_acl handlers, which
 * check ownership on our inode and call ->set_acl; on 6.12 the VFS sends
 * them to ->get_acl/->set_acl directly.
 */
#include <linux/cred.h>
#include <linux/fs_stack.h>
#include <linux/mount.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/slab.h>
#include <linux/xattr.h>

#include "smoothfs.h"

#define SMOOTHFS_FILEID_LEN	12
#define SMOOTHFS_PIN_NAME_MAX	16

static const char *const smoothfs_pin_names[__SMOOTHFS_PIN_COUNT] = {
	[SMOOTHFS_PIN_NONE]	= SMOOTHFS_PIN_NAME_NONE,
	[SMOOTHFS_PIN_HOT]	= SMOOTHFS_PIN_NAME_HOT,
	[SMOOTHFS_PIN_COLD]	= SMOOTHFS_PIN_NAME_COLD,
	[SMOOTHFS_PIN_HARDLINK]	= SMOOTHFS_PIN_NAME_HARDLINK,
	[SMOOTHFS_PIN_LEASE]	= SMOOTHFS_PIN_NAME_LEASE,
	[SMOOTHFS_PIN_LUN]	= SMOOTHFS_PIN_NAME_LUN,
};

/* A pin name, without or with one trailing NUL; -EINVAL if none matches. */
static int smoothfs_pin_parse(const char *value, size_t size)
{
	int i;

	if (size && !value[size - 1])
		size--;
	for (i = 0; i < __SMOOTHFS_PIN_COUNT; i++)
		if (strlen(smoothfs_pin_names[i]) == size &&
		    !memcmp(smoothfs_pin_names[i], value, size))
			return i;
	return -EINVAL;
}

static const struct cred *smoothfs_xattr_creds(struct inode *inode)
{
	return override_creds(SMOOTHFS_SB(inode->i_sb)->creator_cred);
}

/*
 * Set up a new inode: no ACL caching (the lower caches them), and the pin
 * as stored on the lower object; a malformed one counts as none.
 */
void smoothfs_xattr_iget(struct inode *inode)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	struct dentry *lower = si->lower.dentry;
	char buf[SMOOTHFS_PIN_NAME_MAX];
	ssize_t len;
	int pin = SMOOTHFS_PIN_NONE;

#ifdef CONFIG_FS_POSIX_ACL
	inode->i_acl = ACL_DONT_CACHE;
	inode->i_default_acl = ACL_DONT_CACHE;
#endif
	len = __vfs_getxattr(lower, d_inode(lower), SMOOTHFS_XATTR_PIN, buf, sizeof(buf));
	if (len >= 0) {
		pin = smoothfs_pin_parse(buf, len);
		if (pin < 0) {
			pr_warn_ratelimited("%pd: malformed %s, ignored\n", lower,
					    SMOOTHFS_XATTR_PIN);
			pin = SMOOTHFS_PIN_NONE;
		}
	} else if (len != -ENODATA && len != -EOPNOTSUPP) {
		pr_warn_ratelimited("%pd: cannot read %s: %zd\n", lower, SMOOTHFS_XATTR_PIN, len);
	}
	WRITE_ONCE(si->pin, pin);
}

/* Copy a served value out as getxattr does: size 0 asks for the length. */
static int smoothfs_xattr_reply(void *buffer, size_t size, const void *value, size_t len)
{
	if (size) {
		if (size < len)
			return -ERANGE;
		memcpy(buffer, value, len);
	}
	return len;
}

static int smoothfs_reserved_get(const struct xattr_handler *handler,
				 struct dentry *dentry, struct inode *inode,
				 const char *name, void *buffer, size_t size)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	u8 fileid[SMOOTHFS_FILEID_LEN];
	const char *pin;
	__le64 ino;
	u8 tier;

	if (!strcmp(name, "oid"))
		return smoothfs_xattr_reply(buffer, size, si->oid, SMOOTHFS_OID_LEN);
	if (!strcmp(name, "tier")) {
		tier = READ_ONCE(si->tier);
		return smoothfs_xattr_reply(buffer, size, &tier, 1);
	}
	if (!strcmp(name, "fileid")) {
		ino = cpu_to_le64(inode->i_ino);
		memcpy(fileid, &ino, sizeof(ino));
		memset(fileid + sizeof(ino), 0, sizeof(fileid) - sizeof(ino));
		return smoothfs_xattr_reply(buffer, size, fileid, sizeof(fileid));
	}
	if (!strcmp(name, "pin")) {
		pin = smoothfs_pin_names[READ_ONCE(si->pin)];
		return smoothfs_xattr_reply(buffer, size, pin, strlen(pin));
	}
	return -EOPNOTSUPP;
}

/* Store @pin on the lower object (caller holds the mounter's creds). */
static int smoothfs_pin_store(const struct path *lower, int pin)
{
	struct inode *linode = d_inode(lower->dentry);
	const char *value = smoothfs_pin_names[pin];
	int err;

	err = mnt_want_write(lower->mnt);
	if (err)
		return err;
	inode_lock(linode);
	if (pin == SMOOTHFS_PIN_NONE) {
		err = __vfs_removexattr(SMOOTHFS_NOP_IDMAP, lower->dentry, SMOOTHFS_XATTR_PIN);
		if (err == -ENODATA)
			err = 0;
	} else {
		err = __vfs_setxattr(SMOOTHFS_NOP_IDMAP, lower->dentry, linode,
				     SMOOTHFS_XATTR_PIN, value, strlen(value), 0);
	}
	inode_unlock(linode);
	mnt_drop_write(lower->mnt);
	return err;
}

/* Called with our inode locked (vfs_setxattr/vfs_removexattr). */
static int smoothfs_reserved_set(const struct xattr_handler *handler,
				 smoothfs_idmap_t *idmap, struct dentry *dentry,
				 struct inode *inode, const char *name,
				 const void *value, size_t size, int flags)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	const struct cred *old_cred;
	int pin, err;

	if (!strcmp(name, "oid") || !strcmp(name, "tier") || !strcmp(name, "fileid"))
		return -EPERM;
	if (strcmp(name, "pin"))
		return -EOPNOTSUPP;
	/* xattr_permission() has checked this for trusted.*; be explicit. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (value) {
		pin = smoothfs_pin_parse(value, size);
		/* pin_hardlink follows the link count; nobody sets it. */
		if (pin < 0 || pin == SMOOTHFS_PIN_HARDLINK)
			return -EINVAL;
	} else {
		pin = SMOOTHFS_PIN_NONE;
	}

	old_cred = smoothfs_xattr_creds(inode);
	err = smoothfs_pin_store(&si->lower, pin);
	if (!err && S_ISDIR(inode->i_mode))
		smoothfs_dir_pin_copies(dentry);
	revert_creds(old_cred);
	if (err)
		return err;
	WRITE_ONCE(si->pin, pin);
	smoothfs_copy_attr_all(inode, d_inode(si->lower.dentry));
	return 0;
}

static int smoothfs_other_get(const struct xattr_handler *handler,
			      struct dentry *dentry, struct inode *inode,
			      const char *name, void *buffer, size_t size)
{
	const struct cred *old_cred;
	struct path lower;
	ssize_t ret;

	smoothfs_inode_lower_get(inode, &lower);
	old_cred = smoothfs_xattr_creds(inode);
	ret = vfs_getxattr(SMOOTHFS_NOP_IDMAP, lower.dentry,
			   xattr_full_name(handler, name), buffer, size);
	revert_creds(old_cred);
	path_put(&lower);
	return ret;
}

static int smoothfs_other_set(const struct xattr_handler *handler,
			      smoothfs_idmap_t *idmap, struct dentry *dentry,
			      struct inode *inode, const char *name,
			      const void *value, size_t size, int flags)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	const char *full = xattr_full_name(handler, name);
	const struct cred *old_cred;
	int err;

	err = mnt_want_write(si->lower.mnt);
	if (err)
		return err;
	old_cred = smoothfs_xattr_creds(inode);
	if (value)
		err = vfs_setxattr(SMOOTHFS_NOP_IDMAP, si->lower.dentry, full, value, size, flags);
	else
		err = vfs_removexattr(SMOOTHFS_NOP_IDMAP, si->lower.dentry, full);
	revert_creds(old_cred);
	mnt_drop_write(si->lower.mnt);
	smoothfs_copy_attr_all(inode, d_inode(si->lower.dentry));
	return err;
}

static const struct xattr_handler smoothfs_reserved_xattr_handler = {
	.prefix	= SMOOTHFS_XATTR_PREFIX,
	.get	= smoothfs_reserved_get,
	.set	= smoothfs_reserved_set,
};

/* One per namespace, so nfsd sees that user.* is supported. */
static const struct xattr_handler smoothfs_user_xattr_handler = {
	.prefix	= XATTR_USER_PREFIX,
	.get	= smoothfs_other_get,
	.set	= smoothfs_other_set,
};

static const struct xattr_handler smoothfs_trusted_xattr_handler = {
	.prefix	= XATTR_TRUSTED_PREFIX,
	.get	= smoothfs_other_get,
	.set	= smoothfs_other_set,
};

static const struct xattr_handler smoothfs_security_xattr_handler = {
	.prefix	= XATTR_SECURITY_PREFIX,
	.get	= smoothfs_other_get,
	.set	= smoothfs_other_set,
};

/* Not "* const": that assigns to s_xattr on 6.12 but not on 6.1. */
const struct xattr_handler *smoothfs_xattr_handlers[] = {
#if !SMOOTHFS_NEW_ACL_API && defined(CONFIG_FS_POSIX_ACL)
	&posix_acl_access_xattr_handler,
	&posix_acl_default_xattr_handler,
#endif
	&smoothfs_reserved_xattr_handler,	/* before trusted.* */
	&smoothfs_user_xattr_handler,
	&smoothfs_trusted_xattr_handler,
	&smoothfs_security_xattr_handler,
	NULL
};

static const char *const smoothfs_reserved_names[] = {
	SMOOTHFS_XATTR_OID, SMOOTHFS_XATTR_TIER, SMOOTHFS_XATTR_FILEID, SMOOTHFS_XATTR_PIN,
};

/* The lower's xattr names, in a buffer to kvfree() (mounter's creds). */
static ssize_t smoothfs_lower_list(struct dentry *lower, char **bufp)
{
	ssize_t len;
	char *buf;
	int tries;

	*bufp = NULL;
	/* It may grow between the two calls; give up after a few rounds. */
	for (tries = 0; tries < 4; tries++) {
		len = vfs_listxattr(lower, NULL, 0);
		if (len <= 0)
			return len;
		buf = kvmalloc(len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		len = vfs_listxattr(lower, buf, len);
		if (len >= 0) {
			*bufp = buf;
			return len;
		}
		kvfree(buf);
		if (len != -ERANGE)
			return len;
	}
	return -EBUSY;
}

static bool smoothfs_list_add(char *list, size_t size, size_t *pos, const char *name,
			      size_t len)
{
	if (size) {
		if (*pos + len > size)
			return false;
		memcpy(list + *pos, name, len);
	}
	*pos += len;
	return true;
}

ssize_t smoothfs_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct inode *inode = d_inode(dentry);
	/* What xattr_permission() lets the caller read of trusted.*. */
	bool trusted = capable(CAP_SYS_ADMIN);
	const struct cred *old_cred;
	size_t pos = 0, n, i;
	struct path lower;
	ssize_t len;
	char *buf, *name;

	smoothfs_inode_lower_get(inode, &lower);
	old_cred = smoothfs_xattr_creds(inode);
	len = smoothfs_lower_list(lower.dentry, &buf);
	revert_creds(old_cred);
	path_put(&lower);
	if (len < 0)
		return len;

	for (name = buf; name < buf + len; name += n) {
		n = strnlen(name, buf + len - name);
		if (name + n == buf + len)
			break;		/* no NUL: not a name */
		n++;
		if (!strncmp(name, XATTR_TRUSTED_PREFIX, XATTR_TRUSTED_PREFIX_LEN) &&
		    (!trusted || !strncmp(name, SMOOTHFS_XATTR_PREFIX,
					  sizeof(SMOOTHFS_XATTR_PREFIX) - 1)))
			continue;
		if (!smoothfs_list_add(list, size, &pos, name, n))
			goto range;
	}
	for (i = 0; trusted && i < ARRAY_SIZE(smoothfs_reserved_names); i++)
		if (!smoothfs_list_add(list, size, &pos, smoothfs_reserved_names[i],
				       strlen(smoothfs_reserved_names[i]) + 1))
			goto range;
	kvfree(buf);
	return pos;
range:
	kvfree(buf);
	return -ERANGE;
}

#ifdef CONFIG_FS_POSIX_ACL
/*
 * For permission checks: the lower's ACL, from its cache in RCU walk.
 * 6.1 ->get_acl, 6.12 ->get_inode_acl.
 */
struct posix_acl *smoothfs_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	const struct cred *old_cred;
	struct posix_acl *acl;
	struct inode *linode;
	struct path lower;

	if (rcu) {
		/* Dentries and inodes are freed after a grace period. */
		struct dentry *ldentry = READ_ONCE(si->lower.dentry);

		linode = ldentry ? d_inode_rcu(ldentry) : NULL;
		if (!linode)
			return ERR_PTR(-ECHILD);
		if (!IS_POSIXACL(linode))
			return NULL;
		return get_cached_acl_rcu(linode, type);
	}
	smoothfs_inode_lower_get(inode, &lower);
	linode = d_inode(lower.dentry);
	acl = NULL;
	if (IS_POSIXACL(linode)) {
		old_cred = smoothfs_xattr_creds(inode);
		acl = smoothfs_lower_get_inode_acl(linode, type);
		revert_creds(old_cred);
	}
	path_put(&lower);
	return acl;
}

/* The ACL of a lower object, NULL if it has none (mounter's creds). */
static struct posix_acl *smoothfs_lower_acl(struct dentry *lower, int type)
{
#if SMOOTHFS_NEW_ACL_API
	struct posix_acl *acl;

	acl = vfs_get_acl(SMOOTHFS_NOP_IDMAP, lower, posix_acl_xattr_name(type));
	return acl == ERR_PTR(-ENODATA) ? NULL : acl;
#else
	return get_acl(d_inode(lower), type);
#endif
}

/*
 * Set, or remove when @acl is NULL, the ACL of a lower object; the lower
 * filesystem updates its mode to match.  Mounter's creds, write access held.
 */
static int smoothfs_lower_set_acl(struct dentry *lower, int type, struct posix_acl *acl)
{
#if SMOOTHFS_NEW_ACL_API
	const char *name = posix_acl_xattr_name(type);
	int err;

	if (acl)
		return vfs_set_acl(SMOOTHFS_NOP_IDMAP, lower, name, acl);
	err = vfs_remove_acl(SMOOTHFS_NOP_IDMAP, lower, name);
#else
	const char *name = smoothfs_acl_xattr_name(type);
	size_t size;
	void *value;
	int err;

	if (!acl) {
		err = vfs_removexattr(SMOOTHFS_NOP_IDMAP, lower, name);
		return err == -ENODATA ? 0 : err;
	}
	size = posix_acl_xattr_size(acl->a_count);
	value = kmalloc(size, GFP_KERNEL);
	if (!value)
		return -ENOMEM;
	err = posix_acl_to_xattr(&init_user_ns, acl, value, size);
	if (err >= 0)
		err = vfs_setxattr(SMOOTHFS_NOP_IDMAP, lower, name, value, size, 0);
	kfree(value);
#endif
	return err == -ENODATA ? 0 : err;
}

#if SMOOTHFS_NEW_ACL_API
/* getfacl and nfsd on 6.12. */
struct posix_acl *smoothfs_get_acl(smoothfs_idmap_t *idmap, struct dentry *dentry, int type)
{
	struct inode *inode = d_inode(dentry);
	const struct cred *old_cred;
	struct posix_acl *acl = NULL;
	struct path lower;

	smoothfs_inode_lower_get(inode, &lower);
	if (IS_POSIXACL(d_inode(lower.dentry))) {
		old_cred = smoothfs_xattr_creds(inode);
		acl = smoothfs_lower_acl(lower.dentry, type);
		revert_creds(old_cred);
	}
	path_put(&lower);
	return acl;
}
#endif

/*
 * A directory's copies on other tiers follow its ACLs, so that files
 * created in any of them inherit the same default ACL (mounter's creds).
 */
static int smoothfs_set_copies_acl(struct inode *inode, struct dentry *dentry,
				   int type, struct posix_acl *acl)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(inode->i_sb);
	struct dentry *canonical = SMOOTHFS_I(inode)->lower.dentry;
	struct dentry *alias = NULL, *lower;
	struct smoothfs_entry *entry;
	unsigned int t;
	int err = 0, ret;

	if (!dentry) {
		alias = d_find_alias(inode);
		dentry = alias;
	}
	entry = dentry ? SMOOTHFS_E(dentry) : NULL;
	for (t = 0; entry && t < sbi->ntiers; t++) {
		lower = READ_ONCE(entry->lower[t]);
		if (!lower || lower == canonical || !d_inode(lower) ||
		    !IS_POSIXACL(d_inode(lower)))
			continue;
		ret = mnt_want_write(sbi->tiers[t].root.mnt);
		if (!ret) {
			ret = smoothfs_lower_set_acl(lower, type, acl);
			mnt_drop_write(sbi->tiers[t].root.mnt);
		}
		if (ret && !err)
			err = ret;
	}
	dput(alias);
	return err;
}

/* Ownership was checked on our inode by set_posix_acl(). */
static int smoothfs_set_inode_acl(struct inode *inode, struct dentry *dentry,
				  struct posix_acl *acl, int type)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	const struct cred *old_cred;
	int err;

	err = mnt_want_write(si->lower.mnt);
	if (err)
		return err;
	old_cred = smoothfs_xattr_creds(inode);
	err = smoothfs_lower_set_acl(si->lower.dentry, type, acl);
	mnt_drop_write(si->lower.mnt);
	if (!err && S_ISDIR(inode->i_mode))
		err = smoothfs_set_copies_acl(inode, dentry, type, acl);
	revert_creds(old_cred);
	smoothfs_copy_attr_all(inode, d_inode(si->lower.dentry));
	return err;
}

#if SMOOTHFS_NEW_ACL_API
/* setfacl and nfsd on 6.12, through vfs_set_acl()/vfs_remove_acl(). */
int smoothfs_set_acl(smoothfs_idmap_t *idmap, struct dentry *dentry, struct posix_acl *acl,
		     int type)
{
	return smoothfs_set_inode_acl(d_inode(dentry), dentry, acl, type);
}
#else
/* setfacl through posix_acl_xattr_set(), and nfsd through set_posix_acl(). */
int smoothfs_set_acl(smoothfs_idmap_t *idmap, struct inode *inode, struct posix_acl *acl,
		     int type)
{
	return smoothfs_set_inode_acl(inode, NULL, acl, type);
}
#endif

/*
 * Give @to, the copy of directory @dir that namei.c made on another tier,
 * the ACLs of @dir's lower, so new files inherit the default ACL whatever
 * tier they land on.  A tier without ACLs keeps the mode alone.
 */
int smoothfs_copy_acls(struct inode *dir, struct vfsmount *mnt, struct dentry *to)
{
	static const int types[] = { ACL_TYPE_ACCESS, ACL_TYPE_DEFAULT };
	struct dentry *from = SMOOTHFS_I(dir)->lower.dentry;
	const struct cred *old_cred;
	struct posix_acl *acl;
	int i, err;

	if (!IS_POSIXACL(d_inode(from)) || !IS_POSIXACL(d_inode(to)))
		return 0;
	err = mnt_want_write(mnt);
	if (err)
		return err;
	old_cred = smoothfs_xattr_creds(dir);
	for (i = 0; !err && i < ARRAY_SIZE(types); i++) {
		acl = smoothfs_lower_acl(from, types[i]);
		if (IS_ERR(acl)) {
			err = PTR_ERR(acl);
			break;
		}
		err = smoothfs_lower_set_acl(to, types[i], acl);
		posix_acl_release(acl);
	}
	revert_creds(old_cred);
	mnt_drop_write(mnt);
	return err;
}
#else
int smoothfs_copy_acls(struct inode *dir, struct vfsmount *mnt, struct dentry *to)
{
	return 0;
}
#endif /* CONFIG_FS_POSIX_ACL */
