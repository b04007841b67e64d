/* status.h - the outcome every module reports, and what it means to the MTA. */
#ifndef DM_STATUS_H
#define DM_STATUS_H

enum dm_status {
	DM_OK = 0,
	DM_DUPLICATE, /* already stored: success for the MTA */
	DM_TEMPFAIL,  /* a retry or an operator can cure it: exit 75 */
	DM_REJECT,    /* the input can never be stored: exit 65 */
	DM_CONFIG,    /* the configuration is wrong: 78 (75 from deliver) */
	DM_USAGE,     /* the command line is wrong: 64 */
	DM_NOTFOUND,  /* the thing asked for does not exist: 66 (EX_NOUSER) */
	DM_INTERNAL   /* a bug of ours: 70 (75 from deliver) */
};

/* A short name for logs ("ok", "tempfail", ...).  Static string. */
const char *dm_status_name(enum dm_status st);

#endif
