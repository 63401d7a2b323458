#include "dcd_fake.h"

#include <stdio.h>
#include <string.h>

struct fake_cmd {
	struct proto_mbox_cmd cmd;
	GArray *ranges;		/* struct proto_range */
	bool raw;		/* keep cmd.count as given */
};

static void link_pump(struct fake_link *l)
{
	struct fake_cmd *c;

	if (l->busy || l->queue->len == 0)
		return;
	c = &g_array_index(l->queue, struct fake_cmd, 0);
	l->busy = true;
	g_array_set_size(l->records, 0);
	g_array_set_size(l->extents, 0);
	g_array_set_size(l->regions, 0);
	if (!c->raw) {
		proto_mbox_send(l->host->k, &l->mbox, &c->cmd,
				(const struct proto_range *)c->ranges->data, c->ranges->len);
		return;
	}
	for (guint i = 0; i < c->ranges->len; i++)
		sim_schedule(l->host->k, 0, l->mbox.range, l->mbox.target,
			     &g_array_index(c->ranges, struct proto_range, i),
			     sizeof(struct proto_range));
	sim_schedule(l->host->k, 0, l->mbox.command, l->mbox.target, &c->cmd, sizeof(c->cmd));
}

static void queue_cmd(struct fake_host *h, unsigned link, const struct proto_mbox_cmd *cmd,
		      const struct proto_range *ranges, size_t n, bool raw)
{
	struct fake_link *l = &h->links[link];
	struct fake_cmd c = {
		.cmd = *cmd,
		.ranges = g_array_new(FALSE, FALSE, sizeof(struct proto_range)),
		.raw = raw,
	};

	g_array_append_vals(c.ranges, ranges, (guint)n);
	g_array_append_val(l->queue, c);
	link_pump(l);
}

void fake_host_send(struct fake_host *h, unsigned link, const struct proto_mbox_cmd *cmd,
		    const struct proto_range *ranges, size_t n)
{
	queue_cmd(h, link, cmd, ranges, n, false);
}

void fake_host_send_raw(struct fake_host *h, unsigned link, const struct proto_mbox_cmd *cmd,
			const struct proto_range *ranges, size_t n)
{
	queue_cmd(h, link, cmd, ranges, n, true);
}

static void send_op(struct fake_link *l, uint16_t opcode, uint16_t handle, uint32_t count)
{
	struct proto_mbox_cmd cmd = { .opcode = opcode, .handle = handle, .count = count };

	fake_host_send(l->host, (unsigned)(l - l->host->links), &cmd, NULL, 0);
}

static void send_ranges(struct fake_link *l, uint16_t opcode, const struct proto_range *r,
			size_t n)
{
	struct proto_mbox_cmd cmd = { .opcode = opcode };

	fake_host_send(l->host, (unsigned)(l - l->host->links), &cmd, r, n);
}

static void answer_chain(struct fake_link *l)
{
	GArray *ranges = g_array_new(FALSE, FALSE, sizeof(struct proto_range));

	for (guint i = 0; i < l->chain->len; i++) {
		const struct proto_extent *e = &g_array_index(l->chain, struct proto_extent, i);
		struct proto_range r = { e->start, e->len };

		if (l->host->answer == FAKE_ANSWER_ACCEPT)
			g_array_append_val(ranges, r);
	}
	send_ranges(l, PROTO_OP_ADD_DC_RESPONSE, (const struct proto_range *)ranges->data,
		    ranges->len);
	g_array_unref(ranges);
}

/* Gives back whatever the 01h record names: the named range, or (Linux)
 * every accepted extent overlapping it, whole. */
static void release_for(struct fake_link *l, const struct proto_extent *e)
{
	struct proto_range r = { e->start, e->len };

	if (!l->host->release_whole) {
		send_ranges(l, PROTO_OP_RELEASE_DC, &r, 1);
		return;
	}
	for (guint i = 0; i < l->accepted->len; i++) {
		struct fake_extent *x = &g_array_index(l->accepted, struct fake_extent, i);
		struct proto_range whole = { x->start, x->len };

		if (x->releasing || x->start >= e->start + e->len || e->start >= x->start + x->len)
			continue;
		x->releasing = true;
		send_ranges(l, PROTO_OP_RELEASE_DC, &whole, 1);
	}
}

/* The host's own view: forget [START, START + LEN) (release or force). */
static void accepted_cut(struct fake_link *l, uint64_t start, uint64_t len)
{
	for (guint i = 0; i < l->accepted->len;) {
		struct fake_extent *x = &g_array_index(l->accepted, struct fake_extent, i);

		if (x->start < start + len && start < x->start + x->len)
			g_array_remove_index(l->accepted, i);
		else
			i++;
	}
}

static void handle_record(struct fake_link *l, const struct proto_record *rec)
{
	struct fake_host *h = l->host;

	g_array_append_val(l->read, *rec);
	switch (rec->type) {
	case PROTO_EVENT_ADD_CAPACITY:
		g_array_append_val(l->chain, rec->extent);
		if (rec->flags & PROTO_RECORD_MORE)
			break;
		if (h->answer == FAKE_ANSWER_NONE) {
			g_ptr_array_add(l->offers, l->chain);
			l->chain = g_array_new(FALSE, FALSE, sizeof(struct proto_extent));
		} else {
			answer_chain(l);
			g_array_set_size(l->chain, 0);
		}
		break;
	case PROTO_EVENT_RELEASE_CAPACITY:
		if (h->release)
			release_for(l, &rec->extent);
		break;
	case PROTO_EVENT_FORCED_RELEASE:
		accepted_cut(l, rec->extent.start, rec->extent.len);
		break;
	default:
		break;
	}
}

static void on_interrupt(struct sim *k, void *target, const void *payload)
{
	struct fake_link *l = target;

	(void)payload;
	l->interrupts++;
	l->last_interrupt = sim_now(k);
	if (!l->host->drain)
		return;
	if (l->busy || l->queue->len)
		l->drain_wanted = true;
	else
		send_op(l, PROTO_OP_GET_EVENT_RECORDS, 0, 0);
}

static void on_record(struct sim *k, void *target, const void *payload)
{
	struct fake_link *l = target;

	(void)k;
	g_array_append_vals(l->records, payload, 1);
}

static void on_extent(struct sim *k, void *target, const void *payload)
{
	struct fake_link *l = target;

	(void)k;
	g_array_append_vals(l->extents, payload, 1);
}

static void on_region(struct sim *k, void *target, const void *payload)
{
	struct fake_link *l = target;

	(void)k;
	g_array_append_vals(l->regions, payload, 1);
}

static void done_update_view(struct fake_link *l, const struct fake_cmd *c,
			     const struct proto_mbox_done *done)
{
	if (done->rc != PROTO_RC_SUCCESS)
		return;
	for (guint i = 0; i < c->ranges->len; i++) {
		const struct proto_range *r = &g_array_index(c->ranges, struct proto_range, i);
		struct fake_extent x = { r->start, r->len, false };

		if (c->cmd.opcode == PROTO_OP_ADD_DC_RESPONSE)
			g_array_append_val(l->accepted, x);
		else if (c->cmd.opcode == PROTO_OP_RELEASE_DC)
			accepted_cut(l, r->start, r->len);
	}
}

static void on_done(struct sim *k, void *target, const void *payload)
{
	struct fake_link *l = target;
	const struct proto_mbox_done *done = payload;
	struct fake_cmd c = g_array_index(l->queue, struct fake_cmd, 0);

	uint64_t now = sim_now(k);

	g_array_remove_index(l->queue, 0);
	l->busy = false;
	g_array_append_val(l->dones, *done);
	g_array_append_val(l->done_times, now);
	done_update_view(l, &c, done);
	g_array_unref(c.ranges);
	if (done->opcode == PROTO_OP_GET_EVENT_RECORDS && done->rc == PROTO_RC_SUCCESS) {
		/* handling sends commands, and sending clears l->records */
		GArray *recs = g_array_copy(l->records);

		for (guint i = 0; i < recs->len; i++)
			handle_record(l, &g_array_index(recs, struct proto_record, i));
		if (l->host->drain && done->count)
			send_op(l, PROTO_OP_CLEAR_EVENT_RECORDS,
				g_array_index(recs, struct proto_record, 0).handle, done->count);
		g_array_unref(recs);
	} else if (done->opcode == PROTO_OP_CLEAR_EVENT_RECORDS && l->host->drain) {
		send_op(l, PROTO_OP_GET_EVENT_RECORDS, 0, 0);
	}
	/* an interrupt that came while the mailbox was busy */
	if (l->host->drain && l->drain_wanted && l->queue->len == 0) {
		l->drain_wanted = false;
		send_op(l, PROTO_OP_GET_EVENT_RECORDS, 0, 0);
	}
	link_pump(l);
}

void fake_host_init(struct fake_host *h, struct sim *k, unsigned id)
{
	memset(h, 0, sizeof(*h));
	h->k = k;
	h->id = id;
}

unsigned fake_host_attach(struct fake_host *h, struct dcd *dev)
{
	struct fake_link *l = &h->links[h->ndevs];
	struct proto_host_port port = {
		.target = l,
		.interrupt = on_interrupt,
		.record = on_record,
		.extent = on_extent,
		.region = on_region,
		.done = on_done,
	};

	g_assert(h->ndevs < FAKE_DEVICES_MAX);
	l->host = h;
	l->dev = dev;
	l->queue = g_array_new(FALSE, FALSE, sizeof(struct fake_cmd));
	l->records = g_array_new(FALSE, FALSE, sizeof(struct proto_record));
	l->extents = g_array_new(FALSE, FALSE, sizeof(struct proto_extent));
	l->regions = g_array_new(FALSE, FALSE, sizeof(struct proto_region));
	l->dones = g_array_new(FALSE, FALSE, sizeof(struct proto_mbox_done));
	l->done_times = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	l->read = g_array_new(FALSE, FALSE, sizeof(struct proto_record));
	l->chain = g_array_new(FALSE, FALSE, sizeof(struct proto_extent));
	l->offers = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
	l->accepted = g_array_new(FALSE, FALSE, sizeof(struct fake_extent));
	dcd_mbox_port(dev, h->id, &l->mbox);
	dcd_connect_host(dev, h->id, &port);
	return h->ndevs++;
}

void fake_host_clear(struct fake_host *h)
{
	for (unsigned i = 0; i < h->ndevs; i++) {
		struct fake_link *l = &h->links[i];

		for (guint j = 0; j < l->queue->len; j++)
			g_array_unref(g_array_index(l->queue, struct fake_cmd, j).ranges);
		g_array_unref(l->queue);
		g_array_unref(l->records);
		g_array_unref(l->extents);
		g_array_unref(l->regions);
		g_array_unref(l->dones);
		g_array_unref(l->done_times);
		g_array_unref(l->read);
		g_array_unref(l->chain);
		g_ptr_array_unref(l->offers);
		g_array_unref(l->accepted);
	}
	h->ndevs = 0;
}

struct proto_mbox_done fake_host_last(const struct fake_host *h, unsigned link)
{
	const struct fake_link *l = &h->links[link];
	struct proto_mbox_done none = { 0 };

	return l->dones->len ? g_array_index(l->dones, struct proto_mbox_done, l->dones->len - 1)
			     : none;
}

static void fm_on_done(struct sim *k, void *target, const void *payload)
{
	struct fake_fm *fm = target;

	(void)k;
	g_array_append_vals(fm->dones, payload, 1);
}

static void fm_on_record(struct sim *k, void *target, const void *payload)
{
	struct fake_fm *fm = target;
	uint64_t now = sim_now(k);

	g_array_append_vals(fm->records, payload, 1);
	g_array_append_val(fm->record_times, now);
}

void fake_fm_init(struct fake_fm *fm, struct sim *k, struct dcd *dev)
{
	struct proto_fm_port port = { .target = fm, .done = fm_on_done, .record = fm_on_record };

	fm->k = k;
	fm->dev = dev;
	fm->dones = g_array_new(FALSE, FALSE, sizeof(struct proto_fm_done));
	fm->records = g_array_new(FALSE, FALSE, sizeof(struct proto_record));
	fm->record_times = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	dcd_fm_api_port(dev, &fm->api);
	dcd_connect_fm(dev, &port);
}

void fake_fm_clear(struct fake_fm *fm)
{
	g_array_unref(fm->dones);
	g_array_unref(fm->records);
	g_array_unref(fm->record_times);
}

void fake_fm_send(struct fake_fm *fm, const struct proto_fm_cmd *cmd,
		  const struct proto_extent *extents, size_t n)
{
	proto_fm_api_send(fm->k, &fm->api, cmd, extents, n);
}

struct proto_fm_done fake_fm_last(const struct fake_fm *fm)
{
	struct proto_fm_done none = { 0 };

	return fm->dones->len ? g_array_index(fm->dones, struct proto_fm_done, fm->dones->len - 1)
			      : none;
}

bool fake_run(struct sim *k)
{
	GError *error = NULL;

	if (sim_run(k, SIM_TIME_NEVER, 0, &error))
		return true;
	fprintf(stderr, "run failed: %s\n", error->message);
	g_error_free(error);
	return false;
}
