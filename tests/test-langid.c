/* test-langid.c - unit tests for language identification (src/langid.h).
 *
 * Each row of the table below is one test: a text, a Content-Language
 * hint, and the language dm_langid_detect() must give (NULL: unsure).  The
 * rows cover short and long texts in each of the desk's four languages,
 * with and without diacritics and with typos, whole help-desk mails, what
 * must be ignored (quotes, signatures, URLs, addresses) and when the hint
 * decides.  The tests after the table cover loading errors, the size
 * limits, threads, speed, and the accuracy over every record of the
 * project's labelled help-desk mail in tests/data/labelled (and of a
 * second set when one is there, see labelled.h). */
#include "dm-autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "langid.h"
#include "table-tests.h"

#ifndef DM_TEST_DATA_DIR
#define DM_TEST_DATA_DIR "tests/data"
#endif

#include "labelled.h"

#define SYSTEM_FINGERPRINTS "/usr/share/libexttextcat"

static const char *const desk_languages[] = { "sl", "fi", "hu", "en", NULL };

/* Loaded once in the group setup, as deskmail loads it once per process. */
static struct dm_langid *desk;

struct detect_case {
	const char *name;
	const char *text;
	const char *hint;
	const char *want; /* NULL: unsure */
};

static const struct detect_case cases[] = {
	/* Slovenian. */
	{ "sl short", "Pozdravljeni, od včeraj se ne morem prijaviti v spletni portal. "
		      "Geslo sem že dvakrat zamenjala.", NULL, "sl" },
	{ "sl short without diacritics",
	  "Dober dan, ne morem se prijaviti v sistem, geslo ne deluje", NULL, "sl" },
	{ "sl short with typos",
	  "Dobr dan, nemorem se prjavit v sistem, gelso ne dela, kaj naj nardim?", NULL, "sl" },
	{ "sl short, no diacritics, printer",
	  "Zivjo, tiskalnik v citalnici ze tretji dan ne tiska, lahko kdo pogleda?", NULL, "sl" },
	{ "sl one line", "Tiskalnik ne dela", NULL, "sl" },
	{ "sl long",
	  "Pozdravljeni,\n\nže od ponedeljka imamo v enoti Bežigrad težave z izposojo. Ko "
	  "knjižničarka skenira člansko izkaznico, program za nekaj sekund zamrzne, nato pa se "
	  "izpiše napaka, da povezava s strežnikom ni na voljo. Težava se pojavlja na vseh treh "
	  "računalnikih pri pultu, medtem ko katalog na računalnikih za uporabnike deluje "
	  "normalno. Računalnike smo že ponovno zagnali, vendar ni pomagalo. Ker je ta teden "
	  "vpis novih članov, je vrsta pri pultu vedno daljša, zato vas prosim, da si težavo "
	  "ogledate čim prej.\n\nLep pozdrav,\nTanja Horvat\nKnjižnica Bežigrad\ntel. 01 234 56 78",
	  NULL, "sl" },
	{ "sl long without diacritics, typos",
	  "Zivjo,\n\nze en teden mi portal za clane javlja napako, ko hocem podaljsati izposojo. "
	  "Kliknem na gumb podaljsaj, stran se nalaga kaksno minuto, potem pa napise da je "
	  "prislo do napake in naj poskusim kasnej. Poskusila sem ze v drugem brskalniku in na "
	  "telefonu, pa je vedno isto. Rok za vracilo imam v petek, knjige pa bi rada obdrzala "
	  "se vsaj dva tedna, ker jih rabim za seminarsko nalogo. Ali mi lahko podaljsate rok "
	  "kar vi, ali moram priti v knjiznico osebno?\n\nHvala in lp,\nNina", NULL, "sl" },

	/* Finnish. */
	{ "fi short", "Hei, en pääse kirjautumaan verkkokirjastoon. Salasana ei kelpaa, vaikka "
		      "vaihdoin sen eilen.", NULL, "fi" },
	{ "fi short without diacritics", "Hei, en paase kirjautumaan, salasana ei toimi", NULL,
	  "fi" },
	{ "fi short with typos",
	  "moi, tulostin ei tulosta mitaan ja naytolla lukee paperitukos vaikka papria ei ole "
	  "jumissa", NULL, "fi" },
	{ "fi one line", "Tulostin ei toimi", NULL, "fi" },
	{ "fi long",
	  "Hei,\n\nkirjaston asiakaskoneilla on tänä aamuna ollut outo vika: kun asiakas "
	  "kirjautuu sisään kirjastokortilla, istunto katkeaa noin viiden minuutin kuluttua ja "
	  "kaikki avoimet tiedostot häviävät. Sama toistuu kaikilla kuudella koneella, joten "
	  "kyse ei varmaankaan ole yksittäisen laitteen viasta. Olemme käynnistäneet koneet "
	  "uudelleen ja tarkistaneet verkkoyhteyden, mutta mikään ei ole auttanut. Useampi "
	  "opiskelija on jo valittanut, koska tenttikausi on käynnissä ja koneita tarvitaan koko "
	  "päivän. Voisitteko katsoa asiaa mahdollisimman pian?\n\nYstävällisin terveisin\n"
	  "Leena Mäkinen\nKoivulan kirjasto", NULL, "fi" },
	{ "fi long without diacritics",
	  "Moi,\n\nyritin eilen illalla lainata e-kirjan kirjaston sovelluksella, mutta sovellus "
	  "sanoi etta lainausraja on taynna, vaikka minulla ei ole yhtaan lainaa. Kirjauduin "
	  "ulos ja takaisin sisaan ja asensin sovelluksen uudestaan, mutta ilmoitus ei "
	  "kadonnut. Verkkosivun kautta tilanne on sama. Voisiko joku tarkistaa, onko "
	  "tilillani jotain vanhoja lainoja jumissa? Kirjastokortin numero loytyy "
	  "allekirjoituksesta.\n\nKiitos etukateen,\nJussi", NULL, "fi" },

	/* Hungarian. */
	{ "hu short", "Jó napot! Nem tudok belépni az olvasói portálra, pedig a jelszavam "
		      "biztosan jó.", NULL, "hu" },
	{ "hu short without diacritics", "Jo napot, nem tudok belepni a rendszerbe", NULL,
	  "hu" },
	{ "hu short with typos",
	  "Szia, a nyomtato mar megint nem mukodik, kifogyot a toner es senki nem tugya hol van "
	  "uj", NULL, "hu" },
	{ "hu one line", "A nyomtató nem működik", NULL, "hu" },
	/* Unaccented Hungarian with few common words: only the comparison
	 * with diacritics-free fingerprints gets these. */
	{ "hu without diacritics, few common words 1",
	  "Kedden delelott ovodas csoport erkezik a konyvtarba.", NULL, "hu" },
	{ "hu without diacritics, few common words 2",
	  "Lehetseges lenne frissiteni a szoftvert?", NULL, "hu" },
	{ "hu without diacritics, few common words 3", "A szamlat modositani kellene.", NULL,
	  "hu" },
	{ "hu long",
	  "Tisztelt Ügyfélszolgálat!\n\nA múlt héten megújítottam az olvasójegyemet a központi "
	  "könyvtárban, azóta viszont nem tudok bejelentkezni az online katalógusba. A rendszer "
	  "azt írja, hogy a felhasználónév vagy a jelszó hibás, pedig a pultnál kapott "
	  "ideiglenes jelszót pontosan így adtam meg. Jelszóemlékeztetőt is kértem, de a levél "
	  "nem érkezett meg, a levélszemét mappában sincs. Szeretném meghosszabbítani a "
	  "kölcsönzéseimet, mert jövő héten lejár a határidő. Kérem, segítsenek, hogyan tudok "
	  "újra belépni.\n\nTisztelettel:\nNagy Erzsébet", NULL, "hu" },
	{ "hu long without diacritics",
	  "Sziasztok!\n\nMa reggel ota a kolcsonzopultnal levo vonalkodolvaso nem olvassa be a "
	  "konyveket. Csipog egyet, de a rendszerben nem jelenik meg semmi, igy kezzel kell "
	  "beirnunk minden vonalkodot. Kiprobaltuk a masik pultnal levo olvasot is, azzal "
	  "ugyanez a helyzet, tehat szerintem nem a keszulekkel van baj. A gep ujrainditasa sem "
	  "segitett. Tudnatok valakit kuldeni, vagy tavolrol megnezni? Delutan sok olvasot "
	  "varunk.\n\nUdv,\nKiss Peter", NULL, "hu" },

	/* English. */
	{ "en short", "Hi, I can't log in to the staff client since this morning. It says my "
		      "password has expired.", NULL, "en" },
	{ "en short with typos",
	  "hi, i cant log in, my pasword doesnt work and the reset link never arives", NULL,
	  "en" },
	{ "en long",
	  "Hello,\n\nsince the upgrade on Tuesday the self-service machines at the Riverside "
	  "branch have stopped printing receipts. Loans are recorded correctly and the screen "
	  "says the receipt is being printed, but nothing comes out. We have checked the paper "
	  "rolls and restarted both machines, and the printers pass their own self-test, so it "
	  "looks like the machines are no longer sending anything to them. Patrons keep asking "
	  "staff to write down due dates by hand, which is slowing everything down on what is "
	  "already our busiest day of the week. Could someone please take a look?\n\n"
	  "Kind regards,\nSarah Thompson\nRiverside Library", NULL, "en" },

	/* Help-desk mail: greeting, problem, signature, quotes, links. */
	{ "sl reply above an English quote",
	  "Pozdravljeni,\n\nhvala za odgovor, vendar težava še vedno ni rešena. Napaka se "
	  "pojavi takoj, ko odprem obrazec za podaljšanje.\n\nLp, Mojca\n\n"
	  "On Mon, 3 Mar 2025 at 10:12, Help Desk <help@example.org> wrote:\n"
	  "> Dear customer,\n> we have reset your account. Please try again and let us know\n"
	  "> whether the problem persists. We are sorry for the trouble and thank you for\n"
	  "> your patience while we looked into it. Kind regards, the help desk team\n"
	  "> https://helpdesk.example.org/ticket/48213\n", NULL, "sl" },
	{ "en reply, signature, Hungarian quote",
	  "Thanks, that fixed it. The catalogue is loading normally again.\n\nBest,\nTom\n\n"
	  "-- \nTom Baker | Systems Librarian | tom.baker@example.org\n\n"
	  "> Kedves Tom!\n> A szervert újraindítottuk, kérjük, ellenőrizze, hogy most már "
	  "működik-e a katalógus.\n> Üdvözlettel: Ügyfélszolgálat\n", NULL, "en" },
	{ "fi with URL, address and signature",
	  "Hei,\n\nsivu https://verkkokirjasto.example.fi/omat-tiedot/lainat?sort=due antaa "
	  "virheen 500, kun yritän uusia lainoja. Voitteko vastata osoitteeseen "
	  "matti.virtanen@example.fi, koska työsähköpostini ei ole käytössä tällä viikolla?\n\n"
	  "Terveisin\nMatti Virtanen\n-- \nMatti Virtanen, Project Manager, Example Ltd, "
	  "www.example.fi, phone +358 40 123 4567, all enquiries welcome\n", NULL, "fi" },
	{ "hu without diacritics, phone signature",
	  "Jo napot!\n\nNem tudok belepni a rendszerbe, azt irja hogy lejart a jelszavam.\n\n"
	  "Koszonom,\nSzabo Anna\n+36 30 123 4567\n", NULL, "hu" },
	/* Some mail clients send decomposed letters: "é" as "e" and a
	 * combining acute, "ä" as "a" and a combining diaeresis.  These two
	 * short texts come out unsure unless they are composed first. */
	{ "hu decomposed diacritics",
	  "Ke\xcc\x81" "rem segi\xcc\x81" "tsenek", NULL, "hu" },
	{ "fi decomposed diacritics",
	  "Hyva\xcc\x88" "a\xcc\x88 pa\xcc\x88" "iva\xcc\x88" "a\xcc\x88", NULL, "fi" },
	{ "sl CRLF mail with a quoted greeting",
	  "Dober dan,\r\n\r\nprosim, ali mi lahko pošljete račun za letno članarino? "
	  "Potrebujem ga za službo.\r\n\r\nHvala,\r\nPeter\r\n\r\n> Hello Peter,\r\n"
	  "> thank you for your payment.\r\n", NULL, "sl" },
	{ "en English text, Slovenian signature after the separator",
	  "Thanks, the printer works again now, you can close the ticket.\n-- \n"
	  "Knjižnica Dolina, oddelek za izposojo, Ljubljanska cesta 12, 1000 Ljubljana, "
	  "Slovenija. To sporočilo je namenjeno samo naslovniku.\n", NULL, "en" },

	/* Nothing left to judge, or too little. */
	{ "only quoted lines",
	  "> Pozdravljeni,\n> vaš zahtevek smo prejeli in ga bomo rešili v najkrajšem možnem "
	  "času.\n>> Dober dan, ne morem se prijaviti v sistem.\n", NULL, NULL },
	{ "ok", "ok", NULL, NULL },
	{ "ok above a quote",
	  "OK\n\n> Hi, can you confirm that the printer in the reading room works now?\n"
	  "> Thanks\n", NULL, NULL },
	{ "empty", "", NULL, NULL },
	{ "NULL text", NULL, NULL, NULL },
	{ "whitespace", "  \n\t\r\n \n", NULL, NULL },
	{ "only links and addresses",
	  "https://portal.example.org/login?user=abc mailto:help@example.org "
	  "www.example.si/pomoc janez.novak@example.si", NULL, NULL },
	{ "only a signature",
	  "-- \nLep pozdrav,\nJanez Novak\nKnjižnica Center, Ljubljana\n", NULL, NULL },
	{ "signature separator without the space",
	  "--\nLep pozdrav,\nJanez Novak\nKnjižnica Center, Ljubljana\n", NULL, NULL },
	{ "digits and punctuation", "123 456 7890 !!! ??? 12.03.2025 -- ## ++", NULL, NULL },
	{ "one word", "Hvala!", NULL, NULL },

	/* The hint decides only when the text cannot. */
	{ "short unsure text alone", "Super, hvala!", NULL, NULL },
	{ "short unsure text, hint sl-SI", "Super, hvala!", "sl-SI", "sl" },
	{ "fi short unsure text alone", "Kiitos paljon!", NULL, NULL },
	{ "fi short unsure text, hint fi", "Kiitos paljon!", "fi", "fi" },
	{ "ok, hint en-GB, en", "ok", "en-GB, en", "en" },
	{ "ok, hint in capitals", "ok", "HU-hu", "hu" },
	{ "ok, hint with an underscore", "ok", "sl_SI", "sl" },
	{ "ok, first hint not a candidate", "ok", "de-DE, fi-FI", "fi" },
	{ "ok, hint not a candidate", "ok", "de-DE", NULL },
	{ "ok, hint only looks like a candidate", "ok", "slo, english", NULL },
	{ "ok, empty hint", "ok", "", NULL },
	{ "NULL text, hint", NULL, "hu", "hu" },
	{ "only quoted lines, hint",
	  "> Hi, we have reset your password.\n> Kind regards, the help desk team\n", "fi-FI",
	  "fi" },
	{ "clear text beats the hint", "Hei, en paase kirjautumaan, salasana ei toimi", "hu-HU",
	  "fi" },
	{ "clear sl beats a non-candidate hint",
	  "Dober dan, ne morem se prijaviti v sistem, geslo ne deluje", "hr-HR", "sl" },
	{ "clear long en beats the hint",
	  "Hello, the self-service machine at the front desk has stopped printing receipts "
	  "since this morning. Could someone please take a look?", "sl", "en" },
};

/* The text of the row called NAME. */
static const char *
case_text(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		if (strcmp(cases[i].name, name) == 0)
			return cases[i].text;
	fail_msg("no row called \"%s\"", name);
	return NULL;
}

static void
test_detect(void **state)
{
	const struct detect_case *c = *state;
	const char *got = dm_langid_detect(desk, c->text, c->hint);

	if (c->want == NULL) {
		if (got != NULL)
			fail_msg("want unsure (NULL), got \"%s\"", got);
		return;
	}
	if (got == NULL)
		fail_msg("want \"%s\", got unsure (NULL)", c->want);
	assert_string_equal(got, c->want);
}

/* The answer is one of the instance's own candidate strings, never a
 * language outside them, whatever the text. */
static void
test_answers_are_candidates(void **state G_GNUC_UNUSED)
{
	static const char *const two[] = { "hu", "en", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(DmLangid) l = dm_langid_new(two, NULL, &error);

	assert_non_null(l);
	const char *const *codes = dm_langid_candidates(l);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *got = dm_langid_detect(l, cases[i].text, cases[i].hint);
		if (got == NULL)
			continue;
		assert_true(got == codes[0] || got == codes[1]);
	}
	/* Diacritics-free Slovenian can only be one of the two, or unsure. */
	const char *got = dm_langid_detect(l, case_text("sl short without diacritics"), NULL);
	assert_true(got == NULL || got == codes[0] || got == codes[1]);
}

/* With one candidate there is no runner-up: any text long enough is it. */
static void
test_single_candidate(void **state G_GNUC_UNUSED)
{
	static const char *const one[] = { "sl", NULL };
	g_autoptr(DmLangid) l = dm_langid_new(one, SYSTEM_FINGERPRINTS, NULL);

	assert_non_null(l);
	assert_string_equal(dm_langid_detect(l, "Hello, the printer is broken again.", NULL),
			    "sl");
	assert_null(dm_langid_detect(l, "ok", NULL));
}

struct error_case {
	const char *name;
	const char *const *candidates;
	const char *dir; /* "@tmp" for the test's own fingerprint directory */
	int want_code;
	const char *want_text; /* a part of the message */
};

static const char *const unknown_code[] = { "sl", "xx", NULL };
static const char *const no_codes[] = { NULL };
static const char *const repeated[] = { "sl", "fi", "SL", NULL };
static const char *const path_code[] = { "../sl", NULL };
static const char *const space_code[] = { "sl en", NULL };
static const char *const empty_code[] = { "", NULL };
static const char *const long_code[] = { "abcdefghijklmnop", NULL };
static const char *const newline_code[] = { "sl\nen", NULL };
static const char *const in_tmp[] = { "sl", "en", NULL };
static const char *const missing_in_tmp[] = { "sl", "fi", NULL };
static const char *const empty_in_tmp[] = { "sl", "hu", NULL };

static const struct error_case error_cases[] = {
	{ "unknown language", unknown_code, NULL, DM_LANGID_ERROR_FINGERPRINT,
	  "language 'xx': no fingerprint " SYSTEM_FINGERPRINTS "/xx.lm" },
	{ "NULL list", NULL, NULL, DM_LANGID_ERROR_CANDIDATES, "no candidate languages" },
	{ "empty list", no_codes, NULL, DM_LANGID_ERROR_CANDIDATES, "no candidate languages" },
	{ "repeated code", repeated, NULL, DM_LANGID_ERROR_CANDIDATES,
	  "language 'SL': listed twice" },
	{ "path in code", path_code, NULL, DM_LANGID_ERROR_CANDIDATES,
	  "language '../sl': not a language code" },
	{ "space in code", space_code, NULL, DM_LANGID_ERROR_CANDIDATES,
	  "language 'sl en': not a language code" },
	{ "empty code", empty_code, NULL, DM_LANGID_ERROR_CANDIDATES,
	  "language '': not a language code" },
	{ "code too long", long_code, NULL, DM_LANGID_ERROR_CANDIDATES, "not a language code" },
	{ "newline in code", newline_code, NULL, DM_LANGID_ERROR_CANDIDATES,
	  "language 'sl\\nen': not a language code" },
	{ "missing directory", in_tmp, "/nonexistent/fingerprints", DM_LANGID_ERROR_FINGERPRINT,
	  "language 'sl': no fingerprint /nonexistent/fingerprints/sl.lm" },
	{ "missing in own directory", missing_in_tmp, "@tmp", DM_LANGID_ERROR_FINGERPRINT,
	  "language 'fi': no fingerprint " },
	{ "empty fingerprint", empty_in_tmp, "@tmp", DM_LANGID_ERROR_FINGERPRINT,
	  "hu.lm holds no n-grams" },
};

/* A directory holding sl.lm and en.lm copied from the system, and an empty
 * hu.lm.  Caller removes it with remove_fingerprint_dir(). */
static char *
make_fingerprint_dir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("test-langid-XXXXXX", &error);
	assert_non_null(dir);
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "sl.lm" : "en.lm";
		g_autofree char *from = g_build_filename(SYSTEM_FINGERPRINTS, name, NULL);
		g_autofree char *to = g_build_filename(dir, name, NULL);
		g_autofree char *contents = NULL;
		gsize len = 0;
		assert_true(g_file_get_contents(from, &contents, &len, NULL));
		assert_true(g_file_set_contents(to, contents, (gssize) len, NULL));
	}
	g_autofree char *empty = g_build_filename(dir, "hu.lm", NULL);
	assert_true(g_file_set_contents(empty, "", 0, NULL));
	return dir;
}

static void
remove_fingerprint_dir(char *dir)
{
	static const char *const names[] = { "sl.lm", "en.lm", "hu.lm" };
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *path = g_build_filename(dir, names[i], NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
	g_free(dir);
}

static void
test_new_errors(void **state G_GNUC_UNUSED)
{
	char *tmp = make_fingerprint_dir();

	for (gsize i = 0; i < G_N_ELEMENTS(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		const char *dir = c->dir != NULL && strcmp(c->dir, "@tmp") == 0 ? tmp : c->dir;
		GError *error = NULL;
		struct dm_langid *l = dm_langid_new(c->candidates, dir, &error);

		if (l != NULL) {
			dm_langid_free(l);
			fail_msg("%s: want an error, got a classifier", c->name);
		}
		if (error == NULL)
			fail_msg("%s: NULL without an error", c->name);
		if (error->domain != DM_LANGID_ERROR || error->code != c->want_code ||
		    strstr(error->message, c->want_text) == NULL || strchr(error->message, '\n'))
			fail_msg("%s: got error %d \"%s\", want %d containing \"%s\" on one line",
				 c->name, error->code, error->message, c->want_code, c->want_text);
		g_error_free(error);
	}

	/* The same directory serves the languages it does hold. */
	g_autoptr(GError) error = NULL;
	struct dm_langid *l = dm_langid_new(in_tmp, tmp, &error);
	assert_non_null(l);
	assert_string_equal(dm_langid_detect(l, case_text("sl short"), NULL), "sl");
	assert_string_equal(dm_langid_detect(l, case_text("en long"), NULL), "en");
	dm_langid_free(l);
	remove_fingerprint_dir(tmp);
}

static void
test_free_null(void **state G_GNUC_UNUSED)
{
	dm_langid_free(NULL);
}

/* Repeat UNIT (with a space between) until at least BYTES long. */
static GString *
repeat(const char *unit, gsize bytes)
{
	GString *s = g_string_new(NULL);
	while (s->len < bytes) {
		g_string_append(s, unit);
		g_string_append_c(s, ' ');
	}
	return s;
}

static const char *const fi_unit =
	"Hei, kirjaston asiakaskoneilla on ollut vika koko aamun, eikä kukaan pääse "
	"kirjautumaan sisään kirjastokortilla.";
static const char *const sl_reply =
	"Pozdravljeni, hvala za odgovor, vendar se še vedno ne morem prijaviti v portal.";
static const char *const en_quote =
	"> Dear customer, we have reset your account, please try again and let us know.\n";
static const char *const hu_unit =
	"Jó napot! Nem tudok belépni az olvasói portálra, pedig a jelszavam biztosan jó.";
static const char *const en_unit =
	"Hello, the self-service machine at the front desk has stopped printing receipts.";

/* A megabyte costs no more than the first 64 KB and gives the same answer. */
static void
test_megabyte(void **state G_GNUC_UNUSED)
{
	g_autoptr(GString) big = repeat(fi_unit, 1024 * 1024);
	const char *got = dm_langid_detect(desk, big->str, NULL);

	assert_non_null(got);
	assert_string_equal(got, "fi");
}

/* Quoted lines are skipped, so a reply under 20 KB of quote still counts. */
static void
test_reply_below_quote(void **state G_GNUC_UNUSED)
{
	g_autoptr(GString) mail = g_string_new(NULL);
	while (mail->len < 20 * 1024)
		g_string_append(mail, en_quote);
	g_string_append(mail, sl_reply);

	assert_string_equal(dm_langid_detect(desk, mail->str, NULL), "sl");
}

/* Only the first 64 KB of the text are read: a reply below 100 KB of quote
 * is not seen, and the hint decides. */
static void
test_reply_beyond_scan_limit(void **state G_GNUC_UNUSED)
{
	g_autoptr(GString) mail = g_string_new(NULL);
	while (mail->len < 100 * 1024)
		g_string_append(mail, en_quote);
	g_string_append(mail, sl_reply);

	assert_null(dm_langid_detect(desk, mail->str, NULL));
	assert_string_equal(dm_langid_detect(desk, mail->str, "sl-SI"), "sl");
}

/* Only the first 4 KB of kept text are classified. */
static void
test_first_4k_decide(void **state G_GNUC_UNUSED)
{
	g_autoptr(GString) hu_first = repeat(hu_unit, 5 * 1024);
	g_autoptr(GString) en_first = repeat(en_unit, 5 * 1024);
	g_autoptr(GString) en_rest = repeat(en_unit, 50 * 1024);
	g_autoptr(GString) hu_rest = repeat(hu_unit, 50 * 1024);
	g_string_append(hu_first, en_rest->str);
	g_string_append(en_first, hu_rest->str);

	assert_string_equal(dm_langid_detect(desk, hu_first->str, NULL), "hu");
	assert_string_equal(dm_langid_detect(desk, en_first->str, NULL), "en");
}

/* Invalid UTF-8 is tolerated: the valid part decides, and no byte value
 * crashes or gives an answer outside the candidates. */
static void
test_invalid_utf8(void **state G_GNUC_UNUSED)
{
	static const char broken[] =
		"Pozdravljeni, \xff\xfe od v\xc4 \xc3(era\xe8 se ne morem prijaviti v spletni "
		"portal, geslo ne deluje. \xed\xa0\x80 Lep pozdrav";
	assert_string_equal(dm_langid_detect(desk, broken, NULL), "sl");

	char bytes[256 * 3 + 1];
	for (int b = 1; b < 256; b++) {
		for (int k = 0; k < 3; k++)
			bytes[3 * (b - 1) + k] = (char) (k == 1 ? ' ' : b);
	}
	bytes[255 * 3] = '\0';
	const char *got = dm_langid_detect(desk, bytes, NULL);
	assert_true(got == NULL || g_strv_contains(desk_languages, got));
}

/* Detection only reads the classifier, so threads may share it. */
static gpointer
detect_all(gpointer data G_GNUC_UNUSED)
{
	for (int round = 0; round < 5; round++)
		for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
			const char *got = dm_langid_detect(desk, cases[i].text, cases[i].hint);
			if (g_strcmp0(got, cases[i].want) != 0)
				return GINT_TO_POINTER(1);
		}
	return NULL;
}

static void
test_threads(void **state G_GNUC_UNUSED)
{
	GThread *threads[4];
	for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("langid", detect_all, NULL);
	int failures = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
		failures += GPOINTER_TO_INT(g_thread_join(threads[i]));
	assert_int_equal(failures, 0);
}

/* A 2 KB mail, detected repeatedly on one shared object, gives the same
 * answer every time (detection keeps no state between calls).  Its cost
 * is measured in bench/, not here. */
static void
test_repeatable(void **state G_GNUC_UNUSED)
{
	const char *body = case_text("sl long") + strlen("Pozdravljeni,\n\n");
	g_autoptr(GString) mail = g_string_new("Pozdravljeni,\n\n");
	while (mail->len < 2048 - 64)
		g_string_append(mail, body);
	g_string_truncate(mail, 2048 - 40);
	g_string_append(mail, "\n\nLep pozdrav,\nTanja");
	assert_string_equal(dm_langid_detect(desk, mail->str, NULL), "sl");

	for (int i = 0; i < 50; i++)
		assert_string_equal(dm_langid_detect(desk, mail->str, NULL), "sl");
}

/* A set of labelled mail and the figures it must reach: whole mails
 * right, as written and without diacritics; of the sentences, the share
 * answered and the most that may be wrong among the answered. */
struct labelled_set {
	const char *path;
	double accuracy, accuracy_plain, answered, wrong;
};

/* The project's set.  Its mail is written as people write: typos, no
 * diacritics from phones, a line of English in a Slovenian mail. */
static struct labelled_set project_set = { DM_LABELLED_PROJECT, 0.97, 0.95, 0.90, 0.01 };

/* The second set, checked as before it was moved beside the project. */
static struct labelled_set extra_set = { NULL, 0.95, 0.95, 0.90, 0.01 };

/* The text of SET; a set that cannot be read fails the test. */
static char *
labelled_text(const struct labelled_set *set)
{
	g_autoptr(GError) error = NULL;
	char *data = dm_labelled_read(set->path, &error);
	if (data == NULL)
		fail_msg("labelled data: %s", error->message);
	return data;
}

/* S without diacritics, as a customer on a keyboard without them types. */
static char *
strip_diacritics(const char *s)
{
	g_autofree char *nfd = g_utf8_normalize(s, -1, G_NORMALIZE_NFD);
	GString *out = g_string_new(NULL);
	for (const char *p = nfd; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (!g_unichar_ismark(c))
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

struct tally {
	guint total[4], right[4], unsure[4];
};

static void
report(const char *what, const struct tally *t, double *overall)
{
	guint total = 0, right = 0, unsure = 0;
	GString *line = g_string_new(NULL);
	for (int i = 0; i < 4; i++) {
		total += t->total[i];
		right += t->right[i];
		unsure += t->unsure[i];
		g_string_append_printf(line, "  %s %u/%u (%.1f%%)", desk_languages[i], t->right[i],
				       t->total[i],
				       t->total[i] ? 100.0 * t->right[i] / t->total[i] : 0.0);
	}
	*overall = total ? (double) right / total : 0.0;
	print_message("%s: %u/%u = %.1f%% right, %u unsure;%s\n", what, right, total,
		      100.0 * *overall, unsure, line->str);
	g_string_free(line, TRUE);
}

/* Every record of the labelled help-desk mail, subject and body together,
 * as written and with all diacritics removed.  An unsure answer counts as
 * wrong.  A missing file fails the test: the figure is the point. */
static void
test_labelled_accuracy(void **state)
{
	const struct labelled_set *set = *state;
	const char *path = set->path;
	g_autofree char *data = labelled_text(set);
	g_autoptr(GError) error = NULL;

	struct tally as_written = { 0 }, folded = { 0 };
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	guint lineno = 0;
	for (char **line = lines; *line != NULL; line++) {
		lineno++;
		if (**line == '\0')
			continue;
		g_autoptr(JsonNode) root = json_from_string(*line, &error);
		if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
			fail_msg("%s:%u: not a JSON object: %s", path, lineno,
				 error ? error->message : "");
		JsonObject *o = json_node_get_object(root);
		const char *lang = json_object_get_string_member_with_default(o, "language", "");
		const char *subject = json_object_get_string_member_with_default(o, "subject", "");
		const char *body = json_object_get_string_member_with_default(o, "body", "");
		int li = -1;
		for (int i = 0; i < 4; i++)
			if (strcmp(lang, desk_languages[i]) == 0)
				li = i;
		if (li < 0)
			fail_msg("%s:%u: language '%s' is not one of sl, fi, hu, en", path, lineno,
				 lang);

		g_autofree char *text = g_strconcat(subject, "\n\n", body, NULL);
		g_autofree char *plain = strip_diacritics(text);
		const char *got = dm_langid_detect(desk, text, NULL);
		const char *got_plain = dm_langid_detect(desk, plain, NULL);

		as_written.total[li]++;
		folded.total[li]++;
		if (got == NULL)
			as_written.unsure[li]++;
		else if (strcmp(got, lang) == 0)
			as_written.right[li]++;
		else
			print_message("  %s:%u: %s taken for %s\n", path, lineno, lang, got);
		if (got_plain == NULL)
			folded.unsure[li]++;
		else if (strcmp(got_plain, lang) == 0)
			folded.right[li]++;
		else
			print_message("  %s:%u (no diacritics): %s taken for %s\n", path, lineno,
				      lang, got_plain);
	}

	double acc = 0.0, acc_plain = 0.0;
	report("labelled mail", &as_written, &acc);
	report("labelled mail without diacritics", &folded, &acc_plain);
	assert_true(as_written.total[0] + as_written.total[1] + as_written.total[2] +
		    as_written.total[3] > 0);
	assert_true(acc >= set->accuracy);
	assert_true(acc_plain >= set->accuracy_plain);
}

/* Single sentences are much harder than whole mails.  Every sentence of
 * the labelled mail with at least 20 letters, as written and without
 * diacritics: most must be answered, and almost no answer may be wrong.
 * (The thresholds of langid.c were tuned on these sentences, so the
 * figures guard against regressions more than they estimate accuracy.) */
struct sentence_tally {
	guint total, answered, wrong;
};

static void
judge_sentence(const char *sentence, const char *lang, struct sentence_tally *t)
{
	guint letters = 0;
	for (const char *p = sentence; *p; p = g_utf8_next_char(p))
		if (g_unichar_isalpha(g_utf8_get_char(p)))
			letters++;
	if (letters < 20)
		return;
	const char *got = dm_langid_detect(desk, sentence, NULL);
	t->total++;
	if (got != NULL) {
		t->answered++;
		if (strcmp(got, lang) != 0) {
			t->wrong++;
			print_message("  %s taken for %s: %s\n", lang, got, sentence);
		}
	}
}

/* Feed each sentence of TEXT (split at line ends and at ". ", "! ", "? ").
 * Quoted lines are someone else's words, often in another language, and
 * are left out. */
static void
judge_sentences(const char *text, const char *lang, struct sentence_tally *t)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **line = lines; *line != NULL; line++) {
		char *start = *line;
		if (*start == '>')
			continue;
		for (char *p = start; *p; p++) {
			if ((*p == '.' || *p == '!' || *p == '?') && p[1] == ' ') {
				p[1] = '\0';
				judge_sentence(start, lang, t);
				start = p + 2;
				p++;
			}
		}
		judge_sentence(start, lang, t);
	}
}

static void
test_labelled_sentences(void **state)
{
	const struct labelled_set *set = *state;
	g_autofree char *data = labelled_text(set);

	struct sentence_tally as_written = { 0 }, folded = { 0 };
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	for (char **line = lines; *line != NULL; line++) {
		if (**line == '\0')
			continue;
		g_autoptr(JsonNode) root = json_from_string(*line, NULL);
		assert_non_null(root);
		JsonObject *o = json_node_get_object(root);
		const char *lang = json_object_get_string_member_with_default(o, "language", "");
		g_autofree char *text = g_strconcat(
			json_object_get_string_member_with_default(o, "subject", ""), "\n",
			json_object_get_string_member_with_default(o, "body", ""), NULL);
		g_autofree char *plain = strip_diacritics(text);
		judge_sentences(text, lang, &as_written);
		judge_sentences(plain, lang, &folded);
	}

	const struct sentence_tally *t[] = { &as_written, &folded };
	const char *what[] = { "as written", "without diacritics" };
	for (int i = 0; i < 2; i++) {
		print_message("labelled sentences %s: %u, answered %u (%.1f%%), wrong %u (%.2f%% of "
			      "answered)\n", what[i], t[i]->total, t[i]->answered,
			      100.0 * t[i]->answered / MAX(t[i]->total, 1), t[i]->wrong,
			      100.0 * t[i]->wrong / MAX(t[i]->answered, 1));
		assert_true(t[i]->total > 0);
		assert_true(t[i]->answered >= set->answered * t[i]->total);
		assert_true(t[i]->wrong <= set->wrong * t[i]->answered);
	}
}

static int
group_setup(void **state G_GNUC_UNUSED)
{
	g_autoptr(GError) error = NULL;
	desk = dm_langid_new(desk_languages, NULL, &error);
	if (desk == NULL) {
		print_error("dm_langid_new: %s\n", error->message);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state G_GNUC_UNUSED)
{
	dm_langid_free(desk);
	desk = NULL;
	return 0;
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_answers_are_candidates),
		cmocka_unit_test(test_single_candidate),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_megabyte),
		cmocka_unit_test(test_reply_below_quote),
		cmocka_unit_test(test_reply_beyond_scan_limit),
		cmocka_unit_test(test_first_4k_decide),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_repeatable),
		cmocka_unit_test_prestate(test_labelled_accuracy, &project_set),
		cmocka_unit_test_prestate(test_labelled_sentences, &project_set),
	};
	static const struct CMUnitTest extra[] = {
		{ "test_labelled_accuracy, extra set", test_labelled_accuracy, NULL, NULL, &extra_set },
		{ "test_labelled_sentences, extra set", test_labelled_sentences, NULL, NULL, &extra_set },
	};
	g_autoptr(GArray) tests = dm_tests_new();
	g_autofree char *extra_path = dm_labelled_extra();

	DM_TESTS_ADD_ROWS(tests, cases, name, test_detect);
	g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
	if (extra_path != NULL) {
		extra_set.path = extra_path;
		g_array_append_vals(tests, extra, G_N_ELEMENTS(extra));
	}
	return dm_tests_run("langid", tests, group_setup, group_teardown);
}
