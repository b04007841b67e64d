/* classify-bench.c - the cost classification adds to a delivery: features
 * and the whole decision (rules, statistics, urgency) for one 2 KB mail
 * against a model of about 20,000 tokens, median of 3,000 runs.
 *
 *   bench/classify-bench.sh [TOPICS.conf [MAIL.txt]]
 */
#include "dm-autoconf.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "classify.h"
#include "topics.h"

static int cmp(const void *a, const void *b) { double x = *(const double *) a, y = *(const double *) b; return (x > y) - (x < y); }

int
main(int argc, char **argv)
{
	GError *e = NULL;
	struct dm_topics *T = dm_topics_load(argc > 1 ? argv[1] : "etc/topics.conf", &e);
	guint nt = dm_topics_count(T);
	struct dm_nb_model *m = dm_nb_model_new(nt, dm_topics_names(T), dm_topics_alpha(T));
	GRand *r = g_rand_new_with_seed(7);
	/* Synthetic documents of random pseudo-words until the vocabulary reaches 20,000. */
	const char *syll[] = { "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "ko", "li", "ma", "nu", "re", "so" };
	guint docs = 0;
	while (dm_nb_model_size(m) < 20000) {
		GString *s = g_string_new(NULL);
		for (int w = 0; w < 120; w++) {
			int len = g_rand_int_range(r, 2, 5);
			for (int k = 0; k < len; k++) g_string_append(s, syll[g_rand_int_range(r, 0, 16)]);
			g_string_append_c(s, ' ');
		}
		struct dm_features *f = dm_features_extract("subject", s->str, "en", 2.0);
		dm_nb_model_add_document(m, (guint) g_rand_int_range(r, 0, (gint32) nt), f);
		dm_features_free(f);
		g_string_free(s, TRUE);
		docs++;
	}
	/* A 2 KB mail in Slovenian. */
	const char *para = "Pozdravljeni, tiskalnik v čitalnici od včeraj tiska samo prazne liste. Toner je nov, "
			   "zamenjali smo ga v ponedeljek. Lahko kdo pride pogledat? Uporabniki zaenkrat tiskajo "
			   "pri informacijskem pultu, vrsta pa se daljša. Poskusili smo že ponovni zagon. ";
	GString *mail = g_string_new(NULL);
	char *real = NULL;
	if (argc > 2 && g_file_get_contents(argv[2], &real, NULL, NULL)) {
		g_string_assign(mail, real);
	} else {
		while (mail->len < 2048) g_string_append(mail, para);
		g_string_truncate(mail, 2048);
		while (!g_utf8_validate(mail->str, -1, NULL)) g_string_truncate(mail, mail->len - 1);
	}

	enum { RUNS = 3000 };
	static double t_feat[RUNS], t_cls[RUNS], t_all[RUNS];
	for (int i = 0; i < RUNS; i++) {
		gint64 a = g_get_monotonic_time();
		struct dm_features *f = dm_features_extract("Tiskalnik ne dela", mail->str, "sl", 2.0);
		gint64 b = g_get_monotonic_time();
		struct dm_classification c;
		dm_topics_decide(T, m, NULL, f, "sl", "example.si", NULL, &c);
		gint64 d = g_get_monotonic_time();
		t_feat[i] = (double) (b - a); t_cls[i] = (double) (d - b); t_all[i] = (double) (d - a);
		dm_features_free(f);
	}
	qsort(t_feat, RUNS, sizeof(double), cmp); qsort(t_cls, RUNS, sizeof(double), cmp); qsort(t_all, RUNS, sizeof(double), cmp);
	struct dm_features *f = dm_features_extract("Tiskalnik ne dela", mail->str, "sl", 2.0);
	{
		static double tc[RUNS], tr[RUNS], tu[RUNS];
		for (int i = 0; i < RUNS; i++) {
			struct dm_classification c; const char *ph;
			gint64 a = g_get_monotonic_time();
			dm_classify(m, f, 0.4, &c);
			gint64 b = g_get_monotonic_time();
			dm_topics_rule_match(T, dm_features_text(f), "sl", NULL, NULL, &ph);
			gint64 d = g_get_monotonic_time();
			dm_topics_urgency(T, dm_features_text(f), "sl", &ph);
			gint64 x = g_get_monotonic_time();
			tc[i] = (double) (b - a); tr[i] = (double) (d - b); tu[i] = (double) (x - d);
		}
		qsort(tc, RUNS, sizeof(double), cmp); qsort(tr, RUNS, sizeof(double), cmp); qsort(tu, RUNS, sizeof(double), cmp);
		printf("median: classify %.0f us, rule phrases %.0f us, urgency phrases %.0f us\n", tc[RUNS / 2], tr[RUNS / 2], tu[RUNS / 2]);
	}
	printf("model: %u tokens (%u synthetic docs); mail %zu bytes, %u tokens\n", dm_nb_model_size(m), docs, mail->len, dm_features_count(f));
	printf("median of %d runs: features %.0f us, rules+classify+urgency %.0f us, total %.0f us (p90 %.0f us)\n",
	       RUNS, t_feat[RUNS / 2], t_cls[RUNS / 2], t_all[RUNS / 2], t_all[RUNS * 9 / 10]);
	return 0;
}
