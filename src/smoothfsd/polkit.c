// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Asynchronous polkit checks without libpolkit; see polkit.h.
 */
#include <linux/capability.h>

#include "errors.h"
#include "log.h"
#include "polkit.h"

/* An interactive check may wait for a password dialog. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (10ULL * 60 * 1000000)
#define POLKIT_STALE_USEC (60ULL * 1000000)

struct polkit_query {
	struct polkit_query *next;
	PolkitRegistry *reg;
	sd_bus_message *request;	/* the method call being authorised */
	char *action;
	sd_bus_slot *slot;		/* the CheckAuthorization call, until answered */
	bool done;
	uint64_t done_usec;		/* CLOCK_MONOTONIC */
	int result;			/* 1 authorised, < 0 denied or failed */
	sd_bus_error error;
};

static struct polkit_query *query_free(struct polkit_query *q)
{
	if (!q)
		return NULL;
	sd_bus_slot_unref(q->slot);
	sd_bus_message_unref(q->request);
	sd_bus_error_free(&q->error);
	free(q->action);
	free(q);
	return NULL;
}

static void query_unlink(struct polkit_query *q)
{
	PolkitRegistry *reg = q->reg;

	for (struct polkit_query **p = &reg->queries; *p; p = &(*p)->next) {
		if (*p == q) {
			*p = q->next;
			reg->n_queries--;
			return;
		}
	}
}

void polkit_registry_clear(PolkitRegistry *reg)
{
	while (reg->queries) {
		struct polkit_query *q = reg->queries;

		query_unlink(q);
		query_free(q);
	}
}

bool polkit_interactive(sd_bus_message *call, bool no_user_interaction)
{
	return !no_user_interaction &&
	       sd_bus_message_get_allow_interactive_authorization(call) > 0;
}

static int check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct polkit_query *q = userdata;
	const sd_bus_error *err;
	int authorized, challenge, r;

	q->slot = sd_bus_slot_unref(q->slot);
	q->done = true;
	q->done_usec = now_usec(CLOCK_MONOTONIC);
	err = sd_bus_message_get_error(reply);
	if (err) {
		if (sd_bus_error_has_names(err, SD_BUS_ERROR_SERVICE_UNKNOWN,
					   SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
			/* No polkit: only privileged callers, who never get here. */
			q->result = -EACCES;
			sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
					  "%s is not allowed: polkit is not running", q->action);
		} else {
			q->result = smoothfs_error(&q->error, -EIO, "polkit check of %s failed: %s",
						   q->action, err->message ?: err->name);
		}
		goto requeue;
	}
	r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r >= 0)
		r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0) {
		q->result = smoothfs_error(&q->error, -EBADMSG, "polkit sent a malformed reply");
		goto requeue;
	}
	if (authorized) {
		q->result = 1;
	} else if (challenge) {
		q->result = -EACCES;
		sd_bus_error_setf(&q->error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
				  "%s needs authentication", q->action);
	} else {
		q->result = -EACCES;
		sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "%s is not allowed",
				  q->action);
	}
requeue:
	log_debug("polkit: %s for %s: %s", q->action,
		  sd_bus_message_get_sender(q->request) ?: "?",
		  q->result > 0 ? "authorised" : q->error.name);
	r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
	if (r < 0) {
		log_error_errno(r, "polkit: cannot dispatch the authorised call again");
		(void)sd_bus_reply_method_errorf(q->request, SMOOTHFS_ERROR_FAILED,
						 "internal error: %s", strerror(-r));
		query_unlink(q);
		query_free(q);
	}
	return 0;
}

/*
 * Answers nobody collected: the call's object vanished before it was
 * dispatched again, so its handler never ran.  Dropped after a minute.
 */
static void purge_stale(PolkitRegistry *reg)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	struct polkit_query **p = &reg->queries;

	while (*p) {
		struct polkit_query *q = *p;

		if (q->done && now - q->done_usec > POLKIT_STALE_USEC) {
			*p = q->next;
			reg->n_queries--;
			query_free(q);
		} else {
			p = &q->next;
		}
	}
}

static struct polkit_query *find_query(PolkitRegistry *reg, sd_bus_message *call)
{
	for (struct polkit_query *q = reg->queries; q; q = q->next)
		if (q->request == call)
			return q;
	return NULL;
}

int polkit_verify(PolkitRegistry *reg, sd_bus_message *call, const char *action,
		  bool interactive, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *c = NULL;
	struct polkit_query *q;
	const char *sender;
	sd_bus *bus = sd_bus_message_get_bus(call);
	int r;

	purge_stale(reg);
	q = find_query(reg, call);
	if (q) {
		if (!q->done)
			return 0;
		query_unlink(q);
		if (!streq(q->action, action)) {
			/* A handler never asks twice for one call; be strict anyway. */
			query_free(q);
			return smoothfs_error(e, -EACCES, "authorisation mismatch");
		}
		r = q->result;
		if (r < 0)
			(void)sd_bus_error_copy(e, &q->error);
		query_free(q);
		return r;
	}

	if (!reg->no_privileged_shortcut) {
		r = sd_bus_query_sender_privilege(call, CAP_SYS_ADMIN);
		if (r < 0)
			return smoothfs_error(e, r, "cannot identify the caller");
		if (r > 0)
			return 1;
	}

	sender = sd_bus_message_get_sender(call);
	if (!sender)
		return smoothfs_error(e, -EACCES, "caller without a bus name");
	if (reg->n_queries >= POLKIT_QUERIES_MAX)
		return smoothfs_error(e, -EBUSY, "too many pending authorisations");

	r = sd_bus_message_new_method_call(bus, &c, "org.freedesktop.PolicyKit1",
					   "/org/freedesktop/PolicyKit1/Authority",
					   "org.freedesktop.PolicyKit1.Authority",
					   "CheckAuthorization");
	if (r >= 0)
		r = sd_bus_message_append(c, "(sa{sv})s", "system-bus-name", 1, "name", "s",
					  sender, action);
	if (r >= 0)
		r = sd_bus_message_open_container(c, 'a', "{ss}");
	if (r >= 0)
		r = sd_bus_message_close_container(c);
	if (r >= 0)
		r = sd_bus_message_append(c, "us", (uint32_t)(interactive ? 1 : 0), "");
	if (r < 0)
		return smoothfs_error(e, r, "cannot build the polkit query");

	q = calloc(1, sizeof(*q));
	if (!q)
		return smoothfs_error(e, -ENOMEM, "out of memory");
	q->reg = reg;
	q->request = sd_bus_message_ref(call);
	q->action = strdup(action);
	if (!q->action) {
		query_free(q);
		return smoothfs_error(e, -ENOMEM, "out of memory");
	}
	r = sd_bus_call_async(bus, &q->slot, c, check_reply, q,
			      interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : 0);
	if (r < 0) {
		query_free(q);
		return smoothfs_error(e, r, "cannot ask polkit");
	}
	q->next = reg->queries;
	reg->queries = q;
	reg->n_queries++;
	return 0;
}
