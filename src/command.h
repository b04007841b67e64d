/* command.h - the commands agents write at the top of their mail. */
#ifndef DM_COMMAND_H
#define DM_COMMAND_H

#include <glib.h>

enum dm_command_kind {
	DM_CMD_STATUS,    /* #status open|pending|resolved|closed */
	DM_CMD_ASSIGN,    /* #assign ADDRESS|me */
	DM_CMD_PRIORITY,  /* #priority low|normal|high|urgent */
	DM_CMD_TOPIC,     /* #topic NAME */
	DM_CMD_ESCALATE,  /* #escalate TEAM */
	DM_CMD_NOTE,      /* #note: an internal note, relayed to no customer */
	DM_CMD_REQUESTER  /* #requester ADDRESS: open a ticket for this customer */
};

struct dm_command {
	enum dm_command_kind kind;
	char *arg; /* normalised argument ("" for #note) */
};

struct dm_commands {
	GPtrArray *list;  /* struct dm_command* in order */
	char *rest;       /* TEXT without the command lines */
	char *errors;     /* one line per invalid command, or NULL when all are valid */
	gboolean note;    /* a #note was given */
};

/* Read the commands at the top of TEXT: lines that start with '#' and a
 * letter, before the first other non-blank line.  A command word the desk
 * does not know, a missing or wrong argument, or a command given twice is
 * an error (listed in ->errors); callers then change nothing.  Caller
 * frees with dm_commands_free. */
struct dm_commands *dm_commands_parse(const char *text);
void dm_commands_free(struct dm_commands *c);
typedef struct dm_commands DmCommands;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DmCommands, dm_commands_free)

/* The name of a command kind, as written after '#'.  Static. */
const char *dm_command_name(enum dm_command_kind kind);

#endif
