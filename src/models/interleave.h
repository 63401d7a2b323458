/* An interleave set: N devices whose DC capacity a host region stripes
 * across, granule by granule, as a CXL HDM decoder does.
 *
 * Offsets, not addresses: an HPA offset is relative to the region's HPA
 * base and a DPA offset to the start of the device's part (its decoder's
 * DPA base).  With W ways and granularity G, HPA offset h lies on
 *
 *   position   p = (h / G) mod W
 *   DPA offset d = (h / (G * W)) * G + h mod G
 *
 * and conversely h = ((d / G) * W + p) * G + d mod G.  This is the HDM
 * decoder arithmetic for every way count CXL allows, the 3, 6 and 12-way
 * (modulo 3) decoders included. */
#ifndef DCDSIM_MODELS_INTERLEAVE_H
#define DCDSIM_MODELS_INTERLEAVE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/extent_map.h"

#define INTERLEAVE_MAX_WAYS 16

#define INTERLEAVE_ERROR (interleave_error_quark())
GQuark interleave_error_quark(void);

enum interleave_error {
	INTERLEAVE_ERROR_WAYS,		/* not 1, 2, 3, 4, 6, 8, 12 or 16 */
	INTERLEAVE_ERROR_GRANULARITY,	/* not 256 B, 512 B, ... 16 KiB */
	INTERLEAVE_ERROR_DEVICES,	/* wrong count, or a device twice */
};

/* The way counts and granularities CXL HDM decoders can encode. */
bool interleave_ways_valid(unsigned ways);
bool interleave_granularity_valid(uint64_t granularity);

struct interleave_set;

/* A set of WAYS devices, DEVICES[p] being the device at position p.  The
 * device ids are the caller's (a fabric-wide device index); each may appear
 * once.  Copies DEVICES; the caller owns the result (interleave_set_free).
 * Returns NULL with ERROR set on a bad configuration. */
struct interleave_set *interleave_set_new(unsigned ways, uint64_t granularity,
					  const unsigned *devices, size_t n_devices,
					  GError **error);
void interleave_set_free(struct interleave_set *set);

unsigned interleave_set_get_ways(const struct interleave_set *set);
uint64_t interleave_set_get_granularity(const struct interleave_set *set);
/* The device at POSITION (< ways). */
unsigned interleave_set_get_device(const struct interleave_set *set, unsigned position);
/* The position of DEVICE in the set; false when it is not a member. */
bool interleave_set_find_device(const struct interleave_set *set, unsigned device,
				unsigned *position);

/* HPA offset -> (position, DPA offset).  Total: every HPA offset maps. */
void interleave_set_hpa_to_dpa(const struct interleave_set *set, uint64_t hpa,
			       unsigned *position, uint64_t *dpa);
/* (position, DPA offset) -> HPA offset; false when the HPA offset would not
 * fit in 64 bits (DPA offsets near 2^64 / ways). */
bool interleave_set_dpa_to_hpa(const struct interleave_set *set, unsigned position,
			       uint64_t dpa, uint64_t *hpa);

/* Splits the HPA range [HPA, HPA + LEN) (not wrapping around 2^64) into
 * what each device holds of it: OUT[p], for p < ways, is the DPA range of
 * position p.  Whatever the range's alignment, each position's share is one
 * contiguous DPA range, possibly empty (len 0, start where it would be).
 * When HPA and LEN are multiples of G * W, every share is
 * [HPA / W, (HPA + LEN) / W). */
void interleave_set_map_range(const struct interleave_set *set, uint64_t hpa, uint64_t len,
			      struct extent_range out[INTERLEAVE_MAX_WAYS]);

/* Whether per-device pieces form one region extent. */
enum interleave_assembly {
	INTERLEAVE_ASSEMBLY_COMPLETE,	/* all present and consistent */
	INTERLEAVE_ASSEMBLY_MISSING,	/* some position has no piece (len 0) */
	INTERLEAVE_ASSEMBLY_MISMATCH,	/* pieces differ in DPA offset or length */
	INTERLEAVE_ASSEMBLY_UNALIGNED,	/* not whole granules: no HPA range */
	INTERLEAVE_ASSEMBLY_OVERFLOW,	/* the HPA range would pass 2^64 */
};

/* "complete", "missing", "mismatch", "unaligned", "overflow". */
const char *interleave_assembly_name(enum interleave_assembly status);

/* PIECES[p], for p < ways, is the DPA range (offsets within each device's
 * part) position p offers, len 0 for none yet.  They make a region extent
 * when every position has one and all have the same offset and length
 * ("consistent offsets"), a multiple of the granularity G: the extent is
 * then the HPA range [start * W, (start + len) * W), stored in OUT_HPA.
 * The first failed check, in the order of the enum, is returned otherwise,
 * OUT_HPA untouched. */
enum interleave_assembly interleave_set_assemble(const struct interleave_set *set,
						 const struct extent_range pieces[],
						 struct extent_range *out_hpa);

#endif
