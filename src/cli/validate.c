/* The conformance harness behind `dcdsim validate` (validate.h).
 *
 * Taps.  After fabric_new(), every (host, position) link is re-wired
 * through a tap: the device delivers to the tap, which notes the message
 * and hands it on to the host at once (no extra event, no extra time), and
 * the host's mailbox commands pass the same way to the device.  The taps
 * keep what the host was offered and has not answered, and a ring of the
 * last TRACE_SIZE messages for counterexamples.
 *
 * The policy is wrapped: the wrapper passes every decision to it and looks
 * at the release answers, which the messages alone cannot attribute.
 *
 * After every event: losses the host caused, chains past their deadline,
 * and the fabric's own invariants (no access to what the device no longer
 * lends the host).  At the end: chains never answered, deferred releases
 * never answered, and, once nothing is scheduled, capacity conservation. */
#include "cli/validate.h"

#include "cli/cli.h"
#include "models/fabric.h"
#include "script/policy.h"
#include "script/scenario.h"
#include "sim/units.h"

#include <inttypes.h>
#include <string.h>

#define TRACE_SIZE 256
#define TRACE_EXCERPT 10
#define DEADLINE (UINT64_C(30) * 1000000000)
/* A DPA range in messages: RANGE_FMT with RANGE_ARGS(start, len). */
#define RANGE_FMT "[%#" PRIx64 ", +%s]"
#define SIZE_ARG(n) units_size_format((n), (char[UNITS_FORMAT_LEN]){ 0 })
#define RANGE_ARGS(start, len) (start), SIZE_ARG(len)

static const char *const check_names[VALIDATE_CHECK_COUNT] = {
	"callbacks", "response-subset", "decoder", "chain-deadline", "release-answer",
	"release-owned", "no-loss", "capacity",
};

static const char *const check_about[VALIDATE_CHECK_COUNT] = {
	"the policy's callbacks run without error and answer in shape",
	"every Add DC Response lists only extents of its offered chain",
	"nothing outside a committed decoder is accepted",
	"every offered chain is answered within 30 s",
	"every release is answered or deferred, a deferred one once idle",
	"every Release DC names capacity the device lends the host",
	"no memory is given back in use or touched after release or forced release",
	"capacity is conserved across the FM, the devices and the hosts",
};

static const char *const status_names[] = { "pass", "warn", "fail" };

const char *validate_check_name(enum validate_check check)
{
	return check < VALIDATE_CHECK_COUNT ? check_names[check] : "unknown";
}

const char *validate_check_about(enum validate_check check)
{
	return check < VALIDATE_CHECK_COUNT ? check_about[check] : "unknown";
}

const char *validate_status_name(enum validate_status status)
{
	return (unsigned)status < G_N_ELEMENTS(status_names) ? status_names[status] : "unknown";
}

/* ---- the trace ring ----------------------------------------------------------------- */

enum trace_kind { TRACE_RECORD, TRACE_COMMAND, TRACE_DONE };

struct trace_entry {
	uint64_t t;
	unsigned host, device;
	enum trace_kind kind;
	uint16_t what;		/* record type or opcode */
	uint8_t flags, rc;
	uint32_t n;		/* ranges of a command */
	uint64_t start, len;	/* the record's extent, the command's first range */
};

/* ---- state --------------------------------------------------------------------------- */

struct offer {
	uint64_t start, len, chain;
};

/* A chain the host read and has not answered. */
struct chain {
	uint64_t id, t_first;
	bool closed, late;	/* its closing record came; reported past the deadline */
};

struct validator;

/* One (host, position) link. */
struct tap {
	struct validator *v;
	unsigned host, position, device;
	struct proto_host_port to_host;		/* the host's port */
	struct proto_mbox_port to_device;	/* the device's mailbox */
	GArray *ranges;		/* struct proto_range of the command being sent */
	GArray *offers;		/* struct offer, unanswered */
	GArray *chains;		/* struct chain, read and unanswered */
	uint64_t next_chain;
	bool open;		/* the last chain still waits for its closing record */
	bool overflow;		/* the device dropped records of this host */
	/* The policy's decisions on closing records not yet answered: the
	 * ones it waited on, and whether it answered one. */
	unsigned waited;
	bool decided;
};

/* The policy of one host, wrapped. */
struct wrap {
	struct validator *v;
	unsigned host;
	const struct host_policy_ops *inner;
	void *inner_data;
};

struct deferred {
	unsigned host, position;
	uint64_t start, len, t;
};

/* Per host, between events: what may explain a loss. */
struct host_watch {
	uint64_t lost, forced;
	bool destroyed, explained;
};

struct validator {
	struct validate_report *report;
	const char *scenario;
	struct sim *k;
	struct fabric *f;
	struct host_policy_ops wrap_ops;
	struct wrap *wraps;
	struct host_watch *watch;
	GPtrArray *taps;	/* struct tap *, owned */
	GArray *deferred;	/* struct deferred */
	struct trace_entry ring[TRACE_SIZE];
	uint64_t traced;	/* entries ever written */
	int last_host;		/* the host the policy last decided for; -1: none */
};

/* ---- findings -------------------------------------------------------------------------- */

static void finding_clear(struct validate_finding *f)
{
	g_free(f->scenario);
	g_free(f->message);
	g_free(f->trace);
	memset(f, 0, sizeof(*f));
}

void validate_report_clear(struct validate_report *report)
{
	g_free(report->policy);
	for (size_t i = 0; i < VALIDATE_CHECK_COUNT; i++) {
		finding_clear(&report->rows[i].fail);
		finding_clear(&report->rows[i].warn);
	}
	if (report->ran)
		g_ptr_array_unref(report->ran);
	if (report->skipped)
		g_ptr_array_unref(report->skipped);
	memset(report, 0, sizeof(*report));
}

enum validate_status validate_report_status(const struct validate_report *report)
{
	enum validate_status s = VALIDATE_PASS;

	for (size_t i = 0; i < VALIDATE_CHECK_COUNT; i++)
		s = MAX(s, report->rows[i].status);
	return s;
}

static const char *device_name(const struct validator *v, unsigned device)
{
	return dcd_get_name(fabric_get_device(v->f, device));
}

static const char *host_name(const struct validator *v, unsigned host)
{
	return host_get_name(fabric_get_host(v->f, host));
}

static void trace_format(const struct validator *v, const struct trace_entry *e, GString *out)
{
	char len[UNITS_FORMAT_LEN];

	g_string_append_printf(out, "    %12.6f s  ", (double)e->t / 1e9);
	if (e->kind == TRACE_RECORD)
		g_string_append_printf(out, "%s > %s  %s", device_name(v, e->device),
				       host_name(v, e->host),
				       proto_event_name((enum proto_event)e->what));
	else
		g_string_append_printf(out, "%s %s %s  %s%s", host_name(v, e->host),
				       e->kind == TRACE_COMMAND ? ">" : "<",
				       device_name(v, e->device),
				       proto_opcode_name((enum proto_opcode)e->what),
				       e->kind == TRACE_DONE ? " done" : "");
	if (e->kind == TRACE_DONE) {
		g_string_append_printf(out, ": %s", proto_rc_name((enum proto_rc)e->rc));
		if (e->what == PROTO_OP_GET_EVENT_RECORDS && (e->flags & PROTO_EVENTS_OVERFLOW))
			g_string_append(out, ", overflow");
	} else if (e->kind == TRACE_RECORD || e->n) {
		g_string_append_printf(out, " [%#" PRIx64 ", +%s]", e->start,
				       units_size_format(e->len, len));
		if (e->n > 1)
			g_string_append_printf(out, " and %" PRIu32 " more", e->n - 1);
	}
	if (e->kind == TRACE_RECORD && (e->flags & PROTO_RECORD_MORE))
		g_string_append(out, " more");
	if (e->kind == TRACE_COMMAND && e->what == PROTO_OP_ADD_DC_RESPONSE) {
		if (e->n == 0)
			g_string_append(out, " (none)");
		if (e->flags & PROTO_RESPONSE_MORE)
			g_string_append(out, " more");
	}
	g_string_append_c(out, '\n');
}

/* The last messages of HOST (of every host when negative). */
static char *trace_excerpt(const struct validator *v, int host)
{
	GString *out = g_string_new(NULL);
	uint64_t first = v->traced > TRACE_SIZE ? v->traced - TRACE_SIZE : 0;
	uint64_t from = v->traced;
	unsigned n = 0;

	while (from > first && n < TRACE_EXCERPT) {
		from--;
		if (host < 0 || v->ring[from % TRACE_SIZE].host == (unsigned)host)
			n++;
	}
	for (uint64_t i = from; i < v->traced; i++) {
		const struct trace_entry *e = &v->ring[i % TRACE_SIZE];

		if (host < 0 || e->host == (unsigned)host)
			trace_format(v, e, out);
	}
	return g_string_free(out, FALSE);
}

/* Counts a finding of CHECK for HOST (-1: unknown) and keeps the first
 * of its status. */
static void note(struct validator *v, enum validate_check check, enum validate_status status,
		 int host, const char *format, ...) G_GNUC_PRINTF(5, 6);

static void note(struct validator *v, enum validate_check check, enum validate_status status,
		 int host, const char *format, ...)
{
	struct validate_row *row = &v->report->rows[check];
	struct validate_finding *f = status == VALIDATE_FAIL ? &row->fail : &row->warn;
	va_list ap;

	if (status == VALIDATE_FAIL)
		row->fails++;
	else
		row->warns++;
	row->status = MAX(row->status, status);
	if (f->message)
		return;
	f->scenario = g_strdup(v->scenario);
	f->at = sim_now(v->k);
	va_start(ap, format);
	f->message = g_strdup_vprintf(format, ap);
	va_end(ap);
	f->trace = trace_excerpt(v, host);
}

/* ---- taps -------------------------------------------------------------------------- */

static struct trace_entry *trace_add(struct tap *t, enum trace_kind kind, uint16_t what)
{
	struct validator *v = t->v;
	struct trace_entry *e = &v->ring[v->traced++ % TRACE_SIZE];

	*e = (struct trace_entry){ .t = sim_now(v->k), .host = t->host, .device = t->device,
				   .kind = kind, .what = what };
	return e;
}

static void tap_record(struct sim *k, void *target, const void *payload)
{
	struct tap *t = target;
	const struct proto_record *r = payload;
	struct trace_entry *e = trace_add(t, TRACE_RECORD, r->type);

	e->flags = r->flags;
	e->start = r->extent.start;
	e->len = r->extent.len;
	if (r->type == PROTO_EVENT_ADD_CAPACITY) {
		struct offer o = { r->extent.start, r->extent.len, 0 };

		if (!t->open) {
			struct chain c = { .id = ++t->next_chain, .t_first = sim_now(k) };

			g_array_append_val(t->chains, c);
			t->open = true;
		}
		o.chain = t->next_chain;
		g_array_append_val(t->offers, o);
		if (!(r->flags & PROTO_RECORD_MORE)) {
			g_array_index(t->chains, struct chain, t->chains->len - 1).closed = true;
			t->open = false;
		}
	}
	t->to_host.record(k, t->to_host.target, payload);
}

static void tap_done(struct sim *k, void *target, const void *payload)
{
	struct tap *t = target;
	const struct proto_mbox_done *d = payload;
	struct trace_entry *e = trace_add(t, TRACE_DONE, d->opcode);

	e->rc = d->rc;
	e->flags = d->flags;
	if (d->opcode == PROTO_OP_GET_EVENT_RECORDS && (d->flags & PROTO_EVENTS_OVERFLOW))
		t->overflow = true;
	t->to_host.done(k, t->to_host.target, payload);
}

static void tap_interrupt(struct sim *k, void *target, const void *payload)
{
	struct tap *t = target;

	t->to_host.interrupt(k, t->to_host.target, payload);
}

static void tap_extent(struct sim *k, void *target, const void *payload)
{
	struct tap *t = target;

	t->to_host.extent(k, t->to_host.target, payload);
}

static void tap_region(struct sim *k, void *target, const void *payload)
{
	struct tap *t = target;

	t->to_host.region(k, t->to_host.target, payload);
}

static void tap_range(struct sim *k, void *target, const void *payload)
{
	struct tap *t = target;

	g_array_append_vals(t->ranges, payload, 1);
	t->to_device.range(k, t->to_device.target, payload);
}

static bool offered(const struct tap *t, const struct proto_range *r)
{
	for (guint i = 0; i < t->offers->len; i++) {
		const struct offer *o = &g_array_index(t->offers, struct offer, i);

		if (o->start == r->start && o->len == r->len)
			return true;
	}
	return false;
}

/* A final Add DC Response after a decision answers the chain decided on
 * and those the policy waited on before it; without one (a chain timeout,
 * a torn-down region) the host answers every chain it has read: records
 * are handled whole batches at a time before such a job runs. */
static void chains_answered(struct tap *t)
{
	guint n = t->decided ? MIN(t->waited + 1, t->chains->len) : t->chains->len;

	for (guint i = 0; i < n; i++) {
		const struct chain *c = &g_array_index(t->chains, struct chain, i);

		if (!c->closed)
			t->open = false;
		for (guint j = t->offers->len; j-- > 0;)
			if (g_array_index(t->offers, struct offer, j).chain == c->id)
				g_array_remove_index(t->offers, j);
	}
	g_array_remove_range(t->chains, 0, n);
	t->waited = 0;
	t->decided = false;
}

static void check_response(struct tap *t, const struct proto_mbox_cmd *cmd)
{
	struct validator *v = t->v;
	const struct host *h = fabric_get_host(v->f, t->host);
	const struct host_decoder *d = &host_get_config(h)->decoders[t->position];
	struct host_stats hs;

	host_get_stats(h, &hs);
	for (guint i = 0; i < t->ranges->len; i++) {
		const struct proto_range *r = &g_array_index(t->ranges, struct proto_range, i);

		if (!offered(t, r))
			note(v, VALIDATE_RESPONSE_SUBSET, VALIDATE_FAIL, (int)t->host,
			     "host '%s' accepted " RANGE_FMT " of device '%s', which "
			     "no pending offer holds", host_name(v, t->host),
			     RANGE_ARGS(r->start, r->len), device_name(v, t->device));
		if (hs.region_destroyed || r->start < d->dpa_base || r->len > d->dpa_len ||
		    r->start - d->dpa_base > d->dpa_len - r->len)
			note(v, VALIDATE_DECODER, VALIDATE_FAIL, (int)t->host,
			     "host '%s' accepted " RANGE_FMT " of device '%s' outside "
			     "its committed decoder " RANGE_FMT "%s",
			     host_name(v, t->host), RANGE_ARGS(r->start, r->len),
			     device_name(v, t->device), RANGE_ARGS(d->dpa_base, d->dpa_len),
			     hs.region_destroyed ? " (torn down)" : "");
	}
	if (!(cmd->flags & PROTO_RESPONSE_MORE))
		chains_answered(t);
}

struct coverage {
	uint64_t start, end, covered;
};

static int cover_visit(const struct extent_entry *e, void *data)
{
	struct coverage *c = data;
	uint64_t lo = MAX(e->start, c->start), hi = MIN(e->start + e->len, c->end);

	if (hi > lo)
		c->covered += hi - lo;
	return 0;
}

static void check_release(struct tap *t)
{
	struct validator *v = t->v;
	const struct dcd *dev = fabric_get_device(v->f, t->device);

	for (guint i = 0; i < t->ranges->len; i++) {
		const struct proto_range *r = &g_array_index(t->ranges, struct proto_range, i);
		struct coverage c = { r->start, r->start + r->len, 0 };

		dcd_host_extents_foreach(dev, t->host, cover_visit, &c);
		if (c.covered != r->len)
			note(v, VALIDATE_RELEASE_OWNED, VALIDATE_FAIL, (int)t->host,
			     "host '%s' released " RANGE_FMT " of device '%s', which "
			     "lends it only %s of that range", host_name(v, t->host),
			     RANGE_ARGS(r->start, r->len), device_name(v, t->device),
			     SIZE_ARG(c.covered));
	}
}

static void tap_command(struct sim *k, void *target, const void *payload)
{
	struct tap *t = target;
	const struct proto_mbox_cmd *cmd = payload;
	struct trace_entry *e = trace_add(t, TRACE_COMMAND, cmd->opcode);

	e->flags = cmd->flags;
	e->n = t->ranges->len;
	if (t->ranges->len) {
		e->start = g_array_index(t->ranges, struct proto_range, 0).start;
		e->len = g_array_index(t->ranges, struct proto_range, 0).len;
	}
	if (cmd->opcode == PROTO_OP_ADD_DC_RESPONSE)
		check_response(t, cmd);
	else if (cmd->opcode == PROTO_OP_RELEASE_DC)
		check_release(t);
	g_array_set_size(t->ranges, 0);
	t->to_device.command(k, t->to_device.target, payload);
}

static void tap_free(gpointer data)
{
	struct tap *t = data;

	g_array_unref(t->ranges);
	g_array_unref(t->offers);
	g_array_unref(t->chains);
	g_free(t);
}

/* Re-wires every link of every host through a tap. */
static void taps_install(struct validator *v)
{
	for (size_t i = 0; i < fabric_get_n_hosts(v->f); i++) {
		struct host *h = fabric_get_host(v->f, i);
		const struct host_config *c = host_get_config(h);

		for (unsigned p = 0; p < c->ways; p++) {
			struct tap *t = g_new0(struct tap, 1);
			struct dcd *dev = fabric_get_device(v->f, c->devices[p]);
			struct proto_host_port hp = {
				.target = t, .interrupt = tap_interrupt, .record = tap_record,
				.extent = tap_extent, .region = tap_region, .done = tap_done,
			};
			struct proto_mbox_port mp = {
				.target = t, .command = tap_command, .range = tap_range,
			};

			t->v = v;
			t->host = (unsigned)i;
			t->position = p;
			t->device = c->devices[p];
			t->ranges = g_array_new(FALSE, FALSE, sizeof(struct proto_range));
			t->offers = g_array_new(FALSE, FALSE, sizeof(struct offer));
			t->chains = g_array_new(FALSE, FALSE, sizeof(struct chain));
			host_device_port(h, p, &t->to_host);
			dcd_mbox_port(dev, (unsigned)i, &t->to_device);
			dcd_connect_host(dev, (unsigned)i, &hp);
			host_connect_device(h, p, &mp);
			g_ptr_array_add(v->taps, t);
		}
	}
}

/* ---- the policy wrapper ---------------------------------------------------------------- */

static struct wrap *wrap_of(const struct host *h, void *data)
{
	struct wrap *w = data;

	w->v->last_host = (int)host_get_id(h);
	return w;
}

static bool wrap_check(const struct host_config *cfg, GError **error)
{
	const struct wrap *w = cfg->policy_data;
	struct host_config inner = *cfg;

	inner.policy_ops = w->inner;
	inner.policy_data = w->inner_data;
	return w->inner->check(&inner, error);
}

static struct tap *tap_of(const struct validator *v, unsigned host, unsigned position)
{
	for (guint i = 0; i < v->taps->len; i++) {
		struct tap *t = g_ptr_array_index(v->taps, i);

		if (t->host == host && t->position == position)
			return t;
	}
	g_assert_not_reached();
}

static bool wrap_chain(const struct host *h, void *data, unsigned position,
		       const struct proto_extent *offered_ext, size_t n, bool *accept)
{
	struct wrap *w = wrap_of(h, data);
	struct tap *t = tap_of(w->v, w->host, position);
	bool answer = w->inner->decide_chain(h, w->inner_data, position, offered_ext, n, accept);

	if (answer)
		t->decided = true;
	else
		t->waited++;
	return answer;
}

static enum host_busy_release wrap_release(const struct host *h, void *data, unsigned position,
					   const struct proto_extent *requested, uint64_t in_use)
{
	struct wrap *w = wrap_of(h, data);
	struct validator *v = w->v;
	enum host_busy_release a = w->inner->decide_release(h, w->inner_data, position,
							    requested, in_use);
	const char *name = host_get_name(h);
	struct deferred d = { w->host, position, requested->start, requested->len, sim_now(v->k) };

	switch (a) {
	case HOST_BUSY_IGNORE:
		if (in_use)
			note(v, VALIDATE_RELEASE_ANSWER, VALIDATE_WARN, (int)w->host,
			     "host '%s' ignored a release of " RANGE_FMT " while %s were in "
			     "use (the Linux driver answers -EBUSY and sends nothing: the FM "
			     "must ask again)", name, RANGE_ARGS(requested->start, requested->len),
			     SIZE_ARG(in_use));
		else
			note(v, VALIDATE_RELEASE_ANSWER, VALIDATE_FAIL, (int)w->host,
			     "host '%s' ignored a release of " RANGE_FMT " that "
			     "nothing used", name,
			     RANGE_ARGS(requested->start, requested->len));
		break;
	case HOST_BUSY_DEFER:
		if (in_use)
			g_array_append_val(v->deferred, d);
		break;
	case HOST_BUSY_NOW:
		if (in_use) {
			v->watch[w->host].explained = true;
			note(v, VALIDATE_NO_LOSS, VALIDATE_FAIL, (int)w->host,
			     "host '%s' released " RANGE_FMT " at once while %s were in use: "
			     "the applications lose them", name,
			     RANGE_ARGS(requested->start, requested->len), SIZE_ARG(in_use));
		}
		break;
	}
	return a;
}

static enum host_forced wrap_forced(const struct host *h, void *data, unsigned position,
				    const struct proto_extent *forced)
{
	struct wrap *w = wrap_of(h, data);
	enum host_forced a = w->inner->decide_forced(h, w->inner_data, position, forced);

	if (a == HOST_FORCED_IGNORE)
		note(w->v, VALIDATE_NO_LOSS, VALIDATE_WARN, (int)w->host,
		     "host '%s' ignored a forced release of " RANGE_FMT " and keeps "
		     "a stale extent that blocks the range (as the Linux driver does)",
		     host_get_name(h), RANGE_ARGS(forced->start, forced->len));
	return a;
}

static bool wrap_region(const struct host *h, void *data, unsigned position)
{
	struct wrap *w = wrap_of(h, data);

	if (!w->inner->decide_region)
		return host_get_config(h)->region_updates;
	return w->inner->decide_region(h, w->inner_data, position);
}

static void wrap_timer(struct host *h, void *data, uint64_t arg)
{
	struct wrap *w = wrap_of(h, data);

	w->inner->timer(h, w->inner_data, arg);
}

/* ---- checks between events ---------------------------------------------------------------- */

static void watch_snapshot(struct validator *v)
{
	for (size_t i = 0; i < fabric_get_n_hosts(v->f); i++) {
		struct host_stats hs;

		host_get_stats(fabric_get_host(v->f, i), &hs);
		v->watch[i] = (struct host_watch){ hs.lost_bytes, hs.forced, hs.region_destroyed,
						   false };
	}
}

/* Loss the host caused itself, unexplained by a forced release, a
 * teardown or a release answered "now" (noted already). */
static void watch_losses(struct validator *v)
{
	for (size_t i = 0; i < fabric_get_n_hosts(v->f); i++) {
		const struct host_watch *w = &v->watch[i];
		struct host_stats hs;

		host_get_stats(fabric_get_host(v->f, i), &hs);
		if (hs.lost_bytes == w->lost || hs.forced != w->forced || w->explained ||
		    hs.region_destroyed != w->destroyed)
			continue;
		note(v, VALIDATE_NO_LOSS, VALIDATE_FAIL, (int)i, "host '%s' gave back %s still in "
		     "use", host_name(v, (unsigned)i), SIZE_ARG(hs.lost_bytes - w->lost));
	}
}

/* The chains of T not answered by now: past the deadline, or at all when
 * NEVER (the run settled).  A chain the device dropped records of, on a
 * host without a chain timeout, never closes: the Linux v9 hazard, a
 * warning. */
static void chains_late(struct validator *v, struct tap *t, bool never)
{
	const struct host_config *c = host_get_config(fabric_get_host(v->f, t->host));
	uint64_t now = sim_now(v->k);

	for (guint j = 0; j < t->chains->len; j++) {
		struct chain *ch = &g_array_index(t->chains, struct chain, j);
		char read[UNITS_FORMAT_LEN];

		if (ch->late || (!never && now - ch->t_first <= DEADLINE))
			continue;
		ch->late = true;
		units_time_format(ch->t_first, read);
		if (t->overflow && c->chain_timeout == 0)
			note(v, VALIDATE_CHAIN_DEADLINE, VALIDATE_WARN, (int)t->host,
			     "host '%s' has not answered a chain of device '%s' read at %s whose "
			     "records the device dropped (log overflow): without a chain timeout "
			     "the chain never closes (Linux v9)", c->name, device_name(v, t->device),
			     read);
		else
			note(v, VALIDATE_CHAIN_DEADLINE, VALIDATE_FAIL, (int)t->host,
			     "host '%s' %s a chain of device '%s' read at %s", c->name,
			     never ? "never answered" : "did not answer within 30 s",
			     device_name(v, t->device), read);
	}
}

static void watch_deadlines(struct validator *v)
{
	for (guint i = 0; i < v->taps->len; i++)
		chains_late(v, g_ptr_array_index(v->taps, i), false);
}

/* The check a broken fabric invariant belongs to. */
static enum validate_check invariant_check(const char *message)
{
	if (strstr(message, "can access"))
		return VALIDATE_NO_LOSS;
	if (strstr(message, "never answered"))
		return VALIDATE_CHAIN_DEADLINE;
	return VALIDATE_CAPACITY;
}

static bool watch_invariants(struct validator *v, bool quiescent)
{
	GError *error = NULL;

	if (fabric_check_invariants(v->f, quiescent, &error))
		return true;
	note(v, invariant_check(error->message), VALIDATE_FAIL, -1, "%s", error->message);
	g_error_free(error);
	return false;
}

struct idle_walk {
	const struct deferred *d;
	bool kept;
};

/* An online piece of the deferred range that nothing uses. */
static int idle_visit(const struct host_extent_info *x, void *data)
{
	struct idle_walk *w = data;

	if (x->position == w->d->position && x->start < w->d->start + w->d->len &&
	    w->d->start < x->start + x->len && x->state == HOST_EXTENT_ONLINE && !x->stale &&
	    x->in_use == 0)
		w->kept = true;
	return w->kept;
}

/* Chains never answered, deferred releases never answered though idle. */
static void final_checks(struct validator *v, bool quiescent)
{
	for (guint i = 0; i < v->taps->len; i++)
		chains_late(v, g_ptr_array_index(v->taps, i), quiescent);
	for (guint i = 0; i < v->deferred->len; i++) {
		const struct deferred *d = &g_array_index(v->deferred, struct deferred, i);
		struct idle_walk w = { d, false };

		host_extents_foreach(fabric_get_host(v->f, d->host), idle_visit, &w);
		if (w.kept)
			note(v, VALIDATE_RELEASE_ANSWER, VALIDATE_FAIL, (int)d->host,
			     "host '%s' deferred a release of " RANGE_FMT " at %s and "
			     "still holds it though nothing uses it", host_name(v, d->host),
			     RANGE_ARGS(d->start, d->len), units_time_format(d->t, (char[UNITS_FORMAT_LEN]){ 0 }));
	}
}

/* ---- one scenario ------------------------------------------------------------------------ */

/* The policy under test for the hosts of one scenario. */
struct policy_under_test {
	const struct host_policy_ops *builtin;
	struct script_policy *lua;	/* owned */
};

/* Points host C at the policy: its parameters from the policy's defaults
 * (a Lua policy starts from linux's), the wrapper W around it. */
static void host_policy_apply(struct host_config *c, const struct policy_under_test *put,
			      const char *policy, struct wrap *w)
{
	struct host_config d;

	host_config_init(&d, put->builtin ? policy : "linux", NULL);
	c->busy_release = d.busy_release;
	c->forced = d.forced;
	c->tag_groups = d.tag_groups;
	c->region_updates = d.region_updates;
	c->chain_timeout = d.chain_timeout;
	c->assembly_timeout = d.assembly_timeout;
	c->max_pending = d.max_pending;
	c->alignment = d.alignment;
	g_strlcpy(c->policy, d.policy, sizeof(c->policy));
	c->policy_ops = put->builtin;
	c->policy_data = NULL;
	if (put->lua)
		script_policy_configure(put->lua, c);
	w->inner = c->policy_ops;
	w->inner_data = c->policy_data;
	c->policy_ops = &w->v->wrap_ops;
	c->policy_data = w;
}

/* Runs the fabric event by event with the checks; the policy's own
 * failure is a finding too. */
static void run_checked(struct validator *v, const struct policy_under_test *put,
			struct scenario *sc, uint64_t until)
{
	GError *error = NULL;
	bool quiescent;

	for (;;) {
		uint64_t fired = sim_events_fired(v->k);

		watch_snapshot(v);
		if (!sim_run(v->k, until, 1, &error))
			break;
		if (sim_events_fired(v->k) == fired)
			break;
		watch_losses(v);
		watch_deadlines(v);
		if (!watch_invariants(v, false))
			return;
	}
	if (error) {
		enum script_policy_fault fault = put->lua ? script_policy_fault(put->lua)
							  : SCRIPT_POLICY_OK;

		if (fault != SCRIPT_POLICY_OK)
			note(v, fault == SCRIPT_POLICY_OUTSIDE ? VALIDATE_RESPONSE_SUBSET
							       : VALIDATE_CALLBACKS,
			     VALIDATE_FAIL, v->last_host, "%s", script_policy_error(put->lua)->message);
		else if (!scenario_error(sc))
			note(v, VALIDATE_CAPACITY, VALIDATE_FAIL, v->last_host, "the models stopped: %s",
			     error->message);
		g_error_free(error);
		return;
	}
	quiescent = sim_events_pending(v->k) == 0;
	final_checks(v, quiescent);
	if (quiescent)
		watch_invariants(v, true);
}

/* Runs suite scenario PATH under the policy; false with ERROR for a
 * scenario or policy that cannot load. */
static bool scenario_validate(const struct validate_options *o, const char *lib,
			      const char *path, struct validate_report *out, GError **error)
{
	g_autoptr(scenario) sc = NULL;
	g_autoptr(script_policy) lua = NULL;
	g_autofree struct fabric_host_config *hosts = NULL;
	g_autofree struct wrap *wraps = NULL;
	g_autofree struct host_watch *watch = NULL;
	struct policy_under_test put = { host_policy_find(o->policy), NULL };
	struct scenario_options so;
	struct fabric_config cfg;
	struct validator v = { .report = out, .last_host = -1 };
	GError *local = NULL;
	bool ok;

	scenario_options_init(&so);
	so.script.lib_dir = lib;
	so.has_seed = o->has_seed;
	so.seed = o->seed;
	sc = scenario_load(path, &so, error);
	if (!sc)
		return false;
	if (!put.builtin) {
		lua = script_policy_load(scenario_script(sc), o->policy, error);
		if (!lua)
			return false;
		put.lua = lua;
	}
	v.scenario = scenario_name(sc);
	v.wrap_ops = (struct host_policy_ops){
		.name = o->policy,
		.check = wrap_check,
		.decide_chain = wrap_chain,
		.decide_release = wrap_release,
		.decide_forced = wrap_forced,
		.decide_region = wrap_region,
		.timer = wrap_timer,
	};
	cfg = *scenario_fabric_config(sc);
	hosts = g_new(struct fabric_host_config, cfg.n_hosts);
	wraps = g_new0(struct wrap, cfg.n_hosts);
	watch = g_new0(struct host_watch, cfg.n_hosts);
	for (size_t i = 0; i < cfg.n_hosts; i++) {
		hosts[i] = cfg.hosts[i];
		wraps[i] = (struct wrap){ .v = &v, .host = (unsigned)i };
		host_policy_apply(&hosts[i].host, &put, o->policy, &wraps[i]);
	}
	cfg.hosts = hosts;
	v.wraps = wraps;
	v.watch = watch;
	v.k = sim_new(scenario_seed(sc));
	v.f = fabric_new(v.k, &cfg, &local);
	if (!v.f) {
		g_ptr_array_add(out->skipped, g_strdup_printf("%s: %s", v.scenario, local->message));
		g_error_free(local);
		sim_free(v.k);
		return true;
	}
	v.taps = g_ptr_array_new_with_free_func(tap_free);
	v.deferred = g_array_new(FALSE, FALSE, sizeof(struct deferred));
	taps_install(&v);
	ok = scenario_start(sc, v.f, error);
	if (ok) {
		g_ptr_array_add(out->ran, g_strdup(v.scenario));
		run_checked(&v, &put, sc, scenario_duration(sc) ? scenario_duration(sc)
								: SIM_TIME_NEVER);
	}
	if (ok && scenario_error(sc)) {
		g_propagate_error(error, g_error_copy(scenario_error(sc)));
		ok = false;
	}
	fabric_free(v.f);
	sim_free(v.k);
	g_ptr_array_unref(v.taps);
	g_array_unref(v.deferred);
	return ok;
}

static gint path_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The suite's scenario files, sorted. */
static GPtrArray *suite_files(const char *dir, GError **error)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, error);
	GPtrArray *files;
	const char *name;

	if (!d) {
		g_prefix_error(error, "validation suite: ");
		if (*error) {
			(*error)->domain = CLI_ERROR;
			(*error)->code = CLI_ERROR_USAGE;
		}
		return NULL;
	}
	files = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(d)))
		if (g_str_has_suffix(name, ".lua"))
			g_ptr_array_add(files, g_build_filename(dir, name, NULL));
	g_ptr_array_sort(files, path_cmp);
	return files;
}

bool validate_run(const struct validate_options *options, struct validate_report *out,
		  GError **error)
{
	g_autofree char *dir = NULL, *lib = NULL;
	g_autoptr(GPtrArray) files = NULL;
	bool found = false;

	g_return_val_if_fail(options != NULL && options->policy != NULL && out != NULL, false);
	memset(out, 0, sizeof(*out));
	out->policy = g_strdup(options->policy);
	out->seed = options->has_seed ? options->seed : 0;
	out->ran = g_ptr_array_new_with_free_func(g_free);
	out->skipped = g_ptr_array_new_with_free_func(g_free);
	dir = options->suite_dir ? g_strdup(options->suite_dir) : cli_data_path("scenarios/validate");
	lib = options->lib_dir ? g_strdup(options->lib_dir) : cli_data_path("lua");
	files = suite_files(dir, error);
	if (!files)
		return false;
	for (guint i = 0; i < files->len; i++) {
		const char *path = g_ptr_array_index(files, i);
		g_autofree char *base = g_path_get_basename(path);

		if (options->suite) {
			base[strlen(base) - 4] = '\0';
			if (strcmp(base, options->suite))
				continue;
		}
		found = true;
		if (!scenario_validate(options, lib, path, out, error))
			return false;
	}
	if (!found) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "no suite scenario '%s' in '%s'",
			    options->suite ? options->suite : "", dir);
		return false;
	}
	return true;
}
