/* The device's Dynamic Capacity event logs (one per host), the records to
 * the FM and the sanitize engine.
 *
 * A record a command makes waits behind the host's log to be posted: the
 * firmware posts one record at a time, each event_record_post after the
 * previous, and only then can the host read it.  A record that finds the
 * log full when it is posted is dropped and counted as an overflow (the
 * qemu profile's behaviour; under spec only forced-release records can
 * meet a full log, since the FM command that would overflow it gets Retry
 * Required).  The interrupt fires when a post takes the log from empty to
 * non-empty. */
#include "models/dcd_priv.h"

#include <string.h>

struct sanitize_job {
	uint64_t start, len;
	uint64_t request;
	uint8_t tag[PROTO_TAG_SIZE];
	uint16_t seq;
	uint16_t host;
	uint8_t region;
};

G_STATIC_ASSERT(sizeof(struct sanitize_job) <= SIM_PAYLOAD_MAX);

void dcd_log_init(struct dcd_log *log, uint32_t cap)
{
	*log = (struct dcd_log){ .slots = g_new0(struct proto_record, cap), .cap = cap };
}

void dcd_log_free(struct dcd_log *log)
{
	g_free(log->slots);
	*log = (struct dcd_log){ 0 };
}

/* The record I places after the head, I below the capacity. */
static struct proto_record *log_at(const struct dcd_log *log, uint32_t i)
{
	/* head and I are below cap: no division needed to wrap */
	uint32_t at = log->head + i;

	return &log->slots[at >= log->cap ? at - log->cap : at];
}

/* The slot of a new record behind every other, growing the FIFO when
 * full: records are made in place, never copied in. */
static struct proto_record *log_push(struct dcd_log *log)
{
	uint32_t n = log->count + log->posting;

	if (n == log->cap) {
		struct proto_record *slots = g_new(struct proto_record, 2 * (size_t)log->cap);

		for (uint32_t i = 0; i < n; i++)
			slots[i] = *log_at(log, i);
		g_free(log->slots);
		log->slots = slots;
		log->cap *= 2;
		log->head = 0;
	}
	log->posting++;
	return log_at(log, n);
}

static void log_pop(struct dcd_log *log)
{
	log->head = log->head + 1 == log->cap ? 0 : log->head + 1;
	log->count--;
}

/* Drops the first record being posted: those behind it move up. */
static void log_drop_posting(struct dcd_log *log)
{
	for (uint32_t i = log->count; i + 1 < log->count + log->posting; i++)
		*log_at(log, i) = *log_at(log, i + 1);
	log->posting--;
}

uint32_t dcd_log_room(const struct dcd_host *host)
{
	uint64_t used = (uint64_t)host->log.count + host->log.posting;
	uint32_t cap = host->dev->cfg.log_capacity;

	return used >= cap ? 0 : (uint32_t)(cap - used);
}

static void record_fill(const struct dcd *dev, struct proto_record *rec, enum proto_event type,
			unsigned host, bool more, const struct proto_extent *extent,
			uint64_t request)
{
	memset(rec, 0, sizeof(*rec));
	rec->host = (uint16_t)host;
	rec->type = (uint8_t)type;
	rec->flags = more ? PROTO_RECORD_MORE : 0;
	rec->avail_extents = dcd_avail_extents(dev);
	rec->avail_tags = dcd_avail_tags(dev);
	if (extent)
		rec->extent = *extent;
	rec->sim.request = request;
}

static void on_post(struct sim *k, void *target, const void *payload)
{
	struct dcd_host *host = target;
	struct dcd *dev = host->dev;
	struct proto_record *rec = log_at(&host->log, host->log.count);
	bool was_empty = host->log.count == 0;

	(void)payload;
	if (host->log.count >= dev->cfg.log_capacity) {
		host->overflow++;
		host->overflow_since_empty++;
		dev->records_dropped++;
		/* the host may never see the offer whole: its capacity is
		 * stranded by the dropped chain until the offer is retired */
		if (rec->type == PROTO_EVENT_ADD_CAPACITY) {
			struct dcd_group *g = dcd_pending_group(dev, host->id, rec->extent.start);

			if (g && !g->dropped) {
				g->dropped = true;
				dev->dropped_groups++;
			}
		}
		log_drop_posting(&host->log);
		dcd_note(dev, DCD_NOTE_LOG_OVERFLOW, host->id);
		return;
	}
	rec->handle = host->next_handle++;
	host->log.count++;
	host->log.posting--;
	dev->records_posted++;
	if (was_empty) {
		struct proto_interrupt irq = { .status = PROTO_EVENT_STATUS_DC };

		sim_schedule(k, dev->cfg.latency.irq_delivery, host->port.interrupt,
			     host->port.target, &irq, sizeof(irq));
	}
}

void dcd_log_post(struct dcd_host *host, enum proto_event type, bool more, uint8_t region,
		  const struct proto_extent *extent, uint64_t request)
{
	struct dcd *dev = host->dev;
	struct proto_record *rec = log_push(&host->log);
	uint64_t at;

	record_fill(dev, rec, type, host->id, more, extent, request);
	rec->region = region;
	at = MAX(sim_now(dev->k), host->post_free_at) + dev->cfg.latency.event_record_post;
	host->post_free_at = at;
	sim_schedule_at(dev->k, at, on_post, host, NULL, 0);
}

void dcd_fm_record(struct dcd *dev, enum proto_event type, unsigned host, bool more,
		   const struct proto_extent *extent, uint64_t request)
{
	struct proto_record rec;

	/* a device may run without an FM (host-only setups): nobody listens */
	if (!dev->fm_connected)
		return;
	record_fill(dev, &rec, type, host, more, extent, request);
	sim_schedule(dev->k, dev->cfg.latency.event_record_post + dev->cfg.latency.irq_delivery,
		     dev->fm.record, dev->fm.target, &rec, sizeof(rec));
}

static void on_sanitized(struct sim *k, void *target, const void *payload)
{
	struct dcd *dev = target;
	const struct sanitize_job *job = payload;
	struct proto_extent ext = { .start = job->start, .len = job->len, .seq = job->seq };

	(void)k;
	dcd_map_set(dev, job->region, job->start, job->len, &extent_attr_free);
	dev->sanitize_jobs--;
	memcpy(ext.tag, job->tag, PROTO_TAG_SIZE);
	dcd_fm_record(dev, PROTO_EVENT_CAPACITY_RELEASED, job->host, false, &ext, job->request);
	dcd_note_usage(dev);
}

void dcd_sanitize(struct dcd *dev, unsigned region, unsigned host, uint64_t start,
		  uint64_t len, const struct extent_attr *attr, uint64_t request)
{
	struct sanitize_job job = {
		.start = start,
		.len = len,
		.request = request,
		.seq = attr->seq,
		.host = (uint16_t)host,
		.region = (uint8_t)region,
	};
	struct extent_attr busy;
	uint64_t at;

	memcpy(job.tag, attr->tag, PROTO_TAG_SIZE);
	extent_attr_init(&busy, EXTENT_SANITIZING);
	dcd_map_set(dev, region, start, len, &busy);
	dev->sanitize_jobs++;
	at = MAX(sim_now(dev->k), dev->sanitize_free_at) +
	     latency_per_gib(dev->cfg.latency.sanitize_per_gib, len);
	dev->sanitize_free_at = at;
	sim_schedule_at(dev->k, at, on_sanitized, dev, &job, sizeof(job));
}

uint64_t dcd_log_get(struct dcd_host *host, uint32_t max, struct proto_mbox_done *done)
{
	uint32_t n = MIN(host->log.count, max);
	uint64_t delay = dcd_out_delay(host->dev, n);

	for (uint32_t i = 0; i < n; i++)
		sim_schedule(host->dev->k, delay, host->port.record, host->port.target,
			     log_at(&host->log, i), sizeof(struct proto_record));
	done->count = n;
	done->flags = 0;
	if (host->log.count > n)
		done->flags |= PROTO_EVENTS_MORE;
	if (host->overflow_since_empty) {
		done->flags |= PROTO_EVENTS_OVERFLOW;
		done->overflow = (uint16_t)MIN(host->overflow_since_empty, UINT16_MAX);
	}
	return delay;
}

/* Clear Event Records names the handles of the oldest records, in order
 * (as QEMU insists); they are consecutive, so the first handle and the
 * count name them. */
enum proto_rc dcd_log_clear(struct dcd_host *host, uint16_t handle, uint32_t count)
{
	if (count == 0 || count > host->log.count || log_at(&host->log, 0)->handle != handle)
		return PROTO_RC_INVALID_INPUT;
	while (count--)
		log_pop(&host->log);
	if (host->log.count == 0)
		host->overflow_since_empty = 0;
	return PROTO_RC_SUCCESS;
}
