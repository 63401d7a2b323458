/* Statistics of a run: counters, time-weighted gauges and log-linear
 * histograms.  Times are uint64_t nanoseconds of simulated time. */
#ifndef DCDSIM_SIM_STATS_H
#define DCDSIM_SIM_STATS_H

#include <glib.h>
#include <stdint.h>

/* A monotonic count of events or bytes; zero-initialize to start. */
struct sim_counter {
	uint64_t n;
};

static inline void sim_counter_add(struct sim_counter *c, uint64_t n)
{
	c->n += n;
}

static inline uint64_t sim_counter_get(const struct sim_counter *c)
{
	return c->n;
}

/* A level that holds between updates (bytes in use, queue depth), whose
 * time average is wanted.  Public so models can embed it; read it only
 * through the functions below. */
struct sim_gauge {
	uint64_t start_ns;	/* time of sim_gauge_init */
	uint64_t last_ns;	/* time of the last update that moved the integral */
	double value;
	double max;
	double integral;	/* value * ns over [start_ns, last_ns] */
};

void sim_gauge_init(struct sim_gauge *g, uint64_t now_ns, double value);
/* NOW_NS must not precede the last update (a programmer error). */
void sim_gauge_set(struct sim_gauge *g, uint64_t now_ns, double value);
void sim_gauge_add(struct sim_gauge *g, uint64_t now_ns, double delta);
double sim_gauge_value(const struct sim_gauge *g);
/* Largest value held since init, the initial value included. */
double sim_gauge_max(const struct sim_gauge *g);
/* value * ns from init to NOW_NS, the open segment included. */
double sim_gauge_integral(const struct sim_gauge *g, uint64_t now_ns);
/* integral / elapsed time; the current value when no time has elapsed. */
double sim_gauge_mean(const struct sim_gauge *g, uint64_t now_ns);

/* A histogram of uint64_t values (latencies in ns, sizes in bytes) over
 * the whole uint64_t range, in log-linear buckets:
 *
 *   - values 0..255 have a bucket each (exact);
 *   - each range [2^k, 2^(k+1)) for k = 8..63 is split into 128 equal
 *     buckets of width 2^(k-7).
 *
 * That is 7424 buckets (58 KiB), allocated once: recording is O(1) and
 * never allocates.  A bucket's representative value is its midpoint, which
 * is within (width / 2) / lower bound <= 1/256 (0.39%) of any value in the
 * bucket.  Count, min, max and the sum behind the mean are tracked exactly
 * (the sum in 128 bits).  Opaque. */
struct sim_hist;

/* Only so that g_autoptr(sim_hist) can name the type. */
typedef struct sim_hist sim_hist;

/* Reports one non-empty bucket, values lo..hi inclusive; return TRUE to
 * stop the iteration. */
typedef gboolean (*sim_hist_bucket_fn)(uint64_t lo, uint64_t hi,
				       uint64_t count, void *user_data);

/* The caller owns the result (sim_hist_free). */
struct sim_hist *sim_hist_new(void);
void sim_hist_free(struct sim_hist *h);
void sim_hist_reset(struct sim_hist *h);

void sim_hist_record(struct sim_hist *h, uint64_t value);
/* COUNT copies of VALUE; COUNT may be 0. */
void sim_hist_record_n(struct sim_hist *h, uint64_t value, uint64_t count);

/* An empty histogram reports count 0 and 0 for min, max, mean and every
 * percentile. */
uint64_t sim_hist_count(const struct sim_hist *h);
uint64_t sim_hist_min(const struct sim_hist *h);
uint64_t sim_hist_max(const struct sim_hist *h);
double sim_hist_mean(const struct sim_hist *h);

/* The nearest-rank percentile, Q in [0, 1] (0.5 is p50, 0.999 is p999):
 * the smallest recorded value v such that at least Q * count values are
 * <= v, rank ceil(Q * count) clamped to [1, count].  Reported as the
 * representative of v's bucket, clamped to [min, max], so within 0.39% of
 * v; rank 1 gives min and rank count gives max exactly (p0, p100). */
uint64_t sim_hist_percentile(const struct sim_hist *h, double q);

/* Adds SRC's values to DST, exactly as if they had been recorded there. */
void sim_hist_merge(struct sim_hist *dst, const struct sim_hist *src);

/* Calls FN for each non-empty bucket in increasing order; returns TRUE
 * when FN stopped the iteration. */
gboolean sim_hist_foreach(const struct sim_hist *h, sim_hist_bucket_fn fn,
			  void *user_data);

/* Rebuilds from stored buckets (the output of sim_hist_foreach): adds
 * COUNT values to the bucket holding LO.  The values are taken to be the
 * bucket's representative, so after a rebuild min, max and mean are those
 * of the representatives (within 0.39% of the originals) while count and
 * every bucket count, hence every percentile's bucket, are exact. */
void sim_hist_add_bucket_count(struct sim_hist *h, uint64_t lo, uint64_t count);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sim_hist, sim_hist_free)

/* The 0.975 quantile of Student's t with DF >= 1 degrees of freedom: a
 * 95% confidence interval of the mean of n values is mean +- t(n - 1) *
 * s / sqrt(n).  A table to 30, then the Cornish-Fisher expansion (within
 * 1e-4 beyond). */
double sim_student_t975(unsigned df);

#endif
