/* The extent map keeps its entries in two trees:
 *  - the address tree, a B+ tree of all entries keyed by start DPA.  Its
 *    nodes hold up to FANOUT slots, their keys in one array searched
 *    without branches, so a descent on a map of a few hundred entries reads
 *    two or three nodes instead of some ten badly predicted ones of a
 *    binary tree.  Each slot of an inner node summarises the free entries
 *    of its child (largest length, total bytes, buddy block orders present)
 *    so that first/next fit, random and buddy searches descend in O(log n).
 *    The buddy orders, costly to keep, are kept only from a map's first
 *    buddy search on;
 *  - the size tree, a treap of the free entries keyed by (length, start) for
 *    best and worst fit, built by the first search that needs it.  Its
 *    priorities come from a fixed-seed generator, though no result depends
 *    on its shape. */
#include "models/extent_map.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Nodes of the address tree hold HALF to FANOUT slots, the root 1 (a leaf)
 * or 2 (an inner node) to FANOUT; MAX_HEIGHT levels would need more
 * entries than the address space has blocks. */
enum { FANOUT = 16, HALF = FANOUT / 2, MAX_HEIGHT = 24 };
G_STATIC_ASSERT(FANOUT % 4 == 0);	/* slot_of searches groups of four */

/* Of the free entries under a slot: a leaf slot's, of its entry if free. */
struct summary {
	uint64_t max_free;	/* largest length */
	uint64_t free_bytes;
	uint64_t orders;	/* bit o: a buddy block of 2^o blocks */
};

struct bnode {
	/* Per slot: an entry (leaf) or a child (inner node).  Slots past COUNT
	 * have start UINT64_MAX, so slot_of scans all FANOUT slots without
	 * branches, and zero summaries. */
	uint64_t start[FANOUT];		/* a child's: its first entry's */
	struct summary sum[FANOUT];
	unsigned count;
	union {
		struct bnode *kid[FANOUT];
		struct {
			uint64_t len;
			struct extent_attr attr;
		} ent[FANOUT];
	};
};

/* The way from the root to one entry: NODE[h] is the node at height h (0:
 * the leaf), I[h] the slot taken there. */
struct path {
	struct bnode *node[MAX_HEIGHT];
	unsigned i[MAX_HEIGHT];
};

struct snode {
	struct snode *kid[2];
	uint64_t len, start;
	uint32_t prio;
};

/* Size-tree nodes come from slabs that double in size up to this many
 * nodes, so a small region costs little and a busy one does not call
 * malloc per free entry. */
#define SLAB_MAX 4096

struct extent_map {
	uint64_t base, length, block_size;
	unsigned shift;
	struct bnode *root;
	unsigned height;	/* of the root; 0 when it is a leaf */
	bool sized;		/* the size tree is built (see size_index) */
	bool ordered;		/* the summaries hold buddy orders (see order_index) */
	struct snode *size_root;
	uint64_t bytes[EXTENT_STATE_COUNT];
	size_t entries, free_count;
	uint64_t cursor;
	uint64_t prio_state;
	struct snode *spare;	/* free list, linked through kid[0] */
	size_t slab_size;
	GPtrArray *slabs;
};

G_DEFINE_QUARK(extent-map-error-quark, extent_map_error)

static const char *const state_names[EXTENT_STATE_COUNT] = {
	"free", "pending", "accepted", "releasing", "sanitizing",
};

const char *extent_state_name(enum extent_state state)
{
	g_return_val_if_fail(state < EXTENT_STATE_COUNT, NULL);
	return state_names[state];
}

const char *extent_map_status_name(enum extent_map_status status)
{
	switch (status) {
	case EXTENT_MAP_OK:
		return "ok";
	case EXTENT_MAP_ERR_EMPTY:
		return "empty range";
	case EXTENT_MAP_ERR_OUTSIDE:
		return "outside the region";
	case EXTENT_MAP_ERR_UNALIGNED:
		return "not block aligned";
	case EXTENT_MAP_ERR_FREE:
		return "not an extent";
	case EXTENT_MAP_ERR_ARGUMENT:
		return "invalid argument";
	case EXTENT_MAP_ERR_NO_SPACE:
		return "no space";
	case EXTENT_MAP_ERR_NO_CONTIGUOUS:
		return "no contiguous space";
	}
	g_return_val_if_reached(NULL);
}

static const char *const policy_names[] = {
	[EXTENT_ALLOC_FIRST_FIT] = "first-fit",
	[EXTENT_ALLOC_NEXT_FIT] = "next-fit",
	[EXTENT_ALLOC_BEST_FIT] = "best-fit",
	[EXTENT_ALLOC_WORST_FIT] = "worst-fit",
	[EXTENT_ALLOC_BUDDY] = "buddy",
	[EXTENT_ALLOC_RANDOM] = "random",
};

const char *extent_alloc_policy_name(enum extent_alloc_policy policy)
{
	g_return_val_if_fail(policy < G_N_ELEMENTS(policy_names), NULL);
	return policy_names[policy];
}

bool extent_alloc_policy_from_name(const char *name, enum extent_alloc_policy *out)
{
	g_return_val_if_fail(name && out, false);
	for (size_t i = 0; i < G_N_ELEMENTS(policy_names); i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			*out = (enum extent_alloc_policy)i;
			return true;
		}
	}
	return false;
}

const struct extent_attr extent_attr_free = { .state = EXTENT_FREE, .host = -1 };

void extent_attr_init(struct extent_attr *attr, enum extent_state state)
{
	g_return_if_fail(attr);
	memset(attr, 0, sizeof(*attr));
	attr->state = state;
	attr->host = -1;
}


static uint64_t region_end(const struct extent_map *map)
{
	return map->base + map->length;
}

static unsigned floor_log2(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* Order of the largest naturally aligned block starting at block index I
 * and ending by END: the canonical buddy decomposition of a free range. */
static unsigned buddy_order(uint64_t i, uint64_t end)
{
	unsigned fit = floor_log2(end - i);

	if (i && (unsigned)__builtin_ctzll(i) < fit)
		return (unsigned)__builtin_ctzll(i);
	return fit;
}

static uint64_t buddy_orders(const struct extent_map *map, uint64_t start, uint64_t len)
{
	uint64_t i = (start - map->base) >> map->shift;
	uint64_t end = i + (len >> map->shift), orders = 0;

	while (i < end) {
		unsigned o = buddy_order(i, end);

		orders |= UINT64_C(1) << o;
		i += UINT64_C(1) << o;
	}
	return orders;
}

/* The helpers every lookup and change runs (slot_of, the way down, writing
 * and counting entries, moving slots, updating summaries) are inline: folded
 * into their callers they cost some 15% fewer instructions.
 *
 * The last slot of B whose start is <= DPA, or slot 0: the group of four
 * slots first, then the slot in it, six comparisons without branches. */
static inline unsigned slot_of(const struct bnode *b, uint64_t dpa)
{
	unsigned i = 0;

	for (unsigned s = 4; s < FANOUT; s += 4)
		i += b->start[s] <= dpa;
	i *= 4;
	return i + (b->start[i + 1] <= dpa) + (b->start[i + 2] <= dpa) + (b->start[i + 3] <= dpa);
}

static bool slot_free(const struct bnode *leaf, unsigned i)
{
	return leaf->ent[i].attr.state == EXTENT_FREE;
}

static void entry_copy(const struct bnode *leaf, unsigned i, struct extent_entry *out)
{
	out->start = leaf->start[i];
	out->len = leaf->ent[i].len;
	out->attr = leaf->ent[i].attr;
}

/* Clears slots FROM to TO - 1 of B, which have just fallen out of use: the
 * slots past them are clear already. */
static void clear_slots(struct bnode *b, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		b->start[i] = UINT64_MAX;
		b->sum[i] = (struct summary){ 0, 0, 0 };
	}
}

static struct bnode *bnode_new(void)
{
	struct bnode *b = g_new(struct bnode, 1);

	b->count = 0;
	clear_slots(b, 0, FANOUT);
	return b;
}

static void bnode_free_all(struct bnode *b, unsigned height)
{
	if (height)
		for (unsigned i = 0; i < b->count; i++)
			bnode_free_all(b->kid[i], height - 1);
	g_free(b);
}

/* Moves N slots of SRC from SI to DST at DI (they may overlap); only the
 * slots' contents, not the counts. */
static inline void move_slots(struct bnode *dst, unsigned di, struct bnode *src, unsigned si,
			      unsigned n, bool leaf)
{
	if (!n || (dst == src && di == si))
		return;
	memmove(&dst->start[di], &src->start[si], n * sizeof(dst->start[0]));
	memmove(&dst->sum[di], &src->sum[si], n * sizeof(dst->sum[0]));
	if (leaf)
		memmove(&dst->ent[di], &src->ent[si], n * sizeof(dst->ent[0]));
	else
		memmove(&dst->kid[di], &src->kid[si], n * sizeof(dst->kid[0]));
}

/* Makes room at slot I of B, which is not full; the caller fills it. */
static void open_slot(struct bnode *b, unsigned i, bool leaf)
{
	move_slots(b, i + 1, b, i, b->count - i, leaf);
	b->count++;
}

/* Takes N slots of B out from slot I on. */
static void close_slots(struct bnode *b, unsigned i, unsigned n, bool leaf)
{
	move_slots(b, i, b, i + n, b->count - i - n, leaf);
	b->count -= n;
	clear_slots(b, b->count, b->count + n);
}

/* Adds to S the free entries T summarises. */
static void summary_add(struct summary *s, const struct summary *t)
{
	s->max_free = MAX(s->max_free, t->max_free);
	s->free_bytes += t->free_bytes;
	s->orders |= t->orders;
}

static struct summary node_sum(const struct bnode *b)
{
	struct summary s = { 0, 0, 0 };

	for (unsigned i = 0; i < b->count; i++)
		summary_add(&s, &b->sum[i]);
	return s;
}

/* node_sum(B).max_free alone. */
static uint64_t node_max_free(const struct bnode *b)
{
	uint64_t max = 0;

	for (unsigned i = 0; i < b->count; i++)
		max = MAX(max, b->sum[i].max_free);
	return max;
}

/* Writes slot I of PARENT for its child KID; false when it was so already. */
static bool slot_sum(struct bnode *parent, unsigned i, const struct bnode *kid)
{
	struct summary s = node_sum(kid);

	if (parent->start[i] == kid->start[0] && memcmp(&parent->sum[i], &s, sizeof(s)) == 0)
		return false;
	parent->start[i] = kid->start[0];
	parent->sum[i] = s;
	return true;
}

static inline void leaf_set(const struct extent_map *map, struct bnode *leaf, unsigned i,
			    uint64_t start, uint64_t len, const struct extent_attr *attr)
{
	bool free = attr->state == EXTENT_FREE;

	leaf->start[i] = start;
	leaf->ent[i].len = len;
	leaf->ent[i].attr = *attr;
	leaf->sum[i].max_free = leaf->sum[i].free_bytes = free ? len : 0;
	leaf->sum[i].orders = free && map->ordered ? buddy_orders(map, start, len) : 0;
}

/* The leaf slot of the entry containing DPA, which must lie inside the
 * region. */
static inline const struct bnode *addr_find(const struct extent_map *map, uint64_t dpa,
					    unsigned *i)
{
	const struct bnode *b = map->root;

	for (unsigned h = map->height; h; h--)
		b = b->kid[slot_of(b, dpa)];
	*i = slot_of(b, dpa);
	return b;
}

/* addr_find, keeping the way down for a change. */
static inline void descend(const struct extent_map *map, uint64_t dpa, struct path *p)
{
	struct bnode *b = map->root;
	unsigned h;

	for (h = map->height; h; h--) {
		p->node[h] = b;
		p->i[h] = slot_of(b, dpa);
		b = b->kid[p->i[h]];
	}
	p->node[0] = b;
	p->i[0] = slot_of(b, dpa);
}

/* Brings the slots on P's way up to date from height H up, where every
 * other slot is.  A slot that does not change leaves those above it as they
 * are. */
static void fix_path_from(const struct extent_map *map, struct path *p, unsigned h)
{
	for (; h < map->height; h++)
		if (!slot_sum(p->node[h + 1], p->i[h + 1], p->node[h]))
			return;
}

/* Some slots of the leaf P leads to, summarised by WAS, have given way to
 * slots summarised by NOW (e.g. one slot changed, or was inserted: WAS
 * zero), every other slot being up to date: brings the slots above the
 * leaf up to date.  Each is adjusted by the change, which reads one slot
 * where fix_path_from sums a whole node, unless a buddy order may have gone
 * from it (the node is summed again) or its largest free entry (the node's
 * largest is found again). */
static inline void sum_update(const struct extent_map *map, const struct path *p,
			      struct summary was, struct summary now)
{
	/* The free bytes change by the same amount on every level. */
	uint64_t more_free = now.free_bytes - was.free_bytes;

	for (unsigned h = 0; h < map->height; h++) {
		const struct bnode *b = p->node[h];
		struct bnode *parent = p->node[h + 1];
		unsigned i = p->i[h + 1];
		struct summary *up = &parent->sum[i];
		uint64_t max_was = up->max_free, orders_was = up->orders;

		if (parent->start[i] == b->start[0] && !more_free &&
		    was.max_free == now.max_free && was.orders == now.orders)
			return;
		parent->start[i] = b->start[0];
		if (was.orders & ~now.orders) {
			*up = node_sum(b);
		} else {
			if (now.max_free < was.max_free && was.max_free == max_was)
				up->max_free = node_max_free(b);
			else
				up->max_free = MAX(max_was, now.max_free);
			up->free_bytes += more_free;
			up->orders |= now.orders;
		}
		was.max_free = max_was;
		was.orders = orders_was;
		now.max_free = up->max_free;
		now.orders = up->orders;
	}
}

/* path_step across the edge of a leaf: up to the first node where the
 * step stays inside, then down its edge. */
static void path_climb(struct path *p, int dir)
{
	unsigned h = 0;

	while (dir > 0 ? p->i[h] + 1 == p->node[h]->count : p->i[h] == 0)
		h++;
	p->i[h] += (unsigned)dir;
	/* A signed count down: GCC 12.2 at -Os (ipa-modref) lost the stores
	 * of `while (h--)` here, leaving callers a stale leaf. */
	for (int d = (int)h - 1; d >= 0; d--) {
		p->node[d] = p->node[d + 1]->kid[p->i[d + 1]];
		p->i[d] = dir > 0 ? 0 : p->node[d]->count - 1;
	}
}

/* Moves P to the next (DIR 1) or previous (DIR -1) entry, which exists.
 * Inline for the commonest step, to a neighbour in the same leaf. */
static inline void path_step(struct path *p, int dir)
{
	if (dir > 0 ? p->i[0] + 1 < p->node[0]->count : p->i[0] > 0)
		p->i[0] += (unsigned)dir;
	else
		path_climb(p, dir);
}

/* Splits the full node at height H of P in two, P still leading to the
 * same slot.  The totals above the parent do not change. */
static void split_node(struct extent_map *map, struct path *p, unsigned h)
{
	struct bnode *b = p->node[h], *right = bnode_new(), *parent;
	unsigned at;

	move_slots(right, 0, b, HALF, FANOUT - HALF, h == 0);
	right->count = FANOUT - HALF;
	b->count = HALF;
	clear_slots(b, HALF, FANOUT);
	if (h == map->height) {
		parent = bnode_new();
		parent->kid[0] = b;
		parent->count = 1;
		map->root = parent;
		map->height++;
		p->node[h + 1] = parent;
		p->i[h + 1] = 0;
	} else if (p->node[h + 1]->count == FANOUT) {
		split_node(map, p, h + 1);
	}
	parent = p->node[h + 1];
	at = p->i[h + 1];
	open_slot(parent, at + 1, false);
	parent->kid[at + 1] = right;
	slot_sum(parent, at, b);
	slot_sum(parent, at + 1, right);
	if (p->i[h] >= HALF) {
		p->node[h] = right;
		p->i[h] -= HALF;
		p->i[h + 1] = at + 1;
	}
}

/* Puts E just after the entry P leads to and moves P to it.  The slots on
 * P's way are left for sum_update. */
static void insert_after(struct extent_map *map, struct path *p, const struct extent_entry *e)
{
	if (p->node[0]->count == FANOUT)
		split_node(map, p, 0);
	p->i[0]++;
	open_slot(p->node[0], p->i[0], true);
	leaf_set(map, p->node[0], p->i[0], e->start, e->len, &e->attr);
}

/* Shares the slots of LEFT and RIGHT, neighbours holding more than FANOUT
 * together, evenly between them. */
static void balance(struct bnode *left, struct bnode *right, bool leaf)
{
	unsigned want = (left->count + right->count) / 2;

	if (left->count < want) {
		unsigned n = want - left->count;

		move_slots(left, left->count, right, 0, n, leaf);
		move_slots(right, 0, right, n, right->count - n, leaf);
		right->count -= n;
		clear_slots(right, right->count, right->count + n);
	} else {
		unsigned n = left->count - want;

		move_slots(right, n, right, 0, right->count, leaf);
		move_slots(right, 0, left, want, n, leaf);
		right->count += n;
		clear_slots(left, want, left->count);
	}
	left->count = want;
}

/* Takes out the entry P leads to, refilling or merging nodes that fall
 * below HALF slots; P is spent. */
static void erase_at(struct extent_map *map, struct path *p)
{
	unsigned h = 0, i = p->i[0];

	for (;;) {
		struct bnode *b = p->node[h], *parent, *left, *right;
		unsigned at;

		close_slots(b, i, 1, h == 0);
		if (h == map->height) {
			if (h && b->count == 1) {
				map->root = b->kid[0];
				map->height--;
				g_free(b);
			}
			return;
		}
		if (b->count >= HALF) {
			fix_path_from(map, p, h);
			return;
		}
		parent = p->node[h + 1];
		at = p->i[h + 1] ? p->i[h + 1] - 1 : 0;
		left = parent->kid[at];
		right = parent->kid[at + 1];
		if (left->count + right->count > FANOUT) {
			balance(left, right, h == 0);
			slot_sum(parent, at, left);
			slot_sum(parent, at + 1, right);
			fix_path_from(map, p, h + 1);
			return;
		}
		move_slots(left, left->count, right, 0, right->count, h == 0);
		left->count += right->count;
		g_free(right);
		slot_sum(parent, at, left);
		i = at + 1;
		h++;
	}
}

static uint32_t next_prio(struct extent_map *map)
{
	uint64_t x = map->prio_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	map->prio_state = x;
	return (uint32_t)(x >> 32);
}

/* key(N) < (LEN, START) in the size tree's order. */
static bool size_less(const struct snode *n, uint64_t len, uint64_t start)
{
	if (n->len != len)
		return n->len < len;
	return n->start < start;
}

static void size_split(struct snode *t, uint64_t len, uint64_t start, struct snode **lo,
		       struct snode **hi)
{
	if (!t) {
		*lo = *hi = NULL;
	} else if (size_less(t, len, start)) {
		size_split(t->kid[1], len, start, &t->kid[1], hi);
		*lo = t;
	} else {
		size_split(t->kid[0], len, start, lo, &t->kid[0]);
		*hi = t;
	}
}

static struct snode *size_merge(struct snode *a, struct snode *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio >= b->prio) {
		a->kid[1] = size_merge(a->kid[1], b);
		return a;
	}
	b->kid[0] = size_merge(a, b->kid[0]);
	return b;
}

static struct snode *size_insert(struct snode *t, struct snode *n)
{
	int side;

	if (!t)
		return n;
	if (n->prio > t->prio) {
		size_split(t, n->len, n->start, &n->kid[0], &n->kid[1]);
		return n;
	}
	side = size_less(t, n->len, n->start) ? 1 : 0;
	t->kid[side] = size_insert(t->kid[side], n);
	return t;
}

/* Unlinks the node of key (LEN, START), which T holds, into *GONE. */
static struct snode *size_erase(struct snode *t, uint64_t len, uint64_t start,
				struct snode **gone)
{
	int side;

	if (t->len == len && t->start == start) {
		*gone = t;
		return size_merge(t->kid[0], t->kid[1]);
	}
	side = size_less(t, len, start) ? 1 : 0;
	t->kid[side] = size_erase(t->kid[side], len, start, gone);
	return t;
}

static struct snode *snode_new(struct extent_map *map, uint64_t len, uint64_t start)
{
	struct snode *n;

	if (!map->spare) {
		struct snode *slab = g_new(struct snode, map->slab_size);

		g_ptr_array_add(map->slabs, slab);
		for (size_t i = 0; i < map->slab_size; i++) {
			slab[i].kid[0] = map->spare;
			map->spare = &slab[i];
		}
		map->slab_size = MIN(map->slab_size * 2, SLAB_MAX);
	}
	n = map->spare;
	map->spare = n->kid[0];
	*n = (struct snode){ { NULL, NULL }, len, start, next_prio(map) };
	return n;
}

static void size_add(struct extent_map *map, uint64_t len, uint64_t start)
{
	map->size_root = size_insert(map->size_root, snode_new(map, len, start));
}

/* Counts the entry [START, START + LEN) in STATE, filing a free one in the
 * size tree. */
static inline void attach(struct extent_map *map, uint64_t start, uint64_t len,
			  enum extent_state state)
{
	map->bytes[state] += len;
	map->entries++;
	if (state == EXTENT_FREE) {
		map->free_count++;
		if (map->sized)
			size_add(map, len, start);
	}
}

/* Uncounts the entry in slot I of LEAF, taking a free one out of the size
 * tree. */
static inline void detach(struct extent_map *map, const struct bnode *leaf, unsigned i)
{
	struct snode *gone;

	map->bytes[leaf->ent[i].attr.state] -= leaf->ent[i].len;
	map->entries--;
	if (slot_free(leaf, i)) {
		map->free_count--;
		if (!map->sized)
			return;
		map->size_root = size_erase(map->size_root, leaf->ent[i].len, leaf->start[i], &gone);
		gone->kid[0] = map->spare;
		map->spare = gone;
	}
}

/* What a search wants of a free entry: a length of at least V bytes (V >
 * 0), or (ORDER) a buddy block of an order in mask V. */
struct want {
	bool order;
	uint64_t v;
};

static bool slot_has(const struct bnode *b, unsigned i, struct want w)
{
	return w.order ? (b->sum[i].orders & w.v) != 0 : b->sum[i].max_free >= w.v;
}

/* The lowest entry of subtree B (of height H) starting at or above POS
 * that has W.  Descends only into slots whose summary promises a hit, so
 * it stays O(log n). */
static bool first_from(const struct bnode *b, unsigned h, uint64_t pos, struct want w,
		       struct extent_range *out)
{
	unsigned i = slot_of(b, pos);

	if (!h && b->start[i] < pos)
		i++;
	for (; i < b->count; i++) {
		if (!slot_has(b, i, w))
			continue;
		if (!h) {
			*out = (struct extent_range){ b->start[i], b->ent[i].len };
			return true;
		}
		if (first_from(b->kid[i], h - 1, pos, w, out))
			return true;
	}
	return false;
}

/* The lowest free entry starting at or above POS of at least MIN_LEN bytes. */
static bool free_from(const struct extent_map *map, uint64_t pos, uint64_t min_len,
		      struct extent_range *out)
{
	return first_from(map->root, map->height, pos, (struct want){ .order = false, .v = min_len },
			  out);
}

/* True when the entry containing POS is free; OUT is that entry. */
static bool free_at_pos(const struct extent_map *map, uint64_t pos, struct extent_range *out)
{
	unsigned i;
	const struct bnode *leaf = addr_find(map, pos, &i);

	*out = (struct extent_range){ leaf->start[i], leaf->ent[i].len };
	return slot_free(leaf, i);
}

/* The free entry holding free byte number *OFF (counting free bytes only,
 * in address order); *OFF becomes the offset inside that entry. */
static struct extent_range free_at(const struct extent_map *map, uint64_t *off)
{
	const struct bnode *b = map->root;

	for (unsigned h = map->height;; h--) {
		unsigned i = 0;

		while (*off >= b->sum[i].free_bytes)
			*off -= b->sum[i++].free_bytes;
		if (!h)
			return (struct extent_range){ b->start[i], b->ent[i].len };
		b = b->kid[i];
	}
}

/* Builds the size tree on a map's first search by size and keeps it from
 * then on: most maps are only ever searched by address and need none. */
static void size_index(struct extent_map *map)
{
	struct extent_range r;

	if (map->sized)
		return;
	map->sized = true;
	for (uint64_t pos = map->base; free_from(map, pos, 1, &r); pos = r.start + r.len)
		size_add(map, r.len, r.start);
}

/* Writes the buddy orders of every slot under node B of height H; returns
 * their union. */
static uint64_t orders_fill(const struct extent_map *map, struct bnode *b, unsigned h)
{
	uint64_t all = 0;

	for (unsigned i = 0; i < b->count; i++) {
		if (h)
			b->sum[i].orders = orders_fill(map, b->kid[i], h - 1);
		else if (slot_free(b, i))
			b->sum[i].orders = buddy_orders(map, b->start[i], b->ent[i].len);
		all |= b->sum[i].orders;
	}
	return all;
}

/* Adds the buddy orders to the summaries on a map's first buddy search and
 * keeps them from then on: most maps never have one. */
static void order_index(struct extent_map *map)
{
	if (map->ordered)
		return;
	map->ordered = true;
	orders_fill(map, map->root, map->height);
}

/* The free entry of smallest key >= (LEN, START). */
static const struct snode *size_ceil(const struct extent_map *map, uint64_t len, uint64_t start)
{
	const struct snode *t = map->size_root, *best = NULL;

	while (t) {
		if (size_less(t, len, start)) {
			t = t->kid[1];
		} else {
			best = t;
			t = t->kid[0];
		}
	}
	return best;
}

/* The free entry of largest key < (LEN, START). */
static const struct snode *size_below(const struct extent_map *map, uint64_t len, uint64_t start)
{
	const struct snode *t = map->size_root, *best = NULL;

	while (t) {
		if (size_less(t, len, start)) {
			best = t;
			t = t->kid[1];
		} else {
			t = t->kid[0];
		}
	}
	return best;
}

/* Free entries by decreasing length, equal lengths by increasing address. */
static const struct snode *largest(const struct extent_map *map)
{
	return map->free_count ? size_ceil(map, node_sum(map->root).max_free, 0) : NULL;
}

static const struct snode *largest_next(const struct extent_map *map, const struct snode *n)
{
	const struct snode *s = size_ceil(map, n->len, n->start + 1);

	if (s && s->len == n->len)
		return s;
	s = size_below(map, n->len, 0);
	return s ? size_ceil(map, s->len, 0) : NULL;
}

bool extent_map_geometry_valid(uint64_t base, uint64_t length, uint64_t block_size)
{
	return block_size >= 64 && (block_size & (block_size - 1)) == 0 && length > 0 &&
	       ((base | length) & (block_size - 1)) == 0 && base <= UINT64_MAX - length;
}

struct extent_map *extent_map_new(uint64_t base, uint64_t length, uint64_t block_size)
{
	struct extent_map *map;

	g_return_val_if_fail(extent_map_geometry_valid(base, length, block_size), NULL);
	map = g_new0(struct extent_map, 1);
	map->base = base;
	map->length = length;
	map->block_size = block_size;
	map->shift = floor_log2(block_size);
	map->cursor = base;
	map->prio_state = UINT64_C(0x9e3779b97f4a7c15);
	map->slab_size = 16;
	map->slabs = g_ptr_array_new_with_free_func(g_free);
	map->root = bnode_new();
	map->root->count = 1;
	leaf_set(map, map->root, 0, base, length, &extent_attr_free);
	attach(map, base, length, EXTENT_FREE);
	return map;
}

void extent_map_free(struct extent_map *map)
{
	if (!map)
		return;
	bnode_free_all(map->root, map->height);
	g_ptr_array_unref(map->slabs);
	g_free(map);
}

uint64_t extent_map_get_base(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->base;
}

uint64_t extent_map_get_length(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->length;
}

uint64_t extent_map_get_block_size(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->block_size;
}

uint64_t extent_map_get_bytes(const struct extent_map *map, enum extent_state state)
{
	g_return_val_if_fail(map && state < EXTENT_STATE_COUNT, 0);
	return map->bytes[state];
}

size_t extent_map_get_extent_count(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->entries - map->free_count;
}

size_t extent_map_get_free_count(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->free_count;
}

uint64_t extent_map_get_largest_free(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return node_sum(map->root).max_free;
}

uint64_t extent_map_get_cursor(const struct extent_map *map)
{
	g_return_val_if_fail(map, 0);
	return map->cursor;
}

static bool inside(const struct extent_map *map, uint64_t dpa)
{
	return dpa >= map->base && dpa - map->base < map->length;
}

enum extent_map_status extent_map_set_cursor(struct extent_map *map, uint64_t dpa)
{
	g_return_val_if_fail(map, EXTENT_MAP_ERR_ARGUMENT);
	if (!inside(map, dpa))
		return EXTENT_MAP_ERR_OUTSIDE;
	if (dpa & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	map->cursor = dpa;
	return EXTENT_MAP_OK;
}

enum extent_map_status extent_map_validate(const struct extent_map *map, uint64_t start,
					   uint64_t len)
{
	g_return_val_if_fail(map, EXTENT_MAP_ERR_ARGUMENT);
	if (!len)
		return EXTENT_MAP_ERR_EMPTY;
	if (!inside(map, start) || len > map->length - (start - map->base))
		return EXTENT_MAP_ERR_OUTSIDE;
	if ((start | len) & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	return EXTENT_MAP_OK;
}

bool extent_map_range_is_free(const struct extent_map *map, uint64_t start, uint64_t len)
{
	struct extent_range n;

	if (extent_map_validate(map, start, len) != EXTENT_MAP_OK)
		return false;
	return free_at_pos(map, start, &n) && n.start + n.len - start >= len;
}

bool extent_map_lookup(const struct extent_map *map, uint64_t dpa, struct extent_entry *out)
{
	const struct bnode *leaf;
	unsigned i;

	g_return_val_if_fail(map && out, false);
	if (!inside(map, dpa))
		return false;
	leaf = addr_find(map, dpa, &i);
	entry_copy(leaf, i, out);
	return true;
}

int extent_map_foreach(struct extent_map *map, uint64_t start, uint64_t len, extent_map_fn fn,
		       void *data)
{
	uint64_t pos, end;

	g_return_val_if_fail(map && fn, 0);
	if (!len)
		return 0;
	pos = MAX(start, map->base);
	end = len > UINT64_MAX - start ? UINT64_MAX : start + len;
	end = MIN(end, region_end(map));
	while (pos < end) {
		struct extent_entry e;
		int ret;

		extent_map_lookup(map, pos, &e);
		ret = fn(&e, data);
		if (ret)
			return ret;
		pos = e.start + e.len;
	}
	return 0;
}

int extent_map_foreach_free(struct extent_map *map, extent_map_fn fn, void *data)
{
	uint64_t pos = map ? map->base : 0;
	struct extent_range r;
	struct extent_entry e;

	g_return_val_if_fail(map && fn, 0);
	while (free_from(map, pos, 1, &r)) {
		int ret;

		e = (struct extent_entry){ r.start, r.len, extent_attr_free };
		ret = fn(&e, data);
		if (ret)
			return ret;
		pos = r.start + r.len;
	}
	return 0;
}

/* Puts the M pieces PIECE, in address order, in place of the K entries
 * from the one P leads to, which cover the same range. */
static void rewrite(struct extent_map *map, struct path *p, unsigned k,
		    const struct extent_entry *piece, unsigned m)
{
	uint64_t hi = piece[m - 1].start + piece[m - 1].len;
	struct summary was = { 0, 0, 0 }, now = { 0, 0, 0 };
	struct path q;

	/* Surplus entries go first, from the end, while the tree is in order. */
	if (k > m) {
		for (; k > m; k--) {
			descend(map, hi - 1, &q);
			detach(map, q.node[0], q.i[0]);
			erase_at(map, &q);
		}
		descend(map, piece[0].start, p);
	}
	/* The pieces overwrite the entries in turn, the extra ones go in
	 * after them.  Keys may be out of order until the last: no search runs
	 * meanwhile.  The summaries above a leaf change once for all the
	 * pieces it takes, before P leaves it or it splits. */
	for (unsigned j = 0; j < m; j++) {
		bool overwrite = j < k;

		if (j && (overwrite ? p->i[0] + 1 == p->node[0]->count
				    : p->node[0]->count == FANOUT)) {
			sum_update(map, p, was, now);
			was = now = (struct summary){ 0, 0, 0 };
		}
		if (overwrite) {
			if (j)
				path_step(p, 1);
			summary_add(&was, &p->node[0]->sum[p->i[0]]);
			detach(map, p->node[0], p->i[0]);
			leaf_set(map, p->node[0], p->i[0], piece[j].start, piece[j].len,
				 &piece[j].attr);
		} else {
			insert_after(map, p, &piece[j]);
		}
		attach(map, piece[j].start, piece[j].len, piece[j].attr.state);
		summary_add(&now, &p->node[0]->sum[p->i[0]]);
	}
	sum_update(map, p, was, now);
}

/* Slot I of LEAF is an extent spanning exactly [START, END). */
static bool is_whole_extent(const struct bnode *leaf, unsigned i, uint64_t start, uint64_t end)
{
	return leaf->start[i] == start && leaf->ent[i].len == end - start && !slot_free(leaf, i);
}

/* Frees the whole extent P leads to, the commonest change after a change
 * of state, without replace's general path: the entry that stays (the left
 * neighbour if free, else the extent) grows over the extent and a free
 * right neighbour, and those after it go.  P is spent. */
static void free_whole(struct extent_map *map, struct path *p)
{
	struct bnode *leaf = p->node[0];
	struct extent_range merged = { leaf->start[p->i[0]], leaf->ent[p->i[0]].len };
	uint64_t end = merged.start + merged.len;
	unsigned surplus = 0;	/* entries after the one that stays */
	bool apart = false;	/* one of them in another leaf */
	struct summary was = { 0, 0, 0 };
	unsigned k;

	if (end < region_end(map)) {
		path_step(p, 1);
		if (slot_free(p->node[0], p->i[0])) {
			merged.len += p->node[0]->ent[p->i[0]].len;
			detach(map, p->node[0], p->i[0]);
			surplus++;
			apart = p->node[0] != leaf;
		}
		path_step(p, -1);
	}
	detach(map, leaf, p->i[0]);
	if (merged.start > map->base) {
		path_step(p, -1);
		if (slot_free(p->node[0], p->i[0])) {
			merged.start = p->node[0]->start[p->i[0]];
			merged.len += p->node[0]->ent[p->i[0]].len;
			detach(map, p->node[0], p->i[0]);
			surplus++;
			apart |= p->node[0] != leaf;
		} else {
			path_step(p, 1);
		}
	}
	k = p->i[0];
	/* In one leaf that stays full enough, the surplus slots close at once
	 * and the summaries above change once. */
	if (!apart && (!map->height || leaf->count - surplus >= HALF)) {
		for (unsigned j = k + 1; j <= k + surplus; j++)
			summary_add(&was, &leaf->sum[j]);
		if (surplus)
			close_slots(leaf, k + 1, surplus, true);
		surplus = 0;
	}
	summary_add(&was, &p->node[0]->sum[k]);
	leaf_set(map, p->node[0], k, merged.start, merged.len, &extent_attr_free);
	attach(map, merged.start, merged.len, EXTENT_FREE);
	sum_update(map, p, was, p->node[0]->sum[k]);
	if (!surplus)
		return;
	/* Until erase_at recounts them, the summaries count the free space of
	 * the surplus twice.  A second surplus entry in the same leaf is closed
	 * directly: erase_at restores the leaf's fill for both. */
	path_step(p, 1);
	if (surplus == 2 && p->i[0] + 1 < p->node[0]->count) {
		close_slots(p->node[0], p->i[0], 1, true);
		surplus--;
	}
	erase_at(map, p);
	if (surplus == 2) {
		descend(map, end, p);
		erase_at(map, p);
	}
}

/* Carves [START, END) with the non-free ATTR out of the free entry P leads
 * to, which holds it, without replace's general path: the free entry gives
 * way to the extent and its free parts left and right of it, written in
 * place in its leaf with one summary update.  False, nothing changed, when
 * the leaf has no room for them. */
static bool carve(struct extent_map *map, struct path *p, uint64_t start, uint64_t end,
		  const struct extent_attr *attr)
{
	struct bnode *leaf = p->node[0];
	unsigned i = p->i[0];
	uint64_t lo = leaf->start[i], hi = lo + leaf->ent[i].len;
	struct extent_range piece[3];
	const struct extent_attr *piece_attr[3];
	unsigned m = 0;
	struct summary was = leaf->sum[i], now = { 0, 0, 0 };

	if (lo < start) {
		piece_attr[m] = &extent_attr_free;
		piece[m++] = (struct extent_range){ lo, start - lo };
	}
	piece_attr[m] = attr;
	piece[m++] = (struct extent_range){ start, end - start };
	if (end < hi) {
		piece_attr[m] = &extent_attr_free;
		piece[m++] = (struct extent_range){ end, hi - end };
	}
	if (leaf->count + m - 1 > FANOUT)
		return false;
	detach(map, leaf, i);
	move_slots(leaf, i + m, leaf, i + 1, leaf->count - i - 1, true);
	leaf->count += m - 1;
	for (unsigned j = 0; j < m; j++) {
		leaf_set(map, leaf, i + j, piece[j].start, piece[j].len, piece_attr[j]);
		attach(map, piece[j].start, piece[j].len, piece_attr[j]->state);
		summary_add(&now, &leaf->sum[i + j]);
	}
	sum_update(map, p, was, now);
	return true;
}

/* Rewrites [START, END) with ATTR: the entries overlapping it (and a free
 * neighbour a free ATTR touches) give way to at most five pieces, adjacent
 * free ones merged. */
static void replace(struct extent_map *map, uint64_t start, uint64_t end,
		    const struct extent_attr *attr)
{
	struct extent_entry piece[5], first, last, next;
	unsigned count = 0, merged = 0, k = 1;
	bool next_free = false;
	struct path p;

	/* P walks to the last entry overlapping the range, one further for a
	 * free ATTR (the neighbour it may merge), then back to the first. */
	descend(map, start, &p);
	if (is_whole_extent(p.node[0], p.i[0], start, end) && attr->state != EXTENT_FREE) {
		/* An extent changing state in place, the commonest change: the
		 * summaries count free entries only, so none moves. */
		struct extent_attr *at = &p.node[0]->ent[p.i[0]].attr;

		map->bytes[at->state] -= end - start;
		map->bytes[attr->state] += end - start;
		*at = *attr;
		return;
	}
	if (is_whole_extent(p.node[0], p.i[0], start, end)) {
		free_whole(map, &p);
		return;
	}
	if (attr->state != EXTENT_FREE && slot_free(p.node[0], p.i[0]) &&
	    end - p.node[0]->start[p.i[0]] <= p.node[0]->ent[p.i[0]].len &&
	    carve(map, &p, start, end, attr))
		return;
	entry_copy(p.node[0], p.i[0], &first);
	for (last = first; last.start + last.len < end; k++) {
		path_step(&p, 1);
		entry_copy(p.node[0], p.i[0], &last);
	}
	if (k == 1 && first.attr.state == EXTENT_FREE && attr->state == EXTENT_FREE)
		return;		/* freeing free space */
	if (attr->state == EXTENT_FREE && last.start + last.len == end && end < region_end(map)) {
		path_step(&p, 1);
		entry_copy(p.node[0], p.i[0], &next);
		next_free = next.attr.state == EXTENT_FREE;
		path_step(&p, -1);
	}
	for (unsigned i = 1; i < k; i++)
		path_step(&p, -1);
	if (attr->state == EXTENT_FREE) {
		attr = &extent_attr_free;
		if (first.start == start && start > map->base) {
			path_step(&p, -1);
			if (slot_free(p.node[0], p.i[0])) {
				entry_copy(p.node[0], p.i[0], &piece[count++]);
				k++;
			} else {
				path_step(&p, 1);
			}
		}
	}
	if (first.start < start)
		piece[count++] = (struct extent_entry){ first.start, start - first.start, first.attr };
	piece[count++] = (struct extent_entry){ start, end - start, *attr };
	if (end < last.start + last.len)
		piece[count++] = (struct extent_entry){ end, last.start + last.len - end, last.attr };
	if (next_free) {
		piece[count++] = next;
		k++;
	}
	for (unsigned i = 0; i < count; i++) {
		if (merged && piece[merged - 1].attr.state == EXTENT_FREE &&
		    piece[i].attr.state == EXTENT_FREE)
			piece[merged - 1].len += piece[i].len;
		else if (merged++ != i)
			piece[merged - 1] = piece[i];	/* unless already there */
	}
	rewrite(map, &p, k, piece, merged);
}

enum extent_map_status extent_map_set(struct extent_map *map, uint64_t start, uint64_t len,
				      const struct extent_attr *attr)
{
	enum extent_map_status status;

	g_return_val_if_fail(map && attr && attr->state < EXTENT_STATE_COUNT,
			     EXTENT_MAP_ERR_ARGUMENT);
	status = extent_map_validate(map, start, len);
	if (status == EXTENT_MAP_OK)
		replace(map, start, start + len, attr);
	return status;
}

enum extent_map_status extent_map_split(struct extent_map *map, uint64_t dpa)
{
	struct extent_entry e;

	g_return_val_if_fail(map, EXTENT_MAP_ERR_ARGUMENT);
	if (!extent_map_lookup(map, dpa, &e))
		return EXTENT_MAP_ERR_OUTSIDE;
	if (dpa & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	if (e.attr.state == EXTENT_FREE)
		return EXTENT_MAP_ERR_FREE;
	if (e.start < dpa)
		replace(map, dpa, e.start + e.len, &e.attr);
	return EXTENT_MAP_OK;
}

enum extent_map_status extent_map_modify(struct extent_map *map, uint64_t dpa,
					 const struct extent_attr *attr)
{
	struct extent_entry e;

	g_return_val_if_fail(map && attr && attr->state < EXTENT_STATE_COUNT,
			     EXTENT_MAP_ERR_ARGUMENT);
	if (!extent_map_lookup(map, dpa, &e))
		return EXTENT_MAP_ERR_OUTSIDE;
	if (e.attr.state == EXTENT_FREE)
		return EXTENT_MAP_ERR_FREE;
	replace(map, e.start, e.start + e.len, attr);
	return EXTENT_MAP_OK;
}

/* The ranges one allocation has chosen so far, appended to OUT from index
 * FIRST on. */
struct gather {
	GArray *out;
	guint first;
	unsigned max;
	uint64_t size;
	uint64_t rem;
	uint64_t last_end;
};

/* Takes up to AVAIL bytes at START; false when MAX ranges are taken. */
static bool take(struct gather *g, uint64_t start, uint64_t avail)
{
	struct extent_range r = { start, MIN(avail, g->rem) };

	if (g->out->len - g->first == g->max)
		return false;
	g_array_append_val(g->out, r);
	g->rem -= r.len;
	g->last_end = r.start + r.len;
	return true;
}

static void gather_reset(struct gather *g)
{
	g_array_set_size(g->out, g->first);
	g->rem = g->size;
}

static bool take_largest(const struct extent_map *map, struct gather *g)
{
	for (const struct snode *n = largest(map); n && g->rem; n = largest_next(map, n))
		if (!take(g, n->start, n->len))
			return false;
	return g->rem == 0;
}

static bool take_first_fit(const struct extent_map *map, struct gather *g)
{
	struct extent_range n;
	uint64_t pos = map->base;

	if (g->max == 1)
		return free_from(map, map->base, g->rem, &n) && take(g, n.start, g->rem);
	while (g->rem && free_from(map, pos, 1, &n)) {
		if (!take(g, n.start, n.len))
			return false;
		pos = n.start + n.len;
	}
	return g->rem == 0;
}

static bool take_best_fit(const struct extent_map *map, struct gather *g)
{
	const struct snode *n = size_ceil(map, g->rem, 0);

	if (n || g->max == 1)
		return n && take(g, n->start, g->rem);
	/* Largest first until one free extent holds the rest; that one is the
	 * smallest such, unless it is of the current length, whose lower
	 * addresses may be taken already. */
	for (const struct snode *cur = largest(map); cur; cur = largest_next(map, cur)) {
		if (cur->len >= g->rem) {
			n = size_ceil(map, g->rem, 0);
			return take(g, (n->len < cur->len ? n : cur)->start, g->rem);
		}
		if (!take(g, cur->start, cur->len))
			return false;
	}
	return false;
}

/* One range in address order from POS, wrapping at the region end. */
static bool take_contiguous_from(const struct extent_map *map, struct gather *g, uint64_t pos)
{
	struct extent_range n;

	if (free_at_pos(map, pos, &n) && n.start + n.len - pos >= g->rem)
		return take(g, pos, g->rem);
	return (free_from(map, pos, g->rem, &n) || free_from(map, map->base, g->rem, &n)) &&
	       take(g, n.start, g->rem);
}

/* Free space in address order from POS, wrapping at the region end: the part
 * above POS of a free extent straddling it comes first, its part below last. */
static bool take_from(const struct extent_map *map, struct gather *g, uint64_t pos)
{
	struct extent_range n;
	uint64_t at = pos;

	if (free_at_pos(map, pos, &n) && n.start < pos) {
		if (!take(g, pos, n.start + n.len - pos))
			return false;
		at = n.start + n.len;
	}
	for (; g->rem && free_from(map, at, 1, &n); at = n.start + n.len)
		if (!take(g, n.start, n.len))
			return false;
	for (at = map->base; g->rem && free_from(map, at, 1, &n) && n.start < pos;
	     at = n.start + n.len)
		if (!take(g, n.start, MIN(n.start + n.len, pos) - n.start))
			return false;
	return g->rem == 0;
}

static bool take_random(const struct extent_map *map, struct gather *g, uint64_t random_value)
{
	uint64_t off = (random_value % (node_sum(map->root).free_bytes >> map->shift)) << map->shift;
	struct extent_range n = free_at(map, &off);
	uint64_t pos = n.start + off;

	if (g->max > 1)
		return take_from(map, g, pos);
	if (n.len >= g->rem)
		return take(g, MIN(pos, n.start + n.len - g->rem), g->rem);
	return take_contiguous_from(map, g, pos);
}

/* The DPA of the first buddy block of order O in free entry N. */
static uint64_t buddy_block(const struct extent_map *map, struct extent_range n, unsigned o)
{
	uint64_t i = (n.start - map->base) >> map->shift;
	uint64_t end = i + (n.len >> map->shift);

	while (buddy_order(i, end) != o)
		i += UINT64_C(1) << buddy_order(i, end);
	return map->base + (i << map->shift);
}

/* Takes every buddy block of order O of free entry N, while needed. */
static bool take_buddy_blocks(const struct extent_map *map, struct gather *g,
			      struct extent_range n, unsigned o)
{
	uint64_t i = (n.start - map->base) >> map->shift;
	uint64_t end = i + (n.len >> map->shift);

	for (; i < end && g->rem; i += UINT64_C(1) << buddy_order(i, end))
		if (buddy_order(i, end) == o &&
		    !take(g, map->base + (i << map->shift), (UINT64_C(1) << o) << map->shift))
			return false;
	return true;
}

/* G->size is 2^K blocks.  Without a free block of order >= K, blocks taken
 * whole in decreasing order always fit the rest exactly: each leaves a
 * remainder that is a multiple of the next, smaller or equal, block. */
static bool take_buddy(const struct extent_map *map, struct gather *g, unsigned k)
{
	uint64_t fits = node_sum(map->root).orders >> k << k;
	struct extent_range n;

	if (fits) {
		unsigned o = (unsigned)__builtin_ctzll(fits);
		struct want w = { .order = true, .v = UINT64_C(1) << o };

		first_from(map->root, map->height, map->base, w, &n);
		return take(g, buddy_block(map, n, o), g->rem);
	}
	if (g->max == 1)
		return false;
	for (unsigned o = k; o-- > 0 && g->rem;) {
		struct want w = { .order = true, .v = UINT64_C(1) << o };

		for (uint64_t at = map->base;
		     g->rem && first_from(map->root, map->height, at, w, &n); at = n.start + n.len)
			if (!take_buddy_blocks(map, g, n, o))
				return false;
	}
	return g->rem == 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct extent_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorts this allocation's ranges by address, merging touching ones unless
 * each must stay one buddy block. */
static void gather_finish(struct gather *g, bool merge_adjacent)
{
	struct extent_range *r = &g_array_index(g->out, struct extent_range, g->first);
	guint count = g->out->len - g->first, kept = 0;

	qsort(r, count, sizeof(*r), range_cmp);
	for (guint i = 0; i < count; i++) {
		if (kept && merge_adjacent && r[kept - 1].start + r[kept - 1].len == r[i].start)
			r[kept - 1].len += r[i].len;
		else
			r[kept++] = r[i];
	}
	g_array_set_size(g->out, g->first + kept);
}

enum extent_map_status extent_map_alloc(struct extent_map *map, enum extent_alloc_policy policy,
					uint64_t size, unsigned max_extents,
					uint64_t random_value, GArray *out_ranges)
{
	struct gather g;
	unsigned k = 0;
	bool done = false;

	g_return_val_if_fail(map && out_ranges, EXTENT_MAP_ERR_ARGUMENT);
	g_return_val_if_fail(policy < G_N_ELEMENTS(policy_names), EXTENT_MAP_ERR_ARGUMENT);
	g_return_val_if_fail(g_array_get_element_size(out_ranges) == sizeof(struct extent_range),
			     EXTENT_MAP_ERR_ARGUMENT);
	if (!size)
		return EXTENT_MAP_ERR_EMPTY;
	if (size & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	if (!max_extents)
		return EXTENT_MAP_ERR_ARGUMENT;
	if (size > map->length)
		return EXTENT_MAP_ERR_NO_SPACE;
	if (policy == EXTENT_ALLOC_BUDDY) {
		uint64_t blocks = size >> map->shift;

		k = blocks > 1 ? floor_log2(blocks - 1) + 1 : 0;
		size = (UINT64_C(1) << k) << map->shift;
		if (size > map->length)
			return EXTENT_MAP_ERR_NO_SPACE;
	}
	if (node_sum(map->root).free_bytes < size)
		return EXTENT_MAP_ERR_NO_SPACE;

	g = (struct gather){ out_ranges, out_ranges->len, max_extents, size, size, 0 };
	switch (policy) {
	case EXTENT_ALLOC_FIRST_FIT:
		done = take_first_fit(map, &g);
		break;
	case EXTENT_ALLOC_NEXT_FIT:
		done = max_extents == 1 ? take_contiguous_from(map, &g, map->cursor)
					: take_from(map, &g, map->cursor);
		break;
	case EXTENT_ALLOC_BEST_FIT:
		size_index(map);
		done = take_best_fit(map, &g);
		break;
	case EXTENT_ALLOC_WORST_FIT:
		size_index(map);
		done = take_largest(map, &g);
		break;
	case EXTENT_ALLOC_BUDDY:
		order_index(map);
		done = take_buddy(map, &g, k);
		break;
	case EXTENT_ALLOC_RANDOM:
		done = take_random(map, &g, random_value);
		break;
	}
	if (!done && max_extents > 1 && policy != EXTENT_ALLOC_BUDDY) {
		gather_reset(&g);
		size_index(map);
		done = take_largest(map, &g);
	}
	if (!done) {
		gather_reset(&g);
		return EXTENT_MAP_ERR_NO_CONTIGUOUS;
	}
	gather_finish(&g, policy != EXTENT_ALLOC_BUDDY);
	if (policy == EXTENT_ALLOC_NEXT_FIT)
		map->cursor = g.last_end == region_end(map) ? map->base : g.last_end;
	return EXTENT_MAP_OK;
}

/* S over the free entries under node B of height H, visiting only slots
 * that hold a free entry of at least REQUEST bytes: the others add 0. */
static uint64_t count_fits(const struct bnode *b, unsigned h, uint64_t request)
{
	uint64_t fits = 0;

	for (unsigned i = 0; i < b->count; i++)
		if (b->sum[i].max_free >= request)
			fits += h ? count_fits(b->kid[i], h - 1, request) : b->ent[i].len / request;
	return fits;
}

enum extent_map_status extent_map_get_frag(const struct extent_map *map, uint64_t request,
					   struct extent_frag *out)
{
	g_return_val_if_fail(map && out, EXTENT_MAP_ERR_ARGUMENT);
	if (!request)
		return EXTENT_MAP_ERR_EMPTY;
	if (request & (map->block_size - 1))
		return EXTENT_MAP_ERR_UNALIGNED;
	out->free_blocks = node_sum(map->root).free_bytes >> map->shift;
	out->free_extents = map->free_count;
	out->fits = count_fits(map->root, map->height, request);
	return EXTENT_MAP_OK;
}

struct check {
	const struct extent_map *map;
	GError **error;
	uint64_t pos;		/* end of the previous entry in address order */
	bool prev_free;
	uint64_t bytes[EXTENT_STATE_COUNT];
	size_t entries, free_count;
	const struct snode *prev;	/* previous node of the size tree */
};

G_GNUC_PRINTF(2, 3)
static bool check_fail(struct check *c, const char *format, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(c->error, EXTENT_MAP_ERROR, EXTENT_MAP_ERROR_INCONSISTENT, "extent map: %s",
		    msg);
	g_free(msg);
	return false;
}

static bool check_entry(struct check *c, const struct bnode *leaf, unsigned i)
{
	const struct extent_map *map = c->map;
	static const uint8_t no_tag[16];
	uint64_t start = leaf->start[i], len = leaf->ent[i].len;
	const struct extent_attr *attr = &leaf->ent[i].attr;
	const struct summary *sum = &leaf->sum[i];
	bool free;

	if (start != c->pos)
		return check_fail(c, "entry at %#" PRIx64 " where %#" PRIx64 " was expected",
				  start, c->pos);
	if (!len || (len & (map->block_size - 1)) || len > region_end(map) - start)
		return check_fail(c, "entry at %#" PRIx64 " has bad length %#" PRIx64, start, len);
	if (attr->state >= EXTENT_STATE_COUNT)
		return check_fail(c, "entry at %#" PRIx64 " has bad state %d", start,
				  (int)attr->state);
	free = attr->state == EXTENT_FREE;
	if (free && c->prev_free)
		return check_fail(c, "free entry at %#" PRIx64 " follows a free entry", start);
	if (free && (attr->host != -1 || attr->group || attr->seq ||
		     memcmp(attr->tag, no_tag, sizeof(no_tag)) != 0))
		return check_fail(c, "free entry at %#" PRIx64 " has attributes", start);
	if (sum->max_free != (free ? len : 0) || sum->free_bytes != sum->max_free ||
	    sum->orders != (free && map->ordered ? buddy_orders(map, start, len) : 0))
		return check_fail(c, "entry at %#" PRIx64 " has a stale summary", start);
	c->bytes[attr->state] += len;
	c->entries++;
	c->free_count += free;
	c->pos = start + len;
	c->prev_free = free;
	return true;
}

/* Node B at height H: its fill, its unused slots, its entries in order and
 * the slots summarising its children. */
static bool check_node(struct check *c, const struct bnode *b, unsigned h, bool root)
{
	unsigned min = !root ? HALF : h ? 2 : 1;

	if (b->count < min || b->count > FANOUT)
		return check_fail(c, "node of %u slots before %#" PRIx64, b->count, c->pos);
	for (unsigned i = b->count; i < FANOUT; i++)
		if (b->start[i] != UINT64_MAX ||
		    (b->sum[i].max_free | b->sum[i].free_bytes | b->sum[i].orders))
			return check_fail(c, "unused slot %u not clear before %#" PRIx64, i,
					  c->pos);
	for (unsigned i = 0; i < b->count; i++) {
		struct summary s;

		if (!h) {
			if (!check_entry(c, b, i))
				return false;
			continue;
		}
		if (!check_node(c, b->kid[i], h - 1, false))
			return false;
		s = node_sum(b->kid[i]);
		if (b->start[i] != b->kid[i]->start[0] || memcmp(&b->sum[i], &s, sizeof(s)) != 0)
			return check_fail(c, "stale subtree summary at %#" PRIx64, b->start[i]);
	}
	return true;
}

static bool check_size(struct check *c, const struct snode *t, size_t *count)
{
	const struct bnode *leaf;
	unsigned i;

	if (!t)
		return true;
	for (int side = 0; side < 2; side++)
		if (t->kid[side] && t->kid[side]->prio > t->prio)
			return check_fail(c, "size tree heap order broken under %#" PRIx64,
					  t->start);
	if (!check_size(c, t->kid[0], count))
		return false;
	if (c->prev && !size_less(c->prev, t->len, t->start))
		return check_fail(c, "size tree out of order at %#" PRIx64, t->start);
	leaf = addr_find(c->map, t->start, &i);
	if (leaf->start[i] != t->start || leaf->ent[i].len != t->len || !slot_free(leaf, i))
		return check_fail(c, "size tree holds %#" PRIx64 ", not a free entry", t->start);
	c->prev = t;
	(*count)++;
	return check_size(c, t->kid[1], count);
}

bool extent_map_check(const struct extent_map *map, GError **error)
{
	struct check c = { .map = map, .error = error };
	size_t sized = 0;

	g_return_val_if_fail(map, false);
	c.pos = map->base;
	if (!check_node(&c, map->root, map->height, true) ||
	    !check_size(&c, map->size_root, &sized))
		return false;
	if (c.pos != region_end(map))
		return check_fail(&c, "entries end at %#" PRIx64 ", not at the region end", c.pos);
	if (memcmp(c.bytes, map->bytes, sizeof(c.bytes)) != 0)
		return check_fail(&c, "byte counters differ from the entries");
	if (c.entries != map->entries || c.free_count != map->free_count)
		return check_fail(&c, "entry counters %zu/%zu, entries %zu/%zu", map->entries,
				  map->free_count, c.entries, c.free_count);
	if (sized != (map->sized ? map->free_count : 0))
		return check_fail(&c, "size tree holds %zu of %zu free entries", sized,
				  map->free_count);
	if (!inside(map, map->cursor) || (map->cursor & (map->block_size - 1)))
		return check_fail(&c, "cursor %#" PRIx64 " is not a block of the region",
				  map->cursor);
	return true;
}
