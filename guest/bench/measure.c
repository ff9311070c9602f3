// SPDX-License-Identifier: GPL-2.0
/*
 * How every benchmark turns operations into a time: a plan of short
 * batches, calibrated against the clock, and the fastest batch as the
 * result (bench.h says why).
 */
#include "bench.h"

uint64_t bench_run(bench_op_fn op, void *ctx, long count)
{
	uint64_t t0 = bench_now_ns();
	long i;

	for (i = 0; i < count; i++)
		op(ctx, i);
	return bench_now_ns() - t0;
}

void bench_warm_up(bench_op_fn op, void *ctx, long batch_ops,
		   uint64_t batch_ns, uint64_t min_ns, uint64_t max_ns)
{
	uint64_t start = bench_now_ns(), now = start, t0;
	double rate, best = 0;
	int settled = 0;
	long i = 0, n;

	while (now - start < max_ns) {
		t0 = now;
		n = 0;
		do {
			op(ctx, i++);
			n++;
			now = bench_now_ns();
		} while (n < batch_ops || now - t0 < batch_ns);
		rate = (double)n / (double)(now - t0);
		settled = rate > best * 1.1 ? 0 : settled + 1;
		if (rate > best)
			best = rate;
		if (settled >= 2 && now - start >= min_ns)
			break;
	}
}

struct bench_plan bench_plan(bench_op_fn op, void *ctx, long iters,
			     uint64_t target_ns, long min_iters,
			     long max_iters)
{
	uint64_t batch_ns = target_ns / BENCH_MIN_BATCHES, ns;
	struct bench_plan p;
	long long batches, total;

	if (iters) {
		p.iters = iters;
		p.batch = (iters + BENCH_MIN_BATCHES - 1) / BENCH_MIN_BATCHES;
		return p;
	}

	if (batch_ns > BENCH_BATCH_NS)
		batch_ns = BENCH_BATCH_NS;
	/*
	 * Each size runs twice and the faster run decides, so one stall
	 * cannot end the doubling early and leave batches too small to time.
	 */
	for (p.batch = 1;; p.batch *= 2) {
		uint64_t a = bench_run(op, ctx, p.batch);

		ns = bench_run(op, ctx, p.batch);
		if (a < ns)
			ns = a;
		if (ns >= batch_ns || p.batch >= max_iters / BENCH_MIN_BATCHES)
			break;
	}
	batches = (long long)(target_ns / (ns ? ns : 1));
	if (batches < BENCH_MIN_BATCHES)
		batches = BENCH_MIN_BATCHES;
	total = batches * p.batch;
	if (total < min_iters)
		total = min_iters;
	/* Whole batches, so all are alike; the doubling kept batch <= max / 5. */
	total = (total + p.batch - 1) / p.batch * p.batch;
	if (total > max_iters)
		total = max_iters / p.batch * p.batch;
	p.iters = (long)total;
	return p;
}

double bench_time(bench_op_fn op, void *ctx, const struct bench_plan *plan)
{
	double best = -1;
	long done, count;

	for (done = 0; done < plan->iters; done += count) {
		double per_op;

		uint64_t ns;

		count = plan->iters - done < plan->batch ?
			plan->iters - done : plan->batch;
		ns = bench_run(op, ctx, count);
		/*
		 * A batch whose clock did not advance measured nothing (seen
		 * under QEMU TCG, where the TSC read can lag the work); only a
		 * batch that took time can be the fastest.
		 */
		if (!ns)
			continue;
		per_op = (double)ns / (double)count;
		if (best < 0 || per_op < best)
			best = per_op;
	}
	return best;
}
