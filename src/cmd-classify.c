/* cmd-classify.c - `deskmail classify`, `deskmail train FILE.jsonl` and
 * `deskmail eval FILE.jsonl` (or --train A --test B): the topic and
 * urgency classifier from a shell, and the starter model `deskmail db
 * init` trains.  eval never touches the stored model: it trains in memory
 * on the file alone (cross-validation) or on A, and tests on B. */
#include "dm-autoconf.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "classify.h"
#include "cli.h"
#include "deliver.h"
#include "langid.h"
#include "model.h"
#include "topics.h"

struct example {
	char *subject, *body, *topic, *priority, *language, *from;
};

static void
example_free(gpointer p)
{
	struct example *e = p;
	g_free(e->subject);
	g_free(e->body);
	g_free(e->topic);
	g_free(e->priority);
	g_free(e->language);
	g_free(e->from);
	g_free(e);
}

static char *
member(JsonObject *o, const char *name)
{
	if (!json_object_has_member(o, name) || JSON_NODE_TYPE(json_object_get_member(o, name)) != JSON_NODE_VALUE)
		return NULL;
	return g_strdup(json_object_get_string_member(o, name));
}

/* Read labelled examples (the format of labelled-dev.jsonl): one JSON
 * object per line with subject, body, topic, and optionally priority,
 * language and from.  Topics must be known.  NULL and a one-line error
 * naming the line otherwise. */
static GPtrArray *
read_examples(const char *path, const struct dm_topics *topics, const struct dm_langid *langid)
{
	g_autofree char *data = NULL;
	g_autoptr(GError) error = NULL;
	if (!g_file_get_contents(path, &data, NULL, &error)) {
		fprintf(stderr, "deskmail: %s\n", error->message);
		return NULL;
	}
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(example_free);
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	g_autoptr(JsonParser) parser = json_parser_new();
	for (int n = 0; lines[n]; n++) {
		if (*g_strstrip(lines[n]) == '\0')
			continue;
		if (!json_parser_load_from_data(parser, lines[n], -1, &error) ||
		    JSON_NODE_TYPE(json_parser_get_root(parser)) != JSON_NODE_OBJECT) {
			fprintf(stderr, "deskmail: %s:%d: not a JSON object%s%s\n", path, n + 1, error ? ": " : "",
				error ? error->message : "");
			return NULL;
		}
		JsonObject *o = json_node_get_object(json_parser_get_root(parser));
		struct example *e = g_new0(struct example, 1);
		e->subject = member(o, "subject");
		e->body = member(o, "body");
		e->topic = member(o, "topic");
		e->priority = member(o, "priority");
		e->language = member(o, "language");
		e->from = member(o, "from");
		g_ptr_array_add(out, e);
		if (e->topic == NULL || dm_topics_index(topics, e->topic) < 0) {
			fprintf(stderr, "deskmail: %s:%d: topic '%s' is not in the topics file\n", path, n + 1,
				e->topic ? e->topic : "(none)");
			return NULL;
		}
		if (e->subject == NULL)
			e->subject = g_strdup("");
		if (e->body == NULL)
			e->body = g_strdup("");
		if (e->language == NULL) {
			g_autofree char *all = g_strconcat(e->subject, "\n", e->body, NULL);
			const char *l = langid ? dm_langid_detect(langid, all, NULL) : NULL;
			e->language = g_strdup(l ? l : "en");
		}
	}
	return g_steal_pointer(&out);
}

static struct dm_topics *
load_topics(const struct dm_config *cfg)
{
	g_autoptr(GError) error = NULL;
	struct dm_topics *t = dm_topics_load(cfg->topics_file, &error);
	if (t == NULL)
		fprintf(stderr, "deskmail: %s: [desk] topics: %s\n", cfg->path, error->message);
	return t;
}

static struct dm_nb_model *train_fold(GPtrArray *examples, const struct dm_topics *topics, const int *fold,
				      int k);

int
dm_cmd_train(struct dm_cli *cli, int argc, char **argv)
{
	gboolean replace = FALSE;
	GOptionEntry entries[] = {
		{ "replace", 0, 0, G_OPTION_ARG_NONE, &replace, "Empty the stored model first", NULL },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("FILE.jsonl [--replace]",
			  "Add labelled examples (JSON Lines: subject, body, topic, [priority, language]) to\n"
			  "the topic model in PostgreSQL.", entries, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "deskmail: train needs one FILE.jsonl\n");
		return EX_USAGE;
	}
	int rc = dm_cli_setup_config(cli);
	if (rc != EX_OK)
		return rc;
	const struct dm_config *cfg = cli->cfg;
	g_autoptr(DmTopics) topics = load_topics(cfg);
	if (topics == NULL)
		return EX_CONFIG;
	g_autoptr(DmLangid) langid = dm_langid_new((const char *const *) cfg->languages, NULL, NULL);
	g_autoptr(GPtrArray) examples = read_examples(argv[1], topics, langid);
	if (examples == NULL)
		return EX_DATAERR;
	g_autoptr(DmNbModel) m = train_fold(examples, topics, NULL, -1);
	/* Connected only now: a bad file or mail is found without a database. */
	if ((rc = dm_cli_setup(cli)) != EX_OK)
		return rc;
	struct dm_db *db = cli->db;
	enum dm_status st;
	double docs = 0, vocabulary = 0;
	if ((st = dm_db_begin(db)) != DM_OK || (st = dm_model_save(db, "topic", m, replace)) != DM_OK ||
	    (st = dm_model_size(db, "topic", &docs, &vocabulary)) != DM_OK || (st = dm_db_commit(db)) != DM_OK) {
		dm_db_rollback(db);
		fprintf(stderr, "deskmail: train: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	printf("%u examples added; the topic model now holds %.0f documents and %.0f tokens\n", examples->len,
	       docs, vocabulary);
	return EX_OK;
}

static gint
compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Read the labelled mail at PATH: one file, or every *.jsonl file of a
 * directory in name order.  NULL after a one-line error otherwise. */
static GPtrArray *
read_example_path(const char *path, const struct dm_topics *topics, const struct dm_langid *langid)
{
	if (!g_file_test(path, G_FILE_TEST_IS_DIR))
		return read_examples(path, topics, langid);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
	if (dir == NULL) {
		fprintf(stderr, "deskmail: %s\n", error->message);
		return NULL;
	}
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	for (const char *name; (name = g_dir_read_name(dir)) != NULL;)
		if (g_str_has_suffix(name, ".jsonl"))
			g_ptr_array_add(names, g_build_filename(path, name, NULL));
	if (names->len == 0) {
		fprintf(stderr, "deskmail: %s: no .jsonl file\n", path);
		return NULL;
	}
	/* Name order, so that the model does not depend on the directory's. */
	g_ptr_array_sort(names, compare_paths);
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(example_free);
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(GPtrArray) part = read_examples(names->pdata[i], topics, langid);
		if (part == NULL)
			return NULL;
		g_ptr_array_extend_and_steal(out, g_steal_pointer(&part));
	}
	return g_steal_pointer(&out);
}

int
dm_cli_train_starter(struct dm_cli *cli)
{
	const struct dm_config *cfg = cli->cfg;
	struct dm_db *db = cli->db;
	if (cfg->starter_model == NULL || *cfg->starter_model == '\0')
		return EX_OK;
	double docs = 0, vocabulary = 0;
	enum dm_status st = dm_model_size(db, "topic", &docs, &vocabulary);
	if (st != DM_OK) {
		fprintf(stderr, "deskmail: starter model: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	/* A model someone trained is theirs: the starter only fills an empty one. */
	if (docs > 0)
		return EX_OK;
	g_autoptr(DmTopics) topics = load_topics(cfg);
	if (topics == NULL) {
		fprintf(stderr, "deskmail: no starter model: the topic model stays empty\n");
		return EX_OK;
	}
	g_autoptr(DmLangid) langid = dm_langid_new((const char *const *) cfg->languages, NULL, NULL);
	g_autoptr(GPtrArray) examples = read_example_path(cfg->starter_model, topics, langid);
	if (examples == NULL) {
		fprintf(stderr, "deskmail: no starter model ([desk] starter_model): the topic model stays empty\n");
		return EX_OK;
	}
	g_autoptr(DmNbModel) m = train_fold(examples, topics, NULL, -1);
	if ((st = dm_db_begin(db)) != DM_OK || (st = dm_model_save(db, "topic", m, FALSE)) != DM_OK ||
	    (st = dm_model_size(db, "topic", &docs, &vocabulary)) != DM_OK || (st = dm_db_commit(db)) != DM_OK) {
		dm_db_rollback(db);
		fprintf(stderr, "deskmail: starter model: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	printf("starter model: %u examples from %s; the topic model holds %.0f documents\n", examples->len,
	       cfg->starter_model, docs);
	return EX_OK;
}

/* Stratified folds: the examples of each topic dealt round-robin after a
 * seeded shuffle, so every fold has every topic. */
static int *
assign_folds(GPtrArray *examples, const struct dm_topics *topics, int folds, guint32 seed)
{
	int *fold = g_new0(int, examples->len);
	g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
	for (guint t = 0; t < dm_topics_count(topics); t++) {
		g_autoptr(GArray) idx = g_array_new(FALSE, FALSE, sizeof(guint));
		for (guint i = 0; i < examples->len; i++)
			if (dm_topics_index(topics, ((struct example *) examples->pdata[i])->topic) == (int) t)
				g_array_append_val(idx, i);
		for (guint i = idx->len; i > 1; i--) {
			guint j = (guint) g_rand_int_range(rand, 0, (gint32) i);
			guint tmp = g_array_index(idx, guint, i - 1);
			g_array_index(idx, guint, i - 1) = g_array_index(idx, guint, j);
			g_array_index(idx, guint, j) = tmp;
		}
		for (guint i = 0; i < idx->len; i++)
			fold[g_array_index(idx, guint, i)] = (int) (i % (guint) folds);
	}
	return fold;
}

/* The figures of one language. */
struct lang_counts {
	gint64 n, correct, urgent_tp, urgent_fp, urgent_fn;
};

/* What an evaluation counted.  confusion[true][predicted] with column n
 * for triage; by_language maps a language code (borrowed from the
 * examples) to its struct lang_counts. */
struct eval_counts {
	guint n;
	gint64 *confusion;
	gint64 correct, prio_correct, urgent_tp, urgent_fp, urgent_fn;
	GHashTable *by_language;
};

/* A model of every example not in fold K; of every example when FOLD is
 * NULL.  Caller frees with dm_nb_model_free. */
static struct dm_nb_model *
train_fold(GPtrArray *examples, const struct dm_topics *topics, const int *fold, int k)
{
	struct dm_nb_model *m = dm_nb_model_new(dm_topics_count(topics), dm_topics_names(topics),
						dm_topics_alpha(topics));
	for (guint i = 0; i < examples->len; i++) {
		struct example *e = examples->pdata[i];
		if (fold && fold[i] == k)
			continue;
		g_autoptr(DmFeatures) f = dm_features_extract(e->subject, e->body, e->language,
							      dm_topics_subject_weight(topics));
		dm_nb_model_add_document(m, (guint) dm_topics_index(topics, e->topic), f);
	}
	return m;
}

/* Classify example E with model M and count the outcome into C. */
static void
score_example(const struct example *e, const struct dm_topics *topics, const struct dm_nb_model *m,
	      gboolean no_rules, struct eval_counts *c)
{
	g_autoptr(DmFeatures) f = dm_features_extract(e->subject, e->body, e->language,
						      dm_topics_subject_weight(topics));
	struct dm_classification cl;
	const char *at = e->from ? strrchr(e->from, '@') : NULL;
	if (no_rules) {
		dm_classify(m, f, dm_topics_threshold(topics), &cl);
		cl.urgency = dm_topics_urgency(topics, dm_features_text(f), e->language, NULL);
	} else {
		dm_topics_decide(topics, m, NULL, f, e->language, at ? at + 1 : NULL, NULL, &cl);
	}
	int truth = dm_topics_index(topics, e->topic);
	int predicted = cl.topic >= 0 ? cl.topic : (int) c->n;
	c->confusion[truth * (c->n + 1) + predicted]++;
	c->correct += predicted == truth;
	const char *prio = cl.urgency ? cl.urgency : "normal";
	/* The labels know normal and urgent; "high" counts as not urgent. */
	gboolean said_urgent = strcmp(prio, "urgent") == 0;
	gboolean is_urgent = e->priority && strcmp(e->priority, "urgent") == 0;
	c->prio_correct += said_urgent == is_urgent;
	c->urgent_tp += said_urgent && is_urgent;
	c->urgent_fp += said_urgent && !is_urgent;
	c->urgent_fn += !said_urgent && is_urgent;
	struct lang_counts *l = g_hash_table_lookup(c->by_language, e->language);
	if (l == NULL) {
		l = g_new0(struct lang_counts, 1);
		g_hash_table_insert(c->by_language, e->language, l);
	}
	l->n++;
	l->correct += predicted == truth;
	l->urgent_tp += said_urgent && is_urgent;
	l->urgent_fp += said_urgent && !is_urgent;
	l->urgent_fn += !said_urgent && is_urgent;
}

static double
ratio(gint64 a, gint64 b)
{
	return b ? (double) a / (double) b : 0.0;
}

/* Print what C counted under the line HEADING. */
static void
print_eval(const struct eval_counts *c, const struct dm_topics *topics, const char *heading, guint total)
{
	guint n = c->n;
	printf("%s\n\n", heading);
	printf("topic accuracy      %.3f  (%" G_GINT64_FORMAT " of %u)\n", ratio(c->correct, total), c->correct, total);
	printf("priority accuracy   %.3f\n", ratio(c->prio_correct, total));
	printf("urgent precision    %.3f\n", ratio(c->urgent_tp, c->urgent_tp + c->urgent_fp));
	printf("urgent recall       %.3f\n\n", ratio(c->urgent_tp, c->urgent_tp + c->urgent_fn));
	/* Per language: one language doing badly hides in the totals. */
	printf("%-8s %9s %9s %9s %7s %7s\n", "language", "accuracy", "urg-prec", "urg-rec", "urgent", "count");
	g_autoptr(GList) langs = g_list_sort(g_hash_table_get_keys(c->by_language), (GCompareFunc) strcmp);
	for (GList *i = langs; i; i = i->next) {
		const struct lang_counts *l = g_hash_table_lookup(c->by_language, i->data);
		printf("%-8s %9.3f %9.3f %9.3f %7" G_GINT64_FORMAT " %7" G_GINT64_FORMAT "\n", (const char *) i->data,
		       ratio(l->correct, l->n), ratio(l->urgent_tp, l->urgent_tp + l->urgent_fp),
		       ratio(l->urgent_tp, l->urgent_tp + l->urgent_fn), l->urgent_tp + l->urgent_fn, l->n);
	}
	printf("\n");
	printf("%-24s %9s %9s %7s\n", "topic", "precision", "recall", "count");
	for (guint t = 0; t < n; t++) {
		gint64 tp = c->confusion[t * (n + 1) + t], col = 0, row = 0;
		for (guint u = 0; u < n; u++)
			col += c->confusion[u * (n + 1) + t];
		for (guint u = 0; u <= n; u++)
			row += c->confusion[t * (n + 1) + u];
		printf("%-24s %9.3f %9.3f %7" G_GINT64_FORMAT "\n", dm_topics_name(topics, t),
		       col ? (double) tp / col : 0.0, row ? (double) tp / row : 0.0, row);
	}
	printf("\nconfusion (rows: true topic, columns: predicted; T = triage)\n%-24s", "");
	for (guint u = 0; u < n; u++)
		printf(" %3u", u + 1);
	printf("   T\n");
	for (guint t = 0; t < n; t++) {
		printf("%2u %-21s", t + 1, dm_topics_name(topics, t));
		for (guint u = 0; u <= n; u++)
			printf(" %3" G_GINT64_FORMAT, c->confusion[t * (n + 1) + u]);
		printf("\n");
	}
}

int
dm_cmd_eval(struct dm_cli *cli, int argc, char **argv)
{
	gint folds = 5;
	gint seed = 20250301;
	gboolean no_rules = FALSE;
	g_autofree char *train = NULL, *test = NULL;
	GOptionEntry entries[] = {
		{ "folds", 'k', 0, G_OPTION_ARG_INT, &folds, "Cross-validation folds (5)", "K" },
		{ "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the fold assignment", "N" },
		{ "no-rules", 0, 0, G_OPTION_ARG_NONE, &no_rules, "Statistics only (no rule phrases)", NULL },
		{ "train", 0, 0, G_OPTION_ARG_FILENAME, &train, "Train on this file (with --test)", "A.jsonl" },
		{ "test", 0, 0, G_OPTION_ARG_FILENAME, &test, "Test on this file (with --train)", "B.jsonl" },
		G_OPTION_ENTRY_NULL
	};
	gboolean help;
	if (!dm_cli_parse("FILE.jsonl | --train A.jsonl --test B.jsonl [--folds K] [--seed N] [--no-rules]",
			  "K-fold cross-validation on FILE alone, or a model trained on A tested on B (the\n"
			  "stored model is not touched): accuracy, per-topic precision and recall, the\n"
			  "confusion matrix, priority accuracy, and per language accuracy and urgent\n"
			  "precision and recall.",
			  entries, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	gboolean split = train != NULL || test != NULL;
	if (split && (train == NULL || test == NULL || argc != 1)) {
		fprintf(stderr, "deskmail: eval --train A.jsonl needs --test B.jsonl and no other file\n");
		return EX_USAGE;
	}
	if (!split && (argc != 2 || folds < 2 || folds > 50)) {
		fprintf(stderr, "deskmail: eval needs one FILE.jsonl and 2..50 folds\n");
		return EX_USAGE;
	}
	int rc = dm_cli_setup(cli);
	if (rc != EX_OK)
		return rc;
	const struct dm_config *cfg = cli->cfg;
	g_autoptr(DmTopics) topics = load_topics(cfg);
	if (topics == NULL)
		return EX_CONFIG;
	g_autoptr(DmLangid) langid = dm_langid_new((const char *const *) cfg->languages, NULL, NULL);
	g_autoptr(GPtrArray) examples = read_examples(split ? test : argv[1], topics, langid);
	if (examples == NULL)
		return EX_DATAERR;
	guint n = dm_topics_count(topics);
	g_autofree gint64 *confusion = g_new0(gint64, n * (n + 1));
	g_autoptr(GHashTable) by_language = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	struct eval_counts c = { .n = n, .confusion = confusion, .by_language = by_language };
	g_autofree char *heading = NULL;
	if (split) {
		g_autoptr(GPtrArray) training = read_examples(train, topics, langid);
		if (training == NULL)
			return EX_DATAERR;
		g_autoptr(DmNbModel) m = train_fold(training, topics, NULL, -1);
		for (guint i = 0; i < examples->len; i++)
			score_example(examples->pdata[i], topics, m, no_rules, &c);
		heading = g_strdup_printf("trained on %u examples (%s), tested on %u (%s)%s", training->len, train,
					  examples->len, test, no_rules ? ", statistics only" : "");
	} else {
		g_autofree int *fold = assign_folds(examples, topics, folds, (guint32) seed);
		for (int k = 0; k < folds; k++) {
			g_autoptr(DmNbModel) m = train_fold(examples, topics, fold, k);
			for (guint i = 0; i < examples->len; i++)
				if (fold[i] == k)
					score_example(examples->pdata[i], topics, m, no_rules, &c);
		}
		heading = g_strdup_printf("%d-fold cross-validation on %u examples (seed %d)%s", folds, examples->len,
					  seed, no_rules ? ", statistics only" : "");
	}
	print_eval(&c, topics, heading, examples->len);
	return EX_OK;
}

int
dm_cmd_classify(struct dm_cli *cli, int argc, char **argv)
{
	gboolean help;
	if (!dm_cli_parse("< MAIL", "Classify one mail with the stored model: topic, confidence, the tokens that\n"
				    "decided it, language and priority.  Nothing is stored.",
			  NULL, &argc, &argv, &help))
		return help ? EX_OK : EX_USAGE;
	int rc = dm_cli_setup_config(cli);
	if (rc != EX_OK)
		return rc;
	const struct dm_config *cfg = cli->cfg;
	g_autoptr(DmTopics) topics = load_topics(cfg);
	if (topics == NULL)
		return EX_CONFIG;
	g_autoptr(GBytes) raw = NULL;
	if (dm_deliver_read_input(STDIN_FILENO, cfg->limits.max_message_bytes, &raw) != DM_OK) {
		fprintf(stderr, "deskmail: cannot read the mail (or it is over max_message_size)\n");
		return EX_DATAERR;
	}
	g_autoptr(DmMessage) msg = dm_message_parse(raw, &cfg->limits, (const char *const *) cfg->charset_fallback);
	if (msg == NULL) {
		fprintf(stderr, "deskmail: the input is not a mail message\n");
		return EX_DATAERR;
	}
	g_autoptr(DmLangid) langid = dm_langid_new((const char *const *) cfg->languages, NULL, NULL);
	const char *lang = langid ? dm_langid_detect(langid, msg->text, dm_message_header(msg, "Content-Language")) : NULL;
	/* Connected only now: a bad file or mail is found without a database. */
	if ((rc = dm_cli_setup(cli)) != EX_OK)
		return rc;
	struct dm_db *db = cli->db;
	enum dm_status st;
	struct dm_classification c;
	if ((st = dm_model_route(db, topics, msg->subject, msg->text, lang ? lang : cfg->default_language,
				 msg->from.addr, NULL, &c)) != DM_OK) {
		fprintf(stderr, "deskmail: classify: %s\n", dm_db_error(db));
		return dm_cli_exit_code(st);
	}
	printf("topic       %s\n", c.topic >= 0 ? dm_topics_name(topics, c.topic) : "triage");
	printf("confidence  %.3f%s%s\n", c.confidence,
	       c.best >= 0 && c.topic < 0 ? ", best guess " : "", c.best >= 0 && c.topic < 0 ? dm_topics_name(topics, c.best) : "");
	printf("decided by  %s%s\n", c.by_rule ? "rule: " : "statistics", c.by_rule && c.rule ? c.rule : "");
	printf("language    %s%s\n", lang ? lang : cfg->default_language, lang ? "" : " (unsure: the default)");
	printf("priority    %s%s%s\n", c.urgency ? c.urgency : "normal", c.urgency_phrase ? ", phrase: " : "",
	       c.urgency_phrase ? c.urgency_phrase : "");
	printf("tokens     ");
	for (guint i = 0; i < c.n_top; i++)
		printf(" %s(%.2f)", c.top[i].token, c.top[i].contribution);
	printf("\n");
	return EX_OK;
}
