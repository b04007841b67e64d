/* table-tests.h - for unit tests that are tables of cases: one cmocka test
 * per row, named after the row, with the row as its state, so that a
 * failure names the case and the other rows still run.
 *
 *     g_autoptr(GArray) tests = dm_tests_new();
 *     DM_TESTS_ADD_ROWS(tests, cases, name, test_case);
 *     g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
 *     return dm_tests_run("group", tests, setup, teardown);
 *
 * Include after <cmocka.h> and <glib.h>. */
#ifndef DM_TABLE_TESTS_H
#define DM_TABLE_TESTS_H

static inline GArray *
dm_tests_new(void)
{
	return g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
}

/* Append a test per row of ROWS (N rows of SIZE bytes): named by the
 * string at NAME_OFFSET in the row, running FUNC, then TEARDOWN (may be
 * NULL). */
static inline void
dm_tests_add_rows(GArray *tests, const void *rows, gsize n, gsize size, gsize name_offset,
		  CMUnitTestFunction func, CMFixtureFunction teardown)
{
	for (gsize i = 0; i < n; i++) {
		const char *row = (const char *) rows + i * size;
		struct CMUnitTest test = {
			.name = *(const char *const *) (row + name_offset),
			.test_func = func,
			.teardown_func = teardown,
			.initial_state = (void *) row,
		};
		g_array_append_val(tests, test);
	}
}

/* The rows of the array TABLE, named by their FIELD. */
#define DM_TESTS_ADD_ROWS_TEARDOWN(tests, table, field, func, teardown)                          \
	dm_tests_add_rows((tests), (table), G_N_ELEMENTS(table), sizeof((table)[0]),            \
			  (gsize) ((const char *) &(table)[0].field - (const char *) &(table)[0]), \
			  (func), (teardown))
#define DM_TESTS_ADD_ROWS(tests, table, field, func) \
	DM_TESTS_ADD_ROWS_TEARDOWN(tests, table, field, func, NULL)

/* Run the tests of GROUP. */
static inline int
dm_tests_run(const char *group, GArray *tests, CMFixtureFunction setup, CMFixtureFunction teardown)
{
	return _cmocka_run_group_tests(group, (struct CMUnitTest *) tests->data, tests->len, setup, teardown);
}

#endif
