/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by the daemon's units: cleanup attributes, string
 * vectors, growing arrays, time.  Nothing here holds state.
 */
#ifndef SMOOTHFSD_UTIL_H
#define SMOOTHFSD_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _weak_ __attribute__((weak))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

/* NULL-terminated string vectors. */
static inline char **strv_free(char **v)
{
	if (v)
		for (char **s = v; *s; s++)
			free(*s);
	free(v);
	return NULL;
}

static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

static inline size_t strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/*
 * Room for element @n in the array at *@array (capacity *@cap, @size bytes
 * each): the capacity doubles, starting at @first.  -ENOMEM leaves the
 * array as it was.
 */
static inline int array_reserve(void *array, size_t *cap, size_t n, size_t size, size_t first)
{
	void **a = array;
	size_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	na = reallocarray(*a, ncap, size);
	if (!na)
		return -ENOMEM;
	*a = na;
	*cap = ncap;
	return 0;
}

static inline uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

#endif /* SMOOTHFSD_UTIL_H */
