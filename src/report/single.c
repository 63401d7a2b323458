/* The figures of one run: latency CDFs, its series over simulated time and
 * blocking by cause.  docs/metrics.md defines the names read here. */
#include "report/internal.h"

#include "models/interleave.h"
#include "models/metrics.h"
#include "sim/stats.h"
#include "sim/units.h"
#include "store/store.h"

#include <math.h>
#include <string.h>

struct point {
	double x, y;	/* stored units: ns, bytes, ratio ... */
};

/* One line of a figure. */
struct line {
	char *title;
	char *style;		/* gnuplot line properties: "lw 2 lc 1" */
	GArray *points;		/* struct point */
};

/* What a run's figures need to know of its names. */
struct single {
	struct store *st;
	const struct report_run *run;
	struct report_plot *plot;
	struct report_page *page;
	struct sim_hist *hist;	/* scratch, for loading histograms */
	GPtrArray *devices;	/* char *, registration order */
	GPtrArray *sizes;	/* char *, fragmentation request sizes as named */
};

static void line_free(void *data)
{
	struct line *l = data;

	g_free(l->title);
	g_free(l->style);
	g_array_unref(l->points);
	g_free(l);
}

static GPtrArray *lines_new(void)
{
	return g_ptr_array_new_with_free_func(line_free);
}

/* Takes TITLE and STYLE. */
static struct line *line_add(GPtrArray *lines, char *title, char *style)
{
	struct line *l = g_new(struct line, 1);

	l->title = title;
	l->style = style;
	l->points = g_array_new(FALSE, FALSE, sizeof(struct point));
	g_ptr_array_add(lines, l);
	return l;
}

/* The largest |x| and |y| of any point. */
static void lines_extent(const GPtrArray *lines, double *x_max, double *y_max)
{
	*x_max = *y_max = 0.0;
	for (guint i = 0; i < lines->len; i++) {
		const struct line *l = g_ptr_array_index(lines, i);

		for (guint j = 0; j < l->points->len; j++) {
			const struct point *p = &g_array_index(l->points, struct point, j);

			*x_max = fmax(*x_max, fabs(p->x));
			if (!isnan(p->y))
				*y_max = fmax(*y_max, fabs(p->y));
		}
	}
}

/* Whether L has a point to draw: gnuplot refuses a line of gaps only. */
static gboolean line_drawable(const struct line *l)
{
	for (guint j = 0; j < l->points->len; j++)
		if (!isnan(g_array_index(l->points, struct point, j).y))
			return TRUE;
	return FALSE;
}

static gboolean lines_empty(const GPtrArray *lines)
{
	for (guint i = 0; i < lines->len; i++)
		if (line_drawable(g_ptr_array_index(lines, i)))
			return FALSE;
	return TRUE;
}

/* Whether no line has a point, drawable or not. */
static gboolean lines_unsampled(const GPtrArray *lines)
{
	for (guint i = 0; i < lines->len; i++)
		if (((const struct line *)g_ptr_array_index(lines, i))->points->len)
			return FALSE;
	return TRUE;
}

/* Writes the data of figure ID, a block per drawable line (x / XDIV,
 * y / YDIV), and the plot command that draws them WITH (lines, steps). */
static gboolean lines_plot(struct report_plot *plot, const char *id, const GPtrArray *lines,
			   const char *with, double xdiv, double ydiv, GError **error)
{
	g_autoptr(GString) data = g_string_new(NULL);
	g_autoptr(GString) command = g_string_new("plot ");
	unsigned block = 0;

	for (guint i = 0; i < lines->len; i++) {
		const struct line *l = g_ptr_array_index(lines, i);
		g_autofree char *title = report_plot_quote(l->title);

		if (!line_drawable(l))
			continue;
		if (block) {
			g_string_append(data, "\n\n");
			g_string_append(command, ", \\\n     ");
		}
		for (guint j = 0; j < l->points->len; j++) {
			const struct point *p = &g_array_index(l->points, struct point, j);

			report_plot_point(data, p->x / xdiv, p->y / ydiv);
		}
		g_string_append_printf(command, "'data/%s.dat' index %u using 1:2 with %s %s title %s",
				       id, block++, with, l->style, title);
	}
	if (!report_plot_data(plot, id, data, error))
		return FALSE;
	report_plot_printf(plot, "%s\n", command->str);
	return TRUE;
}

static void axis_set(struct report_plot *plot, const char *axis, const char *label)
{
	g_autofree char *quoted = report_plot_quote(label);

	report_plot_printf(plot, "set %slabel %s\n", axis, quoted);
}

/* --- latency CDFs --- */

struct cdf {
	GArray *points;
	uint64_t total, below;
};

/* The CDF's steps at each bucket's midpoint; zeros only raise the first
 * step, since the latency axis is logarithmic. */
static gboolean cdf_bucket(uint64_t lo, uint64_t hi, uint64_t count, void *data)
{
	struct cdf *c = data;
	struct point p = { (double)lo + (double)(hi - lo) / 2.0, 0.0 };

	if (p.x > 0 && !c->points->len) {
		p.y = (double)c->below / (double)c->total;
		g_array_append_val(c->points, p);
	}
	c->below += count;
	if (p.x > 0) {
		p.y = (double)c->below / (double)c->total;
		g_array_append_val(c->points, p);
	}
	return FALSE;
}

/* A line (taking TITLE and STYLE) of the CDF of histogram NAME, none when
 * the run has no such histogram; *MAGNITUDE grows to its median. */
static gboolean cdf_line_add(const struct single *s, GPtrArray *lines, const char *name,
			     char *title, char *style, double *magnitude, GError **error)
{
	g_autofree char *owned_title = title, *owned_style = style;
	struct cdf c;

	/* Only a used one: a reset clears all of its 58 KiB. */
	if (sim_hist_count(s->hist))
		sim_hist_reset(s->hist);
	if (!store_hist_load(s->st, s->run->id, name, s->hist, error))
		return FALSE;
	if (!sim_hist_count(s->hist))
		return TRUE;
	c = (struct cdf){ line_add(lines, g_steal_pointer(&owned_title),
				   g_steal_pointer(&owned_style))->points,
			  sim_hist_count(s->hist), 0 };
	sim_hist_foreach(s->hist, cdf_bucket, &c);
	*magnitude = fmax(*magnitude, (double)sim_hist_percentile(s->hist, 0.5));
	return TRUE;
}

/* Draws LINES, CDFs of WHAT (a latency) over events of kind NOUN. */
static gboolean cdf_figure(const struct single *s, const char *id, const char *title,
			   const char *caption, const char *what, const char *noun,
			   const GPtrArray *lines, double magnitude, GError **error)
{
	struct report_scale scale = report_scale_pick(REPORT_KIND_TIME, magnitude);
	g_autofree char *xlabel = report_scale_label(what, scale);
	g_autofree char *ylabel = g_strdup_printf("fraction of %s ≤ x", noun);

	if (lines_empty(lines)) {
		report_page_text(s->page, "%s: nothing was recorded.", title);
		return TRUE;
	}
	report_page_figure(s->page, report_plot_figure(s->plot, id, title, caption));
	report_plot_printf(s->plot, "set logscale x 10\nset format x '%%g'\n"
			   "set yrange [0:1]\nset ytics 0.1\n");
	axis_set(s->plot, "x", xlabel);
	axis_set(s->plot, "y", ylabel);
	return lines_plot(s->plot, id, lines, "steps", scale.div, 1.0, error);
}

static char *line_style(unsigned color, unsigned dash)
{
	return g_strdup_printf("lw 2 lc %u dt %u", color, dash);
}

static char *total_style(void)
{
	return g_strdup("lw 3 lc rgb '#000000'");
}

static gboolean name_take(const char *name, void *data)
{
	g_ptr_array_add(data, g_strdup(name));
	return FALSE;
}

/* The run's names in TABLE under PREFIX, without it (g_ptr_array_unref). */
static GPtrArray *names_under(const struct single *s, enum store_table table, const char *prefix,
			      GError **error)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	if (!store_names_foreach(s->st, s->run->id, table, prefix, name_take, names, error)) {
		g_ptr_array_unref(names);
		return NULL;
	}
	for (guint i = 0; i < names->len; i++)
		memmove(names->pdata[i], (char *)names->pdata[i] + strlen(prefix),
			strlen(names->pdata[i]) - strlen(prefix) + 1);
	return names;
}

/* A key and what it orders, for numeric sorts of names. */
struct keyed {
	uint64_t key;
	const char *text;
};

static int keyed_compare(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static gboolean accept_by_host(const struct single *s, GError **error)
{
	g_autoptr(GPtrArray) lines = lines_new();
	g_autoptr(GPtrArray) names = names_under(s, STORE_TABLE_HISTOGRAMS,
						 "accept_latency_ns.host.", error);
	g_autoptr(GArray) hosts = g_array_new(FALSE, FALSE, sizeof(struct keyed));
	double magnitude = 0.0;

	if (!names)
		return FALSE;
	/* "<host id>.total", in host order ("10" sorts after "9"). */
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		struct keyed h = { 0, name };
		char *end;

		h.key = g_ascii_strtoull(name, &end, 10);
		if (end != name && !strcmp(end, ".total"))
			g_array_append_val(hosts, h);
	}
	g_array_sort(hosts, keyed_compare);
	if (!cdf_line_add(s, lines, "accept_latency_ns.total", g_strdup("all hosts"),
			  total_style(), &magnitude, error))
		return FALSE;
	for (guint i = 0; i < hosts->len; i++) {
		const struct keyed *h = &g_array_index(hosts, struct keyed, i);
		g_autofree char *name = g_strconcat("accept_latency_ns.host.", h->text, NULL);

		if (!cdf_line_add(s, lines, name, g_strdup_printf("host %" G_GUINT64_FORMAT,
								  (guint64)h->key),
				  line_style((unsigned)(h->key % 8 + 1), 1), &magnitude, error))
			return FALSE;
	}
	return cdf_figure(s, "accept_cdf_host", "Acceptance latency by host",
			  "Cumulative distribution of acceptance latency (request submitted to "
			  "capacity online), over all requests and for each host.",
			  "acceptance latency", "requests", lines, magnitude, error);
}

static gboolean accept_by_ways(const struct single *s, GError **error)
{
	g_autoptr(GPtrArray) lines = lines_new();
	double magnitude = 0.0;
	unsigned color = 1;

	for (unsigned ways = 1; ways <= INTERLEAVE_MAX_WAYS; ways++) {
		char name[64];

		if (!interleave_ways_valid(ways))
			continue;
		g_snprintf(name, sizeof(name), "accept_latency_ns.ways.%u.total", ways);
		if (!cdf_line_add(s, lines, name, g_strdup_printf("%u-way", ways),
				  line_style(color++, 1), &magnitude, error))
			return FALSE;
	}
	return cdf_figure(s, "accept_cdf_ways", "Acceptance latency by interleave width",
			  "Cumulative distribution of acceptance latency for requests through "
			  "1-way (no interleave) and N-way interleave sets.",
			  "acceptance latency", "requests", lines, magnitude, error);
}

static gboolean accept_by_stage(const struct single *s, GError **error)
{
	g_autoptr(GPtrArray) lines = lines_new();
	double magnitude = 0.0;

	if (!cdf_line_add(s, lines, "accept_latency_ns.total", g_strdup("total"), total_style(),
			  &magnitude, error))
		return FALSE;
	for (unsigned stage = 0; stage < METRICS_STAGE_COUNT; stage++) {
		g_autofree char *name = g_strconcat("accept_latency_ns.stage.",
						    metrics_stage_name(stage), NULL);

		if (!cdf_line_add(s, lines, name, g_strdup(metrics_stage_name(stage)),
				  line_style(stage + 1, 1), &magnitude, error))
			return FALSE;
	}
	return cdf_figure(s, "accept_cdf_stage", "Acceptance latency by stage",
			  "Cumulative distribution of the time each request spent in each "
			  "protocol stage (docs/metrics.md); a stage that always took no time "
			  "has no line.", "time in stage", "requests", lines, magnitude, error);
}

static gboolean reclaim(const struct single *s, GError **error)
{
	g_autoptr(GPtrArray) lines = lines_new();
	double magnitude = 0.0;

	if (!cdf_line_add(s, lines, "reclaim_latency_ns", g_strdup("all releases"),
			  line_style(1, 1), &magnitude, error))
		return FALSE;
	return cdf_figure(s, "reclaim_cdf", "Reclamation latency",
			  "Cumulative distribution of reclamation latency: the FM's first "
			  "release request to the capacity being free on the device, forced "
			  "releases included.", "reclamation latency", "releases", lines, magnitude,
			  error);
}

/* --- series over simulated time --- */

static gboolean point_take(uint64_t t_ns, double value, void *data)
{
	struct point p = { (double)t_ns, value };

	g_array_append_val(data, p);
	return FALSE;
}

/* A line of series NAME (no points when the run has none). */
static struct line *series_line_add(const struct single *s, GPtrArray *lines, const char *name,
				    char *title, char *style, GError **error)
{
	struct line *l = line_add(lines, title, style);

	return store_series_foreach(s->st, s->run->id, name, point_take, l->points, error) ? l :
	       NULL;
}

/* Draws LINES over simulated time WITH (lines, linespoints), Y in KIND's
 * units over YRANGE (a gnuplot range, "*" for automatic ends). */
static gboolean series_figure(const struct single *s, const char *id, const char *title,
			      const char *caption, const char *what, enum report_kind kind,
			      const char *yrange, const char *with, const GPtrArray *lines,
			      GError **error)
{
	struct report_scale xscale, yscale;
	g_autofree char *xlabel = NULL, *ylabel = NULL;
	double x_max, y_max;

	if (lines_empty(lines)) {
		report_page_text(s->page, "%s: no samples.", title);
		return TRUE;
	}
	lines_extent(lines, &x_max, &y_max);
	xscale = report_scale_pick(REPORT_KIND_TIME, x_max);
	yscale = report_scale_pick(kind, y_max);
	xlabel = report_scale_label("simulated time", xscale);
	ylabel = report_scale_label(what, yscale);
	report_page_figure(s->page, report_plot_figure(s->plot, id, title, caption));
	report_plot_printf(s->plot, "set yrange %s\n", yrange);
	axis_set(s->plot, "x", xlabel);
	axis_set(s->plot, "y", ylabel);
	return lines_plot(s->plot, id, lines, with, xscale.div, yscale.div, error);
}

static gboolean utilization(const struct single *s, GError **error)
{
	g_autoptr(GPtrArray) lines = lines_new();

	for (guint i = 0; i < s->devices->len; i++) {
		const char *dev = g_ptr_array_index(s->devices, i);
		g_autofree char *extents = g_strconcat("extent_util.", dev, NULL);
		g_autofree char *tags = g_strconcat("tag_util.", dev, NULL);

		if (!series_line_add(s, lines, extents, g_strdup_printf("%s extents", dev),
				     line_style(i + 1, 1), error) ||
		    !series_line_add(s, lines, tags, g_strdup_printf("%s tags", dev),
				     line_style(i + 1, 2), error))
			return FALSE;
	}
	return series_figure(s, "utilization", "Extent and tag utilization",
			     "Extents counting against each device's extent limit (solid) and "
			     "tags in use (dashed), as a share of the device's limit, at each "
			     "sample.", "share of the device limit", REPORT_KIND_PERCENT, "[0:*]",
			     "lines", lines, error);
}

/* One line per device of its series "fragmentation.<dev>.<what>". */
static gboolean device_figure(const struct single *s, const char *id, const char *what,
			      const char *title, const char *caption, const char *ylabel,
			      enum report_kind kind, const char *yrange, GError **error)
{
	g_autoptr(GPtrArray) lines = lines_new();

	for (guint i = 0; i < s->devices->len; i++) {
		const char *dev = g_ptr_array_index(s->devices, i);
		g_autofree char *name = g_strdup_printf("fragmentation.%s.%s", dev, what);

		if (!series_line_add(s, lines, name, g_strdup(dev), line_style(i + 1, 1), error))
			return FALSE;
	}
	return series_figure(s, id, title, caption, ylabel, kind, yrange, "lines", lines, error);
}

/* For each request size, one line per device of its series
 * "fragmentation.<dev>.<index>.<size>", drawn WITH lines or, where gaps
 * leave samples alone, linespoints.  The extfrag index's "a request fits"
 * (-1) is a gap. */
static gboolean index_figures(const struct single *s, const char *index, const char *title,
			      const char *caption, const char *with, GError **error)
{
	gboolean fits_gap = !strcmp(index, "extfrag_index");

	for (guint j = 0; j < s->sizes->len; j++) {
		const char *size = g_ptr_array_index(s->sizes, j);
		g_autoptr(GPtrArray) lines = lines_new();
		g_autofree char *id = g_strdup_printf("%s_%s", index, size);
		g_autofree char *sized = g_strdup_printf("%s, %s requests", title, size);

		for (guint i = 0; i < s->devices->len; i++) {
			const char *dev = g_ptr_array_index(s->devices, i);
			g_autofree char *name = g_strdup_printf("fragmentation.%s.%s.%s", dev,
								index, size);
			struct line *l = series_line_add(s, lines, name, g_strdup(dev),
							 g_strdup_printf("lw 2 lc %u pt 7 ps 0.4",
									 i + 1), error);

			if (!l)
				return FALSE;
			for (guint k = 0; fits_gap && k < l->points->len; k++) {
				struct point *p = &g_array_index(l->points, struct point, k);

				if (p->y == METRICS_EXTFRAG_FITS)
					p->y = NAN;
			}
		}
		if (fits_gap && lines_empty(lines) && !lines_unsampled(lines)) {
			report_page_text(s->page, "%s: -1 at every sample: a free extent always "
					 "held the request.", sized);
			continue;
		}
		if (!series_figure(s, id, sized, caption, "index", REPORT_KIND_RATIO, "[0:*]",
				   with, lines, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean stranded(const struct single *s, GError **error)
{
	g_autoptr(GPtrArray) lines = lines_new();
	g_autofree char *total = report_value_format(REPORT_KIND_BYTE_S,
						     report_run_scalar(s->run,
								       "stranded_byte_s.total"));
	g_autofree char *caption = g_strdup_printf(
		"Capacity assigned or pending on a device but usable by no host, by cause, at "
		"each sample; %s stranded over the run.  Causes that never stranded anything "
		"have no line.", total);

	for (unsigned c = 0; c < METRICS_STRANDED_COUNT; c++) {
		const char *cause = metrics_stranded_cause_name(c);
		g_autofree char *name = g_strconcat("stranded_bytes.", cause, NULL);
		struct line *l = series_line_add(s, lines, name, g_strdup(cause),
						 line_style(c + 1, 1), error);
		gboolean any = FALSE;

		if (!l)
			return FALSE;
		for (guint k = 0; k < l->points->len; k++)
			any |= g_array_index(l->points, struct point, k).y != 0.0;
		if (!any)
			g_array_set_size(l->points, 0);
	}
	if (lines_empty(lines)) {
		report_page_text(s->page, "Stranded capacity: none at any sample (%s over the run).",
				 total);
		return TRUE;
	}
	return series_figure(s, "stranded", "Stranded capacity", caption, "stranded",
			     REPORT_KIND_BYTES, "[0:*]", "lines", lines, error);
}

/* --- blocking --- */

static gboolean blocking(const struct single *s, GError **error)
{
	g_autoptr(GString) data = g_string_new(NULL);
	double submitted = report_run_scalar(s->run, "requests.submitted");
	double blocked = report_run_scalar(s->run, "requests.blocked");
	double rejected = report_run_scalar(s->run, "requests.rejected");
	g_autofree char *share = report_value_format(REPORT_KIND_PERCENT,
						     submitted > 0 ? blocked / submitted : NAN);
	g_autofree char *caption = g_strdup_printf(
		"Requests the fabric manager or a device refused before any offer reached a "
		"host, by cause: %.0f of %.0f submitted (%s); %.0f more were offered but "
		"rejected by hosts or timed out.", blocked, submitted, share, rejected);
	double most = 0.0;

	for (unsigned c = 0; c < METRICS_BLOCK_COUNT; c++) {
		g_autofree char *name = g_strconcat("blocked.", metrics_block_cause_name(c), NULL);
		double n = report_run_scalar(s->run, name);

		if (isnan(n))
			n = 0.0;
		most = fmax(most, n);
		g_string_append_printf(data, "%s %.0f\n", metrics_block_cause_name(c), n);
	}
	if (!report_plot_data(s->plot, "blocking", data, error))
		return FALSE;
	report_page_figure(s->page, report_plot_figure(s->plot, "blocking",
						       "Requests blocked by cause", caption));
	/* Room above the highest bar for its count; whole numbers on the axis. */
	report_plot_printf(s->plot,
			   "unset key\nset grid noxtics\nset xrange [-0.6:%u.6]\n"
			   "set yrange [0:%.0f]\n%sset ylabel 'requests blocked'\n"
			   "set xlabel 'cause'\nset style fill solid 0.75 border -1\n"
			   "plot 'data/blocking.dat' using 0:2:(0.6):xtic(1) with boxes "
			   "lc rgb '#0072b2', \\\n"
			   "     '' using 0:2:2 with labels offset 0,0.8\n",
			   METRICS_BLOCK_COUNT - 1, ceil(fmax(most, 1.0) * 1.15),
			   most < 10 ? "set ytics 1\n" : "");
	return TRUE;
}

/* --- names --- */

/* "extent_util.<dev>.mean" names each device, in registration order. */
static GPtrArray *devices_find(const struct report_run *run)
{
	GPtrArray *devices = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < run->scalars->len; i++) {
		const struct report_scalar *sc = g_ptr_array_index(run->scalars, i);
		const char *dev;

		if (!g_str_has_prefix(sc->name, "extent_util."))
			continue;
		dev = sc->name + strlen("extent_util.");
		if (g_str_has_suffix(dev, ".mean"))
			g_ptr_array_add(devices, g_strndup(dev, strlen(dev) - strlen(".mean")));
	}
	return devices;
}

/* The request sizes of the fragmentation indexes, the same for every
 * device, as named ("2MiB"), in increasing order: those of the first
 * device's series. */
static GPtrArray *sizes_find(const struct single *s, GError **error)
{
	const char *dev = s->devices->len ? g_ptr_array_index(s->devices, 0) : NULL;
	g_autofree char *prefix = g_strdup_printf("fragmentation.%s.unusable_index.",
						  dev ? dev : "");
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(struct keyed));
	GPtrArray *sizes;

	if (!dev)
		return g_ptr_array_new_with_free_func(g_free);
	names = names_under(s, STORE_TABLE_SERIES, prefix, error);
	if (!names)
		return NULL;
	for (guint i = 0; i < names->len; i++) {
		struct keyed size = { 0, names->pdata[i] };

		if (units_size_parse(size.text, &size.key, NULL))
			g_array_append_val(found, size);
	}
	g_array_sort(found, keyed_compare);
	sizes = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < found->len; i++)
		g_ptr_array_add(sizes, g_strdup(g_array_index(found, struct keyed, i).text));
	return sizes;
}

gboolean report_single(struct store *st, const struct report_run *run, struct report_plot *plot,
		       struct report_page *page, GError **error)
{
	struct single s = { st, run, plot, page, sim_hist_new(), devices_find(run), NULL };
	gboolean ok;

	s.sizes = sizes_find(&s, error);
	ok = s.sizes &&
	     accept_by_host(&s, error) && accept_by_ways(&s, error) &&
	     accept_by_stage(&s, error) && reclaim(&s, error) && utilization(&s, error) &&
	     device_figure(&s, "free_bytes", "free_bytes", "Free capacity",
			   "Free dynamic capacity of each device (all its DC regions) at each "
			   "sample.", "free capacity", REPORT_KIND_BYTES, "[0:*]", error) &&
	     device_figure(&s, "free_extents", "free_extents", "Free extents",
			   "Number of free extents (maximal runs of free blocks) of each device "
			   "at each sample: the more, the more scattered its free space.",
			   "free extents", REPORT_KIND_COUNT, "[0:*]", error) &&
	     device_figure(&s, "largest_free_ratio", "largest_free_ratio",
			   "Largest free extent", "Largest free extent of each device as a share "
			   "of its free capacity (1 when no space is free).",
			   "largest free extent / free capacity", REPORT_KIND_RATIO, "[0:1.05]",
			   error) &&
	     index_figures(&s, "unusable_index", "Unusable free space index",
			   "Share of each device's free space that cannot serve a request of the "
			   "given size, at each sample (0: all of it can).", "lines", error) &&
	     index_figures(&s, "extfrag_index", "Extfrag index",
			   "Linux's fragmentation index of each device for requests of the given "
			   "size: near 0 a request fails for lack of free space, near 1 because "
			   "free space is scattered; gaps are samples where a free extent held "
			   "the request.",
			   "linespoints", error) &&
	     stranded(&s, error) && blocking(&s, error);
	sim_hist_free(s.hist);
	g_ptr_array_unref(s.devices);
	if (s.sizes)
		g_ptr_array_unref(s.sizes);
	return ok;
}
