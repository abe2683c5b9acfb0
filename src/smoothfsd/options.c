// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Option dictionaries; see options.h.
 */
#include "errors.h"
#include "options.h"

int bus_read_options(sd_bus_message *m, option_handler_t handler, void *userdata,
		     sd_bus_error *e)
{
	const char *seen[SMOOTHFSD_OPTIONS_MAX];
	size_t n = 0;
	int r;

	r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "options: expected a{sv}");
	for (;;) {
		const char *key, *sig;
		char type;

		r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
		if (r < 0)
			return smoothfs_error(e, -EINVAL, "options: malformed dictionary");
		if (r == 0)
			break;
		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return smoothfs_error(e, -EINVAL, "options: malformed key");
		if (n >= SMOOTHFSD_OPTIONS_MAX)
			return smoothfs_error(e, -E2BIG, "options: more than %d entries",
					      SMOOTHFSD_OPTIONS_MAX);
		for (size_t i = 0; i < n; i++)
			if (streq(seen[i], key))
				return smoothfs_error(e, -EINVAL, "options: \"%s\" given twice", key);
		seen[n++] = key;
		r = sd_bus_message_peek_type(m, &type, &sig);
		if (r <= 0 || type != SD_BUS_TYPE_VARIANT)
			return smoothfs_error(e, -EINVAL, "options: malformed value of \"%s\"", key);
		r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, sig);
		if (r < 0)
			return smoothfs_error(e, -EINVAL, "options: malformed value of \"%s\"", key);
		r = handler(key, sig, m, userdata, e);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return smoothfs_error(e, -EINVAL, "options: \"%s\" has extra data", key);
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return smoothfs_error(e, -EINVAL, "options: malformed dictionary");
	}
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "options: malformed dictionary");
	return 0;
}

int option_read_bool(const char *key, const char *sig, sd_bus_message *m, bool *ret,
		     sd_bus_error *e)
{
	int b, r;

	if (!streq(sig, "b"))
		return smoothfs_error(e, -EINVAL, "option \"%s\" must be a boolean (b), not %s",
				      key, sig);
	r = sd_bus_message_read_basic(m, 'b', &b);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "option \"%s\": %s", key, strerror(-r));
	*ret = b;
	return 0;
}

int option_read_string(const char *key, const char *sig, sd_bus_message *m, const char **ret,
		       sd_bus_error *e)
{
	int r;

	if (!streq(sig, "s"))
		return smoothfs_error(e, -EINVAL, "option \"%s\" must be a string (s), not %s",
				      key, sig);
	r = sd_bus_message_read_basic(m, 's', ret);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "option \"%s\": %s", key, strerror(-r));
	return 0;
}

int option_unknown(const char *key, sd_bus_error *e)
{
	return smoothfs_error(e, -EINVAL, "unknown option \"%s\"", key);
}

int auth_option_handler(const char *key, const char *sig, sd_bus_message *m, void *userdata,
			sd_bus_error *e)
{
	struct auth_options *o = userdata;

	if (streq(key, SMOOTHFSD_OPTION_NO_USER_INTERACTION))
		return option_read_bool(key, sig, m, &o->no_user_interaction, e);
	return option_unknown(key, e);
}
