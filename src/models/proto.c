#include "models/proto.h"

#include <string.h>

/* Every message rides in a kernel payload: see the top of proto.h. */
G_STATIC_ASSERT(sizeof(struct proto_record) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct proto_extent) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct proto_region) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct proto_mbox_cmd) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct proto_mbox_done) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct proto_fm_cmd) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct proto_fm_done) <= SIM_PAYLOAD_MAX);

/* Mailbox payload layouts (CXL r3.1): fixed header, then entries. */
#define EVENTS_HEADER 32	/* Get Event Records output */
#define EVENT_RECORD 128
#define EXTENT_LIST_HEADER 16	/* Get DC Extent List output */
#define EXTENT_ENTRY 40
#define UPDATE_HEADER 8		/* Add DC Response, Release DC input */
#define UPDATE_ENTRY 24
#define FM_DC_HEADER 32		/* Initiate DC Add / Release input */

struct name {
	int value;
	const char *name;
};

static const char *name_of(const struct name *names, size_t n, int value)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].value == value)
			return names[i].name;
	return "unknown";
}

static bool value_of(const struct name *names, size_t n, const char *name, int *out)
{
	g_return_val_if_fail(name != NULL, false);
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i].name, name) == 0) {
			*out = names[i].value;
			return true;
		}
	return false;
}

static const struct name rc_names[] = {
	{ PROTO_RC_SUCCESS, "success" },
	{ PROTO_RC_INVALID_INPUT, "invalid input" },
	{ PROTO_RC_UNSUPPORTED, "unsupported" },
	{ PROTO_RC_RETRY_REQUIRED, "retry required" },
	{ PROTO_RC_INVALID_PA, "invalid physical address" },
	{ PROTO_RC_INVALID_PAYLOAD_LENGTH, "invalid payload length" },
	{ PROTO_RC_RESOURCES_EXHAUSTED, "resources exhausted" },
	{ PROTO_RC_INVALID_EXTENT_LIST, "invalid extent list" },
};

static const struct name opcode_names[] = {
	{ PROTO_OP_GET_EVENT_RECORDS, "get event records" },
	{ PROTO_OP_CLEAR_EVENT_RECORDS, "clear event records" },
	{ PROTO_OP_GET_DC_CONFIG, "get dc configuration" },
	{ PROTO_OP_GET_DC_EXTENT_LIST, "get dc extent list" },
	{ PROTO_OP_ADD_DC_RESPONSE, "add dc response" },
	{ PROTO_OP_RELEASE_DC, "release dc" },
	{ PROTO_OP_SET_DC_REGION_CONFIG, "set dc region config" },
	{ PROTO_OP_INITIATE_DC_ADD, "initiate dc add" },
	{ PROTO_OP_INITIATE_DC_RELEASE, "initiate dc release" },
};

static const struct name event_names[] = {
	{ PROTO_EVENT_ADD_CAPACITY, "add capacity" },
	{ PROTO_EVENT_RELEASE_CAPACITY, "release capacity" },
	{ PROTO_EVENT_FORCED_RELEASE, "forced capacity release" },
	{ PROTO_EVENT_REGION_UPDATED, "region configuration updated" },
	{ PROTO_EVENT_ADD_RESPONSE, "add capacity response" },
	{ PROTO_EVENT_CAPACITY_RELEASED, "capacity released" },
};

static const struct name select_names[] = {
	{ PROTO_SELECT_FREE, "free" },
	{ PROTO_SELECT_CONTIGUOUS, "contiguous" },
	{ PROTO_SELECT_PRESCRIPTIVE, "prescriptive" },
	{ PROTO_SELECT_SHARED, "shared" },
};

static const struct name removal_names[] = {
	{ PROTO_REMOVAL_TAG, "tag" },
	{ PROTO_REMOVAL_PRESCRIPTIVE, "prescriptive" },
};

static const struct name cause_names[] = {
	{ PROTO_CAUSE_NONE, "none" },
	{ PROTO_CAUSE_NO_CAPACITY, "no_capacity" },
	{ PROTO_CAUSE_NO_CONTIGUOUS, "no_contiguous" },
	{ PROTO_CAUSE_EXTENT_LIMIT, "extent_limit" },
	{ PROTO_CAUSE_TAG_LIMIT, "tag_limit" },
	{ PROTO_CAUSE_LOG_FULL, "log_full" },
};

const char *proto_rc_name(enum proto_rc rc)
{
	return name_of(rc_names, G_N_ELEMENTS(rc_names), (int)rc);
}

const char *proto_opcode_name(enum proto_opcode op)
{
	return name_of(opcode_names, G_N_ELEMENTS(opcode_names), (int)op);
}

const char *proto_event_name(enum proto_event type)
{
	return name_of(event_names, G_N_ELEMENTS(event_names), (int)type);
}

const char *proto_select_name(enum proto_select policy)
{
	return name_of(select_names, G_N_ELEMENTS(select_names), (int)policy);
}

bool proto_select_from_name(const char *name, enum proto_select *out)
{
	int v;

	if (!value_of(select_names, G_N_ELEMENTS(select_names), name, &v))
		return false;
	*out = (enum proto_select)v;
	return true;
}

const char *proto_removal_name(enum proto_removal policy)
{
	return name_of(removal_names, G_N_ELEMENTS(removal_names), (int)policy);
}

bool proto_removal_from_name(const char *name, enum proto_removal *out)
{
	int v;

	if (!value_of(removal_names, G_N_ELEMENTS(removal_names), name, &v))
		return false;
	*out = (enum proto_removal)v;
	return true;
}

const char *proto_cause_name(enum proto_cause cause)
{
	return name_of(cause_names, G_N_ELEMENTS(cause_names), (int)cause);
}

bool proto_tag_is_zero(const uint8_t tag[PROTO_TAG_SIZE])
{
	for (size_t i = 0; i < PROTO_TAG_SIZE; i++)
		if (tag[i])
			return false;
	return true;
}

bool proto_tag_equal(const uint8_t a[PROTO_TAG_SIZE], const uint8_t b[PROTO_TAG_SIZE])
{
	return memcmp(a, b, PROTO_TAG_SIZE) == 0;
}

void proto_tag_from_u64(uint8_t tag[PROTO_TAG_SIZE], uint64_t value)
{
	memset(tag, 0, PROTO_TAG_SIZE);
	for (size_t i = 0; i < 8; i++)
		tag[PROTO_TAG_SIZE - 1 - i] = (uint8_t)(value >> (8 * i));
}

void proto_mbox_send(struct sim *k, const struct proto_mbox_port *port,
		     const struct proto_mbox_cmd *cmd, const struct proto_range *ranges, size_t n)
{
	struct proto_mbox_cmd copy;

	g_return_if_fail(k != NULL && port != NULL && cmd != NULL);
	g_return_if_fail(n == 0 || ranges != NULL);
	g_return_if_fail(n <= UINT32_MAX);
	for (size_t i = 0; i < n; i++)
		sim_schedule(k, 0, port->range, port->target, &ranges[i], sizeof(ranges[i]));
	copy = *cmd;
	copy.nranges = (uint32_t)n;
	sim_schedule(k, 0, port->command, port->target, &copy, sizeof(copy));
}

void proto_fm_api_send(struct sim *k, const struct proto_fm_api_port *port,
		       const struct proto_fm_cmd *cmd, const struct proto_extent *extents,
		       size_t n)
{
	struct proto_fm_cmd copy;

	g_return_if_fail(k != NULL && port != NULL && cmd != NULL);
	g_return_if_fail(n == 0 || extents != NULL);
	g_return_if_fail(n <= UINT32_MAX);
	for (size_t i = 0; i < n; i++)
		sim_schedule(k, 0, port->extent, port->target, &extents[i], sizeof(extents[i]));
	copy = *cmd;
	copy.nextents = (uint32_t)n;
	sim_schedule(k, 0, port->command, port->target, &copy, sizeof(copy));
}

static uint32_t entries(uint32_t payload_size, uint32_t header, uint32_t entry)
{
	return payload_size > header ? (payload_size - header) / entry : 0;
}

uint32_t proto_payload_records(uint32_t payload_size)
{
	return entries(payload_size, EVENTS_HEADER, EVENT_RECORD);
}

uint32_t proto_payload_extents(uint32_t payload_size)
{
	return entries(payload_size, EXTENT_LIST_HEADER, EXTENT_ENTRY);
}

uint32_t proto_payload_ranges(uint32_t payload_size)
{
	return entries(payload_size, UPDATE_HEADER, UPDATE_ENTRY);
}

uint32_t proto_payload_fm_extents(uint32_t payload_size)
{
	return entries(payload_size, FM_DC_HEADER, EXTENT_ENTRY);
}
