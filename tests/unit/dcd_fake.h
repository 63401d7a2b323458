/* Scripted stand-ins for the entities around a device, for the device, FM
 * and property tests: a fake host (records everything it receives; can
 * drain its event logs and answer offers and releases by itself) and a
 * fake FM (records completions and 04h/05h records).  They talk to the
 * device only through the messages of proto.h, as real entities do. */
#ifndef DCDSIM_TESTS_DCD_FAKE_H
#define DCDSIM_TESTS_DCD_FAKE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/dcd.h"
#include "models/proto.h"
#include "sim/sim.h"

#define FAKE_DEVICES_MAX 8

/* What a fake host does by itself. */
enum fake_answer {
	FAKE_ANSWER_NONE,	/* nothing: the test answers */
	FAKE_ANSWER_ACCEPT,	/* accept every offered extent of a closed chain */
	FAKE_ANSWER_REJECT,	/* answer every closed chain with an empty list */
};

struct fake_host;

/* A host's view of one extent it accepted. */
struct fake_extent {
	uint64_t start, len;
	bool releasing;			/* a Release DC for it is queued */
};

struct fake_link {
	struct fake_host *host;
	struct dcd *dev;
	struct proto_mbox_port mbox;
	bool busy;			/* a command of ours is outstanding */
	bool drain_wanted;		/* an interrupt came while busy */
	GArray *queue;			/* struct fake_cmd: commands waiting */
	/* replies of the current command */
	GArray *records, *extents, *regions;
	/* everything */
	GArray *dones;			/* struct proto_mbox_done */
	GArray *done_times;		/* uint64_t ns, one per done */
	GArray *read;			/* struct proto_record: all records read */
	GArray *chain;			/* struct proto_extent: open add chain */
	GPtrArray *offers;		/* closed chains left to the test
					 * (FAKE_ANSWER_NONE): GArray of
					 * struct proto_extent, oldest first */
	GArray *accepted;		/* struct fake_extent */
	unsigned interrupts;
	uint64_t last_interrupt;	/* ns */
};

struct fake_host {
	struct sim *k;
	unsigned id;
	unsigned ndevs;
	struct fake_link links[FAKE_DEVICES_MAX];
	bool drain;			/* drain the log on interrupt */
	enum fake_answer answer;
	bool release;			/* give back what a 01h record names */
	bool release_whole;		/* ... as whole accepted extents (Linux) */
};

/* A host HOST of device DEV (wired both ways); more devices with
 * fake_host_attach.  Drains and answers nothing until told. */
void fake_host_init(struct fake_host *h, struct sim *k, unsigned id);
unsigned fake_host_attach(struct fake_host *h, struct dcd *dev);
void fake_host_clear(struct fake_host *h);

/* Queues a mailbox command to device LINK (sent when the mailbox is
 * free). */
void fake_host_send(struct fake_host *h, unsigned link, const struct proto_mbox_cmd *cmd,
		    const struct proto_range *ranges, size_t n);
/* As fake_host_send, but the command's nranges is sent as given, whatever
 * N is (to test payload length checks). */
void fake_host_send_raw(struct fake_host *h, unsigned link, const struct proto_mbox_cmd *cmd,
			const struct proto_range *ranges, size_t n);
/* The last completion of LINK (zeroed struct if none). */
struct proto_mbox_done fake_host_last(const struct fake_host *h, unsigned link);

/* A fake FM connected to DEV. */
struct fake_fm {
	struct sim *k;
	struct dcd *dev;
	struct proto_fm_api_port api;
	GArray *dones;			/* struct proto_fm_done */
	GArray *records;		/* struct proto_record */
	GArray *record_times;		/* uint64_t ns, one per record */
};

void fake_fm_init(struct fake_fm *fm, struct sim *k, struct dcd *dev);
void fake_fm_clear(struct fake_fm *fm);
void fake_fm_send(struct fake_fm *fm, const struct proto_fm_cmd *cmd,
		  const struct proto_extent *extents, size_t n);
struct proto_fm_done fake_fm_last(const struct fake_fm *fm);

/* Runs until no event is left; false (and prints) on a failed run. */
bool fake_run(struct sim *k);

#endif
