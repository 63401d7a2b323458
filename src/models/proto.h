/* The protocol vocabulary that devices, the fabric manager and hosts share:
 * return codes, event records, extents, policies, the messages between the
 * entities and the ports that carry them (DCD-REFERENCE.md §3, §4).
 *
 * Messages.  Every message fits in a kernel payload (SIM_PAYLOAD_MAX, 64
 * bytes), so nothing is allocated per message and nothing can leak when a
 * run stops with messages in flight.  A command or reply with a list (the
 * ranges of an Add DC Response, the records of Get Event Records) travels
 * as its entries, one message each, followed by the command or completion
 * itself; all are scheduled together, so the kernel's FIFO order for equal
 * times delivers them back to back, entries first.  The receiver collects
 * entries until the command or completion closes the list: that models the
 * mailbox payload registers.  One command per mailbox (per host and device)
 * and one FM API command per device may be outstanding at a time, as on the
 * hardware; the sender waits for the completion before the next.
 *
 * Wire fields and simulator bookkeeping.  Fields outside `struct proto_sim`
 * (and `sim_cause`) are what the CXL messages carry.  `struct proto_sim`
 * travels beside them so that metrics can attribute latencies to requests;
 * it is NOT on the wire, and a host policy must never read it (the host
 * model may pass it through to its own reports).  The FM uses the request
 * id to tie Add Capacity Response records to its requests, where a real FM
 * would match tags and DPA ranges. */
#ifndef DCDSIM_MODELS_PROTO_H
#define DCDSIM_MODELS_PROTO_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* Return codes (CXL r3.1 Table 8-34): the subset these commands produce. */
enum proto_rc {
	PROTO_RC_SUCCESS = 0x00,
	PROTO_RC_INVALID_INPUT = 0x02,
	PROTO_RC_UNSUPPORTED = 0x03,
	PROTO_RC_RETRY_REQUIRED = 0x05,
	PROTO_RC_INVALID_PA = 0x0f,		/* Invalid Physical Address */
	PROTO_RC_INVALID_PAYLOAD_LENGTH = 0x16,
	PROTO_RC_RESOURCES_EXHAUSTED = 0x1d,
	PROTO_RC_INVALID_EXTENT_LIST = 0x1e,
};

/* "success", "invalid input", ..., as the spec names them, lower case;
 * "unknown" for other values. */
const char *proto_rc_name(enum proto_rc rc);

/* Command opcodes: host mailbox (01xxh, 48xxh) and FM API (56xxh). */
enum proto_opcode {
	PROTO_OP_GET_EVENT_RECORDS = 0x0100,
	PROTO_OP_CLEAR_EVENT_RECORDS = 0x0101,
	PROTO_OP_GET_DC_CONFIG = 0x4800,
	PROTO_OP_GET_DC_EXTENT_LIST = 0x4801,
	PROTO_OP_ADD_DC_RESPONSE = 0x4802,
	PROTO_OP_RELEASE_DC = 0x4803,
	PROTO_OP_SET_DC_REGION_CONFIG = 0x5602,
	PROTO_OP_INITIATE_DC_ADD = 0x5604,
	PROTO_OP_INITIATE_DC_RELEASE = 0x5605,
};

/* "get event records", ..., "initiate dc release"; "unknown" otherwise. */
const char *proto_opcode_name(enum proto_opcode op);

/* Dynamic Capacity event types (Table 8-50). */
enum proto_event {
	PROTO_EVENT_ADD_CAPACITY = 0x00,	/* to the host */
	PROTO_EVENT_RELEASE_CAPACITY = 0x01,	/* to the host */
	PROTO_EVENT_FORCED_RELEASE = 0x02,	/* to the host: already gone */
	PROTO_EVENT_REGION_UPDATED = 0x03,	/* to the host */
	PROTO_EVENT_ADD_RESPONSE = 0x04,	/* to the FM: what a host accepted */
	PROTO_EVENT_CAPACITY_RELEASED = 0x05,	/* to the FM */
};

/* "add capacity", "release capacity", "forced capacity release",
 * "region configuration updated", "add capacity response",
 * "capacity released"; "unknown" otherwise. */
const char *proto_event_name(enum proto_event type);

/* Initiate DC Add selection policy (FM API 5604h). */
enum proto_select {
	PROTO_SELECT_FREE = 0,		/* the device picks, maybe several extents */
	PROTO_SELECT_CONTIGUOUS = 1,	/* one extent or nothing */
	PROTO_SELECT_PRESCRIPTIVE = 2,	/* the FM names the extents */
	PROTO_SELECT_SHARED = 3,	/* Enable Shared Access (not modelled) */
};

/* "free", "contiguous", "prescriptive", "shared". */
const char *proto_select_name(enum proto_select policy);
bool proto_select_from_name(const char *name, enum proto_select *out);

/* Initiate DC Release flags byte (FM API 5605h): the removal policy in
 * bits 0-3, Forced Removal in bit 4, sanitize on release in bit 5. */
enum proto_removal {
	PROTO_REMOVAL_TAG = 0,		/* every extent of the host with the tag */
	PROTO_REMOVAL_PRESCRIPTIVE = 1,	/* the FM names the ranges */
};
#define PROTO_REMOVAL_MASK 0x0fu
#define PROTO_RELEASE_FORCED 0x10u
#define PROTO_RELEASE_SANITIZE 0x20u

/* "tag", "prescriptive". */
const char *proto_removal_name(enum proto_removal policy);
bool proto_removal_from_name(const char *name, enum proto_removal *out);

/* Why a command ended in Resources Exhausted or Retry Required: simulator
 * bookkeeping in struct proto_fm_done (the wire says only the code).  The
 * names match the blocking causes of docs/metrics.md. */
enum proto_cause {
	PROTO_CAUSE_NONE,
	PROTO_CAUSE_NO_CAPACITY,	/* "no_capacity" */
	PROTO_CAUSE_NO_CONTIGUOUS,	/* "no_contiguous" */
	PROTO_CAUSE_EXTENT_LIMIT,	/* "extent_limit" */
	PROTO_CAUSE_TAG_LIMIT,		/* "tag_limit" */
	PROTO_CAUSE_LOG_FULL,		/* "log_full" */
	PROTO_CAUSE_COUNT
};

/* "none", "no_capacity", ...; "unknown" otherwise. */
const char *proto_cause_name(enum proto_cause cause);

#define PROTO_TAG_SIZE 16

/* A tag is a 16-byte UUID; all zero means no tag. */
bool proto_tag_is_zero(const uint8_t tag[PROTO_TAG_SIZE]);
bool proto_tag_equal(const uint8_t a[PROTO_TAG_SIZE], const uint8_t b[PROTO_TAG_SIZE]);
/* A tag made from a number (0 gives no tag), for workloads: VALUE
 * big-endian in the last 8 bytes. */
void proto_tag_from_u64(uint8_t tag[PROTO_TAG_SIZE], uint64_t value);

/* Simulator bookkeeping carried beside the wire fields: see the top of
 * this file.  Never on the wire; host policies must not read it. */
struct proto_sim {
	uint64_t request;	/* the FM request this message serves; 0: none */
};

/* A DPA range: the entries of Add DC Response and Release DC (Table 8-169
 * without its reserved bytes). */
struct proto_range {
	uint64_t start;
	uint64_t len;
};

/* A Dynamic Capacity extent (Table 8-51): 40 bytes with its reserved tail. */
struct proto_extent {
	uint64_t start;
	uint64_t len;
	uint8_t tag[PROTO_TAG_SIZE];
	uint16_t seq;		/* shared extent sequence */
};

/* Event record flags: More is set on every record of a chain but the last. */
#define PROTO_RECORD_MORE 0x01u

/* A Dynamic Capacity event record (Table 8-50), the fields the models use,
 * plus the handle of the common record header. */
struct proto_record {
	uint16_t host;
	uint8_t type;		/* enum proto_event */
	uint8_t flags;		/* PROTO_RECORD_MORE */
	uint8_t region;		/* updated region: PROTO_EVENT_REGION_UPDATED only */
	uint16_t handle;	/* record handle, for Clear Event Records */
	uint32_t avail_extents;	/* extents the device can still track */
	uint32_t avail_tags;
	struct proto_extent extent;
	struct proto_sim sim;
};

/* Event status bit of the Dynamic Capacity log in the interrupt. */
#define PROTO_EVENT_STATUS_DC (1u << 4)

/* Device -> host: the event log went from empty to non-empty. */
struct proto_interrupt {
	uint32_t status;	/* PROTO_EVENT_STATUS_DC */
};

/* Region flags. */
#define PROTO_REGION_SANITIZE 0x01u	/* sanitize on release */

/* One DC region as Get DC Configuration reports it (Table 8-166). */
struct proto_region {
	uint64_t base;
	uint64_t decode_len;
	uint64_t len;
	uint64_t block_size;
	uint32_t dsmas_handle;
	uint8_t flags;		/* PROTO_REGION_SANITIZE */
	uint8_t index;
};

/* Add DC Response input flag: more responses to the same offer follow. */
#define PROTO_RESPONSE_MORE 0x01u

/* Host -> device mailbox command.  Which fields mean something: */
struct proto_mbox_cmd {
	uint16_t opcode;	/* enum proto_opcode: 01xxh, 48xxh */
	uint8_t flags;		/* 4802h: PROTO_RESPONSE_MORE */
	uint16_t handle;	/* 0101h: handle of the first record to clear */
	uint32_t nranges;	/* 4802h, 4803h: ranges sent before the command */
	uint32_t count;		/* 0101h: records to clear; 4800h: regions
				 * wanted; 4801h: extents wanted */
	uint32_t start;		/* 4800h: first region; 4801h: first extent */
	struct proto_sim sim;
};

/* Get Event Records output flags. */
#define PROTO_EVENTS_OVERFLOW 0x01u	/* records were dropped */
#define PROTO_EVENTS_MORE 0x02u		/* more records than returned */

/* Device -> host: a mailbox command completed.  Its output entries (records,
 * extents, regions) arrived just before, COUNT of them. */
struct proto_mbox_done {
	uint16_t opcode;
	uint8_t rc;		/* enum proto_rc */
	uint8_t flags;		/* 0100h: PROTO_EVENTS_* */
	uint16_t overflow;	/* 0100h: records dropped since the log was empty */
	uint32_t count;		/* output entries delivered */
	uint32_t total;		/* 4801h: extents in the list; 4800h: regions */
	uint32_t generation;	/* 4801h: extent list generation number */
	uint32_t total_extents, avail_extents;	/* 4800h */
	uint32_t total_tags, avail_tags;	/* 4800h */
	struct proto_sim sim;
};

/* FM -> device FM API command.  Which fields mean something: */
struct proto_fm_cmd {
	uint16_t opcode;	/* enum proto_opcode: 56xxh */
	uint16_t host;		/* 5604h, 5605h */
	uint8_t policy;		/* 5604h: enum proto_select; 5605h: enum
				 * proto_removal | PROTO_RELEASE_* flags;
				 * 5602h: PROTO_REGION_SANITIZE */
	uint8_t region;
	uint32_t nextents;	/* extents sent before the command */
	uint64_t length;	/* 5604h Free and Contiguous: bytes to add */
	uint64_t block_size;	/* 5602h */
	uint8_t tag[PROTO_TAG_SIZE];	/* 5604h Free, Contiguous; 5605h tag-based */
	struct proto_sim sim;
};

/* Device -> FM: an FM API command completed. */
struct proto_fm_done {
	uint16_t opcode;
	uint16_t host;
	uint8_t rc;		/* enum proto_rc */
	/* Simulator bookkeeping (see struct proto_sim): why, for Resources
	 * Exhausted and Retry Required. */
	uint8_t sim_cause;	/* enum proto_cause */
	struct proto_sim sim;
};

/* Ports: where an entity sends its messages.  Each is a target and the
 * handlers that receive each kind of message there; the wiring code gets a
 * receiver's port from the receiver's module and hands it to the sender.
 * Every handler takes the message in PAYLOAD as sim_handler_fn does. */

/* Device -> host, one per (device, host), given by the host. */
struct proto_host_port {
	void *target;
	sim_handler_fn interrupt;	/* struct proto_interrupt */
	sim_handler_fn record;		/* struct proto_record: 0100h output */
	sim_handler_fn extent;		/* struct proto_extent: 4801h output */
	sim_handler_fn region;		/* struct proto_region: 4800h output */
	sim_handler_fn done;		/* struct proto_mbox_done */
};

/* Host -> device mailbox, one per (device, host), given by the device. */
struct proto_mbox_port {
	void *target;
	sim_handler_fn command;		/* struct proto_mbox_cmd */
	sim_handler_fn range;		/* struct proto_range: 4802h, 4803h input */
};

/* Device -> FM, one per device, given by the FM. */
struct proto_fm_port {
	void *target;
	sim_handler_fn done;		/* struct proto_fm_done */
	sim_handler_fn record;		/* struct proto_record: types 04h, 05h */
};

/* FM -> device FM API, one per device, given by the device. */
struct proto_fm_api_port {
	void *target;
	sim_handler_fn command;		/* struct proto_fm_cmd */
	sim_handler_fn extent;		/* struct proto_extent: 5604h, 5605h input */
};

/* Sends CMD with the N entries before it, now (the receiver models the
 * command's time).  CMD's nranges or nextents is set to N. */
void proto_mbox_send(struct sim *k, const struct proto_mbox_port *port,
		     const struct proto_mbox_cmd *cmd, const struct proto_range *ranges, size_t n);
void proto_fm_api_send(struct sim *k, const struct proto_fm_api_port *port,
		       const struct proto_fm_cmd *cmd, const struct proto_extent *extents,
		       size_t n);

/* Entries a mailbox payload of PAYLOAD_SIZE bytes holds: records per Get
 * Event Records, extents per Get DC Extent List, ranges per Add DC
 * Response or Release DC, extents per Initiate DC Add or Release. */
uint32_t proto_payload_records(uint32_t payload_size);
uint32_t proto_payload_extents(uint32_t payload_size);
uint32_t proto_payload_ranges(uint32_t payload_size);
uint32_t proto_payload_fm_extents(uint32_t payload_size);

#endif
