// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: smoothfsd's parsing of D-Bus option dictionaries
 * (options.c, policy.c), the a{sv} of CreatePool, Move, SetPolicy and the
 * rest.  The input is read as a list of entries, each a key (one of the
 * known ones, or bytes from the input) and a value of a type the input
 * chooses; the dictionary is built with sd-bus, so it is always a
 * well-formed message, as the bus delivers it.  The parse must never
 * crash; a refusal sets an error whose message is valid UTF-8; what it
 * accepts passes policy_check() or is refused by it, and an accepted
 * policy survives the store's text round trip and the Policy property.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "options.h"
#include "policy.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
	"enabled", "interval_sec", "target_fill", "high_watermark", "low_watermark",
	"min_residency_sec", "max_bytes_per_sec", "max_concurrent", "quiet_hours",
	"auth.no_user_interaction", "force", "limit", "uuid", "mount_base", "", "bogus",
};

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t take8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint64_t take64(struct input *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | take8(in);
	return v;
}

/* A NUL-terminated string of up to 63 input bytes (may be invalid UTF-8). */
static void take_string(struct input *in, char buf[64])
{
	size_t n = take8(in) % 64;

	if (n > in->left)
		n = in->left;
	memcpy(buf, in->p, n);
	buf[n] = '\0';
	in->p += n;
	in->left -= n;
}

/* One value of a type chosen by the input; < 0 if sd-bus refuses it. */
static int append_value(sd_bus_message *m, struct input *in)
{
	char s[64];

	switch (take8(in) % 9) {
	case 0:
		return sd_bus_message_append(m, "v", "b", (int)(take8(in) & 1));
	case 1:
		return sd_bus_message_append(m, "v", "y", take8(in));
	case 2:
		return sd_bus_message_append(m, "v", "u", (uint32_t)take64(in));
	case 3:
		return sd_bus_message_append(m, "v", "t", take64(in));
	case 4:
		return sd_bus_message_append(m, "v", "i", (int32_t)take64(in));
	case 5:
		take_string(in, s);
		return sd_bus_message_append(m, "v", "s", s);
	case 6: {
		uint64_t bits = take64(in);
		double d;

		memcpy(&d, &bits, sizeof(d));
		return sd_bus_message_append(m, "v", "d", d);
	}
	case 7:
		take_string(in, s);
		return sd_bus_message_append(m, "v", "as", 2, s, "x");
	default:
		return sd_bus_message_append(m, "v", "a{sv}", 1, "k", "u", (uint32_t)take64(in));
	}
}

static int handler(const char *key, const char *sig, sd_bus_message *m, void *userdata,
		   sd_bus_error *e)
{
	struct smoothfsd_policy *p = userdata;

	if (policy_key_known(key))
		return policy_apply_option(p, key, sig, m, e);
	return option_unknown(key, e);
}

static void check_message_valid(const sd_bus_error *e)
{
	char copy[1024];

	if (!sd_bus_error_is_set(e) || !e->message)
		abort();
	snprintf(copy, sizeof(copy), "%s", e->message);
	utf8_make_valid(copy);
	if (strncmp(copy, e->message, sizeof(copy) - 1) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sd_bus *bus;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	struct input in = { data, size };
	struct smoothfsd_policy p, back;
	char **k = NULL, **v = NULL;
	unsigned int n;
	int r;

	if (!bus) {
		int fds[2];

		/* A started bus over a socket pair, as the unit tests use. */
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 ||
		    sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fds[0], fds[0]) < 0 ||
		    sd_bus_start(bus) < 0)
			abort();
	}
	if (sd_bus_message_new_method_call(bus, &m, "org.smoothfs1", "/org/smoothfs1/pool/tank",
					   "org.smoothfs1.Pool", "SetPolicy") < 0 ||
	    sd_bus_message_open_container(m, 'a', "{sv}") < 0)
		abort();
	n = take8(&in) % 12;
	for (unsigned int i = 0; i < n; i++) {
		char key[64];
		uint8_t which = take8(&in);

		if (which < 200)
			snprintf(key, sizeof(key), "%s", keys[which % ELEMENTSOF(keys)]);
		else
			take_string(&in, key);
		/* Invalid UTF-8 is refused by sd-bus, as the bus would refuse it. */
		if (sd_bus_message_open_container(m, 'e', "sv") < 0)
			abort();
		if (sd_bus_message_append(m, "s", key) < 0 || append_value(m, &in) < 0)
			return 0;
		if (sd_bus_message_close_container(m) < 0)
			abort();
	}
	if (sd_bus_message_close_container(m) < 0 || sd_bus_message_seal(m, 1, 0) < 0 ||
	    sd_bus_message_rewind(m, true) < 0)
		abort();

	policy_init(&p);
	r = bus_read_options(m, handler, &p, &e);
	if (r >= 0)
		r = policy_check(&p, &e);
	if (r < 0) {
		check_message_valid(&e);
		return 0;
	}
	/* Accepted: the store's text form and the property carry it unchanged. */
	if (policy_to_strings(&p, &k, &v) < 0)
		abort();
	policy_init(&back);
	policy_from_strings(&back, k, v);
	if (back.enabled != p.enabled || back.interval_sec != p.interval_sec ||
	    back.target_fill != p.target_fill || back.high_watermark != p.high_watermark ||
	    back.low_watermark != p.low_watermark ||
	    back.min_residency_sec != p.min_residency_sec ||
	    back.max_bytes_per_sec != p.max_bytes_per_sec ||
	    back.max_concurrent != p.max_concurrent || back.quiet_hours != p.quiet_hours ||
	    (p.quiet_hours && (back.quiet_start_min != p.quiet_start_min ||
			       back.quiet_end_min != p.quiet_end_min)))
		abort();
	if (sd_bus_message_new_method_return(m, &reply) < 0 || policy_append(reply, &p) < 0)
		abort();
	strv_free(k);
	strv_free(v);
	return 0;
}
