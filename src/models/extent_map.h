/* The extent map of one DC region: a partition of the region's DPA range
 * [base, base + length) into block-aligned entries, each free or one device
 * extent in some state, with the allocation policies that choose free DPA.
 *
 * Free entries are always coalesced, so every free entry is a maximal free
 * extent.  Non-free entries are never merged, even when adjacent with equal
 * attributes: each one counts against the device's extent limit.
 *
 * Every operation is O(log n) in the number of entries, plus O(log n) for
 * each entry it visits, replaces or returns, except that the first
 * allocation of a map to search free extents by size (best or worst fit,
 * the largest-first fallback) indexes them once, in O(n log n), and its
 * first buddy allocation indexes their buddy blocks once, in O(n).  Results
 * that come from the outside world (unaligned or out-of-region ranges, no
 * space) are returned as enum extent_map_status; g_return_val_if_fail only
 * catches programmer mistakes such as a NULL map. */
#ifndef DCDSIM_MODELS_EXTENT_MAP_H
#define DCDSIM_MODELS_EXTENT_MAP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum extent_state {
	EXTENT_FREE,
	EXTENT_PENDING,		/* offered to a host, not answered */
	EXTENT_ACCEPTED,
	EXTENT_RELEASING,	/* release asked of the host, not done yet */
	EXTENT_SANITIZING,	/* released, free again once sanitized */
	EXTENT_STATE_COUNT
};

/* "free", "pending", "accepted", "releasing", "sanitizing". */
const char *extent_state_name(enum extent_state state);

enum extent_map_status {
	EXTENT_MAP_OK,
	EXTENT_MAP_ERR_EMPTY,		/* zero length */
	EXTENT_MAP_ERR_OUTSIDE,		/* not inside the region */
	EXTENT_MAP_ERR_UNALIGNED,	/* not a multiple of the block size */
	EXTENT_MAP_ERR_FREE,		/* the DPA is free space, not an extent */
	EXTENT_MAP_ERR_ARGUMENT,	/* e.g. max_extents == 0 */
	EXTENT_MAP_ERR_NO_SPACE,	/* less free space than requested */
	EXTENT_MAP_ERR_NO_CONTIGUOUS,	/* enough free space, too scattered */
};

const char *extent_map_status_name(enum extent_map_status status);

struct extent_range {
	uint64_t start, len;
};

struct extent_attr {
	enum extent_state state;
	int host;		/* -1 for none */
	uint64_t group;
	uint8_t tag[16];	/* all zero: no tag */
	uint16_t seq;		/* shared extent sequence */
};

/* Fills ATTR with STATE and no host, group, tag or sequence. */
void extent_attr_init(struct extent_attr *attr, enum extent_state state);
/* What extent_attr_init gives for EXTENT_FREE, for the many frees. */
extern const struct extent_attr extent_attr_free;

struct extent_entry {
	uint64_t start, len;
	struct extent_attr attr;
};

/* Visits ENTRY, a copy; a non-zero return stops the walk and is returned
 * by the foreach function.  The callback may change the map: the walk goes
 * on from the end of the entry it was given. */
typedef int (*extent_map_fn)(const struct extent_entry *entry, void *data);

struct extent_map;

/* True when a region of LENGTH bytes at BASE with BLOCK_SIZE blocks can be
 * mapped: BLOCK_SIZE a power of two >= 64, BASE and LENGTH (> 0) multiples
 * of it, and the range not wrapping around 2^64. */
bool extent_map_geometry_valid(uint64_t base, uint64_t length, uint64_t block_size);

/* A map whose region is one free entry; NULL when the geometry is invalid
 * (check it first with extent_map_geometry_valid). */
struct extent_map *extent_map_new(uint64_t base, uint64_t length, uint64_t block_size);
void extent_map_free(struct extent_map *map);

uint64_t extent_map_get_base(const struct extent_map *map);
uint64_t extent_map_get_length(const struct extent_map *map);
uint64_t extent_map_get_block_size(const struct extent_map *map);

/* Counters, kept up to date by every change. */
uint64_t extent_map_get_bytes(const struct extent_map *map, enum extent_state state);
size_t extent_map_get_extent_count(const struct extent_map *map);	/* non-free entries */
size_t extent_map_get_free_count(const struct extent_map *map);		/* free extents */
uint64_t extent_map_get_largest_free(const struct extent_map *map);

/* OK when [START, START + LEN) is a non-empty, block-aligned range inside
 * the region; otherwise the first failed check, in the order EMPTY,
 * OUTSIDE, UNALIGNED. */
enum extent_map_status extent_map_validate(const struct extent_map *map, uint64_t start,
					   uint64_t len);

/* True when the range is valid and entirely free. */
bool extent_map_range_is_free(const struct extent_map *map, uint64_t start, uint64_t len);

/* Copies the entry containing DPA (any byte address) into OUT; false when
 * DPA lies outside the region. */
bool extent_map_lookup(const struct extent_map *map, uint64_t dpa, struct extent_entry *out);

/* Walks, in address order, every entry overlapping [START, START + LEN)
 * clipped to the region (no alignment needed), or every free entry. */
int extent_map_foreach(struct extent_map *map, uint64_t start, uint64_t len, extent_map_fn fn,
		       void *data);
int extent_map_foreach_free(struct extent_map *map, extent_map_fn fn, void *data);

/* Gives the validated range the attributes ATTR.  Entries that straddle a
 * range boundary are split there: their outer parts keep their attributes
 * (a non-free part becomes an extent of its own).  Everything inside the
 * range, one entry or several, becomes ONE entry: a non-free ATTR makes it
 * one extent, a free ATTR (whose other fields are ignored) coalesces it with
 * free neighbours.  Returns the validation error, if any, untouched map. */
enum extent_map_status extent_map_set(struct extent_map *map, uint64_t start, uint64_t len,
				      const struct extent_attr *attr);

/* Splits the extent containing DPA (block aligned) into [start, DPA) and
 * [DPA, end) with the same attributes, e.g. for a partial release; nothing
 * to do when DPA already starts an entry.  ERR_FREE when DPA is free. */
enum extent_map_status extent_map_split(struct extent_map *map, uint64_t dpa);

/* Gives the extent containing DPA the attributes ATTR in place (e.g.
 * PENDING -> ACCEPTED), keeping its range.  A free ATTR frees the whole
 * extent as extent_map_set would.  ERR_FREE when DPA is free space. */
enum extent_map_status extent_map_modify(struct extent_map *map, uint64_t dpa,
					 const struct extent_attr *attr);

enum extent_alloc_policy {
	EXTENT_ALLOC_FIRST_FIT,
	EXTENT_ALLOC_NEXT_FIT,
	EXTENT_ALLOC_BEST_FIT,
	EXTENT_ALLOC_WORST_FIT,
	EXTENT_ALLOC_BUDDY,
	EXTENT_ALLOC_RANDOM,
};

/* "first-fit", "next-fit", "best-fit", "worst-fit", "buddy", "random". */
const char *extent_alloc_policy_name(enum extent_alloc_policy policy);
bool extent_alloc_policy_from_name(const char *name, enum extent_alloc_policy *out);

/* Chooses free DPA for SIZE bytes (a non-zero multiple of the block size,
 * else ERR_EMPTY / ERR_UNALIGNED) and appends it to OUT_RANGES (a GArray of
 * struct extent_range) in address order.  The map is not changed, except
 * that NEXT_FIT moves the map's cursor to the end of the last range it took
 * (in its scan order): the caller assigns the ranges with extent_map_set.
 *
 * MAX_EXTENTS == 1 asks for one contiguous range.  MAX_EXTENTS > 1 lets the
 * policy gather up to that many ranges, taking free extents whole in its own
 * order and the last one in part:
 *   first fit   lowest address first (contiguous: lowest fitting extent);
 *   next fit    address order from the cursor, wrapping at the region end
 *               (a free extent straddling the cursor: its part above the
 *               cursor first, the rest last; contiguous: whole after the
 *               wrap);
 *   best fit    the smallest extent that holds everything; if none does,
 *               largest first until the rest fits, then the smallest that
 *               holds the rest (ties: lowest address);
 *   worst fit   largest first (ties: lowest address);
 *   random      RANDOM_VALUE (uniform over uint64) picks a free block at
 *               random (RANDOM_VALUE modulo the free block count); from
 *               there as next fit.  Contiguous: the range starts at that
 *               block, moved down as far as needed to end inside its free
 *               extent; if that extent is too small, the next fitting one
 *               above, wrapping;
 *   buddy       SIZE is rounded up to a power of two number of blocks, so
 *               the ranges add up to the ROUNDED size.  Free space is seen
 *               as a buddy allocator's free lists: maximal power-of-two
 *               blocks, naturally aligned relative to the region base.
 *               Contiguous: the low part of the smallest such block that
 *               holds the request (lowest address first); gathering, if
 *               none does: whole blocks, largest first.  Buddy ranges are
 *               never merged: each is one aligned power-of-two block.
 * When first, next fit or random would need more than MAX_EXTENTS ranges
 * they fall back to largest first, the order needing the fewest ranges.
 *
 * Fails with ERR_NO_SPACE when the free space is smaller than SIZE (buddy:
 * the rounded size), ERR_NO_CONTIGUOUS when it is large enough but cannot
 * be had in MAX_EXTENTS ranges, ERR_ARGUMENT for MAX_EXTENTS == 0; on any
 * failure OUT_RANGES is left as it was. */
enum extent_map_status extent_map_alloc(struct extent_map *map, enum extent_alloc_policy policy,
					uint64_t size, unsigned max_extents,
					uint64_t random_value, GArray *out_ranges);

/* The next-fit cursor: where the next NEXT_FIT search starts.  A new map's
 * is the region base; set_cursor moves it to DPA, a block of the region
 * (else OUTSIDE or UNALIGNED, cursor unchanged). */
uint64_t extent_map_get_cursor(const struct extent_map *map);
enum extent_map_status extent_map_set_cursor(struct extent_map *map, uint64_t dpa);

/* Inputs of the fragmentation indexes for request size REQUEST (bytes, a
 * non-zero multiple of the block size): F, N and S of DESIGN.md §5.
 * O(number of free extents). */
struct extent_frag {
	uint64_t free_blocks;	/* F */
	uint64_t free_extents;	/* N */
	uint64_t fits;		/* S = sum of floor(free extent length / REQUEST) */
};

enum extent_map_status extent_map_get_frag(const struct extent_map *map, uint64_t request,
					   struct extent_frag *out);

#define EXTENT_MAP_ERROR (extent_map_error_quark())
GQuark extent_map_error_quark(void);

enum extent_map_error {
	EXTENT_MAP_ERROR_INCONSISTENT,
};

/* Verifies every invariant of the map (partition of the region, coalesced
 * free space, address-tree order and node fill, subtree sums, the free-size
 * index, counters).  O(n log n), for tests. */
bool extent_map_check(const struct extent_map *map, GError **error);

/* g_autoptr needs a plain type name: this typedef exists only for it. */
typedef struct extent_map extent_map;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(extent_map, extent_map_free)

#endif
