/* The report's page: one list of blocks (headings, paragraphs, tables,
 * figures) written twice, as index.html for a browser and as report.md.
 * The HTML is self-contained (its style inline, no script) so that it
 * opens with no network. */
#include "report/internal.h"

#include <stdarg.h>
#include <string.h>

enum block_kind {
	BLOCK_HEADING,
	BLOCK_TEXT,
	BLOCK_TABLE,
	BLOCK_FIGURE,
};

struct report_table {
	size_t n_cols;
	GPtrArray *cells;	/* char *, row after row, the header first */
};

struct block {
	enum block_kind kind;
	char *text;			/* heading, paragraph */
	struct report_table table;
	struct report_figure figure;
};

struct report_page {
	char *title;
	GPtrArray *blocks;	/* struct block */
};

static const char html_style[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1020px;"
	"margin:2em auto;padding:0 1em;color:#222;line-height:1.45}"
	"h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}"
	".wide{overflow-x:auto}"
	"table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
	"th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#f2f2f2}td{font-variant-numeric:tabular-nums}"
	"figure{margin:1.5em 0}img{max-width:100%;height:auto;border:1px solid #eee}"
	"figcaption{color:#555;font-size:0.9em}";

static void block_free(void *data)
{
	struct block *b = data;

	g_free(b->text);
	if (b->table.cells)
		g_ptr_array_unref(b->table.cells);
	g_free(b->figure.file);
	g_free(b->figure.title);
	g_free(b->figure.caption);
	g_free(b);
}

struct report_page *report_page_new(const char *title)
{
	struct report_page *page = g_new(struct report_page, 1);

	page->title = g_strdup(title);
	page->blocks = g_ptr_array_new_with_free_func(block_free);
	return page;
}

void report_page_free(struct report_page *page)
{
	if (!page)
		return;
	g_free(page->title);
	g_ptr_array_unref(page->blocks);
	g_free(page);
}

static struct block *block_add(struct report_page *page, enum block_kind kind)
{
	struct block *b = g_new0(struct block, 1);

	b->kind = kind;
	g_ptr_array_add(page->blocks, b);
	return b;
}

void report_page_heading(struct report_page *page, const char *text)
{
	block_add(page, BLOCK_HEADING)->text = g_strdup(text);
}

void report_page_text(struct report_page *page, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	block_add(page, BLOCK_TEXT)->text = g_strdup_vprintf(format, ap);
	va_end(ap);
}

struct report_table *report_page_table(struct report_page *page, size_t n_cols)
{
	struct block *b;

	g_return_val_if_fail(n_cols > 0, NULL);
	b = block_add(page, BLOCK_TABLE);
	b->table.n_cols = n_cols;
	b->table.cells = g_ptr_array_new_with_free_func(g_free);
	return &b->table;
}

void report_table_cell(struct report_table *table, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	g_ptr_array_add(table->cells, g_strdup_vprintf(format, ap));
	va_end(ap);
}

void report_page_figure(struct report_page *page, const struct report_figure *figure)
{
	struct block *b = block_add(page, BLOCK_FIGURE);

	b->figure.file = g_strdup(figure->file);
	b->figure.title = g_strdup(figure->title);
	b->figure.caption = g_strdup(figure->caption);
}

/* --- HTML --- */

static void html_text(GString *out, const char *text)
{
	g_autofree char *escaped = g_markup_escape_text(text, -1);

	g_string_append(out, escaped);
}

static void html_table(GString *out, const struct report_table *t)
{
	g_string_append(out, "<div class=\"wide\"><table>\n<tr>");
	for (guint i = 0; i < t->cells->len; i++) {
		gboolean header = i < t->n_cols;

		if (i > 0 && i % t->n_cols == 0)
			g_string_append(out, "</tr>\n<tr>");
		g_string_append(out, header ? "<th>" : "<td>");
		html_text(out, g_ptr_array_index(t->cells, i));
		g_string_append(out, header ? "</th>" : "</td>");
	}
	g_string_append(out, "</tr>\n</table></div>\n");
}

static char *html_render(const struct report_page *page)
{
	GString *out = g_string_new("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
				    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
				    "content=\"width=device-width, initial-scale=1\">\n<title>");

	html_text(out, page->title);
	g_string_append_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>",
			       html_style);
	html_text(out, page->title);
	g_string_append(out, "</h1>\n");
	for (guint i = 0; i < page->blocks->len; i++) {
		const struct block *b = g_ptr_array_index(page->blocks, i);

		switch (b->kind) {
		case BLOCK_HEADING:
			g_string_append(out, "<h2>");
			html_text(out, b->text);
			g_string_append(out, "</h2>\n");
			break;
		case BLOCK_TEXT:
			g_string_append(out, "<p>");
			html_text(out, b->text);
			g_string_append(out, "</p>\n");
			break;
		case BLOCK_TABLE:
			html_table(out, &b->table);
			break;
		case BLOCK_FIGURE:
			g_string_append(out, "<figure>\n<img src=\"");
			html_text(out, b->figure.file);
			g_string_append(out, "\" alt=\"");
			html_text(out, b->figure.title);
			g_string_append(out, "\">\n<figcaption>");
			html_text(out, b->figure.caption);
			g_string_append(out, "</figcaption>\n</figure>\n");
			break;
		}
	}
	g_string_append(out, "</body>\n</html>\n");
	return g_string_free(out, FALSE);
}

/* --- Markdown --- */

/* Text as itself, not markup: a backslash before what would start code,
 * emphasis, a link or an HTML tag, or end a table cell; newlines would end
 * a table row. */
static void md_text(GString *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (strchr("\\`*<>[]|", *p))
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p == '\n' ? ' ' : *p);
	}
}

static void md_table(GString *out, const struct report_table *t)
{
	for (guint i = 0; i < t->cells->len; i++) {
		g_string_append(out, "| ");
		md_text(out, g_ptr_array_index(t->cells, i));
		g_string_append(out, " ");
		if ((i + 1) % t->n_cols)
			continue;
		g_string_append(out, "|\n");
		if (i + 1 == t->n_cols) {
			for (size_t c = 0; c < t->n_cols; c++)
				g_string_append(out, "| --- ");
			g_string_append(out, "|\n");
		}
	}
	g_string_append(out, "\n");
}

static char *md_render(const struct report_page *page)
{
	GString *out = g_string_new(NULL);

	g_string_append(out, "# ");
	md_text(out, page->title);
	g_string_append(out, "\n\n");
	for (guint i = 0; i < page->blocks->len; i++) {
		const struct block *b = g_ptr_array_index(page->blocks, i);

		switch (b->kind) {
		case BLOCK_HEADING:
			g_string_append(out, "## ");
			md_text(out, b->text);
			g_string_append(out, "\n\n");
			break;
		case BLOCK_TEXT:
			md_text(out, b->text);
			g_string_append(out, "\n\n");
			break;
		case BLOCK_TABLE:
			md_table(out, &b->table);
			break;
		case BLOCK_FIGURE:
			g_string_append(out, "![");
			md_text(out, b->figure.title);
			g_string_append_printf(out, "](%s)\n\n*", b->figure.file);
			md_text(out, b->figure.caption);
			g_string_append(out, "*\n\n");
			break;
		}
	}
	return g_string_free(out, FALSE);
}

gboolean report_page_write(const struct report_page *page, const char *dir, GError **error)
{
	g_autofree char *html = html_render(page);
	g_autofree char *md = md_render(page);
	g_autofree char *html_path = g_build_filename(dir, "index.html", NULL);
	g_autofree char *md_path = g_build_filename(dir, "report.md", NULL);

	return report_file_write(html_path, html, -1, error) &&
	       report_file_write(md_path, md, -1, error);
}
