/* Running a sweep: a pool of `dcdsim run` worker processes, one run each,
 * watched through their stderr pipes (EOF: the worker has ended). */
#include "cli/sweep.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli/cli.h"

/* Progress reports while nothing ends, and the longest a signal that
 * arrives just before poll() waits to be seen. */
#define TICK_MS 250

struct worker {
	GPid pid;		/* 0: a free slot */
	int err_fd;
	GString *err;		/* what it wrote on stderr */
	size_t run;
	gint64 started_us;
};

/* In the child, before exec. */
static void worker_setup(void *user_data)
{
	pid_t parent = *(const pid_t *)user_data;

	/* Its own process group: Ctrl-C reaches only the sweep, which
	 * forwards it once (a second signal would kill the worker). */
	setpgid(0, 0);
#ifdef __linux__
	/* A sweep killed outright takes its workers along. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(CLI_EXIT_SIGNAL + SIGTERM);
#else
	(void)parent;
#endif
}

static bool worker_start(struct sweep *sw, const char *exe, size_t run, pid_t *parent,
			 struct worker *w, GError **error)
{
	g_auto(GStrv) argv = sweep_run_argv(sw, run, exe, sweep_db_path(sw), false);
	GError *local = NULL;

	/* Descriptors stay open: the workers share the sweep's lock. */
	if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
				      G_SPAWN_LEAVE_DESCRIPTORS_OPEN | G_SPAWN_STDOUT_TO_DEV_NULL,
				      worker_setup, parent, &w->pid, NULL, NULL, &w->err_fd,
				      &local)) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_FAILED, "cannot start a worker: %s",
			    local->message);
		g_error_free(local);
		return false;
	}
	w->err = g_string_new(NULL);
	w->run = run;
	w->started_us = g_get_monotonic_time();
	return true;
}

/* The worker's last message line, without the "dcdsim run: " prefix. */
static char *last_line(const GString *err)
{
	g_auto(GStrv) lines = g_strsplit(err->str, "\n", -1);
	const char *prefix = "dcdsim run: ";

	for (guint i = g_strv_length(lines); i-- > 0;) {
		const char *line = g_strstrip(lines[i]);

		if (*line)
			return g_strdup(g_str_has_prefix(line, prefix) ? line + strlen(prefix) : line);
	}
	return NULL;
}

/* Why the worker that exited with WAIT_STATUS failed, NULL when its run
 * completed. */
static char *worker_failure(const struct worker *w, int wait_status)
{
	g_autofree char *message = last_line(w->err);

	if (WIFSIGNALED(wait_status))
		return g_strdup_printf("killed by signal %d (%s); its run stays incomplete",
				       WTERMSIG(wait_status), g_strsignal(WTERMSIG(wait_status)));
	if (WEXITSTATUS(wait_status) == CLI_EXIT_OK)
		return NULL;
	if (message)
		return g_steal_pointer(&message);
	return g_strdup_printf("exit status %d", WEXITSTATUS(wait_status));
}

/* Reads what the worker wrote; at EOF it has ended: reaps it and reports. */
static void worker_read(struct worker *w, struct sweep *sw, struct sweep_progress *p,
			sweep_progress_fn progress, void *user_data)
{
	char buf[4096];
	ssize_t n = read(w->err_fd, buf, sizeof(buf));
	g_autofree char *failure = NULL;
	int wait_status;

	if (n > 0) {
		g_string_append_len(w->err, buf, n);
		return;
	}
	if (n < 0 && errno == EINTR)
		return;
	close(w->err_fd);
	while (waitpid(w->pid, &wait_status, 0) < 0 && errno == EINTR)
		;
	failure = worker_failure(w, wait_status);
	p->running--;
	if (failure)
		p->failed++;
	else
		p->done++;
	p->run = sweep_run_nth(sw, w->run);
	p->run_wall_s = (double)(g_get_monotonic_time() - w->started_us) / 1e6;
	p->failure = failure;
	if (progress)
		progress(p, user_data);
	p->run = NULL;
	p->failure = NULL;
	g_string_free(w->err, TRUE);
	memset(w, 0, sizeof(*w));
}

bool sweep_execute(struct sweep *sw, const char *exe, unsigned jobs, sweep_progress_fn progress,
		   void *user_data, GError **error)
{
	g_autoptr(GArray) todo = g_array_new(FALSE, FALSE, sizeof(size_t));
	g_autofree struct worker *workers = NULL;
	g_autofree struct pollfd *fds = NULL;
	g_autofree struct worker **polled = NULL;
	struct sweep_progress p = { 0 };
	gint64 t0 = g_get_monotonic_time(), ticked = t0;
	pid_t self = getpid();
	GError *start_error = NULL;
	int forwarded = 0;
	size_t next = 0;

	g_return_val_if_fail(jobs >= 1, false);
	for (size_t i = 0; i < sweep_run_count(sw); i++)
		if (!sweep_run_nth(sw, i)->fingerprint)
			g_array_append_val(todo, i);
	p.total = todo->len;
	workers = g_new0(struct worker, jobs);
	fds = g_new0(struct pollfd, jobs);
	polled = g_new0(struct worker *, jobs);

	while (p.running || (next < todo->len && !forwarded && !start_error)) {
		int signo = cli_interrupt_signal(), ready;
		nfds_t n = 0;
		gint64 now;

		if (signo && !forwarded) {
			for (unsigned j = 0; j < jobs; j++)
				if (workers[j].pid)
					kill(workers[j].pid, signo);
			forwarded = signo;
		}
		for (unsigned j = 0; j < jobs && next < todo->len && !forwarded && !start_error;
		     j++) {
			if (workers[j].pid)
				continue;
			if (!worker_start(sw, exe, g_array_index(todo, size_t, next), &self,
					  &workers[j], &start_error))
				break;
			next++;
			p.running++;
		}
		for (unsigned j = 0; j < jobs; j++) {
			if (!workers[j].pid)
				continue;
			fds[n] = (struct pollfd){ .fd = workers[j].err_fd, .events = POLLIN };
			polled[n++] = &workers[j];
		}
		ready = poll(fds, n, TICK_MS);
		now = g_get_monotonic_time();
		p.elapsed_s = (double)(now - t0) / 1e6;
		for (nfds_t i = 0; i < n && ready > 0; i++)
			if (fds[i].revents)
				worker_read(polled[i], sw, &p, progress, user_data);
		if (progress && now - ticked >= TICK_MS * 1000) {
			progress(&p, user_data);
			ticked = now;
		}
	}
	if (forwarded) {
		g_clear_error(&start_error);
		g_set_error(error, CLI_ERROR, CLI_ERROR_INTERRUPTED,
			    "interrupted by %s: %zu of %zu runs done, the others left to the next "
			    "sweep", forwarded == SIGTERM ? "SIGTERM" : "SIGINT", p.done, p.total);
		return false;
	}
	if (start_error) {
		g_propagate_error(error, start_error);
		return false;
	}
	return true;
}
