/* Internals of the device model shared by dcd.c (configuration, wiring,
 * observers), dcd_log.c (event logs, records, sanitize engine) and
 * dcd_cmd.c (commands).  Not a public header: nothing outside those files
 * includes it. */
#ifndef DCDSIM_MODELS_DCD_PRIV_H
#define DCDSIM_MODELS_DCD_PRIV_H

#include "models/dcd.h"
#include "sim/table.h"
#include "sim/vec.h"

/* A host's event log and, behind it, the records made but not posted yet,
 * in one FIFO that grows when full (it only grows while a qemu log drops
 * or forced records pile up, so it stays small): a post makes the first
 * record behind the log readable where it lies. */
struct dcd_log {
	struct proto_record *slots;
	uint32_t cap, head;
	uint32_t count;		/* readable, from the head */
	uint32_t posting;	/* made, not yet readable, after those */
};

/* A DPA range inside one region, with the index of the list entry it came
 * from (for the tag of a prescriptive extent). */
struct dcd_span {
	uint64_t start, len;
	uint32_t region;
	uint32_t index;
};

/* An offer: the extents of one Initiate DC Add to one host, one More
 * chain.  Its pending map entries carry its id as their group.  Retired
 * offers are kept for reuse with their array. */
struct dcd_group {
	GList link;		/* in its host's queue, data: the offer */
	uint64_t id;
	unsigned host;
	uint64_t request;
	bool dead;		/* a forced release removed some of it */
	bool dropped;		/* records of its chain were dropped (log full) */
	uint64_t pending;	/* its map entries still pending (answers and
				 * forced releases can cut them) */
	SIM_VEC(struct dcd_span) offered;	/* as offered */
};

/* A non-forced Initiate DC Release: its releasing map entries carry its
 * id as their group until the host releases them. */
struct dcd_release {
	uint64_t id;
	unsigned host;
	uint64_t request;
	bool sanitize;
	uint64_t bytes;		/* still releasing under this id */
};

struct dcd_host {
	struct dcd *dev;
	unsigned id;
	bool connected;
	struct proto_host_port port;
	/* event log */
	struct dcd_log log;
	uint64_t post_free_at;		/* firmware posts one record at a time */
	uint16_t next_handle;
	uint32_t overflow_since_empty;
	uint64_t overflow;
	/* extent list */
	uint32_t generation;
	GQueue groups;			/* struct dcd_group *, oldest first,
					 * linked through their own links */
	/* mailbox */
	bool busy;
	struct proto_mbox_cmd cmd;
	SIM_VEC(struct proto_range) staging;
};

/* The part of one map entry that one span covers, with the entry as it
 * was before the change: what a command changes, piece by piece. */
struct dcd_clip {
	uint64_t start, len;
	uint32_t region;
	uint32_t span;			/* index in the span list */
	int64_t pieces;			/* its share of the change in the entry
					 * count when the clips are cut out of
					 * their entries (see clip_cut) */
	struct extent_entry entry;
};

struct dcd {
	struct sim *k;
	unsigned id;
	char name[16];
	struct dcd_config cfg;
	/* entries one mailbox payload of cfg.payload_size holds: worked out
	 * once, used by every command */
	uint32_t payload_ranges, payload_records, payload_extents, payload_fm_extents;
	struct extent_map *maps[DCD_REGIONS_MAX];
	/* their extents (non-free entries), per region and in all: read from
	 * the maps once per change (dcd_map_set), not once per record */
	uint64_t region_extents[DCD_REGIONS_MAX];
	uint64_t map_extents;
	struct dcd_host *hosts;
	struct sim_rng *rng;
	bool fm_connected;
	struct proto_fm_port fm;
	/* FM API */
	bool fm_busy;
	struct proto_fm_cmd fm_cmd;
	SIM_VEC(struct proto_extent) fm_staging;
	/* offers and releases by id, bytes by tag (pending, accepted or
	 * releasing), and retired offers and releases for reuse */
	struct sim_table groups;	/* (id, 0) -> struct dcd_group * */
	struct sim_table releases;	/* (id, 0) -> struct dcd_release * */
	struct sim_table tags;		/* tag bytes -> bytes */
	SIM_VEC(struct dcd_group *) spare_groups;
	SIM_VEC(struct dcd_release *) spare_releases;
	uint64_t next_id;
	uint64_t dead_groups;
	uint64_t dropped_groups;
	/* sanitize engine */
	uint64_t sanitize_free_at;
	uint64_t sanitize_jobs;
	/* counters */
	uint64_t records_posted, records_dropped, retries;
	dcd_observer_fn observer;
	void *observer_data;
	/* scratch, reused by every command */
	SIM_VEC(struct dcd_span) spans;
	bool spans_ordered;		/* each added above the last one's end */
	SIM_VEC(struct dcd_clip) clips;
	int64_t clips_pieces;		/* the sum of their pieces */
	bool clips_hit_list;		/* an entry of a host's list is cut */
	bool clips_split_list;		/* ... and keeps a part, or is cut
					 * in several clips */
	GArray *alloc;			/* struct extent_range */
};

/* dcd.c */
/* The offer or release ID, or NULL. */
struct dcd_group *dcd_group_find(const struct dcd *dev, uint64_t id);
struct dcd_release *dcd_release_find(const struct dcd *dev, uint64_t id);
/* A new offer or release with the next id, in its table (the offer also
 * last in HOST's queue); its other fields are zero, but for the offer's
 * empty array. */
struct dcd_group *dcd_group_new(struct dcd *dev, struct dcd_host *host);
struct dcd_release *dcd_release_new(struct dcd *dev, unsigned host);
/* Takes the offer out of its host's queue and its table, the release out
 * of its table, for reuse. */
void dcd_group_retire(struct dcd *dev, struct dcd_group *g);
void dcd_release_retire(struct dcd *dev, struct dcd_release *r);
/* Gives [START, START + LEN) of REGION the attributes ATTR, as
 * extent_map_set, keeping the extent counts; a refused update fails the
 * simulation (the ranges come from checked lists). */
void dcd_map_set(struct dcd *dev, unsigned region, uint64_t start, uint64_t len,
		 const struct extent_attr *attr);

/* Extents counting against the limit: a sanitize job holds one map entry
 * the host limit does not count. */
static inline uint64_t dcd_extent_count(const struct dcd *dev)
{
	return dev->map_extents - dev->sanitize_jobs;
}

static inline uint32_t dcd_avail_extents(const struct dcd *dev)
{
	uint64_t used = dcd_extent_count(dev);

	return used >= dev->cfg.max_extents ? 0 : (uint32_t)(dev->cfg.max_extents - used);
}

/* QEMU reports no tag support and passes tags through untracked. */
static inline bool dcd_tags_tracked(const struct dcd *dev)
{
	return dev->cfg.profile == DCD_PROFILE_SPEC;
}

static inline uint32_t dcd_avail_tags(const struct dcd *dev)
{
	uint32_t used = dev->tags.count;

	if (!dcd_tags_tracked(dev) || used >= dev->cfg.max_tags)
		return 0;
	return dev->cfg.max_tags - used;
}

/* Mailbox time for N output entries. */
uint64_t dcd_out_delay(const struct dcd *dev, uint64_t n);
void dcd_tag_add(struct dcd *dev, const uint8_t tag[PROTO_TAG_SIZE], uint64_t bytes);
void dcd_tag_sub(struct dcd *dev, const uint8_t tag[PROTO_TAG_SIZE], uint64_t bytes);
/* TAG is not zero and not in use yet. */
bool dcd_tag_is_new(const struct dcd *dev, const uint8_t tag[PROTO_TAG_SIZE]);
void dcd_note_usage(struct dcd *dev);
/* INDEX is the region for DCD_NOTE_REGION_MAP, else the host. */
void dcd_note(struct dcd *dev, enum dcd_note_kind kind, unsigned index);
/* Calls FN for each entry of REGION overlapping [START, START + LEN), in
 * address order, through lookups only (so const maps can be walked). */
int dcd_region_walk(const struct extent_map *map, uint64_t start, uint64_t len,
		    extent_map_fn fn, void *data);
/* The offer of HOST whose pending extent holds DPA, or NULL. */
struct dcd_group *dcd_pending_group(const struct dcd *dev, unsigned host, uint64_t dpa);

/* dcd_log.c */
void dcd_log_init(struct dcd_log *log, uint32_t cap);
void dcd_log_free(struct dcd_log *log);
/* Free log slots a new chain may take under the spec profile. */
uint32_t dcd_log_room(const struct dcd_host *host);
/* Queues a record for HOST's log: it becomes readable after the posting
 * time, or is dropped then if the log is full. */
void dcd_log_post(struct dcd_host *host, enum proto_event type, bool more, uint8_t region,
		  const struct proto_extent *extent, uint64_t request);
/* Sends an 04h or 05h record to the FM. */
void dcd_fm_record(struct dcd *dev, enum proto_event type, unsigned host, bool more,
		   const struct proto_extent *extent, uint64_t request);
/* Hands [START, START + LEN) of REGION, just released by HOST, to the
 * sanitize engine; the 05h record follows when it is free again. */
void dcd_sanitize(struct dcd *dev, unsigned region, unsigned host, uint64_t start,
		  uint64_t len, const struct extent_attr *attr, uint64_t request);
/* Get Event Records: sends up to MAX records to HOST and fills DONE;
 * returns the delay the records went out with, for the completion. */
uint64_t dcd_log_get(struct dcd_host *host, uint32_t max, struct proto_mbox_done *done);
enum proto_rc dcd_log_clear(struct dcd_host *host, uint16_t handle, uint32_t count);

/* dcd_cmd.c */
void dcd_on_mbox_command(struct sim *k, void *target, const void *payload);
void dcd_on_mbox_range(struct sim *k, void *target, const void *payload);
void dcd_on_fm_command(struct sim *k, void *target, const void *payload);
void dcd_on_fm_extent(struct sim *k, void *target, const void *payload);

#endif
