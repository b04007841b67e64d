/* report.c - `deskmail report`: what the desk did in a period.
 *
 * Counting is done by PostgreSQL in the desk's time zone; response times
 * are business hours, computed here with the desk's calendar (hours.c),
 * because a mail that arrives on Friday evening and is answered on
 * Monday morning was answered quickly. */
#include "dm-autoconf.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "report.h"
#include "store-report.h"

struct count {
	char *key;
	gint64 n;
};

struct dm_report {
	char *since, *until, *timezone;
	int target_hours;
	GPtrArray *days;        /* char* YYYY-MM-DD */
	GArray *opened;         /* gint64 per day */
	GArray *resolved;       /* gint64 per day */
	gint64 week[7][24];     /* arrivals, Monday first, local hours */
	gint64 month_day[31];   /* arrivals by day of month */
	GPtrArray *topics, *teams, *languages; /* struct count* */
	GPtrArray *suppressed;  /* struct count*: reason -> acknowledgements suppressed */
	gint64 tickets, acks_sent, bounces, reopened, resolved_total, answered, answered_in_target;
	GArray *first_response; /* double hours (business) */
	GArray *resolution;     /* double hours (business) */
};

static void
count_free(gpointer p)
{
	struct count *c = p;
	g_free(c->key);
	g_free(c);
}

void
dm_report_free(struct dm_report *r)
{
	if (r == NULL)
		return;
	g_free(r->since);
	g_free(r->until);
	g_free(r->timezone);
	g_ptr_array_unref(r->days);
	g_array_unref(r->opened);
	g_array_unref(r->resolved);
	g_ptr_array_unref(r->topics);
	g_ptr_array_unref(r->teams);
	g_ptr_array_unref(r->languages);
	g_ptr_array_unref(r->suppressed);
	g_array_unref(r->first_response);
	g_array_unref(r->resolution);
	g_free(r);
}

static gint
cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return (x > y) - (x < y);
}

/* The Q-quantile (0..1) of sorted V by the nearest-rank method; NAN when
 * empty. */
static double
quantile(GArray *v, double q)
{
	if (v->len == 0)
		return NAN;
	gsize rank = (gsize) ceil(q * v->len);
	if (rank < 1)
		rank = 1;
	return g_array_index(v, double, rank - 1);
}

enum dm_status
dm_report_build(struct dm_db *db, const struct dm_config *cfg, const struct dm_hours *hours, const char *since,
		const char *until, struct dm_report **out)
{
	struct dm_report *r = g_new0(struct dm_report, 1);
	r->since = g_strdup(since);
	r->until = g_strdup(until);
	r->timezone = g_strdup(cfg->timezone);
	r->target_hours = cfg->target_hours;
	r->days = g_ptr_array_new_with_free_func(g_free);
	r->opened = g_array_new(FALSE, TRUE, sizeof(gint64));
	r->resolved = g_array_new(FALSE, TRUE, sizeof(gint64));
	r->topics = g_ptr_array_new_with_free_func(count_free);
	r->teams = g_ptr_array_new_with_free_func(count_free);
	r->languages = g_ptr_array_new_with_free_func(count_free);
	r->suppressed = g_ptr_array_new_with_free_func(count_free);
	r->first_response = g_array_new(FALSE, FALSE, sizeof(double));
	r->resolution = g_array_new(FALSE, FALSE, sizeof(double));

	g_autoptr(DmReportFacts) f = NULL;
	enum dm_status st = dm_store_report_facts(db, since, until, cfg->timezone, &f);
	if (st != DM_OK) {
		dm_report_free(r);
		return st;
	}
	for (guint i = 0; i < f->days->len; i++) {
		const struct dm_report_day *d = f->days->pdata[i];
		g_ptr_array_add(r->days, g_strdup(d->date));
		g_array_append_val(r->opened, d->opened);
		g_array_append_val(r->resolved, d->resolved);
	}
	for (guint i = 0; i < f->arrivals->len; i++) {
		const struct dm_report_arrivals *a = &g_array_index(f->arrivals, struct dm_report_arrivals, i);
		if (a->isodow >= 1 && a->isodow <= 7 && a->hour >= 0 && a->hour < 24)
			r->week[a->isodow - 1][a->hour] += a->n;
		if (a->month_day >= 1 && a->month_day <= 31)
			r->month_day[a->month_day - 1] += a->n;
	}
	for (guint i = 0; i < f->mix->len; i++) {
		const struct dm_report_mix *m = f->mix->pdata[i];
		struct count *c = g_new0(struct count, 1);
		c->key = g_strdup(m->key);
		c->n = m->n;
		GPtrArray *to = m->kind == DM_MIX_TOPIC ? r->topics
			      : m->kind == DM_MIX_TEAM ? r->teams
			      : m->kind == DM_MIX_LANGUAGE ? r->languages : r->suppressed;
		g_ptr_array_add(to, c);
	}
	r->tickets = f->tickets;
	r->acks_sent = f->acks_sent;
	r->bounces = f->bounces;
	r->reopened = f->reopened;
	r->resolved_total = f->resolved_total;
	for (guint i = 0; i < f->times->len; i++) {
		const struct dm_report_times *t = &g_array_index(f->times, struct dm_report_times, i);
		if (t->first_response > 0) {
			double h = (double) dm_hours_between(hours, t->created, t->first_response) / 3600.0;
			g_array_append_val(r->first_response, h);
			r->answered++;
			if (h <= cfg->target_hours)
				r->answered_in_target++;
		}
		if (t->resolved > 0) {
			double h = (double) dm_hours_between(hours, t->created, t->resolved) / 3600.0;
			g_array_append_val(r->resolution, h);
		}
	}
	g_array_sort(r->first_response, cmp_double);
	g_array_sort(r->resolution, cmp_double);
	*out = r;
	return DM_OK;
}

static const char *const weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* The busiest hour of the week, for the text report's headline. */
static void
peak(const struct dm_report *r, int *day, int *hour)
{
	gint64 best = -1;
	for (int d = 0; d < 7; d++)
		for (int h = 0; h < 24; h++)
			if (r->week[d][h] > best) {
				best = r->week[d][h];
				*day = d;
				*hour = h;
			}
}

static double
share(gint64 a, gint64 b)
{
	return b > 0 ? (double) a / (double) b : 0.0;
}

static void
text_counts(FILE *out, const char *title, GPtrArray *list, gint64 total)
{
	fprintf(out, "\n%s\n", title);
	if (list->len == 0)
		fprintf(out, "  (none)\n");
	for (guint i = 0; i < list->len; i++) {
		const struct count *c = list->pdata[i];
		if (total > 0)
			fprintf(out, "  %-28s %6" G_GINT64_FORMAT "  %5.1f%%\n", c->key, c->n, 100.0 * share(c->n, total));
		else
			fprintf(out, "  %-28s %6" G_GINT64_FORMAT "\n", c->key, c->n);
	}
}

static void
text_hours(FILE *out, const char *what, GArray *v)
{
	if (v->len == 0)
		fprintf(out, "  %-18s none yet\n", what);
	else
		fprintf(out, "  %-18s median %6.1f h   p90 %6.1f h   (%u tickets)\n", what, quantile(v, 0.5),
			quantile(v, 0.9), v->len);
}

void
dm_report_write_text(const struct dm_report *r, FILE *out)
{
	int pd = 0, ph = 0;
	peak(r, &pd, &ph);
	fprintf(out, "deskmail report %s .. %s (%s)\n\n", r->since, r->until, r->timezone);
	fprintf(out, "  tickets opened     %" G_GINT64_FORMAT "\n", r->tickets);
	fprintf(out, "  resolved           %" G_GINT64_FORMAT "\n", r->resolved_total);
	fprintf(out, "  reopened           %" G_GINT64_FORMAT " (%.1f%% of resolved)\n", r->reopened,
		100.0 * share(r->reopened, r->resolved_total));
	fprintf(out, "  acknowledgements   %" G_GINT64_FORMAT " sent\n", r->acks_sent);
	fprintf(out, "  bounces            %" G_GINT64_FORMAT "\n", r->bounces);
	fprintf(out, "  busiest hour       %s %02d:00-%02d:00 (%" G_GINT64_FORMAT " tickets)\n", weekdays[pd], ph,
		ph + 1, r->week[pd][ph]);
	fprintf(out, "\nResponse times (business hours; target %d h)\n", r->target_hours);
	text_hours(out, "first response", r->first_response);
	text_hours(out, "resolution", r->resolution);
	fprintf(out, "  answered in target %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " tickets (%.1f%%)\n",
		r->answered_in_target, r->tickets, 100.0 * share(r->answered_in_target, r->tickets));

	fprintf(out, "\nPer day            opened resolved\n");
	for (guint i = 0; i < r->days->len; i++) {
		gint64 o = g_array_index(r->opened, gint64, i);
		fprintf(out, "  %s  %6" G_GINT64_FORMAT " %8" G_GINT64_FORMAT "  ", (char *) r->days->pdata[i], o,
			g_array_index(r->resolved, gint64, i));
		for (gint64 k = 0; k < o && k < 60; k++)
			fputc('#', out);
		fputc('\n', out);
	}
	fprintf(out, "\nArrivals by hour of week (local time)\n      ");
	for (int h = 0; h < 24; h++)
		fprintf(out, "%3d", h);
	fputc('\n', out);
	for (int d = 0; d < 7; d++) {
		fprintf(out, "  %s", weekdays[d]);
		for (int h = 0; h < 24; h++) {
			if (r->week[d][h])
				fprintf(out, "%3" G_GINT64_FORMAT, r->week[d][h]);
			else
				fprintf(out, "  .");
		}
		fputc('\n', out);
	}
	fprintf(out, "\nArrivals by day of month\n ");
	for (int m = 0; m < 31; m++)
		fprintf(out, "%3d", m + 1);
	fprintf(out, "\n ");
	for (int m = 0; m < 31; m++)
		fprintf(out, "%3" G_GINT64_FORMAT, r->month_day[m]);
	fputc('\n', out);
	text_counts(out, "Topics", r->topics, r->tickets);
	text_counts(out, "Teams", r->teams, r->tickets);
	text_counts(out, "Languages", r->languages, r->tickets);
	text_counts(out, "Acknowledgements suppressed, by reason", r->suppressed, 0);
}

static void
json_counts(JsonBuilder *b, const char *name, GPtrArray *list)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	for (guint i = 0; i < list->len; i++) {
		const struct count *c = list->pdata[i];
		json_builder_set_member_name(b, c->key);
		json_builder_add_int_value(b, c->n);
	}
	json_builder_end_object(b);
}

static void
json_hours(JsonBuilder *b, const char *name, GArray *v)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, v->len);
	const char *names[] = { "median", "p90" };
	double qs[] = { 0.5, 0.9 };
	for (int i = 0; i < 2; i++) {
		json_builder_set_member_name(b, names[i]);
		if (v->len)
			json_builder_add_double_value(b, round(quantile(v, qs[i]) * 100.0) / 100.0);
		else
			json_builder_add_null_value(b);
	}
	json_builder_end_object(b);
}

char *
dm_report_to_json(const struct dm_report *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "since");
	json_builder_add_string_value(b, r->since);
	json_builder_set_member_name(b, "until");
	json_builder_add_string_value(b, r->until);
	json_builder_set_member_name(b, "timezone");
	json_builder_add_string_value(b, r->timezone);
	json_builder_set_member_name(b, "tickets");
	json_builder_add_int_value(b, r->tickets);
	json_builder_set_member_name(b, "resolved");
	json_builder_add_int_value(b, r->resolved_total);
	json_builder_set_member_name(b, "reopened");
	json_builder_add_int_value(b, r->reopened);
	json_builder_set_member_name(b, "reopen_rate");
	json_builder_add_double_value(b, round(share(r->reopened, r->resolved_total) * 10000.0) / 10000.0);
	json_builder_set_member_name(b, "acks_sent");
	json_builder_add_int_value(b, r->acks_sent);
	json_builder_set_member_name(b, "bounces");
	json_builder_add_int_value(b, r->bounces);
	json_builder_set_member_name(b, "per_day");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->days->len; i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "date");
		json_builder_add_string_value(b, r->days->pdata[i]);
		json_builder_set_member_name(b, "opened");
		json_builder_add_int_value(b, g_array_index(r->opened, gint64, i));
		json_builder_set_member_name(b, "resolved");
		json_builder_add_int_value(b, g_array_index(r->resolved, gint64, i));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "hour_of_week");
	json_builder_begin_array(b);
	for (int d = 0; d < 7; d++) {
		json_builder_begin_array(b);
		for (int h = 0; h < 24; h++)
			json_builder_add_int_value(b, r->week[d][h]);
		json_builder_end_array(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "day_of_month");
	json_builder_begin_array(b);
	for (int m = 0; m < 31; m++)
		json_builder_add_int_value(b, r->month_day[m]);
	json_builder_end_array(b);
	json_counts(b, "topics", r->topics);
	json_counts(b, "teams", r->teams);
	json_counts(b, "languages", r->languages);
	json_counts(b, "acks_suppressed", r->suppressed);
	json_hours(b, "first_response_hours", r->first_response);
	json_hours(b, "resolution_hours", r->resolution);
	json_builder_set_member_name(b, "target_hours");
	json_builder_add_int_value(b, r->target_hours);
	json_builder_set_member_name(b, "answered_in_target");
	json_builder_add_int_value(b, r->answered_in_target);
	json_builder_set_member_name(b, "answered_in_target_share");
	json_builder_add_double_value(b, round(share(r->answered_in_target, r->tickets) * 10000.0) / 10000.0);
	json_builder_end_object(b);
	g_autoptr(JsonGenerator) g = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	json_generator_set_pretty(g, TRUE);
	return json_generator_to_data(g, NULL);
}

/* ---- HTML with inline SVG */

static void
svg_bars(GString *h, const char *id, const char *title, GPtrArray *labels, GArray *a, GArray *b,
	 const char *a_name, const char *b_name)
{
	gint64 max = 1;
	for (guint i = 0; i < a->len; i++) {
		max = MAX(max, g_array_index(a, gint64, i));
		if (b)
			max = MAX(max, g_array_index(b, gint64, i));
	}
	int n = a->len, w = 900, ht = 220, left = 40, bottom = 40;
	double slot = n ? (double) (w - left - 10) / n : 1;
	g_string_append_printf(h, "<figure><figcaption>%s</figcaption>\n<svg id=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\" "
				  "aria-label=\"%s\">\n", title, id, w, ht + bottom, title);
	g_string_append_printf(h, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", left, ht, w - 10, ht);
	g_string_append_printf(h, "<text x=\"%d\" y=\"14\" class=\"tick\">%" G_GINT64_FORMAT "</text>\n", 4, max);
	for (int i = 0; i < n; i++) {
		gint64 va = g_array_index(a, gint64, i);
		double bw = b ? slot * 0.4 : slot * 0.75;
		double x = left + i * slot + slot * 0.1;
		double y = ht - (double) va / max * (ht - 20);
		g_autofree char *label = g_markup_escape_text(labels->pdata[i], -1);
		g_string_append_printf(h, "<rect class=\"bar a\" data-value=\"%" G_GINT64_FORMAT "\" x=\"%.1f\" y=\"%.1f\" "
					  "width=\"%.1f\" height=\"%.1f\"><title>%s: %" G_GINT64_FORMAT " %s</title></rect>\n",
				       va, x, y, bw, ht - y, label, va, a_name);
		if (b) {
			gint64 vb = g_array_index(b, gint64, i);
			double yb = ht - (double) vb / max * (ht - 20);
			g_string_append_printf(h, "<rect class=\"bar b\" data-value=\"%" G_GINT64_FORMAT "\" x=\"%.1f\" y=\"%.1f\" "
						  "width=\"%.1f\" height=\"%.1f\"><title>%s: %" G_GINT64_FORMAT " %s</title></rect>\n",
					       vb, x + bw, yb, bw, ht - yb, label, vb, b_name);
		}
		/* Dates are labelled without the year. */
		const char *shown = strlen(label) == 10 && label[4] == '-' ? label + 5 : label;
		if (n <= 31 || i % 7 == 0)
			g_string_append_printf(h, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" transform=\"rotate(60 %.1f %d)\">%s</text>\n",
					       x, ht + 12, x, ht + 12, shown);
	}
	g_string_append(h, "</svg>\n");
	if (b)
		g_string_append_printf(h, "<p class=\"legend\"><span class=\"key a\"></span>%s <span class=\"key b\"></span>%s</p>\n",
				       a_name, b_name);
	g_string_append(h, "</figure>\n");
}

static void
svg_heatmap(GString *h, const struct dm_report *r)
{
	gint64 max = 1;
	for (int d = 0; d < 7; d++)
		for (int x = 0; x < 24; x++)
			max = MAX(max, r->week[d][x]);
	int cw = 34, ch = 26, left = 44, top = 18;
	g_string_append_printf(h, "<figure><figcaption>Arrivals by hour of week (%s)</figcaption>\n"
				  "<svg id=\"heatmap\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"arrivals by hour of week\">\n",
			       r->timezone, left + 24 * cw + 4, top + 7 * ch + 4);
	for (int x = 0; x < 24; x += 2)
		g_string_append_printf(h, "<text class=\"tick\" x=\"%d\" y=\"12\">%02d</text>\n", left + x * cw + 4, x);
	for (int d = 0; d < 7; d++) {
		g_string_append_printf(h, "<text class=\"tick\" x=\"4\" y=\"%d\">%s</text>\n", top + d * ch + 17, weekdays[d]);
		for (int x = 0; x < 24; x++) {
			double level = (double) r->week[d][x] / max;
			g_string_append_printf(h, "<rect class=\"cell\" data-day=\"%d\" data-hour=\"%d\" data-value=\"%" G_GINT64_FORMAT "\" "
						  "x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgba(192,57,43,%.2f)\">"
						  "<title>%s %02d:00: %" G_GINT64_FORMAT "</title></rect>\n",
					       d, x, r->week[d][x], left + x * cw, top + d * ch, cw - 2, ch - 2,
					       0.06 + 0.94 * level, weekdays[d], x, r->week[d][x]);
		}
	}
	g_string_append(h, "</svg></figure>\n");
}

static void
svg_topics(GString *h, GPtrArray *topics)
{
	gint64 max = 1;
	for (guint i = 0; i < topics->len; i++)
		max = MAX(max, ((struct count *) topics->pdata[i])->n);
	int rowh = 24, left = 200, w = 900;
	g_string_append_printf(h, "<figure><figcaption>Topics</figcaption>\n<svg id=\"topics\" viewBox=\"0 0 %d %d\" role=\"img\" "
				  "aria-label=\"topics\">\n", w, (int) topics->len * rowh + 8);
	for (guint i = 0; i < topics->len; i++) {
		const struct count *c = topics->pdata[i];
		g_autofree char *key = g_markup_escape_text(c->key, -1);
		double bw = (double) c->n / max * (w - left - 60);
		g_string_append_printf(h, "<text class=\"tick\" x=\"4\" y=\"%d\">%s</text>\n", (int) i * rowh + 17, key);
		g_string_append_printf(h, "<rect class=\"bar a topic\" data-value=\"%" G_GINT64_FORMAT "\" x=\"%d\" y=\"%d\" "
					  "width=\"%.1f\" height=\"%d\"><title>%s: %" G_GINT64_FORMAT "</title></rect>\n",
				       c->n, left, (int) i * rowh + 4, bw, rowh - 6, key, c->n);
		g_string_append_printf(h, "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%" G_GINT64_FORMAT "</text>\n",
				       left + bw + 6, (int) i * rowh + 17, c->n);
	}
	g_string_append(h, "</svg></figure>\n");
}

static void
svg_response(GString *h, const struct dm_report *r)
{
	/* Buckets in business hours: the shape of the first-response times. */
	static const double edges[] = { 1, 2, 4, 8, 16, 24, 48, 1e300 };
	static const char *const names[] = { "<1h", "1-2h", "2-4h", "4-8h", "8-16h", "16-24h", "24-48h", ">48h" };
	g_autoptr(GPtrArray) labels = g_ptr_array_new();
	g_autoptr(GArray) counts = g_array_new(FALSE, TRUE, sizeof(gint64));
	g_array_set_size(counts, G_N_ELEMENTS(edges));
	for (guint i = 0; i < r->first_response->len; i++) {
		double v = g_array_index(r->first_response, double, i);
		gsize k = 0;
		while (v >= edges[k])
			k++;
		g_array_index(counts, gint64, k)++;
	}
	for (gsize k = 0; k < G_N_ELEMENTS(names); k++)
		g_ptr_array_add(labels, (gpointer) names[k]);
	svg_bars(h, "response", "First response, business hours", labels, counts, NULL, "tickets", NULL);
}

char *
dm_report_to_html(const struct dm_report *r)
{
	GString *h = g_string_new(NULL);
	int pd = 0, ph = 0;
	peak(r, &pd, &ph);
	g_string_append_printf(h,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>deskmail report %s – %s</title>\n<style>\n"
		"body{font-family:system-ui,sans-serif;max-width:980px;margin:1.5em auto;padding:0 1em;color:#222}\n"
		"h1{font-size:1.5em}table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .8em;text-align:right;border-bottom:1px solid #ddd}\n"
		"th:first-child,td:first-child{text-align:left}figure{margin:1.2em 0}figcaption{font-weight:600;margin-bottom:.3em}\n"
		"svg{width:100%%;height:auto}.axis{stroke:#888}.tick{font-size:11px;fill:#444}.bar.a{fill:#2e6da4}.bar.b{fill:#e08e0b}\n"
		".key{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em}.key.a{background:#2e6da4}.key.b{background:#e08e0b}\n"
		".cards{display:flex;flex-wrap:wrap;gap:.8em}.card{border:1px solid #ddd;border-radius:6px;padding:.5em .9em}\n"
		".card b{display:block;font-size:1.4em}\n"
		"@media print{body{max-width:none;margin:0}figure{break-inside:avoid}}\n"
		"</style></head><body>\n<h1>Service desk report %s – %s</h1>\n<div class=\"cards\">\n",
		r->since, r->until, r->since, r->until);
	struct { const char *label; char *value; } cards[] = {
		{ "tickets", g_strdup_printf("%" G_GINT64_FORMAT, r->tickets) },
		{ "resolved", g_strdup_printf("%" G_GINT64_FORMAT, r->resolved_total) },
		{ "first response, median", r->first_response->len ? g_strdup_printf("%.1f h", quantile(r->first_response, 0.5)) : g_strdup("–") },
		{ "first response, p90", r->first_response->len ? g_strdup_printf("%.1f h", quantile(r->first_response, 0.9)) : g_strdup("–") },
		{ "answered in target", g_strdup_printf("%.0f%%", 100.0 * share(r->answered_in_target, r->tickets)) },
		{ "reopen rate", g_strdup_printf("%.1f%%", 100.0 * share(r->reopened, r->resolved_total)) },
		{ "busiest hour", g_strdup_printf("%s %02d:00", weekdays[pd], ph) },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cards); i++) {
		g_string_append_printf(h, "<div class=\"card\"><b>%s</b>%s</div>\n", cards[i].value, cards[i].label);
		g_free(cards[i].value);
	}
	g_string_append(h, "</div>\n");
	svg_bars(h, "daily", "Tickets opened and resolved per day", r->days, r->opened, r->resolved, "opened", "resolved");
	svg_heatmap(h, r);
	g_autoptr(GPtrArray) mdays = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) mcounts = g_array_new(FALSE, TRUE, sizeof(gint64));
	for (int m = 0; m < 31; m++) {
		g_ptr_array_add(mdays, g_strdup_printf("%d", m + 1));
		g_array_append_val(mcounts, r->month_day[m]);
	}
	svg_bars(h, "monthday", "Arrivals by day of month", mdays, mcounts, NULL, "tickets", NULL);
	svg_topics(h, r->topics);
	svg_response(h, r);
	GPtrArray *tables[] = { r->teams, r->languages, r->suppressed };
	const char *titles[] = { "Teams", "Languages", "Acknowledgements suppressed, by reason" };
	for (gsize t = 0; t < G_N_ELEMENTS(tables); t++) {
		g_string_append_printf(h, "<h2>%s</h2>\n<table>\n", titles[t]);
		for (guint i = 0; i < tables[t]->len; i++) {
			const struct count *c = tables[t]->pdata[i];
			g_autofree char *key = g_markup_escape_text(*c->key ? c->key : "(none)", -1);
			g_string_append_printf(h, "<tr><td>%s</td><td>%" G_GINT64_FORMAT "</td></tr>\n", key, c->n);
		}
		if (tables[t]->len == 0)
			g_string_append(h, "<tr><td>(none)</td><td></td></tr>\n");
		g_string_append(h, "</table>\n");
	}
	g_string_append_printf(h, "<p>Bounces: %" G_GINT64_FORMAT ". Acknowledgements sent: %" G_GINT64_FORMAT
				  ". Response times in business hours of the desk's calendar (%s), target %d h.</p>\n"
				  "</body></html>\n",
			       r->bounces, r->acks_sent, r->timezone, r->target_hours);
	return g_string_free(h, FALSE);
}
