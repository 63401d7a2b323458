/* Random streams: one independent xoshiro256++ generator per named entity,
 * plus the continuous distributions and the weighted discrete table the
 * models draw from.
 *
 * Seeding scheme (kept stable: people reproduce runs from it).  For a run
 * seed S and a stream name N:
 *
 *   h    = FNV-1a 64 of the bytes of N, without the terminating NUL
 *          (offset basis 0xcbf29ce484222325, prime 0x100000001b3)
 *   x    = S ^ mix(h), where mix(z) is splitmix64's output function:
 *          z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
 *          z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
 *          z ^ (z >> 31)
 *   s[i] = splitmix64_next(&x) for i = 0, 1, 2, 3, where splitmix64_next
 *          adds 0x9e3779b97f4a7c15 to x and returns mix(x).
 *
 * The four seed words come from consecutive splitmix64 counters, so they
 * are never all zero.  A stream's numbers depend on (S, N) alone: there is
 * no shared state, so adding a stream never changes another's sequence.
 *
 * Every distribution consumes a fixed number of 64-bit outputs per draw
 * (sim_rng_below excepted, which rejects with probability below n/2^64),
 * so a draw depends only on the stream's position, never on which
 * distributions were drawn before. */
#ifndef DCDSIM_SIM_RNG_H
#define DCDSIM_SIM_RNG_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* Public so entities can embed their stream. */
struct sim_rng {
	uint64_t s[4];
};

void sim_rng_init(struct sim_rng *r, uint64_t seed, const char *stream_name);
/* mix(z) above: splitmix64's output function, also behind the seeds of a
 * sweep's repetitions (docs/sweep.md). */
uint64_t sim_rng_mix(uint64_t z);

static inline uint64_t sim_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256++ 1.0 (Blackman and Vigna). */
static inline uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = sim_rng_rotl(s[0] + s[3], 23) + s[0];
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sim_rng_rotl(s[3], 45);
	return result;
}

/* [0, 1) on the grid of multiples of 2^-53: the top 53 bits of one output. */
static inline double sim_rng_uniform01(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

/* lo + (hi - lo) * U with U in [0, 1); requires lo <= hi.  Rounding can
 * return hi itself when hi - lo is tiny against lo. */
double sim_rng_uniform(struct sim_rng *r, double lo, double hi);

/* Unbiased integer in [0, n), Lemire's multiply-and-reject; requires n > 0. */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);

/* The continuous distributions.  Parameters out of their domain are
 * programmer errors (the scenario layer validates first): they return 0.
 * E below is a standard exponential, -log1p(-U): finite, since U < 1. */

/* mean * E, mean >= 0; one output. */
double sim_rng_exponential(struct sim_rng *r, double mean);
/* Box-Muller keeping the cosine branch only: exactly two outputs per draw
 * and no cached second value.  stddev >= 0. */
double sim_rng_normal(struct sim_rng *r, double mean, double stddev);
/* exp(N(mu, sigma)): mu and sigma are those of the underlying normal. */
double sim_rng_lognormal(struct sim_rng *r, double mu, double sigma);
/* Pareto type I, xm * exp(E / alpha), support [xm, inf); xm > 0, alpha > 0;
 * one output. */
double sim_rng_pareto(struct sim_rng *r, double scale_xm, double shape_alpha);
/* Weibull, lambda * E^(1/k); lambda > 0, k > 0; one output. */
double sim_rng_weibull(struct sim_rng *r, double scale_lambda, double shape_k);

/* Errors of sim_discrete_new (weights come from scenarios). */
#define SIM_RNG_ERROR (sim_rng_error_quark())
GQuark sim_rng_error_quark(void);

enum sim_rng_error {
	SIM_RNG_ERROR_EMPTY,	/* no weights at all */
	SIM_RNG_ERROR_WEIGHT,	/* a weight is negative, NaN or infinite */
	SIM_RNG_ERROR_ZERO_SUM,	/* every weight is zero */
};

/* An immutable weighted choice among n outcomes (Walker/Vose alias table):
 * outcome i has probability weights[i] / sum(weights).  Opaque. */
struct sim_discrete;
/* Only so that g_autoptr(sim_discrete) can name the type. */
typedef struct sim_discrete sim_discrete;

/* Copies WEIGHTS; the caller owns the result (sim_discrete_free). */
struct sim_discrete *sim_discrete_new(const double *weights, size_t n,
				      GError **error);
/* O(1): one sim_rng_below and one sim_rng_uniform01 per draw.  Never
 * returns a zero-weight outcome. */
size_t sim_discrete_draw(const struct sim_discrete *d, struct sim_rng *r);
void sim_discrete_free(struct sim_discrete *d);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sim_discrete, sim_discrete_free)

#endif
