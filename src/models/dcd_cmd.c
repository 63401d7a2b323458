/* The device's commands: host mailbox (0100h, 0101h, 4800h-4803h) and FM
 * API (5602h, 5604h, 5605h).  docs/models.md lists every return code and
 * when it arises.
 *
 * A command that takes a list works in two phases on scratch arrays: the
 * list is loaded into spans (validated, sorted) and cut along the map's
 * entries into clips; every check runs on those, and only a command that
 * passes them all changes the maps.  A failed command changes nothing
 * (except that a response to a dead offer retires it, see add_response). */
#include "models/dcd_priv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- spans and clips ------------------------------------------------ */

static int region_of(const struct dcd *dev, uint64_t start, uint64_t len)
{
	for (unsigned i = 0; i < dev->cfg.nregions; i++) {
		uint64_t base = dev->cfg.regions[i].base, rlen = dev->cfg.regions[i].len;

		if (start >= base && start - base < rlen)
			return len <= rlen - (start - base) ? (int)i : -1;
	}
	return -1;
}

static void spans_reset(struct dcd *dev)
{
	dev->spans.len = 0;
	dev->spans_ordered = true;
}

/* Adds list entry INDEX: inside a region (REGION, or any when negative),
 * else Invalid Physical Address; block aligned, else Invalid Extent List.
 * Inline: it runs for every entry of every list. */
static inline enum proto_rc spans_add(struct dcd *dev, uint64_t start, uint64_t len,
				      uint32_t index, int region)
{
	int r = len ? region_of(dev, start, len) : -1;

	if (r < 0 || (region >= 0 && r != region))
		return PROTO_RC_INVALID_PA;
	/* block sizes are powers of two */
	if ((start | len) & (dev->cfg.regions[r].block_size - 1))
		return PROTO_RC_INVALID_EXTENT_LIST;
	if (dev->spans.len) {
		const struct dcd_span *last = &dev->spans.v[dev->spans.len - 1];

		dev->spans_ordered &= start >= last->start + last->len;
	}
	sim_vec_push(&dev->spans) = (struct dcd_span){ start, len, (uint32_t)r, index };
	return PROTO_RC_SUCCESS;
}

/* Sorts the spans (by insertion: lists are short); two that overlap make
 * an Invalid Extent List.  Nothing to do for spans added in order and
 * apart, as hosts and the FM mostly list them. */
static enum proto_rc spans_finish(struct dcd *dev)
{
	struct dcd_span *s = dev->spans.v;

	if (dev->spans_ordered)
		return PROTO_RC_SUCCESS;
	for (uint32_t i = 1; i < dev->spans.len; i++) {
		struct dcd_span key = s[i];
		uint32_t j = i;

		for (; j > 0 && s[j - 1].start > key.start; j--)
			s[j] = s[j - 1];
		s[j] = key;
	}
	for (uint32_t i = 1; i < dev->spans.len; i++)
		if (s[i].start - s[i - 1].start < s[i - 1].len)
			return PROTO_RC_INVALID_EXTENT_LIST;
	return PROTO_RC_SUCCESS;
}

static bool visible(const struct extent_attr *attr)
{
	return attr->state == EXTENT_ACCEPTED || attr->state == EXTENT_RELEASING;
}

static void clips_reset(struct dcd *dev)
{
	dev->clips.len = 0;
	dev->clips_pieces = 0;
	dev->clips_hit_list = dev->clips_split_list = false;
}

/* Makes C, the last clip, the part [START, START + LEN) of its entry,
 * above every clip so far, and follows what cutting the clips out does, so
 * that no second walk is needed: an entry cut by clips goes, the pieces
 * they leave uncovered stay.  The clip's pieces count the gap below it
 * (from the entry's start or the previous clip) and the one above it to the
 * entry's end, less one for the entry when it is the entry's first clip; a
 * next clip in the same entry takes the gap above over.  Inline: it runs
 * for every clip. */
static inline void clip_cut(struct dcd *dev, struct dcd_clip *c, uint32_t region, uint32_t span,
			    uint64_t start, uint64_t len)
{
	const struct extent_entry *e = &c->entry;
	struct dcd_clip *prev = dev->clips.len > 1 ? c - 1 : NULL;
	uint64_t end = start + len, e_end = e->start + e->len;
	bool same = prev && prev->entry.start == e->start;

	c->start = start;
	c->len = len;
	c->region = region;
	c->span = span;
	if (same) {
		prev->pieces--;
		dev->clips_pieces--;
		c->pieces = (start > prev->start + prev->len) + (end < e_end);
	} else {
		c->pieces = (start > e->start) + (end < e_end) - 1;
	}
	dev->clips_pieces += c->pieces;
	if (visible(&e->attr)) {
		dev->clips_hit_list = true;
		if (same || start > e->start || end < e_end)
			dev->clips_split_list = true;
	}
}

/* Appends the clip [START, START + LEN) of entry E (see clip_cut). */
static void clip_push(struct dcd *dev, uint32_t region, uint32_t span, uint64_t start,
		      uint64_t len, const struct extent_entry *e)
{
	struct dcd_clip *c = &sim_vec_push(&dev->clips);

	c->entry = *e;
	clip_cut(dev, c, region, span, start, len);
}

/* Cuts every span along the map entries it overlaps, in address order,
 * each entry looked up straight into its clip (a span lies inside its
 * region: every lookup finds an entry). */
static void clips_load(struct dcd *dev)
{
	clips_reset(dev);
	for (uint32_t i = 0; i < dev->spans.len; i++) {
		const struct dcd_span *span = &dev->spans.v[i];
		const struct extent_map *map = dev->maps[span->region];
		uint64_t pos = span->start, end = span->start + span->len;

		while (pos < end) {
			struct dcd_clip *c = &sim_vec_push(&dev->clips);
			uint64_t e_end;

			if (!extent_map_lookup(map, pos, &c->entry)) {
				dev->clips.len--;
				break;
			}
			e_end = c->entry.start + c->entry.len;
			clip_cut(dev, c, span->region, i, pos, MIN(e_end, end) - pos);
			pos = e_end;
		}
	}
}

static struct dcd_clip *clip_at(const struct dcd *dev, guint i)
{
	return &dev->clips.v[i];
}

/* How the extent count changes when every clip is cut out of its entry:
 * the uncovered parts of the entry stay extents, and the clips too when
 * KEEP.  *CHANGED tells whether an entry of a host's extent list is cut or
 * removed (the list then changes). */
static int64_t clips_delta(const struct dcd *dev, bool keep, bool *changed)
{
	*changed = keep ? dev->clips_split_list : dev->clips_hit_list;
	return dev->clips_pieces + (keep ? (int64_t)dev->clips.len : 0);
}

static bool extents_fit(const struct dcd *dev, int64_t delta)
{
	return delta <= 0 || dcd_extent_count(dev) + (uint64_t)delta <= dev->cfg.max_extents;
}

static void clip_extent(const struct dcd_clip *c, struct proto_extent *out)
{
	*out = (struct proto_extent){ .start = c->start, .len = c->len, .seq = c->entry.attr.seq };
	memcpy(out->tag, c->entry.attr.tag, PROTO_TAG_SIZE);
}

static void list_changed(struct dcd_host *host)
{
	/* QEMU's generation number never moves */
	if (host->dev->cfg.profile == DCD_PROFILE_SPEC)
		host->generation++;
}

static enum proto_rc payload_check(guint staged, uint32_t declared, uint32_t capacity)
{
	return staged != declared || staged > capacity ? PROTO_RC_INVALID_PAYLOAD_LENGTH
						       : PROTO_RC_SUCCESS;
}

/* ---- offers and releases -------------------------------------------- */

static struct dcd_release *release_of(const struct dcd *dev, uint64_t id)
{
	struct dcd_release *r = dcd_release_find(dev, id);

	if (!r)
		sim_fail(dev->k, "'%s': releasing extent of unknown release %" PRIu64, dev->name,
			 id);
	return r;
}

static void release_sub(struct dcd *dev, struct dcd_release *r, uint64_t bytes)
{
	r->bytes -= bytes;
	if (r->bytes == 0)
		dcd_release_retire(dev, r);
}

/* Frees the entries still pending in offer G: its pending count says when
 * the walk over what it offered can stop, or need not start. */
static void group_free_pending(struct dcd *dev, struct dcd_group *g)
{
	for (uint32_t i = 0; i < g->offered.len && g->pending; i++) {
		const struct dcd_span *span = &g->offered.v[i];
		uint64_t pos = span->start, end = span->start + span->len;
		struct extent_entry e;

		while (pos < end && g->pending &&
		       extent_map_lookup(dev->maps[span->region], pos, &e)) {
			pos = e.start + e.len;
			if (e.attr.state != EXTENT_PENDING || e.attr.group != g->id)
				continue;
			dcd_tag_sub(dev, e.attr.tag, e.len);
			dcd_map_set(dev, span->region, e.start, e.len, &extent_attr_free);
			g->pending--;
		}
	}
}

/* Follows the clips about to leave the pending state in their offers'
 * pending counts: an entry cut by clips leaves its uncovered pieces. */
static void clips_unpend(struct dcd *dev)
{
	for (guint i = 0; i < dev->clips.len; i++) {
		const struct dcd_clip *c = clip_at(dev, i);
		const struct extent_attr *at = &c->entry.attr;
		struct dcd_group *g;

		if (at->state == EXTENT_PENDING && (g = dcd_group_find(dev, at->group)))
			g->pending += (uint64_t)c->pieces;
	}
}

/* The host answered offer G for the last time: what it did not accept
 * returns to free and the offer is gone.  EMPTY when that answer accepted
 * nothing: the closing record then carries no extent (the FM's chain must
 * close all the same). */
static void group_close(struct dcd *dev, struct dcd_host *host, struct dcd_group *g, bool empty)
{
	struct proto_extent none = { 0 };

	if (empty)
		dcd_fm_record(dev, PROTO_EVENT_ADD_RESPONSE, host->id, false, &none, g->request);
	group_free_pending(dev, g);
	if (g->dead)
		dev->dead_groups--;
	if (g->dropped)
		dev->dropped_groups--;
	dcd_group_retire(dev, g);
}

/* Takes clip C away from its host at once: Release DC, or a forced
 * release.  Pending DPA was never accessible: it is freed and its offer
 * marked dead.  Accepted DPA is sanitized first when the region, the
 * release or FLAG_SANITIZE asks for it.  The 05h record carries REQUEST,
 * or the release's when 0. */
static void clip_remove(struct dcd *dev, const struct dcd_clip *c, uint64_t request,
			bool flag_sanitize)
{
	const struct extent_attr *at = &c->entry.attr;
	bool sanitize = flag_sanitize || dev->cfg.regions[c->region].sanitize_on_release;
	struct proto_extent ext;
	struct dcd_group *g;
	struct dcd_release *r;

	clip_extent(c, &ext);
	dcd_tag_sub(dev, at->tag, c->len);
	switch (at->state) {
	case EXTENT_PENDING:
		g = dcd_group_find(dev, at->group);
		if (g && !g->dead) {
			g->dead = true;
			dev->dead_groups++;
		}
		dcd_map_set(dev, c->region, c->start, c->len, &extent_attr_free);
		dcd_fm_record(dev, PROTO_EVENT_CAPACITY_RELEASED, (unsigned)at->host, false, &ext,
			      request);
		return;
	case EXTENT_RELEASING:
		r = release_of(dev, at->group);
		if (!r)
			return;
		if (!request)
			request = r->request;
		sanitize = sanitize || r->sanitize;
		release_sub(dev, r, c->len);
		break;
	default:
		break;
	}
	if (sanitize) {
		dcd_sanitize(dev, c->region, (unsigned)at->host, c->start, c->len, at, request);
		return;
	}
	dcd_map_set(dev, c->region, c->start, c->len, &extent_attr_free);
	dcd_fm_record(dev, PROTO_EVENT_CAPACITY_RELEASED, (unsigned)at->host, false, &ext,
		      request);
}

/* ---- host mailbox commands ------------------------------------------ */

static uint64_t get_config(struct dcd_host *host, struct proto_mbox_done *done,
			   enum proto_rc *rc)
{
	struct dcd *dev = host->dev;
	uint32_t start = host->cmd.start, n;
	uint64_t delay;

	if (start >= dev->cfg.nregions) {
		*rc = PROTO_RC_INVALID_INPUT;
		return 0;
	}
	n = MIN(host->cmd.count, dev->cfg.nregions - start);
	delay = dcd_out_delay(dev, n);
	for (uint32_t i = start; i < start + n; i++) {
		const struct dcd_region_config *r = &dev->cfg.regions[i];
		struct proto_region out = {
			.base = r->base,
			.decode_len = r->decode_len,
			.len = r->len,
			.block_size = r->block_size,
			.dsmas_handle = r->dsmas_handle,
			.flags = r->sanitize_on_release ? PROTO_REGION_SANITIZE : 0,
			.index = (uint8_t)i,
		};

		sim_schedule(dev->k, delay, host->port.region, host->port.target, &out,
			     sizeof(out));
	}
	done->count = n;
	done->total = dev->cfg.nregions;
	done->total_extents = dev->cfg.max_extents;
	done->avail_extents = dcd_avail_extents(dev);
	done->total_tags = dcd_tags_tracked(dev) ? dev->cfg.max_tags : 0;
	done->avail_tags = dcd_avail_tags(dev);
	*rc = PROTO_RC_SUCCESS;
	return delay;
}

/* Counts the extents of a host's list and keeps, in the clips, the page
 * of them the command asks for: one walk over the maps. */
struct page_walk {
	struct dcd *dev;
	int host;
	uint64_t skip, max, total;
};

static int page_visit(const struct extent_entry *e, void *data)
{
	struct page_walk *w = data;

	if (!visible(&e->attr) || e->attr.host != w->host)
		return 0;
	if (++w->total > w->skip && w->dev->clips.len < w->max)
		clip_push(w->dev, 0, 0, e->start, e->len, e);
	return 0;
}

static uint64_t get_extent_list(struct dcd_host *host, struct proto_mbox_done *done,
				enum proto_rc *rc)
{
	struct dcd *dev = host->dev;
	struct page_walk w = {
		.dev = dev,
		.host = (int)host->id,
		.skip = host->cmd.start,
		.max = MIN(host->cmd.count, dev->payload_extents),
	};
	uint64_t delay;

	clips_reset(dev);
	for (unsigned i = 0; i < dev->cfg.nregions; i++)
		dcd_region_walk(dev->maps[i], 0, UINT64_MAX, page_visit, &w);
	if (host->cmd.start > w.total) {
		*rc = PROTO_RC_INVALID_INPUT;
		return 0;
	}
	delay = dcd_out_delay(dev, dev->clips.len);
	for (uint32_t i = 0; i < dev->clips.len; i++) {
		struct proto_extent out;

		clip_extent(clip_at(dev, i), &out);
		sim_schedule(dev->k, delay, host->port.extent, host->port.target, &out, sizeof(out));
	}
	done->count = dev->clips.len;
	done->total = (uint32_t)w.total;
	done->generation = host->generation;
	*rc = PROTO_RC_SUCCESS;
	return delay;
}

static enum proto_rc spans_from_staging(struct dcd_host *host)
{
	struct dcd *dev = host->dev;
	enum proto_rc rc;

	spans_reset(dev);
	for (uint32_t i = 0; i < host->staging.len; i++) {
		const struct proto_range *r = &host->staging.v[i];

		rc = spans_add(dev, r->start, r->len, i, -1);
		if (rc != PROTO_RC_SUCCESS)
			return rc;
	}
	return spans_finish(dev);
}

/* The offer an Add DC Response answers, once the clips are loaded: the
 * oldest under qemu and for an empty list; under spec the one the first
 * range lies in (the oldest when it lies in none, so that the check fails
 * on it). */
static struct dcd_group *response_group(struct dcd_host *host)
{
	struct dcd *dev = host->dev;
	const struct extent_attr *at;

	if (dev->cfg.profile == DCD_PROFILE_SPEC && dev->clips.len) {
		at = &clip_at(dev, 0)->entry.attr;
		if (at->state == EXTENT_PENDING && at->host == (int)host->id)
			return dcd_group_find(dev, at->group);
	}
	return host->groups.head ? host->groups.head->data : NULL;
}

/* Every range must lie inside one pending extent of offer G. */
static enum proto_rc response_check(struct dcd_host *host, const struct dcd_group *g)
{
	struct dcd *dev = host->dev;

	if (dev->clips.len != dev->spans.len)
		return PROTO_RC_INVALID_PA;
	for (guint i = 0; i < dev->clips.len; i++) {
		const struct extent_attr *at = &clip_at(dev, i)->entry.attr;

		if (at->state != EXTENT_PENDING || at->host != (int)host->id ||
		    at->group != g->id)
			return PROTO_RC_INVALID_PA;
	}
	return PROTO_RC_SUCCESS;
}

/* Add DC Response (4802h): the accepted ranges of one offer. */
static enum proto_rc add_response(struct dcd_host *host)
{
	struct dcd *dev = host->dev;
	bool final = !(host->cmd.flags & PROTO_RESPONSE_MORE);
	struct dcd_group *g;
	struct proto_extent ext;
	enum proto_rc rc;
	int64_t delta, left;
	bool changed;
	guint n;

	rc = payload_check(host->staging.len, host->cmd.nranges,
			   dev->payload_ranges);
	if (rc == PROTO_RC_SUCCESS)
		rc = spans_from_staging(host);
	if (rc == PROTO_RC_SUCCESS && host->groups.length == 0)
		rc = PROTO_RC_INVALID_INPUT;
	if (rc != PROTO_RC_SUCCESS)
		return rc;
	clips_load(dev);
	g = response_group(host);
	rc = response_check(host, g);
	if (rc != PROTO_RC_SUCCESS) {
		/* a dead offer cannot be answered in full: any answer ends it,
		 * accepting nothing */
		if (g->dead) {
			group_close(dev, host, g, true);
			dcd_note_usage(dev);
		}
		return rc;
	}
	/* every clip is pending in G: LEFT is what the answer changes in its
	 * pending entries, the pieces around the accepted ones staying */
	n = dev->clips.len;
	left = clips_delta(dev, false, &changed);
	delta = final ? (int64_t)n - (int64_t)g->pending : (int64_t)n + left;
	if (!extents_fit(dev, delta))
		return PROTO_RC_RESOURCES_EXHAUSTED;

	for (guint i = 0; i < n; i++) {
		const struct dcd_clip *c = clip_at(dev, i);
		struct extent_attr attr = c->entry.attr;

		attr.state = EXTENT_ACCEPTED;
		dcd_map_set(dev, c->region, c->start, c->len, &attr);
		clip_extent(c, &ext);
		dcd_fm_record(dev, PROTO_EVENT_ADD_RESPONSE, host->id, !final || i + 1 < n, &ext,
			      g->request);
	}
	g->pending = g->pending + (uint64_t)left;
	if (n)
		list_changed(host);
	if (final)
		group_close(dev, host, g, n == 0);
	dcd_note_usage(dev);
	return PROTO_RC_SUCCESS;
}

/* Release DC (4803h): the host gives back ranges of its extent list,
 * whole, partial or spanning several extents. */
static enum proto_rc release_dc(struct dcd_host *host)
{
	struct dcd *dev = host->dev;
	enum proto_rc rc;
	bool changed;

	rc = payload_check(host->staging.len, host->cmd.nranges,
			   dev->payload_ranges);
	if (rc != PROTO_RC_SUCCESS)
		return rc;
	if (host->staging.len == 0)
		return PROTO_RC_INVALID_INPUT;
	rc = spans_from_staging(host);
	if (rc != PROTO_RC_SUCCESS)
		return rc;
	clips_load(dev);
	for (guint i = 0; i < dev->clips.len; i++) {
		const struct extent_attr *at = &clip_at(dev, i)->entry.attr;

		if (!visible(at) || at->host != (int)host->id)
			return PROTO_RC_INVALID_PA;
	}
	if (!extents_fit(dev, clips_delta(dev, false, &changed)))
		return PROTO_RC_RESOURCES_EXHAUSTED;
	for (guint i = 0; i < dev->clips.len; i++)
		clip_remove(dev, clip_at(dev, i), 0, false);
	list_changed(host);
	dcd_note_usage(dev);
	return PROTO_RC_SUCCESS;
}

static void mbox_execute(struct sim *k, void *target, const void *payload)
{
	struct dcd_host *host = target;
	struct dcd *dev = host->dev;
	struct proto_mbox_done done = { .opcode = host->cmd.opcode, .sim = host->cmd.sim };
	enum proto_rc rc = PROTO_RC_SUCCESS;
	uint64_t delay = 0;

	(void)payload;
	switch (host->cmd.opcode) {
	case PROTO_OP_GET_EVENT_RECORDS:
		delay = dcd_log_get(host, dev->payload_records, &done);
		break;
	case PROTO_OP_CLEAR_EVENT_RECORDS:
		rc = dcd_log_clear(host, host->cmd.handle, host->cmd.count);
		break;
	case PROTO_OP_GET_DC_CONFIG:
		delay = get_config(host, &done, &rc);
		break;
	case PROTO_OP_GET_DC_EXTENT_LIST:
		delay = get_extent_list(host, &done, &rc);
		break;
	case PROTO_OP_ADD_DC_RESPONSE:
		rc = add_response(host);
		break;
	case PROTO_OP_RELEASE_DC:
		rc = release_dc(host);
		break;
	default:
		rc = PROTO_RC_UNSUPPORTED;
		break;
	}
	done.rc = (uint8_t)rc;
	host->staging.len = 0;
	host->busy = false;
	sim_schedule(k, delay, host->port.done, host->port.target, &done, sizeof(done));
}

void dcd_on_mbox_range(struct sim *k, void *target, const void *payload)
{
	struct dcd_host *host = target;

	if (host->busy) {
		sim_fail(k, "'%s': host %u wrote the mailbox payload during a command",
			 host->dev->name, host->id);
		return;
	}
	sim_vec_push(&host->staging) = *(const struct proto_range *)payload;
}

void dcd_on_mbox_command(struct sim *k, void *target, const void *payload)
{
	struct dcd_host *host = target;
	const struct proto_mbox_cmd *cmd = payload;
	uint64_t in = 0;

	if (host->busy || !host->connected) {
		sim_fail(k, "'%s': host %u rang the mailbox doorbell %s", host->dev->name,
			 host->id, host->busy ? "during a command" : "before it was connected");
		return;
	}
	host->busy = true;
	host->cmd = *cmd;
	if (cmd->opcode == PROTO_OP_ADD_DC_RESPONSE || cmd->opcode == PROTO_OP_RELEASE_DC)
		in = host->staging.len;
	sim_schedule(k, latency_mbox(&host->dev->cfg.latency, in), mbox_execute, host, NULL, 0);
}

/* ---- FM API commands ------------------------------------------------- */

static const struct proto_extent *fm_extent(const struct dcd *dev, uint32_t i)
{
	return &dev->fm_staging.v[i];
}

/* The extents the FM listed with its command, as sorted spans inside the
 * command's region: Invalid Input for none, else as spans_add/finish. */
static enum proto_rc spans_from_fm_extents(struct dcd *dev)
{
	uint32_t n = dev->fm_staging.len;
	enum proto_rc rc;

	if (n == 0)
		return PROTO_RC_INVALID_INPUT;
	spans_reset(dev);
	for (uint32_t i = 0; i < n; i++) {
		rc = spans_add(dev, fm_extent(dev, i)->start, fm_extent(dev, i)->len, i,
			       dev->fm_cmd.region);
		if (rc != PROTO_RC_SUCCESS)
			return rc;
	}
	return spans_finish(dev);
}

/* Free and Contiguous: the device chooses with its allocation policy. */
static enum proto_rc add_select(struct dcd *dev, bool contiguous, enum proto_cause *cause)
{
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;
	struct extent_map *map = dev->maps[cmd->region];
	uint64_t bs = dev->cfg.regions[cmd->region].block_size;
	uint32_t avail = dcd_avail_extents(dev), max;
	uint64_t random = 0;
	enum extent_map_status st;

	if (cmd->length == 0 || cmd->length % bs)
		return PROTO_RC_INVALID_INPUT;
	if (dcd_tags_tracked(dev) && dcd_tag_is_new(dev, cmd->tag) && dcd_avail_tags(dev) == 0) {
		*cause = PROTO_CAUSE_TAG_LIMIT;
		return PROTO_RC_RESOURCES_EXHAUSTED;
	}
	if (avail == 0) {
		*cause = PROTO_CAUSE_EXTENT_LIMIT;
		return PROTO_RC_RESOURCES_EXHAUSTED;
	}
	/* under spec the whole chain must fit in the log */
	max = contiguous ? 1 : MIN(MIN(dev->cfg.free_max_extents, avail), dev->cfg.log_capacity);
	if (dev->cfg.alloc_policy == EXTENT_ALLOC_RANDOM)
		random = sim_rng_next(dev->rng);
	g_array_set_size(dev->alloc, 0);
	st = extent_map_alloc(map, dev->cfg.alloc_policy, cmd->length, max, random, dev->alloc);
	switch (st) {
	case EXTENT_MAP_OK:
		break;
	case EXTENT_MAP_ERR_NO_SPACE:
		*cause = PROTO_CAUSE_NO_CAPACITY;
		return PROTO_RC_RESOURCES_EXHAUSTED;
	case EXTENT_MAP_ERR_NO_CONTIGUOUS:
		/* the extent limit is to blame when it, not the policy's
		 * own cap, bounded the number of extents */
		*cause = !contiguous && avail < MIN(dev->cfg.free_max_extents,
						    dev->cfg.log_capacity)
				 ? PROTO_CAUSE_EXTENT_LIMIT
				 : PROTO_CAUSE_NO_CONTIGUOUS;
		return PROTO_RC_RESOURCES_EXHAUSTED;
	default:
		return PROTO_RC_INVALID_INPUT;
	}
	spans_reset(dev);
	for (guint i = 0; i < dev->alloc->len; i++) {
		const struct extent_range *r = &g_array_index(dev->alloc, struct extent_range, i);

		sim_vec_push(&dev->spans) = (struct dcd_span){ r->start, r->len, cmd->region, 0 };
	}
	return PROTO_RC_SUCCESS;
}

/* Prescriptive: the FM names free, aligned, disjoint extents. */
static enum proto_rc add_prescribed(struct dcd *dev, enum proto_cause *cause)
{
	uint32_t n = dev->fm_staging.len, new_tags = 0;
	enum proto_rc rc;

	rc = spans_from_fm_extents(dev);
	if (rc != PROTO_RC_SUCCESS)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		const struct dcd_span *s = &dev->spans.v[i];

		if (!extent_map_range_is_free(dev->maps[s->region], s->start, s->len))
			return PROTO_RC_INVALID_EXTENT_LIST;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *tag = fm_extent(dev, i)->tag;
		bool seen = false;

		if (!dcd_tag_is_new(dev, tag))
			continue;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = proto_tag_equal(tag, fm_extent(dev, j)->tag);
		new_tags += !seen;
	}
	if (dcd_tags_tracked(dev) && new_tags > dcd_avail_tags(dev)) {
		*cause = PROTO_CAUSE_TAG_LIMIT;
		return PROTO_RC_RESOURCES_EXHAUSTED;
	}
	if (n > dcd_avail_extents(dev)) {
		*cause = PROTO_CAUSE_EXTENT_LIMIT;
		return PROTO_RC_RESOURCES_EXHAUSTED;
	}
	return PROTO_RC_SUCCESS;
}

static bool log_full(struct dcd *dev, struct dcd_host *host, uint32_t records,
		     enum proto_cause *cause)
{
	if (dev->cfg.profile != DCD_PROFILE_SPEC || dcd_log_room(host) >= records)
		return false;
	*cause = PROTO_CAUSE_LOG_FULL;
	dev->retries++;
	dcd_note(dev, DCD_NOTE_LOG_RETRY, host->id);
	return true;
}

/* The extent offered for span S: a prescribed extent's tag and sequence,
 * or the command's tag. */
static void offer_extent(const struct dcd *dev, const struct dcd_span *s,
			 struct proto_extent *ext)
{
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;

	*ext = (struct proto_extent){ .start = s->start, .len = s->len };
	if (cmd->policy == PROTO_SELECT_PRESCRIPTIVE) {
		memcpy(ext->tag, fm_extent(dev, s->index)->tag, PROTO_TAG_SIZE);
		ext->seq = fm_extent(dev, s->index)->seq;
	} else {
		memcpy(ext->tag, cmd->tag, PROTO_TAG_SIZE);
	}
}

/* Initiate DC Add (5604h). */
static enum proto_rc fm_add(struct dcd *dev, struct dcd_host *host, enum proto_cause *cause)
{
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;
	struct dcd_group *g;
	enum proto_rc rc;
	guint n;

	switch (cmd->policy) {
	case PROTO_SELECT_FREE:
	case PROTO_SELECT_CONTIGUOUS:
		if (dev->cfg.profile == DCD_PROFILE_QEMU)
			return PROTO_RC_UNSUPPORTED;
		rc = add_select(dev, cmd->policy == PROTO_SELECT_CONTIGUOUS, cause);
		break;
	case PROTO_SELECT_PRESCRIPTIVE:
		rc = add_prescribed(dev, cause);
		break;
	case PROTO_SELECT_SHARED:
		return PROTO_RC_UNSUPPORTED;
	default:
		return PROTO_RC_INVALID_INPUT;
	}
	if (rc != PROTO_RC_SUCCESS)
		return rc;
	n = dev->spans.len;
	if (log_full(dev, host, n, cause))
		return PROTO_RC_RETRY_REQUIRED;

	g = dcd_group_new(dev, host);
	g->request = cmd->sim.request;
	for (guint i = 0; i < n; i++)
		sim_vec_push(&g->offered) = dev->spans.v[i];
	g->pending = n;
	for (guint i = 0; i < n; i++) {
		const struct dcd_span *s = &dev->spans.v[i];
		struct proto_extent ext;
		struct extent_attr attr;

		offer_extent(dev, s, &ext);
		extent_attr_init(&attr, EXTENT_PENDING);
		attr.host = (int)host->id;
		attr.group = g->id;
		memcpy(attr.tag, ext.tag, PROTO_TAG_SIZE);
		attr.seq = ext.seq;
		dcd_map_set(dev, s->region, s->start, s->len, &attr);
		dcd_tag_add(dev, ext.tag, s->len);
	}
	for (guint i = 0; i < n; i++) {
		struct proto_extent ext;

		offer_extent(dev, &dev->spans.v[i], &ext);
		dcd_log_post(host, PROTO_EVENT_ADD_CAPACITY, i + 1 < n, 0, &ext, g->request);
	}
	dcd_note_usage(dev);
	return PROTO_RC_SUCCESS;
}

struct tag_walk {
	struct dcd *dev;
	unsigned host;
	const uint8_t *tag;
	uint32_t region;
	bool forced;
	bool pending_hit;
};

static int tag_visit(const struct extent_entry *e, void *data)
{
	struct tag_walk *w = data;

	if (e->attr.host != (int)w->host || !proto_tag_equal(e->attr.tag, w->tag))
		return 0;
	if (e->attr.state == EXTENT_PENDING && !w->forced) {
		w->pending_hit = true;
		return 0;
	}
	if (e->attr.state == EXTENT_PENDING || visible(&e->attr))
		clip_push(w->dev, w->region, 0, e->start, e->len, e);
	return 0;
}

/* Tag-based removal: every extent of the host with the tag, whole. */
static enum proto_rc release_tag_clips(struct dcd *dev, bool forced)
{
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;
	struct tag_walk w = {
		.dev = dev,
		.host = cmd->host,
		.tag = cmd->tag,
		.region = cmd->region,
		.forced = forced,
	};

	if (dev->cfg.profile == DCD_PROFILE_QEMU)
		return PROTO_RC_UNSUPPORTED;
	if (proto_tag_is_zero(cmd->tag))
		return PROTO_RC_INVALID_INPUT;
	clips_reset(dev);
	dcd_region_walk(dev->maps[cmd->region], 0, UINT64_MAX, tag_visit, &w);
	/* pending DPA cannot be released unless forced */
	if (w.pending_hit || dev->clips.len == 0)
		return PROTO_RC_INVALID_PA;
	return PROTO_RC_SUCCESS;
}

/* Prescriptive removal: the ranges must be the host's, pending ones only
 * when forced. */
static enum proto_rc release_prescribed_clips(struct dcd *dev, bool forced)
{
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;
	enum proto_rc rc;

	rc = spans_from_fm_extents(dev);
	if (rc != PROTO_RC_SUCCESS)
		return rc;
	clips_load(dev);
	for (guint i = 0; i < dev->clips.len; i++) {
		const struct extent_attr *at = &clip_at(dev, i)->entry.attr;
		bool ok = visible(at) || (forced && at->state == EXTENT_PENDING);

		if (!ok || at->host != (int)cmd->host)
			return PROTO_RC_INVALID_PA;
	}
	return PROTO_RC_SUCCESS;
}

/* Asks the host to release the clips: they become releasing under a new
 * release that remembers the request and the sanitize flag. */
static void release_ask(struct dcd *dev, struct dcd_host *host, bool sanitize)
{
	struct dcd_release *rel = dcd_release_new(dev, host->id);
	guint n = dev->clips.len;

	rel->request = dev->fm_cmd.sim.request;
	rel->sanitize = sanitize;
	for (guint i = 0; i < n; i++) {
		const struct dcd_clip *c = clip_at(dev, i);
		struct extent_attr attr = c->entry.attr;
		struct proto_extent ext;

		if (attr.state == EXTENT_RELEASING) {
			struct dcd_release *old = release_of(dev, attr.group);

			if (old)
				release_sub(dev, old, c->len);
		}
		attr.state = EXTENT_RELEASING;
		attr.group = rel->id;
		dcd_map_set(dev, c->region, c->start, c->len, &attr);
		rel->bytes += c->len;
		clip_extent(c, &ext);
		dcd_log_post(host, PROTO_EVENT_RELEASE_CAPACITY, i + 1 < n, 0, &ext, rel->request);
	}
}

/* Forced removal: access is gone now; the host only hears of it. */
static void release_force(struct dcd *dev, struct dcd_host *host, bool sanitize)
{
	guint n = dev->clips.len;

	clips_unpend(dev);
	for (guint i = 0; i < n; i++)
		clip_remove(dev, clip_at(dev, i), dev->fm_cmd.sim.request, sanitize);
	for (guint i = 0; i < n; i++) {
		struct proto_extent ext;

		clip_extent(clip_at(dev, i), &ext);
		dcd_log_post(host, PROTO_EVENT_FORCED_RELEASE, i + 1 < n, 0, &ext,
			     dev->fm_cmd.sim.request);
	}
}

/* Initiate DC Release (5605h). */
static enum proto_rc fm_release(struct dcd *dev, struct dcd_host *host, enum proto_cause *cause)
{
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;
	bool forced = cmd->policy & PROTO_RELEASE_FORCED;
	bool sanitize = cmd->policy & PROTO_RELEASE_SANITIZE;
	enum proto_rc rc;
	int64_t delta;
	bool changed;

	switch (cmd->policy & PROTO_REMOVAL_MASK) {
	case PROTO_REMOVAL_TAG:
		rc = release_tag_clips(dev, forced);
		break;
	case PROTO_REMOVAL_PRESCRIPTIVE:
		rc = release_prescribed_clips(dev, forced);
		break;
	default:
		return PROTO_RC_INVALID_INPUT;
	}
	if (rc != PROTO_RC_SUCCESS)
		return rc;
	delta = clips_delta(dev, !forced, &changed);
	if (!extents_fit(dev, delta)) {
		*cause = PROTO_CAUSE_EXTENT_LIMIT;
		return PROTO_RC_RESOURCES_EXHAUSTED;
	}
	/* a forced removal does not wait for log space: records that find
	 * the log full are dropped, the capacity is gone regardless */
	if (!forced && log_full(dev, host, dev->clips.len, cause))
		return PROTO_RC_RETRY_REQUIRED;
	if (forced)
		release_force(dev, host, sanitize);
	else
		release_ask(dev, host, sanitize);
	if (changed)
		list_changed(host);
	dcd_note_usage(dev);
	return PROTO_RC_SUCCESS;
}

/* Set DC Region Config (5602h): block size and sanitize flag of a region
 * that lends nothing; every host hears of it (03h). */
static enum proto_rc fm_region_config(struct dcd *dev, enum proto_cause *cause)
{
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;
	struct dcd_region_config *r;
	uint64_t bs = cmd->block_size;
	struct proto_extent none = { 0 };

	if (cmd->region >= dev->cfg.nregions)
		return PROTO_RC_INVALID_INPUT;
	r = &dev->cfg.regions[cmd->region];
	if (bs < 64 || (bs & (bs - 1)) || r->base % bs || r->len % bs)
		return PROTO_RC_INVALID_INPUT;
	if (extent_map_get_bytes(dev->maps[cmd->region], EXTENT_FREE) != r->len)
		return PROTO_RC_INVALID_INPUT;
	for (unsigned h = 0; h < dev->cfg.nhosts; h++)
		if (dev->hosts[h].connected && log_full(dev, &dev->hosts[h], 1, cause))
			return PROTO_RC_RETRY_REQUIRED;
	r->sanitize_on_release = cmd->policy & PROTO_REGION_SANITIZE;
	/* a region lending nothing counts no extents, before and after */
	if (bs != r->block_size) {
		extent_map_free(dev->maps[cmd->region]);
		r->block_size = bs;
		dev->maps[cmd->region] = extent_map_new(r->base, r->len, bs);
		dcd_note(dev, DCD_NOTE_REGION_MAP, cmd->region);
	}
	for (unsigned h = 0; h < dev->cfg.nhosts; h++)
		if (dev->hosts[h].connected)
			dcd_log_post(&dev->hosts[h], PROTO_EVENT_REGION_UPDATED, false,
				     cmd->region, &none, cmd->sim.request);
	return PROTO_RC_SUCCESS;
}

/* Checks what every DC command shares, then runs it. */
static enum proto_rc fm_dc(struct dcd *dev, enum proto_cause *cause)
{
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;
	struct dcd_host *host;
	enum proto_rc rc;

	rc = payload_check(dev->fm_staging.len, cmd->nextents,
			   dev->payload_fm_extents);
	if (rc != PROTO_RC_SUCCESS)
		return rc;
	if (cmd->host >= dev->cfg.nhosts || cmd->region >= dev->cfg.nregions)
		return PROTO_RC_INVALID_INPUT;
	host = &dev->hosts[cmd->host];
	if (!host->connected) {
		sim_fail(dev->k, "'%s': the FM named host %u, which is not connected", dev->name,
			 cmd->host);
		return PROTO_RC_INVALID_INPUT;
	}
	return cmd->opcode == PROTO_OP_INITIATE_DC_ADD ? fm_add(dev, host, cause)
						       : fm_release(dev, host, cause);
}

static void fm_execute(struct sim *k, void *target, const void *payload)
{
	struct dcd *dev = target;
	const struct proto_fm_cmd *cmd = &dev->fm_cmd;
	struct proto_fm_done done = { .opcode = cmd->opcode, .host = cmd->host, .sim = cmd->sim };
	enum proto_cause cause = PROTO_CAUSE_NONE;
	enum proto_rc rc;

	(void)payload;
	switch (cmd->opcode) {
	case PROTO_OP_INITIATE_DC_ADD:
	case PROTO_OP_INITIATE_DC_RELEASE:
		rc = fm_dc(dev, &cause);
		break;
	case PROTO_OP_SET_DC_REGION_CONFIG:
		rc = fm_region_config(dev, &cause);
		break;
	default:
		rc = PROTO_RC_UNSUPPORTED;
		break;
	}
	done.rc = (uint8_t)rc;
	done.sim_cause = (uint8_t)cause;
	dev->fm_staging.len = 0;
	dev->fm_busy = false;
	sim_schedule(k, 0, dev->fm.done, dev->fm.target, &done, sizeof(done));
}

void dcd_on_fm_extent(struct sim *k, void *target, const void *payload)
{
	struct dcd *dev = target;

	if (dev->fm_busy) {
		sim_fail(k, "'%s': the FM wrote a command payload during a command", dev->name);
		return;
	}
	sim_vec_push(&dev->fm_staging) = *(const struct proto_extent *)payload;
}

void dcd_on_fm_command(struct sim *k, void *target, const void *payload)
{
	struct dcd *dev = target;

	if (dev->fm_busy || !dev->fm_connected) {
		sim_fail(k, "'%s': FM API command %s", dev->name,
			 dev->fm_busy ? "during a command" : "before the FM was connected");
		return;
	}
	dev->fm_busy = true;
	dev->fm_cmd = *(const struct proto_fm_cmd *)payload;
	sim_schedule(k, dev->cfg.latency.fm_api_cmd, fm_execute, dev, NULL, 0);
}
