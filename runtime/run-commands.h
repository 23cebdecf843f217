/*
 * run-commands.h - the control commands spurun answers today, as handlers
 * for the control socket's table (control-cmd.h): stats, flows, memory,
 * reopen, shutdown, pcap, pcap-status, subscribe, and the commands on the
 * run's applications load, reload, stop, start, unload, sessions, list,
 * shun (apps.h, through run_commands.apps, when it is set; they reply an
 * error while no run holds applications). The commands are the rows of
 * control.def, whose NEED column says what each uses of the run; each is
 * answered by its function cmd_<field> in run-commands.c.
 *
 * The handlers run on the control thread and reach the run only through
 * struct run_service (run-service.h). Owned by main().
 */
#ifndef SPU_RUN_COMMANDS_H
#define SPU_RUN_COMMANDS_H

#include "control-cmd.h"

struct run_service;
struct control;
struct logger;
struct apps_hold;

struct run_commands {
    struct run_service *svc;     /* borrowed */
    struct control *_Atomic ctl; /* set once control_new returned: its counters */
    struct logger *log;          /* borrowed; may be NULL */
    unsigned timeout_ms;         /* how long a query waits for the main thread */
    struct apps_hold *apps;      /* borrowed; may be NULL (no application commands) */
};

/* Fill h with the handlers above (ctx = rc); the others stay NULL. */
void run_commands_handlers(struct run_commands *rc, struct control_handlers *h);

#endif
