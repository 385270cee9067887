/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcpload.h — the byte pattern and result format shared by the TCP test
 * tools: smtpdlp-tcpecho (DPDK + tcpstack) and smtpdlp-tcpkern (Linux
 * sockets), so the lab compares the two stacks moving the very same bytes.
 *
 * Protocol (one TCP connection):
 *   echo   client sends `bytes` of pattern(seed, conn), then FIN; the server
 *          returns every byte and closes after the client's FIN; the client
 *          verifies each returned byte against the pattern.
 *   sink   client sends `bytes` of pattern, then FIN; the server answers
 *          "OK <bytes> <crc32 hex>\n" and closes; the client compares.
 *   source the server sends `bytes` of pattern(seed, 0) and closes; the
 *          client verifies every byte (it sends nothing).
 * The pattern is position-addressable: byte i of a stream is the
 * (i % 8)-th byte of splitmix64(key + i / 8), so any offset can be checked
 * without keeping the stream.
 */
#ifndef SMTPDLP_TCPLOAD_H
#define SMTPDLP_TCPLOAD_H

#include <stdint.h>
#include <string.h>
#include <time.h>

enum tl_mode { TL_ECHO = 0, TL_SINK, TL_SOURCE };

static inline const char *
tl_mode_name(enum tl_mode m)
{
	return m == TL_ECHO ? "echo" : m == TL_SINK ? "sink" : "source";
}

static inline int
tl_mode_parse(const char *s, enum tl_mode *m)
{
	if (strcmp(s, "echo") == 0)
		*m = TL_ECHO;
	else if (strcmp(s, "sink") == 0)
		*m = TL_SINK;
	else if (strcmp(s, "source") == 0)
		*m = TL_SOURCE;
	else
		return -1;
	return 0;
}

static inline uint64_t
tl_mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t
tl_key(uint64_t seed, uint64_t conn)
{
	return tl_mix(seed ^ (conn * 0x100000001b3ull));
}

/* Fill buf with stream bytes [off, off + len). */
static inline void
tl_fill(uint64_t key, uint64_t off, uint8_t *buf, size_t len)
{
	while (len > 0) {
		uint64_t w = tl_mix(key + off / 8);
		unsigned i = off % 8;
		for (; i < 8 && len > 0; i++, len--, off++)
			*buf++ = (uint8_t)(w >> (8 * i));
	}
}

/* 0 if buf equals stream bytes [off, off + len), else -1. */
static inline int
tl_check(uint64_t key, uint64_t off, const uint8_t *buf, size_t len)
{
	uint8_t tmp[512];

	while (len > 0) {
		size_t n = len < sizeof(tmp) ? len : sizeof(tmp);
		tl_fill(key, off, tmp, n);
		if (memcmp(tmp, buf, n) != 0)
			return -1;
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

static inline double
tl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* SMTPDLP_TCPLOAD_H */
