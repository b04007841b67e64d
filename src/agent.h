/* agent.h - kept for the files that still include it by this name: the
 * agents' and teams' store functions are declared in store-agent.h. */
#ifndef DM_AGENT_H
#define DM_AGENT_H

#include "store-agent.h"

#endif
