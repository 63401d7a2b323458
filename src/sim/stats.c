#include "sim/stats.h"

#include <math.h>
#include <string.h>

void sim_gauge_init(struct sim_gauge *g, uint64_t now_ns, double value)
{
	g_return_if_fail(g != NULL);

	g->start_ns = now_ns;
	g->last_ns = now_ns;
	g->value = value;
	g->max = value;
	g->integral = 0.0;
}

void sim_gauge_set(struct sim_gauge *g, uint64_t now_ns, double value)
{
	g_return_if_fail(g != NULL);
	g_return_if_fail(now_ns >= g->last_ns);

	/* Models set their gauges on every event, mostly to what they hold:
	 * unchanged at the same time, or still zero, the gauge would add
	 * exactly zero to its integral and stay as it is. */
	if (value == g->value && (now_ns == g->last_ns || value == 0.0))
		return;
	g->integral += g->value * (double)(now_ns - g->last_ns);
	g->last_ns = now_ns;
	g->value = value;
	if (value > g->max)
		g->max = value;
}

void sim_gauge_add(struct sim_gauge *g, uint64_t now_ns, double delta)
{
	g_return_if_fail(g != NULL);

	sim_gauge_set(g, now_ns, g->value + delta);
}

double sim_gauge_value(const struct sim_gauge *g)
{
	g_return_val_if_fail(g != NULL, 0.0);

	return g->value;
}

double sim_gauge_max(const struct sim_gauge *g)
{
	g_return_val_if_fail(g != NULL, 0.0);

	return g->max;
}

double sim_gauge_integral(const struct sim_gauge *g, uint64_t now_ns)
{
	g_return_val_if_fail(g != NULL, 0.0);
	g_return_val_if_fail(now_ns >= g->last_ns, g->integral);

	return g->integral + g->value * (double)(now_ns - g->last_ns);
}

double sim_gauge_mean(const struct sim_gauge *g, uint64_t now_ns)
{
	g_return_val_if_fail(g != NULL, 0.0);
	g_return_val_if_fail(now_ns >= g->last_ns, g->value);

	if (now_ns == g->start_ns)
		return g->value;
	return sim_gauge_integral(g, now_ns) / (double)(now_ns - g->start_ns);
}

/* Bucket layout (see stats.h): values below 2^(SUB_BITS + 1) map to
 * themselves; above, a value with top set bit k keeps its top SUB_BITS + 1
 * bits m (128 <= m < 256) and lands in bucket (k - SUB_BITS) * 128 + m. */
enum {
	SUB_BITS = 7,
	SUB_COUNT = 1 << SUB_BITS,
	EXACT_LIMIT = 2 * SUB_COUNT,
	N_BUCKETS = (64 - SUB_BITS + 1) * SUB_COUNT,
};

struct sim_hist {
	uint64_t count;
	uint64_t min;		/* UINT64_MAX while empty */
	uint64_t max;
	uint64_t sum_hi;	/* the sum of all values, in 128 bits */
	uint64_t sum_lo;
	uint64_t buckets[N_BUCKETS];
};

static size_t bucket_index(uint64_t v)
{
	int shift;

	if (v < EXACT_LIMIT)
		return (size_t)v;
	shift = 63 - __builtin_clzll(v) - SUB_BITS;
	return (size_t)shift * SUB_COUNT + (size_t)(v >> shift);
}

static uint64_t bucket_lo(size_t i)
{
	int shift;

	if (i < EXACT_LIMIT)
		return i;
	shift = (int)(i / SUB_COUNT) - 1;
	return (uint64_t)(i % SUB_COUNT + SUB_COUNT) << shift;
}

static uint64_t bucket_hi(size_t i)
{
	if (i < EXACT_LIMIT)
		return i;
	return bucket_lo(i) + ((uint64_t)1 << (i / SUB_COUNT - 1)) - 1;
}

static uint64_t bucket_mid(size_t i)
{
	uint64_t lo = bucket_lo(i);

	return lo + (bucket_hi(i) - lo) / 2;
}

/* High and low halves of the 128-bit product a * b, in portable C. */
static uint64_t mul_64x64(uint64_t a, uint64_t b, uint64_t *lo)
{
	uint64_t a0 = (uint32_t)a, a1 = a >> 32;
	uint64_t b0 = (uint32_t)b, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;

	*lo = (mid << 32) | (uint32_t)p00;
	return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

static void sum_add(struct sim_hist *h, uint64_t hi, uint64_t lo)
{
	h->sum_lo += lo;
	h->sum_hi += hi + (h->sum_lo < lo);
}

struct sim_hist *sim_hist_new(void)
{
	struct sim_hist *h = g_new(struct sim_hist, 1);

	sim_hist_reset(h);
	return h;
}

void sim_hist_free(struct sim_hist *h)
{
	g_free(h);
}

void sim_hist_reset(struct sim_hist *h)
{
	g_return_if_fail(h != NULL);

	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* Adds COUNT values to bucket I, as VALUE for min, max and the sum. */
static void add_values(struct sim_hist *h, size_t i, uint64_t value,
		       uint64_t count)
{
	uint64_t hi, lo;

	if (count == 0)
		return;
	h->buckets[i] += count;
	h->count += count;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
	hi = mul_64x64(value, count, &lo);
	sum_add(h, hi, lo);
}

void sim_hist_record(struct sim_hist *h, uint64_t value)
{
	g_return_if_fail(h != NULL);

	add_values(h, bucket_index(value), value, 1);
}

void sim_hist_record_n(struct sim_hist *h, uint64_t value, uint64_t count)
{
	g_return_if_fail(h != NULL);

	add_values(h, bucket_index(value), value, count);
}

void sim_hist_add_bucket_count(struct sim_hist *h, uint64_t lo, uint64_t count)
{
	size_t i;

	g_return_if_fail(h != NULL);

	i = bucket_index(lo);
	add_values(h, i, bucket_mid(i), count);
}

uint64_t sim_hist_count(const struct sim_hist *h)
{
	g_return_val_if_fail(h != NULL, 0);

	return h->count;
}

uint64_t sim_hist_min(const struct sim_hist *h)
{
	g_return_val_if_fail(h != NULL, 0);

	return h->count ? h->min : 0;
}

uint64_t sim_hist_max(const struct sim_hist *h)
{
	g_return_val_if_fail(h != NULL, 0);

	return h->max;
}

double sim_hist_mean(const struct sim_hist *h)
{
	g_return_val_if_fail(h != NULL, 0.0);

	if (h->count == 0)
		return 0.0;
	return (ldexp((double)h->sum_hi, 64) + (double)h->sum_lo) /
	       (double)h->count;
}

uint64_t sim_hist_percentile(const struct sim_hist *h, double q)
{
	uint64_t rank, seen = 0, mid;
	size_t i, last;

	g_return_val_if_fail(h != NULL, 0);
	g_return_val_if_fail(q >= 0.0 && q <= 1.0, 0);

	if (h->count == 0)
		return 0;
	/* ceil() of the product in double: exact for counts below 2^53, and
	 * the histogram is already approximate beyond. */
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank <= 1)
		return h->min;
	if (rank >= h->count)
		return h->max;
	last = bucket_index(h->max);
	for (i = bucket_index(h->min); i < last; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	mid = bucket_mid(i);
	return mid < h->min ? h->min : mid > h->max ? h->max : mid;
}

void sim_hist_merge(struct sim_hist *dst, const struct sim_hist *src)
{
	g_return_if_fail(dst != NULL);
	g_return_if_fail(src != NULL);

	if (src->count == 0)
		return;
	for (size_t i = 0; i < N_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	sum_add(dst, src->sum_hi, src->sum_lo);
}

gboolean sim_hist_foreach(const struct sim_hist *h, sim_hist_bucket_fn fn,
			  void *user_data)
{
	g_return_val_if_fail(h != NULL, FALSE);
	g_return_val_if_fail(fn != NULL, FALSE);

	for (size_t i = 0; i < N_BUCKETS; i++)
		if (h->buckets[i] &&
		    fn(bucket_lo(i), bucket_hi(i), h->buckets[i], user_data))
			return TRUE;
	return FALSE;
}

double sim_student_t975(unsigned df)
{
	static const double table[] = {
		12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
		2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
		2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
	};
	const double z = 1.959963984540054, n = df;

	g_return_val_if_fail(df >= 1, NAN);
	if (df <= G_N_ELEMENTS(table))
		return table[df - 1];
	return z + (pow(z, 3) + z) / (4 * n) +
	       (5 * pow(z, 5) + 16 * pow(z, 3) + 3 * z) / (96 * n * n) +
	       (3 * pow(z, 7) + 19 * pow(z, 5) + 17 * pow(z, 3) - 15 * z) / (384 * n * n * n);
}
