#include "sim/rng.h"

#include <math.h>

G_DEFINE_QUARK(sim-rng-error-quark, sim_rng_error)

struct sim_discrete {
	size_t n;
	double *prob;	/* chance of keeping column i rather than its alias */
	size_t *alias;
};

uint64_t sim_rng_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint64_t splitmix64_next(uint64_t *x)
{
	*x += 0x9e3779b97f4a7c15u;
	return sim_rng_mix(*x);
}

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3u;
	}
	return h;
}

void sim_rng_init(struct sim_rng *r, uint64_t seed, const char *stream_name)
{
	uint64_t x;

	g_return_if_fail(r != NULL);
	g_return_if_fail(stream_name != NULL);

	x = seed ^ sim_rng_mix(fnv1a64(stream_name));
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64_next(&x);
}

double sim_rng_uniform(struct sim_rng *r, double lo, double hi)
{
	g_return_val_if_fail(lo <= hi, 0.0);

	return lo + (hi - lo) * sim_rng_uniform01(r);
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

uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	uint64_t lo, hi;

	g_return_val_if_fail(n > 0, 0);

	hi = mul_64x64(sim_rng_next(r), n, &lo);
	if (lo < n) {
		/* 2^64 mod n products land in a short first slot: redraw those. */
		uint64_t threshold = (0 - n) % n;

		while (lo < threshold)
			hi = mul_64x64(sim_rng_next(r), n, &lo);
	}
	return hi;
}

static double standard_exponential(struct sim_rng *r)
{
	return -log1p(-sim_rng_uniform01(r));
}

double sim_rng_exponential(struct sim_rng *r, double mean)
{
	g_return_val_if_fail(mean >= 0.0, 0.0);

	return mean * standard_exponential(r);
}

double sim_rng_normal(struct sim_rng *r, double mean, double stddev)
{
	double radius, angle;

	g_return_val_if_fail(stddev >= 0.0, 0.0);

	radius = sqrt(2.0 * standard_exponential(r));
	angle = 2.0 * G_PI * sim_rng_uniform01(r);
	return mean + stddev * radius * cos(angle);
}

double sim_rng_lognormal(struct sim_rng *r, double mu, double sigma)
{
	g_return_val_if_fail(sigma >= 0.0, 0.0);

	return exp(sim_rng_normal(r, mu, sigma));
}

double sim_rng_pareto(struct sim_rng *r, double scale_xm, double shape_alpha)
{
	g_return_val_if_fail(scale_xm > 0.0, 0.0);
	g_return_val_if_fail(shape_alpha > 0.0, 0.0);

	return scale_xm * exp(standard_exponential(r) / shape_alpha);
}

double sim_rng_weibull(struct sim_rng *r, double scale_lambda, double shape_k)
{
	g_return_val_if_fail(scale_lambda > 0.0, 0.0);
	g_return_val_if_fail(shape_k > 0.0, 0.0);

	return scale_lambda * pow(standard_exponential(r), 1.0 / shape_k);
}

static gboolean check_weights(const double *weights, size_t n, double *max,
			      GError **error)
{
	if (n == 0) {
		g_set_error(error, SIM_RNG_ERROR, SIM_RNG_ERROR_EMPTY,
			    "no weights to choose from");
		return FALSE;
	}
	*max = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (!(weights[i] >= 0.0) || isinf(weights[i])) {
			g_set_error(error, SIM_RNG_ERROR, SIM_RNG_ERROR_WEIGHT,
				    "weight %zu (counted from 0) is %g, not a finite non-negative number",
				    i, weights[i]);
			return FALSE;
		}
		if (weights[i] > *max)
			*max = weights[i];
	}
	if (*max == 0.0) {
		g_set_error(error, SIM_RNG_ERROR, SIM_RNG_ERROR_ZERO_SUM,
			    "all %zu weights are zero", n);
		return FALSE;
	}
	return TRUE;
}

/* Vose's alias method: columns of height 1, each split between its own
 * outcome and one alias. */
struct sim_discrete *sim_discrete_new(const double *weights, size_t n,
				      GError **error)
{
	struct sim_discrete *d;
	size_t *work, n_small = 0, n_large = 0;
	double max, sum = 0.0;

	g_return_val_if_fail(weights != NULL || n == 0, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!check_weights(weights, n, &max, error))
		return NULL;

	d = g_new(struct sim_discrete, 1);
	d->n = n;
	d->prob = g_new(double, n);
	d->alias = g_new(size_t, n);
	/* Scaling by the largest weight first keeps the sum finite. */
	for (size_t i = 0; i < n; i++)
		sum += weights[i] / max;

	/* Small columns (height < 1) stack from the front of WORK, large ones
	 * from the back; together they never hold more than n. */
	work = g_new(size_t, n);
	for (size_t i = 0; i < n; i++) {
		d->prob[i] = weights[i] / max * (double)n / sum;
		d->alias[i] = i;
		if (d->prob[i] < 1.0)
			work[n_small++] = i;
		else
			work[n - ++n_large] = i;
	}
	while (n_small > 0 && n_large > 0) {
		size_t s = work[--n_small];
		size_t l = work[n - n_large--];

		d->alias[s] = l;
		d->prob[l] = (d->prob[l] + d->prob[s]) - 1.0;
		if (d->prob[l] < 1.0)
			work[n_small++] = l;
		else
			work[n - ++n_large] = l;
	}
	/* What is left is full up to rounding error. */
	while (n_large > 0)
		d->prob[work[n - n_large--]] = 1.0;
	while (n_small > 0)
		d->prob[work[--n_small]] = 1.0;
	g_free(work);
	return d;
}

size_t sim_discrete_draw(const struct sim_discrete *d, struct sim_rng *r)
{
	size_t column;

	g_return_val_if_fail(d != NULL, 0);

	column = (size_t)sim_rng_below(r, d->n);
	return sim_rng_uniform01(r) < d->prob[column] ? column : d->alias[column];
}

void sim_discrete_free(struct sim_discrete *d)
{
	if (!d)
		return;
	g_free(d->prob);
	g_free(d->alias);
	g_free(d);
}
