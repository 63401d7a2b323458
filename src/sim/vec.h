/* Growable arrays in plain structs (V, LEN used of CAP) for the lists a
 * model fills and empties on nearly every event: reused from one event to
 * the next they cost no allocation once warm, and no GArray call per
 * element. */
#ifndef DCDSIM_SIM_VEC_H
#define DCDSIM_SIM_VEC_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* An anonymous growable array of TYPE. */
#define SIM_VEC(type)              \
	struct {                   \
		type *v;           \
		uint32_t len, cap; \
	}

/* V, an array of *CAP elements of SIZE bytes, grown to hold WANT: the
 * capacity at least doubles, and starts at 16. */
static inline void *sim_vec_reserve(void *v, uint32_t *cap, size_t want, size_t size)
{
	if (G_LIKELY(want <= *cap))
		return v;
	*cap = (uint32_t)MAX(MAX(16, 2 * (size_t)*cap), want);
	return g_realloc_n(v, *cap, size);
}

/* Appends an element to VEC (evaluated more than once), growing it when
 * full; evaluates to the element. */
#define sim_vec_push(vec)                                                                 \
	(*((vec)->v = sim_vec_reserve((vec)->v, &(vec)->cap, (size_t)(vec)->len + 1,      \
				      sizeof(*(vec)->v)),                                 \
	   &(vec)->v[(vec)->len++]))

#endif
