/* The built-in host policies (docs/host.md): tables of decisions over the
 * host's read-only view, the way a Lua policy will plug in.
 *
 *   linux       the v9 driver: tagged and shared extents, extents outside
 *               the committed decoder and extents overlapping what the
 *               host holds are rejected; 1-way regions only.
 *   linux-tags  v10/v11: tags welcome but unique host-wide, a tag group is
 *               used and released whole, a chain longer than the pending
 *               limit is rejected whole, a misaligned extent drops its tag
 *               group from the chain; 1-way regions only.
 *   interleave  a proposed N-way policy: every valid piece is accepted and
 *               assembled across the set; pieces must be whole granules. */
#include "models/host.h"

#include <inttypes.h>
#include <string.h>

#define LINUX_TAGS_ALIGN (UINT64_C(2) << 20)

static bool one_way_only(const struct host_config *cfg, GError **error)
{
	if (cfg->ways == 1)
		return true;
	g_set_error(error, HOST_ERROR, HOST_ERROR_CONFIG,
		    "host '%s': policy '%s' supports only 1-way DC regions, got %u", cfg->name,
		    cfg->policy, cfg->ways);
	return false;
}

static bool any_ways(const struct host_config *cfg, GError **error)
{
	(void)cfg;
	(void)error;
	return true;
}

/* What every policy requires of an extent: inside the decoder, whole
 * blocks as far as the host knows, clear of what the host holds, not
 * shared (sharing is not modelled). */
static bool extent_fits(const struct host *h, unsigned position, const struct proto_extent *e)
{
	return e->seq == 0 && host_decoder_contains(h, position, e->start, e->len) &&
	       host_block_aligned(h, position, e->start, e->len) &&
	       host_overlap(h, position, e->start, e->len) == HOST_OVERLAP_NONE;
}

static bool linux_decide(const struct host *h, void *data, unsigned position,
			 const struct proto_extent *offered, size_t n, bool *accept)
{
	(void)data;
	for (size_t i = 0; i < n; i++)
		accept[i] = proto_tag_is_zero(offered[i].tag) && extent_fits(h, position, &offered[i]);
	return true;
}

static bool tags_decide(const struct host *h, void *data, unsigned position,
			const struct proto_extent *offered, size_t n, bool *accept)
{
	const struct host_config *cfg = host_get_config(h);

	(void)data;
	if (cfg->max_pending && n > cfg->max_pending)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct proto_extent *e = &offered[i];

		accept[i] = extent_fits(h, position, e) &&
			    (proto_tag_is_zero(e->tag) || !host_tag_in_use(h, e->tag));
	}
	for (size_t i = 0; i < n && cfg->alignment; i++) {
		const struct proto_extent *e = &offered[i];

		if (e->start % cfg->alignment == 0 && e->len % cfg->alignment == 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (j == i || proto_tag_equal(offered[j].tag, e->tag))
				accept[j] = false;
	}
	return true;
}

static bool interleave_decide(const struct host *h, void *data, unsigned position,
			      const struct proto_extent *offered, size_t n, bool *accept)
{
	const struct host_config *cfg = host_get_config(h);
	uint64_t base = cfg->decoders[position].dpa_base;

	(void)data;
	for (size_t i = 0; i < n; i++) {
		const struct proto_extent *e = &offered[i];
		bool whole = cfg->ways == 1 ||
			     ((e->start - base) % cfg->granularity == 0 && e->len % cfg->granularity == 0);

		accept[i] = whole && extent_fits(h, position, e);
	}
	return true;
}

/* Idle memory goes at once; in use, as configured. */
static enum host_busy_release release_from_config(const struct host *h, void *data,
						  unsigned position,
						  const struct proto_extent *requested,
						  uint64_t in_use)
{
	(void)data;
	(void)position;
	(void)requested;
	return in_use ? host_get_config(h)->busy_release : HOST_BUSY_NOW;
}

static enum host_forced forced_from_config(const struct host *h, void *data, unsigned position,
					   const struct proto_extent *forced)
{
	(void)data;
	(void)position;
	(void)forced;
	return host_get_config(h)->forced;
}

/* Every one accepts only extents that fit (extent_fits): clear of what
 * the host holds. */
static const struct host_policy_ops policies[] = {
	{ "linux", one_way_only, linux_decide, release_from_config, forced_from_config, NULL, NULL,
	  true },
	{ "linux-tags", one_way_only, tags_decide, release_from_config, forced_from_config, NULL,
	  NULL, true },
	{ "interleave", any_ways, interleave_decide, release_from_config, forced_from_config, NULL,
	  NULL, true },
};

const struct host_policy_ops *host_policy_find(const char *name)
{
	g_return_val_if_fail(name != NULL, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(policies); i++)
		if (strcmp(policies[i].name, name) == 0)
			return &policies[i];
	return NULL;
}

const char *host_policy_names(void)
{
	return "linux, linux-tags, interleave";
}

bool host_config_init(struct host_config *cfg, const char *policy, GError **error)
{
	g_return_val_if_fail(cfg != NULL && policy != NULL, false);
	memset(cfg, 0, sizeof(*cfg));
	g_strlcpy(cfg->name, "host", sizeof(cfg->name));
	if (!host_policy_find(policy)) {
		g_set_error(error, HOST_ERROR, HOST_ERROR_CONFIG,
			    "unknown host policy '%s' (known: %s)", policy, host_policy_names());
		return false;
	}
	g_strlcpy(cfg->policy, policy, sizeof(cfg->policy));
	cfg->ways = 1;
	cfg->granularity = 256;
	cfg->memory_block = HOST_MEMORY_BLOCK_DEFAULT;
	latency_params_init(&cfg->latency);
	cfg->busy_release = HOST_BUSY_IGNORE;
	cfg->forced = HOST_FORCED_IGNORE;
	cfg->assembly_timeout = UINT64_C(1000000000);
	if (strcmp(policy, "linux") == 0)
		return true;
	cfg->region_updates = true;
	cfg->chain_timeout = UINT64_C(20000000000);
	if (strcmp(policy, "linux-tags") == 0) {
		cfg->tag_groups = true;
		cfg->max_pending = 100;
		cfg->alignment = LINUX_TAGS_ALIGN;
		return true;
	}
	cfg->busy_release = HOST_BUSY_DEFER;
	cfg->forced = HOST_FORCED_DROP;
	return true;
}
