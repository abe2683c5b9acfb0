/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * a{sv} option dictionaries of method calls: every key is known to the
 * method, appears once and has the documented type, or the call fails
 * with InvalidArgument.
 */
#ifndef SMOOTHFSD_OPTIONS_H
#define SMOOTHFSD_OPTIONS_H

#include <stdbool.h>

#include <systemd/sd-bus.h>

/* More entries than this in one dictionary are refused (E2BIG). */
#define SMOOTHFSD_OPTIONS_MAX 64

#define SMOOTHFSD_OPTION_NO_USER_INTERACTION "auth.no_user_interaction"

/*
 * Called with the message positioned inside the variant of @key, whose
 * contents have signature @sig.  Reads the value and returns 0, or sets
 * @e and returns a negative errno (-EINVAL for an unknown key or a wrong
 * type).
 */
typedef int (*option_handler_t)(const char *key, const char *sig, sd_bus_message *m,
				void *userdata, sd_bus_error *e);

int bus_read_options(sd_bus_message *m, option_handler_t handler, void *userdata,
		     sd_bus_error *e);

/* Typed readers for handlers: -EINVAL (and @e) when @sig does not match. */
int option_read_bool(const char *key, const char *sig, sd_bus_message *m, bool *ret,
		     sd_bus_error *e);
int option_read_string(const char *key, const char *sig, sd_bus_message *m, const char **ret,
		       sd_bus_error *e);
int option_unknown(const char *key, sd_bus_error *e);

/* The common options: auth.no_user_interaction only. */
struct auth_options {
	bool no_user_interaction;
};

int auth_option_handler(const char *key, const char *sig, sd_bus_message *m, void *userdata,
			sd_bus_error *e);

#endif /* SMOOTHFSD_OPTIONS_H */
