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
#include <zlib.h>

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
tl_le64(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(w);
#else
	return w;
#endif
}

static inline uint64_t
tl_key(uint64_t seed, uint64_t conn)
{
	return tl_mix(seed ^ (conn * 0x100000001b3ull));
}

/* Fill buf with stream bytes [off, off + len): whole words at a time, the
 * pattern being little-endian words of tl_mix(key + i / 8). */
static inline void
tl_fill(uint64_t key, uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t idx = off / 8, w;
	unsigned i = off % 8;

	if (i != 0 && len > 0) {
		w = tl_mix(key + idx++);
		for (; i < 8 && len > 0; i++, len--)
			*buf++ = (uint8_t)(w >> (8 * i));
	}
	for (; len >= 8; len -= 8, buf += 8) {
		w = tl_le64(tl_mix(key + idx++));
		memcpy(buf, &w, 8);
	}
	if (len > 0) {
		w = tl_mix(key + idx);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)(w >> (8 * i));
	}
}

/* 0 if buf equals stream bytes [off, off + len), else -1. */
static inline int
tl_check(uint64_t key, uint64_t off, const uint8_t *buf, size_t len)
{
	uint64_t idx, w, v;

	while (len > 0 && off % 8 != 0) {
		if (*buf != (uint8_t)(tl_mix(key + off / 8) >> (8 * (off % 8))))
			return -1;
		buf++, off++, len--;
	}
	idx = off / 8;
	for (; len >= 8; len -= 8, buf += 8) {
		memcpy(&v, buf, 8);
		w = tl_le64(tl_mix(key + idx++));
		if (v != w)
			return -1;
	}
	for (unsigned i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(tl_mix(key + idx) >> (8 * i)))
			return -1;
	return 0;
}

/*
 * tl_crc32(crc, buf, len): the same value as zlib's crc32() (the CRC-32 of
 * IEEE 802.3, bit-reflected 0x04C11DB7), folded 64 bytes at a time with
 * carry-less multiplication when the CPU has PCLMULQDQ (Intel, "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ", 2009; the constants
 * are the ones Chromium's zlib uses), zlib for the rest. Every tool uses it
 * on every path, so the comparison between paths is unchanged; the unit
 * test (tests/unit/tcpstack/test_tcpload.c) checks it against zlib.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

__attribute__((target("pclmul,sse4.1"))) static inline uint32_t
tl_crc32_fold(const uint8_t *buf, size_t len, uint32_t crc)
{
	/* len >= 64, a multiple of 16; crc is the inverted (internal) value */
	const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
	const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
	const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124);
	const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
	const __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);
	__m128i x1, x2, x3, x4, x5, x6, x7, x8;

	x1 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x00));
	x2 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x10));
	x3 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x20));
	x4 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x30));
	x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
	buf += 64;
	len -= 64;
	while (len >= 64) {
		x5 = _mm_clmulepi64_si128(x1, k1k2, 0x00);
		x6 = _mm_clmulepi64_si128(x2, k1k2, 0x00);
		x7 = _mm_clmulepi64_si128(x3, k1k2, 0x00);
		x8 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
		x1 = _mm_clmulepi64_si128(x1, k1k2, 0x11);
		x2 = _mm_clmulepi64_si128(x2, k1k2, 0x11);
		x3 = _mm_clmulepi64_si128(x3, k1k2, 0x11);
		x4 = _mm_clmulepi64_si128(x4, k1k2, 0x11);
		x1 = _mm_xor_si128(_mm_xor_si128(x1, x5),
				   _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x00)));
		x2 = _mm_xor_si128(_mm_xor_si128(x2, x6),
				   _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x10)));
		x3 = _mm_xor_si128(_mm_xor_si128(x3, x7),
				   _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x20)));
		x4 = _mm_xor_si128(_mm_xor_si128(x4, x8),
				   _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x30)));
		buf += 64;
		len -= 64;
	}
	/* fold the four lanes into one */
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
	x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
	x1 = _mm_xor_si128(_mm_xor_si128(x1, x3), x5);
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
	x1 = _mm_xor_si128(_mm_xor_si128(x1, x4), x5);
	while (len >= 16) {
		x2 = _mm_loadu_si128((const __m128i *)(const void *)buf);
		x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
		x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
		x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
		buf += 16;
		len -= 16;
	}
	/* 128 -> 64 bits */
	x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
	x2 = _mm_srli_si128(x1, 4);
	x1 = _mm_and_si128(x1, mask32);
	x1 = _mm_clmulepi64_si128(x1, k5k0, 0x00);
	x1 = _mm_xor_si128(x1, x2);
	/* Barrett reduction to 32 bits */
	x2 = _mm_and_si128(x1, mask32);
	x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
	x2 = _mm_and_si128(x2, mask32);
	x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
	x1 = _mm_xor_si128(x1, x2);
	return (uint32_t)_mm_extract_epi32(x1, 1);
}

static inline int
tl_have_pclmul(void)
{
	static int have = -1;

	if (have < 0)
		have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
	return have;
}
#endif

/* Byte-at-a-time table for short pieces, built before main(). */
static uint32_t tl_crc_table[256];

__attribute__((constructor)) static void
tl_crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		tl_crc_table[i] = c;
	}
}

static inline unsigned long
tl_crc32(unsigned long crc, const uint8_t *buf, size_t len)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (len >= 64 && tl_have_pclmul()) {
		size_t n = len & ~(size_t)15;

		crc = ~tl_crc32_fold(buf, n, ~(uint32_t)crc) & 0xffffffffu;
		buf += n;
		len -= n;
	}
#endif
	if (len < 64) { /* a segment's tail: zlib's call costs more than this */
		uint32_t c = ~(uint32_t)crc;

		while (len-- > 0)
			c = tl_crc_table[(c ^ *buf++) & 0xff] ^ (c >> 8);
		return ~c & 0xffffffffu;
	}
	while (len > 0) { /* zlib takes uInt lengths */
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;

		crc = crc32(crc, buf, n);
		buf += n;
		len -= n;
	}
	return crc;
}

static inline double
tl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds used by this process so far, all threads. */
static inline double
tl_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The busy window of a run: from the first connection opened or accepted
 * to the last moment no connection was open, in wall and CPU seconds. The
 * bench divides rates by the CPU of this window, so start-up (DPDK's EAL
 * maps and touches its memory, the kernel tool does nothing comparable)
 * and the idle time before the first and after the last connection do
 * not count on either path. tl_window_open() on every open/accept,
 * tl_window_idle() whenever the number of open connections drops to 0;
 * one thread at a time (the DPDK tool calls them from its main io lcore's
 * view through atomics, see smtpdlp-tcpecho.c).
 */
struct tl_window {
	int open;
	double t0, cpu0, t1, cpu1;
};

static inline void
tl_window_open(struct tl_window *w)
{
	if (!w->open) {
		w->open = 1;
		w->t0 = tl_now();
		w->cpu0 = tl_cpu();
	}
}

static inline void
tl_window_idle(struct tl_window *w)
{
	w->t1 = tl_now();
	w->cpu1 = tl_cpu();
}

static inline double
tl_window_secs(const struct tl_window *w)
{
	return w->open && w->t1 > w->t0 ? w->t1 - w->t0 : 0;
}

static inline double
tl_window_cpu(const struct tl_window *w)
{
	return w->open && w->t1 > w->t0 ? w->cpu1 - w->cpu0 : 0;
}

#endif /* SMTPDLP_TCPLOAD_H */
