/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Authorisation of mutating method calls through polkit, asynchronously
 * (architecture.md section 4, platform.md 1.3):
 *
 *	r = polkit_verify(reg, call, "org.smoothfs1.manage-pools", interactive, error);
 *	if (r < 0)
 *		return r;		// denied or failed; error is set
 *	if (r == 0)
 *		return 1;		// query in flight; the call comes back
 *	... authorised: do the work and reply ...
 *
 * While a CheckAuthorization call is pending the event loop runs on.
 * When its answer arrives, the original message is queued for dispatch
 * again (sd_bus_enqueue_for_read()), the handler runs from the start,
 * re-validates everything, and polkit_verify() returns the stored answer.
 * Callers with CAP_SYS_ADMIN (root) skip polkit.  All pending queries
 * live in the registry, which the manager owns.
 */
#ifndef SMOOTHFSD_POLKIT_H
#define SMOOTHFSD_POLKIT_H

#include <stdbool.h>

#include <systemd/sd-bus.h>

#define SMOOTHFS_ACTION_MANAGE_POOLS	"org.smoothfs1.manage-pools"
#define SMOOTHFS_ACTION_MANAGE_MOVEMENT	"org.smoothfs1.manage-movement"

/* Pending queries beyond this are refused with Busy. */
#define POLKIT_QUERIES_MAX 128

struct polkit_query;

typedef struct PolkitRegistry {
	struct polkit_query *queries;
	unsigned int n_queries;
	/* Tests: never take the privileged-caller shortcut. */
	bool no_privileged_shortcut;
} PolkitRegistry;

/* 1 authorised, 0 pending (return 1 from the handler), < 0 with @e set. */
int polkit_verify(PolkitRegistry *reg, sd_bus_message *call, const char *action,
		  bool interactive, sd_bus_error *e);

/* Whether the caller allowed interactive authorisation (header flag). */
bool polkit_interactive(sd_bus_message *call, bool no_user_interaction);

/* Cancels and frees every pending query (at exit). */
void polkit_registry_clear(PolkitRegistry *reg);

#endif /* SMOOTHFSD_POLKIT_H */
