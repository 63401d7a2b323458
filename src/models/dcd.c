/* The device: configuration, lifecycle, wiring, tag accounting and the
 * observer functions.  Commands are in dcd_cmd.c, event logs, records and
 * the sanitize engine in dcd_log.c. */
#include "models/dcd_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(dcdsim-dcd-error-quark, dcd_error)

const char *dcd_profile_name(enum dcd_profile profile)
{
	switch (profile) {
	case DCD_PROFILE_SPEC:
		return "spec";
	case DCD_PROFILE_QEMU:
		return "qemu";
	}
	return "unknown";
}

bool dcd_profile_from_name(const char *name, enum dcd_profile *out)
{
	g_return_val_if_fail(name != NULL && out != NULL, false);
	if (strcmp(name, "spec") == 0)
		*out = DCD_PROFILE_SPEC;
	else if (strcmp(name, "qemu") == 0)
		*out = DCD_PROFILE_QEMU;
	else
		return false;
	return true;
}

void dcd_config_init(struct dcd_config *cfg, enum dcd_profile profile)
{
	g_return_if_fail(cfg != NULL);
	memset(cfg, 0, sizeof(*cfg));
	cfg->profile = profile;
	cfg->nhosts = 1;
	cfg->alloc_policy = EXTENT_ALLOC_FIRST_FIT;
	latency_params_init(&cfg->latency);
	if (profile == DCD_PROFILE_QEMU) {
		cfg->max_extents = 512;
		cfg->max_tags = 0;
		cfg->log_capacity = 8;
		cfg->payload_size = 2048;
		cfg->free_max_extents = 1;
	} else {
		cfg->max_extents = 1024;
		cfg->max_tags = 256;
		cfg->log_capacity = 32;
		cfg->payload_size = 4096;
		cfg->free_max_extents = 8;
	}
}

bool dcd_config_set_uniform_regions(struct dcd_config *cfg, uint64_t base, uint64_t total,
				    unsigned count, uint64_t block_size, GError **error)
{
	uint64_t each;

	g_return_val_if_fail(cfg != NULL, false);
	if (count == 0 || count > DCD_REGIONS_MAX) {
		g_set_error(error, DCD_ERROR, DCD_ERROR_CONFIG,
			    "dc region count %u is not 1..%d", count, DCD_REGIONS_MAX);
		return false;
	}
	each = total / count;
	if (each == 0 || total % count || each % DCD_REGION_ALIGN) {
		g_set_error(error, DCD_ERROR, DCD_ERROR_CONFIG,
			    "dc capacity %#" PRIx64 " does not split into %u regions"
			    " of a multiple of 256 MiB", total, count);
		return false;
	}
	cfg->nregions = count;
	for (unsigned i = 0; i < count; i++)
		cfg->regions[i] = (struct dcd_region_config){
			.base = base + i * each,
			.decode_len = each,
			.len = each,
			.block_size = block_size,
		};
	return true;
}

static bool region_validate(const struct dcd_config *cfg, unsigned i, GError **error)
{
	const struct dcd_region_config *r = &cfg->regions[i];
	const char *rule = NULL;

	if (r->block_size < 64 || (r->block_size & (r->block_size - 1)))
		rule = "block size is not a power of two >= 64";
	else if (r->base % DCD_REGION_ALIGN)
		rule = "base is not 256 MiB aligned";
	else if (r->decode_len == 0 || r->decode_len % DCD_REGION_ALIGN)
		rule = "decode length is not a non-zero multiple of 256 MiB";
	else if (r->base > UINT64_MAX - r->decode_len)
		rule = "decode range passes 2^64";
	else if (r->len == 0)
		rule = "length is zero";
	else if (r->len > r->decode_len)
		rule = "length exceeds the decode length";
	else if (r->len % r->block_size)
		rule = "length is not a multiple of the block size";
	else if (i > 0 && r->base < cfg->regions[i - 1].base)
		rule = "base is below the previous region's (regions go in increasing DPA order)";
	else if (i > 0 && r->base < cfg->regions[i - 1].base + cfg->regions[i - 1].decode_len)
		rule = "overlaps the previous region's decode range";
	if (!rule)
		return true;
	g_set_error(error, DCD_ERROR, DCD_ERROR_CONFIG,
		    "dc region %u (base %#" PRIx64 ", decode length %#" PRIx64 ", length %#" PRIx64
		    ", block size %#" PRIx64 "): %s",
		    i, r->base, r->decode_len, r->len, r->block_size, rule);
	return false;
}

bool dcd_config_validate(const struct dcd_config *cfg, GError **error)
{
	const char *rule = NULL;

	g_return_val_if_fail(cfg != NULL, false);
	if (cfg->profile != DCD_PROFILE_SPEC && cfg->profile != DCD_PROFILE_QEMU)
		rule = "unknown profile";
	else if (cfg->nregions == 0 || cfg->nregions > DCD_REGIONS_MAX)
		rule = "dc region count is not 1..8";
	else if (cfg->nhosts == 0 || cfg->nhosts > DCD_HOSTS_MAX)
		rule = "host count is not 1..64";
	else if (cfg->max_extents == 0)
		rule = "extent limit is zero";
	else if (cfg->log_capacity == 0 || cfg->log_capacity > UINT16_MAX)
		rule = "event log capacity is not 1..65535";
	else if (proto_payload_records(cfg->payload_size) == 0)
		rule = "mailbox payload holds no event record";
	else if (cfg->free_max_extents == 0)
		rule = "free selection extent limit is zero";
	else if ((unsigned)cfg->alloc_policy > EXTENT_ALLOC_RANDOM)
		rule = "unknown allocation policy";
	if (rule) {
		g_set_error(error, DCD_ERROR, DCD_ERROR_CONFIG, "dcd configuration: %s", rule);
		return false;
	}
	for (unsigned i = 0; i < cfg->nregions; i++)
		if (!region_validate(cfg, i, error))
			return false;
	return true;
}

static guint tag_hash(gconstpointer key)
{
	const uint8_t *tag = key;
	guint h = 2166136261u;

	for (size_t i = 0; i < PROTO_TAG_SIZE; i++)
		h = (h ^ tag[i]) * 16777619u;
	return h;
}

static gboolean tag_equal(gconstpointer a, gconstpointer b)
{
	return proto_tag_equal(a, b);
}

/* ---- tables, offers and releases ------------------------------------ */

struct dcd_group *dcd_group_find(const struct dcd *dev, uint64_t id)
{
	const uint64_t *v = sim_table_find(&dev->groups, id, 0);

	return v ? (struct dcd_group *)(uintptr_t)*v : NULL;
}

struct dcd_release *dcd_release_find(const struct dcd *dev, uint64_t id)
{
	const uint64_t *v = sim_table_find(&dev->releases, id, 0);

	return v ? (struct dcd_release *)(uintptr_t)*v : NULL;
}

/* The offer or release in slot I of its table, or NULL: for walks over
 * all of them. */
static struct dcd_group *group_at(const struct dcd *dev, uint32_t i)
{
	return sim_table_ptr_at(&dev->groups, i);
}

static struct dcd_release *release_at(const struct dcd *dev, uint32_t i)
{
	return sim_table_ptr_at(&dev->releases, i);
}

struct dcd_group *dcd_group_new(struct dcd *dev, struct dcd_host *host)
{
	struct dcd_group *g;

	if (dev->spare_groups.len) {
		g = dev->spare_groups.v[--dev->spare_groups.len];
		/* keep the array for reuse */
		*g = (struct dcd_group){ .offered.v = g->offered.v, .offered.cap = g->offered.cap };
	} else {
		g = g_new0(struct dcd_group, 1);
	}
	g->id = dev->next_id++;
	g->host = host->id;
	g->link.data = g;
	sim_table_add(&dev->groups, g->id, 0, (uintptr_t)g);
	g_queue_push_tail_link(&host->groups, &g->link);
	return g;
}

struct dcd_release *dcd_release_new(struct dcd *dev, unsigned host)
{
	struct dcd_release *r = dev->spare_releases.len
					? dev->spare_releases.v[--dev->spare_releases.len]
					: g_new(struct dcd_release, 1);

	*r = (struct dcd_release){ .id = dev->next_id++, .host = host };
	sim_table_add(&dev->releases, r->id, 0, (uintptr_t)r);
	return r;
}

void dcd_group_retire(struct dcd *dev, struct dcd_group *g)
{
	g_queue_unlink(&dev->hosts[g->host].groups, &g->link);
	sim_table_remove(&dev->groups, sim_table_find(&dev->groups, g->id, 0));
	sim_vec_push(&dev->spare_groups) = g;
}

void dcd_release_retire(struct dcd *dev, struct dcd_release *r)
{
	sim_table_remove(&dev->releases, sim_table_find(&dev->releases, r->id, 0));
	sim_vec_push(&dev->spare_releases) = r;
}

static void group_free(struct dcd_group *g)
{
	g_free(g->offered.v);
	g_free(g);
}

struct dcd *dcd_new(struct sim *k, unsigned id, const struct dcd_config *cfg, GError **error)
{
	struct dcd *dev;

	g_return_val_if_fail(k != NULL && cfg != NULL, NULL);
	if (!dcd_config_validate(cfg, error))
		return NULL;
	dev = g_new0(struct dcd, 1);
	dev->k = k;
	dev->id = id;
	snprintf(dev->name, sizeof(dev->name), "dcd%u", id);
	dev->cfg = *cfg;
	for (unsigned i = 0; i < cfg->nregions; i++)
		dev->maps[i] = extent_map_new(cfg->regions[i].base, cfg->regions[i].len,
					      cfg->regions[i].block_size);
	dev->hosts = g_new0(struct dcd_host, cfg->nhosts);
	for (unsigned h = 0; h < cfg->nhosts; h++) {
		struct dcd_host *host = &dev->hosts[h];

		host->dev = dev;
		host->id = h;
		dcd_log_init(&host->log, cfg->log_capacity);
		g_queue_init(&host->groups);
	}
	dev->rng = sim_stream(k, dev->name);
	sim_table_init(&dev->groups);
	sim_table_init(&dev->releases);
	sim_table_init(&dev->tags);
	dev->next_id = 1;
	dev->payload_ranges = proto_payload_ranges(cfg->payload_size);
	dev->payload_records = proto_payload_records(cfg->payload_size);
	dev->payload_extents = proto_payload_extents(cfg->payload_size);
	dev->payload_fm_extents = proto_payload_fm_extents(cfg->payload_size);
	dev->alloc = g_array_new(FALSE, FALSE, sizeof(struct extent_range));
	return dev;
}

void dcd_free(struct dcd *dev)
{
	if (!dev)
		return;
	for (unsigned h = 0; h < dev->cfg.nhosts; h++) {
		struct dcd_host *host = &dev->hosts[h];

		dcd_log_free(&host->log);
		g_free(host->staging.v);
	}
	g_free(dev->hosts);
	for (unsigned i = 0; i < dev->cfg.nregions; i++)
		extent_map_free(dev->maps[i]);
	g_free(dev->fm_staging.v);
	for (uint32_t i = 0; i < sim_table_capacity(&dev->groups); i++)
		if (group_at(dev, i))
			group_free(group_at(dev, i));
	for (uint32_t i = 0; i < dev->spare_groups.len; i++)
		group_free(dev->spare_groups.v[i]);
	for (uint32_t i = 0; i < sim_table_capacity(&dev->releases); i++)
		g_free(release_at(dev, i));
	for (uint32_t i = 0; i < dev->spare_releases.len; i++)
		g_free(dev->spare_releases.v[i]);
	sim_table_clear(&dev->groups);
	sim_table_clear(&dev->releases);
	sim_table_clear(&dev->tags);
	g_free(dev->spare_groups.v);
	g_free(dev->spare_releases.v);
	g_free(dev->spans.v);
	g_free(dev->clips.v);
	g_array_unref(dev->alloc);
	g_free(dev);
}

void dcd_connect_host(struct dcd *dev, unsigned host, const struct proto_host_port *port)
{
	g_return_if_fail(dev != NULL && port != NULL && host < dev->cfg.nhosts);
	g_return_if_fail(port->interrupt && port->record && port->extent && port->region &&
			 port->done);
	dev->hosts[host].port = *port;
	dev->hosts[host].connected = true;
}

void dcd_connect_fm(struct dcd *dev, const struct proto_fm_port *port)
{
	g_return_if_fail(dev != NULL && port != NULL && port->done && port->record);
	dev->fm = *port;
	dev->fm_connected = true;
}

void dcd_mbox_port(struct dcd *dev, unsigned host, struct proto_mbox_port *out)
{
	g_return_if_fail(dev != NULL && out != NULL && host < dev->cfg.nhosts);
	*out = (struct proto_mbox_port){
		.target = &dev->hosts[host],
		.command = dcd_on_mbox_command,
		.range = dcd_on_mbox_range,
	};
}

void dcd_fm_api_port(struct dcd *dev, struct proto_fm_api_port *out)
{
	g_return_if_fail(dev != NULL && out != NULL);
	*out = (struct proto_fm_api_port){
		.target = dev,
		.command = dcd_on_fm_command,
		.extent = dcd_on_fm_extent,
	};
}

void dcd_set_observer(struct dcd *dev, dcd_observer_fn fn, void *data)
{
	g_return_if_fail(dev != NULL);
	dev->observer = fn;
	dev->observer_data = data;
}

void dcd_map_set(struct dcd *dev, unsigned region, uint64_t start, uint64_t len,
		 const struct extent_attr *attr)
{
	struct extent_map *map = dev->maps[region];
	uint64_t n;

	if (extent_map_set(map, start, len, attr) != EXTENT_MAP_OK) {
		sim_fail(dev->k, "'%s': map update [%#" PRIx64 ", +%#" PRIx64 ") refused",
			 dev->name, start, len);
		return;
	}
	n = extent_map_get_extent_count(map);
	dev->map_extents += n - dev->region_extents[region];
	dev->region_extents[region] = n;
}

uint64_t dcd_out_delay(const struct dcd *dev, uint64_t n)
{
	uint64_t per = dev->cfg.latency.mbox_per_extent;

	return n && per > UINT64_MAX / n ? UINT64_MAX : per * n;
}

/* TAG as a table key; false for the zero tag (none, never counted). */
static bool tag_key(const uint8_t tag[PROTO_TAG_SIZE], uint64_t key[2])
{
	memcpy(key, tag, PROTO_TAG_SIZE);
	return key[0] | key[1];
}

bool dcd_tag_is_new(const struct dcd *dev, const uint8_t tag[PROTO_TAG_SIZE])
{
	uint64_t key[2];

	return tag_key(tag, key) && !sim_table_find(&dev->tags, key[0], key[1]);
}

void dcd_tag_add(struct dcd *dev, const uint8_t tag[PROTO_TAG_SIZE], uint64_t bytes)
{
	uint64_t key[2], *v;

	/* a zero value would mark the slot empty: spans are never empty */
	if (!tag_key(tag, key) || !bytes)
		return;
	v = sim_table_find(&dev->tags, key[0], key[1]);
	if (v)
		*v += bytes;
	else
		sim_table_add(&dev->tags, key[0], key[1], bytes);
}

void dcd_tag_sub(struct dcd *dev, const uint8_t tag[PROTO_TAG_SIZE], uint64_t bytes)
{
	uint64_t key[2], *v;

	if (!tag_key(tag, key))
		return;
	v = sim_table_find(&dev->tags, key[0], key[1]);
	if (!v || *v < bytes) {
		sim_fail(dev->k, "'%s': tag accounting went below zero", dev->name);
		return;
	}
	*v -= bytes;
	if (!*v)
		sim_table_remove(&dev->tags, v);
}

void dcd_note(struct dcd *dev, enum dcd_note_kind kind, unsigned index)
{
	struct dcd_note note = { .kind = kind };

	if (!dev->observer)
		return;
	if (kind == DCD_NOTE_USAGE) {
		note.extents = dcd_extent_count(dev);
		note.tags = dev->tags.count;
	} else if (kind == DCD_NOTE_REGION_MAP) {
		note.region = index;
	} else {
		note.host = index;
	}
	dev->observer(dev, &note, dev->observer_data);
}

void dcd_note_usage(struct dcd *dev)
{
	dcd_note(dev, DCD_NOTE_USAGE, 0);
}

int dcd_region_walk(const struct extent_map *map, uint64_t start, uint64_t len,
		    extent_map_fn fn, void *data)
{
	uint64_t base = extent_map_get_base(map);
	uint64_t end = base + extent_map_get_length(map);
	uint64_t pos = MAX(start, base);
	struct extent_entry e;

	if (len <= UINT64_MAX - start)
		end = MIN(end, start + len);
	while (pos < end && extent_map_lookup(map, pos, &e)) {
		int rc = fn(&e, data);

		if (rc)
			return rc;
		pos = e.start + e.len;
	}
	return 0;
}

struct dcd_group *dcd_pending_group(const struct dcd *dev, unsigned host, uint64_t dpa)
{
	struct extent_entry e;

	for (unsigned i = 0; i < dev->cfg.nregions; i++)
		if (extent_map_lookup(dev->maps[i], dpa, &e))
			return e.attr.state == EXTENT_PENDING && e.attr.host == (int)host
				       ? dcd_group_find(dev, e.attr.group)
				       : NULL;
	return NULL;
}

unsigned dcd_get_id(const struct dcd *dev)
{
	g_return_val_if_fail(dev != NULL, 0);
	return dev->id;
}

const char *dcd_get_name(const struct dcd *dev)
{
	g_return_val_if_fail(dev != NULL, NULL);
	return dev->name;
}

const struct dcd_config *dcd_get_config(const struct dcd *dev)
{
	g_return_val_if_fail(dev != NULL, NULL);
	return &dev->cfg;
}

const struct extent_map *dcd_region_map(const struct dcd *dev, unsigned region)
{
	g_return_val_if_fail(dev != NULL && region < dev->cfg.nregions, NULL);
	return dev->maps[region];
}

struct pending_walk {
	uint64_t group;
	uint64_t bytes;
};

static int pending_visit(const struct extent_entry *e, void *data)
{
	struct pending_walk *w = data;

	if (e->attr.state == EXTENT_PENDING && e->attr.group == w->group)
		w->bytes += e->len;
	return 0;
}

/* The bytes still pending in the offers that lost records of their chain. */
static uint64_t dropped_bytes(const struct dcd *dev)
{
	uint64_t bytes = 0;

	if (dev->dropped_groups == 0)
		return 0;
	for (uint32_t j = 0; j < sim_table_capacity(&dev->groups); j++) {
		const struct dcd_group *g = group_at(dev, j);
		struct pending_walk w;

		if (!g || !g->dropped)
			continue;
		w = (struct pending_walk){ .group = g->id };
		for (uint32_t i = 0; i < g->offered.len; i++) {
			const struct dcd_span *s = &g->offered.v[i];

			dcd_region_walk(dev->maps[s->region], s->start, s->len, pending_visit, &w);
		}
		bytes += w.bytes;
	}
	return bytes;
}

void dcd_get_stats(const struct dcd *dev, struct dcd_stats *out)
{
	uint64_t bytes[EXTENT_STATE_COUNT] = { 0 };

	g_return_if_fail(dev != NULL && out != NULL);
	/* regions outside, sums in locals: this runs on every usage note */
	for (unsigned i = 0; i < dev->cfg.nregions; i++) {
		const struct extent_map *map = dev->maps[i];

		for (int s = 0; s < EXTENT_STATE_COUNT; s++)
			bytes[s] += extent_map_get_bytes(map, (enum extent_state)s);
	}
	*out = (struct dcd_stats){
		.extents = dcd_extent_count(dev),
		.tags = dev->tags.count,
		.pending_groups = dev->groups.count,
		.dead_groups = dev->dead_groups,
		.dropped_groups = dev->dropped_groups,
		.dropped_bytes = dropped_bytes(dev),
		.sanitize_jobs = dev->sanitize_jobs,
		.records_posted = dev->records_posted,
		.records_dropped = dev->records_dropped,
		.retries = dev->retries,
	};
	memcpy(out->bytes, bytes, sizeof(bytes));
}

static bool in_host_list(const struct extent_entry *e, unsigned host)
{
	return (e->attr.state == EXTENT_ACCEPTED || e->attr.state == EXTENT_RELEASING) &&
	       e->attr.host == (int)host;
}

struct list_walk {
	unsigned host;
	extent_map_fn fn;
	void *data;
	uint64_t n;
};

static int list_visit(const struct extent_entry *e, void *data)
{
	struct list_walk *w = data;

	if (!in_host_list(e, w->host))
		return 0;
	w->n++;
	return w->fn ? w->fn(e, w->data) : 0;
}

int dcd_host_extents_foreach(const struct dcd *dev, unsigned host, extent_map_fn fn,
			     void *data)
{
	struct list_walk w = { .host = host, .fn = fn, .data = data };

	g_return_val_if_fail(dev != NULL && host < dev->cfg.nhosts, 0);
	for (unsigned i = 0; i < dev->cfg.nregions; i++) {
		int rc = dcd_region_walk(dev->maps[i], 0, UINT64_MAX, list_visit, &w);

		if (rc)
			return rc;
	}
	return 0;
}

void dcd_get_host_stats(const struct dcd *dev, unsigned host, struct dcd_host_stats *out)
{
	const struct dcd_host *h;
	struct list_walk w = { .host = host };

	g_return_if_fail(dev != NULL && out != NULL && host < dev->cfg.nhosts);
	h = &dev->hosts[host];
	for (unsigned i = 0; i < dev->cfg.nregions; i++)
		dcd_region_walk(dev->maps[i], 0, UINT64_MAX, list_visit, &w);
	*out = (struct dcd_host_stats){
		.log_count = h->log.count,
		.log_posting = h->log.posting,
		.overflow = h->overflow,
		.generation = h->generation,
		.extents = w.n,
		.pending_groups = h->groups.length,
		.mbox_busy = h->busy,
	};
}

/* What dcd_check_invariants recounts from the maps. */
struct audit {
	const struct dcd *dev;
	GHashTable *tag_bytes;		/* tag -> uint64 bytes (heap) */
	GHashTable *release_bytes;	/* id -> uint64 bytes (heap) */
	GHashTable *group_entries;	/* id -> uint64 pending entries (heap) */
	uint64_t sanitizing;
	uint64_t extents;
	char *problem;
};

static void audit_add(GHashTable *table, const void *key, size_t key_size, uint64_t bytes)
{
	uint64_t *v = g_hash_table_lookup(table, key);

	if (!v) {
		v = g_new0(uint64_t, 1);
		g_hash_table_insert(table, g_memdup2(key, key_size), v);
	}
	*v += bytes;
}

static int audit_entry(const struct extent_entry *e, void *data)
{
	struct audit *a = data;
	const struct dcd *dev = a->dev;
	const struct extent_attr *at = &e->attr;
	bool hosted = at->host >= 0 && (unsigned)at->host < dev->cfg.nhosts;
	const struct dcd_group *g;
	const struct dcd_release *r;

	switch (at->state) {
	case EXTENT_FREE:
		return 0;
	case EXTENT_SANITIZING:
		a->sanitizing++;
		return 0;
	case EXTENT_PENDING:
		g = dcd_group_find(dev, at->group);
		if (!hosted || !g || g->host != (unsigned)at->host)
			goto unaccounted;
		audit_add(a->group_entries, &at->group, sizeof(at->group), 1);
		break;
	case EXTENT_ACCEPTED:
		if (!hosted)
			goto unaccounted;
		break;
	case EXTENT_RELEASING:
		r = dcd_release_find(dev, at->group);
		if (!hosted || !r || r->host != (unsigned)at->host)
			goto unaccounted;
		audit_add(a->release_bytes, &at->group, sizeof(at->group), e->len);
		break;
	default:
		goto unaccounted;
	}
	a->extents++;
	if (!proto_tag_is_zero(at->tag))
		audit_add(a->tag_bytes, at->tag, PROTO_TAG_SIZE, e->len);
	return 0;
unaccounted:
	a->problem = g_strdup_printf("%s entry [%#" PRIx64 ", +%#" PRIx64 ") has host %d group %"
				     PRIu64 " that no offer or release accounts for",
				     extent_state_name(at->state), e->start, e->len, at->host,
				     at->group);
	return 1;
}

static char *audit_tables(const struct dcd *dev, struct audit *a)
{
	if (g_hash_table_size(a->tag_bytes) != dev->tags.count)
		return g_strdup_printf("%u tags in use, the tag table holds %u",
				       g_hash_table_size(a->tag_bytes), dev->tags.count);
	for (uint32_t i = 0; i < sim_table_capacity(&dev->tags); i++) {
		const struct sim_table_slot *t = &dev->tags.slots[i];
		const uint64_t *bytes = t->value ? g_hash_table_lookup(a->tag_bytes, t->key) : NULL;

		if (t->value && (!bytes || *bytes != t->value))
			return g_strdup("tag bytes disagree with the maps");
	}
	for (uint32_t i = 0; i < sim_table_capacity(&dev->releases); i++) {
		const struct dcd_release *r = release_at(dev, i);
		const uint64_t *bytes = r ? g_hash_table_lookup(a->release_bytes, &r->id) : NULL;

		if (r && (!bytes || *bytes != r->bytes))
			return g_strdup_printf("release %" PRIu64 " counts %" PRIu64
					       " releasing bytes, the maps %" PRIu64,
					       r->id, r->bytes, bytes ? *bytes : 0);
	}
	if (g_hash_table_size(a->release_bytes) != dev->releases.count)
		return g_strdup("a releasing entry names a finished release");
	for (uint32_t i = 0; i < sim_table_capacity(&dev->groups); i++) {
		const struct dcd_group *g = group_at(dev, i);
		const uint64_t *entries = g ? g_hash_table_lookup(a->group_entries, &g->id) : NULL;

		if (g && (entries ? *entries : 0) != g->pending)
			return g_strdup_printf("offer %" PRIu64 " counts %" PRIu64
					       " pending entries, the maps %" PRIu64,
					       g->id, g->pending, entries ? *entries : 0);
	}
	return NULL;
}

static char *audit_hosts(const struct dcd *dev)
{
	uint64_t dead = 0, dropped = 0;
	guint groups = 0;

	for (unsigned h = 0; h < dev->cfg.nhosts; h++) {
		const struct dcd_host *host = &dev->hosts[h];

		if (host->log.count > dev->cfg.log_capacity)
			return g_strdup_printf("host %u log holds %u records, capacity %u", h,
					       host->log.count, dev->cfg.log_capacity);
		groups += host->groups.length;
	}
	if (groups != dev->groups.count)
		return g_strdup_printf("host queues hold %u offers, the device %u", groups,
				       dev->groups.count);
	for (uint32_t i = 0; i < sim_table_capacity(&dev->groups); i++) {
		const struct dcd_group *g = group_at(dev, i);

		dead += g && g->dead;
		dropped += g && g->dropped;
	}
	if (dead != dev->dead_groups || dropped != dev->dropped_groups)
		return g_strdup_printf("%" PRIu64 " dead and %" PRIu64 " dropped offers, counted %"
				       PRIu64 " and %" PRIu64, dead, dropped, dev->dead_groups,
				       dev->dropped_groups);
	return NULL;
}

bool dcd_check_invariants(const struct dcd *dev, GError **error)
{
	struct audit a = { .dev = dev };
	char *problem = NULL;

	g_return_val_if_fail(dev != NULL, false);
	a.tag_bytes = g_hash_table_new_full(tag_hash, tag_equal, g_free, g_free);
	a.release_bytes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	a.group_entries = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	for (unsigned i = 0; i < dev->cfg.nregions && !problem; i++) {
		const struct extent_map *map = dev->maps[i];
		uint64_t sum = 0;
		GError *map_error = NULL;

		if (!extent_map_check(map, &map_error)) {
			problem = g_strdup_printf("region %u map: %s", i, map_error->message);
			g_error_free(map_error);
			break;
		}
		for (int s = 0; s < EXTENT_STATE_COUNT; s++)
			sum += extent_map_get_bytes(map, (enum extent_state)s);
		if (sum != extent_map_get_length(map))
			problem = g_strdup_printf("region %u states add up to %#" PRIx64
						  " bytes, not %#" PRIx64,
						  i, sum, extent_map_get_length(map));
		else if (dcd_region_walk(map, 0, UINT64_MAX, audit_entry, &a))
			problem = g_strdup_printf("region %u: %s", i, a.problem);
	}
	if (!problem && a.sanitizing != dev->sanitize_jobs)
		problem = g_strdup_printf("%" PRIu64 " sanitizing entries, %" PRIu64 " jobs",
					  a.sanitizing, dev->sanitize_jobs);
	if (!problem && a.extents != dcd_extent_count(dev))
		problem = g_strdup_printf("%" PRIu64 " extents in the maps, %" PRIu64 " counted",
					  a.extents, dcd_extent_count(dev));
	if (!problem && a.extents > dev->cfg.max_extents)
		problem = g_strdup_printf("%" PRIu64 " extents exceed the limit %" PRIu32,
					  a.extents, dev->cfg.max_extents);
	if (!problem && dcd_tags_tracked(dev) && dev->tags.count > dev->cfg.max_tags)
		problem = g_strdup_printf("%u tags exceed the limit %" PRIu32,
					  dev->tags.count, dev->cfg.max_tags);
	if (!problem)
		problem = audit_tables(dev, &a);
	if (!problem)
		problem = audit_hosts(dev);
	g_free(a.problem);
	g_hash_table_destroy(a.tag_bytes);
	g_hash_table_destroy(a.release_bytes);
	g_hash_table_destroy(a.group_entries);
	if (!problem)
		return true;
	g_set_error(error, DCD_ERROR, DCD_ERROR_INVARIANT, "'%s': %s", dev->name, problem);
	g_free(problem);
	return false;
}
