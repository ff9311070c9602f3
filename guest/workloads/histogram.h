/* SPDX-License-Identifier: GPL-2.0 */
/*
 * histogram.h - a log-linear latency histogram in microseconds.
 *
 * Values below 64 have a bucket each; above, every power of two is split
 * into 32 equal buckets, so a reported percentile is within 1/32 (about
 * 3 %) of the true sample, in fixed memory whatever the run length. It is
 * the HdrHistogram idea with one significant binary digit less.
 */
#ifndef WORKLOADS_HISTOGRAM_H
#define WORKLOADS_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS	5
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_LINEAR	(2 * HIST_SUB)
/* 64 exact buckets, then 32 per power of two from 2^6 to 2^31. */
#define HIST_BUCKETS	(HIST_LINEAR + (32 - HIST_SUB_BITS - 1) * HIST_SUB)

struct histogram {
	uint64_t count;
	uint64_t sum;
	uint32_t min, max;
	uint64_t buckets[HIST_BUCKETS];
};

static inline unsigned int hist_bucket(uint32_t v)
{
	unsigned int e, m;

	if (v < HIST_LINEAR)
		return v;
	e = 31 - __builtin_clz(v);		/* 2^e <= v, e >= 6 */
	m = v >> (e - HIST_SUB_BITS);		/* the top 6 bits: 32..63 */
	return HIST_LINEAR + (e - HIST_SUB_BITS - 1) * HIST_SUB + (m - HIST_SUB);
}

/* The middle of bucket b: exact for the linear buckets. */
static inline uint32_t hist_value(unsigned int b)
{
	unsigned int e, m;

	if (b < HIST_LINEAR)
		return b;
	e = (b - HIST_LINEAR) / HIST_SUB + HIST_SUB_BITS + 1;
	m = (b - HIST_LINEAR) % HIST_SUB + HIST_SUB;
	return ((uint32_t)m << (e - HIST_SUB_BITS)) + (1u << (e - HIST_SUB_BITS - 1));
}

static inline void hist_add(struct histogram *h, uint32_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->buckets[hist_bucket(v)]++;
}

/* The p-th percentile (0 < p <= 100): the sample of rank ceil(p% of count). */
static inline uint32_t hist_percentile(const struct histogram *h, double p)
{
	uint64_t rank = (uint64_t)(p / 100.0 * h->count + 0.999999);
	uint64_t seen = 0;
	unsigned int b;

	if (!h->count)
		return 0;
	if (rank < 1)
		rank = 1;
	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += h->buckets[b];
		if (seen >= rank) {
			uint32_t v = hist_value(b);

			/* Never report outside what was seen. */
			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}

#endif /* WORKLOADS_HISTOGRAM_H */
