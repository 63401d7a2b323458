#include "models/interleave.h"

#include <string.h>

G_DEFINE_QUARK(interleave-error-quark, interleave_error)

struct interleave_set {
	unsigned ways;
	uint64_t granularity;
	uint64_t stripe;	/* granularity * ways: one granule per position */
	unsigned devices[INTERLEAVE_MAX_WAYS];
};

bool interleave_ways_valid(unsigned ways)
{
	switch (ways) {
	case 1: case 2: case 4: case 8: case 16:
	case 3: case 6: case 12:
		return true;
	default:
		return false;
	}
}

bool interleave_granularity_valid(uint64_t granularity)
{
	return granularity >= 256 && granularity <= 16384 &&
	       (granularity & (granularity - 1)) == 0;
}

static bool devices_valid(unsigned ways, const unsigned *devices, size_t n_devices,
			  GError **error)
{
	if (n_devices != ways) {
		g_set_error(error, INTERLEAVE_ERROR, INTERLEAVE_ERROR_DEVICES,
			    "interleave set of %u ways lists %zu devices", ways, n_devices);
		return false;
	}
	for (size_t i = 0; i < n_devices; i++)
		for (size_t j = 0; j < i; j++)
			if (devices[i] == devices[j]) {
				g_set_error(error, INTERLEAVE_ERROR, INTERLEAVE_ERROR_DEVICES,
					    "device %u appears twice in the interleave set (positions %zu and %zu)",
					    devices[i], j, i);
				return false;
			}
	return true;
}

struct interleave_set *interleave_set_new(unsigned ways, uint64_t granularity,
					  const unsigned *devices, size_t n_devices,
					  GError **error)
{
	struct interleave_set *set;

	g_return_val_if_fail(devices != NULL || n_devices == 0, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!interleave_ways_valid(ways)) {
		g_set_error(error, INTERLEAVE_ERROR, INTERLEAVE_ERROR_WAYS,
			    "interleave ways %u not allowed (expected 1, 2, 3, 4, 6, 8, 12 or 16)",
			    ways);
		return NULL;
	}
	if (!interleave_granularity_valid(granularity)) {
		g_set_error(error, INTERLEAVE_ERROR, INTERLEAVE_ERROR_GRANULARITY,
			    "interleave granularity %" G_GUINT64_FORMAT
			    " not allowed (expected 256, 512, 1024, 2048, 4096, 8192 or 16384 bytes)",
			    granularity);
		return NULL;
	}
	if (!devices_valid(ways, devices, n_devices, error))
		return NULL;

	set = g_new0(struct interleave_set, 1);
	set->ways = ways;
	set->granularity = granularity;
	set->stripe = granularity * ways;
	memcpy(set->devices, devices, ways * sizeof(*devices));
	return set;
}

void interleave_set_free(struct interleave_set *set)
{
	g_free(set);
}

unsigned interleave_set_get_ways(const struct interleave_set *set)
{
	g_return_val_if_fail(set != NULL, 0);

	return set->ways;
}

uint64_t interleave_set_get_granularity(const struct interleave_set *set)
{
	g_return_val_if_fail(set != NULL, 0);

	return set->granularity;
}

unsigned interleave_set_get_device(const struct interleave_set *set, unsigned position)
{
	g_return_val_if_fail(set != NULL, 0);
	g_return_val_if_fail(position < set->ways, 0);

	return set->devices[position];
}

bool interleave_set_find_device(const struct interleave_set *set, unsigned device,
				unsigned *position)
{
	g_return_val_if_fail(set != NULL, false);

	for (unsigned p = 0; p < set->ways; p++)
		if (set->devices[p] == device) {
			if (position)
				*position = p;
			return true;
		}
	return false;
}

void interleave_set_hpa_to_dpa(const struct interleave_set *set, uint64_t hpa,
			       unsigned *position, uint64_t *dpa)
{
	g_return_if_fail(set != NULL);
	g_return_if_fail(position != NULL && dpa != NULL);

	*position = (unsigned)((hpa / set->granularity) % set->ways);
	*dpa = (hpa / set->stripe) * set->granularity + hpa % set->granularity;
}

bool interleave_set_dpa_to_hpa(const struct interleave_set *set, unsigned position,
			       uint64_t dpa, uint64_t *hpa)
{
	uint64_t granule, within, limit;

	g_return_val_if_fail(set != NULL && hpa != NULL, false);
	g_return_val_if_fail(position < set->ways, false);

	granule = dpa / set->granularity;
	within = dpa % set->granularity;
	/* The HPA granule index, granule * ways + position, times the
	 * granularity plus WITHIN must stay below 2^64. */
	limit = (UINT64_MAX - within) / set->granularity;
	if (granule > (limit - position) / set->ways)
		return false;
	*hpa = (granule * set->ways + position) * set->granularity + within;
	return true;
}

/* The number of position P's bytes below HPA offset X, which is also the
 * DPA offset of its first byte at or above X: HPA -> DPA is increasing on
 * each position, so a range's share of a position is contiguous. */
static uint64_t position_bytes_below(const struct interleave_set *set, unsigned p, uint64_t x)
{
	uint64_t in_stripe = x % set->stripe;
	uint64_t lo = (uint64_t)p * set->granularity;
	uint64_t partial = 0;

	if (in_stripe > lo)
		partial = MIN(in_stripe - lo, set->granularity);
	return (x / set->stripe) * set->granularity + partial;
}

void interleave_set_map_range(const struct interleave_set *set, uint64_t hpa, uint64_t len,
			      struct extent_range out[INTERLEAVE_MAX_WAYS])
{
	g_return_if_fail(set != NULL && out != NULL);
	g_return_if_fail(len <= UINT64_MAX - hpa);

	for (unsigned p = 0; p < set->ways; p++) {
		uint64_t start = position_bytes_below(set, p, hpa);

		out[p].start = start;
		out[p].len = position_bytes_below(set, p, hpa + len) - start;
	}
}

const char *interleave_assembly_name(enum interleave_assembly status)
{
	switch (status) {
	case INTERLEAVE_ASSEMBLY_COMPLETE:
		return "complete";
	case INTERLEAVE_ASSEMBLY_MISSING:
		return "missing";
	case INTERLEAVE_ASSEMBLY_MISMATCH:
		return "mismatch";
	case INTERLEAVE_ASSEMBLY_UNALIGNED:
		return "unaligned";
	case INTERLEAVE_ASSEMBLY_OVERFLOW:
		return "overflow";
	}
	g_return_val_if_reached("unknown");
}

enum interleave_assembly interleave_set_assemble(const struct interleave_set *set,
						 const struct extent_range pieces[],
						 struct extent_range *out_hpa)
{
	uint64_t start, len;

	g_return_val_if_fail(set != NULL && pieces != NULL, INTERLEAVE_ASSEMBLY_MISSING);
	g_return_val_if_fail(out_hpa != NULL, INTERLEAVE_ASSEMBLY_MISSING);

	for (unsigned p = 0; p < set->ways; p++)
		if (pieces[p].len == 0)
			return INTERLEAVE_ASSEMBLY_MISSING;
	start = pieces[0].start;
	len = pieces[0].len;
	for (unsigned p = 1; p < set->ways; p++)
		if (pieces[p].start != start || pieces[p].len != len)
			return INTERLEAVE_ASSEMBLY_MISMATCH;
	if (start % set->granularity != 0 || len % set->granularity != 0)
		return INTERLEAVE_ASSEMBLY_UNALIGNED;
	if (len > UINT64_MAX - start || start + len > UINT64_MAX / set->ways)
		return INTERLEAVE_ASSEMBLY_OVERFLOW;
	out_hpa->start = start * set->ways;
	out_hpa->len = len * set->ways;
	return INTERLEAVE_ASSEMBLY_COMPLETE;
}
