/* `duet help`: commands, and the registered methods, backends and selectors with options. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/executors.h"
#include "run/registry.h"
#include "lua/luaduet.h"

void duet_cmd_help_help(FILE *out)
{
    fprintf(out,
            "usage: duet help [COMMAND | methods | backends | selectors | executors]\n\n"
            "Without an argument lists the commands. With a command name prints its usage. "
            "With\nmethods, backends, selectors or executors lists every registered one with a "
            "one-line description\nand its options (name, meaning and unit, type, "
            "default), as written in experiment scripts.\n");
}

static void list_methods(void)
{
    printf("Methods (duet.method.NAME { options }); every method also takes name (its label "
           "in the\nresults), samples (inner samples k), selector (duet.selector.NAME { ... }) "
           "and, for a\nmethod that uses the experiment's warm start, warm_start = false to "
           "skip it:\n\n");
    const duet_method_type *m, *previous = NULL;
    for (size_t i = 0; (m = duet_method_at(i)) != NULL; i++) {
        printf("  %s: %s (default selector: %s%s)\n", m->name, m->summary, m->default_selector,
               m->flags & DUET_METHOD_WARM_START ? "; uses the warm start" : "");
        /* The DUET variants share one option table: list it once. */
        if (previous != NULL && m->options == previous->options && m->options[0].name != NULL)
            printf("      the options of %s\n", previous->name);
        else {
            duet_options_help(m->options, stdout, 6);
            previous = m;
        }
    }
    printf("  lua: %s\n      takes name, init, propose and observe functions (see "
           "docs/adding-a-method.md)\n",
           duet_method_lua.summary);
}

static void list_backends(void)
{
    printf("Backends (duet.backend.NAME { options }) and their task options (duet.task { name "
           "= ..., options }):\n\n");
    for (size_t i = 0; duet_backends[i]; i++) {
        const duet_backend_type *b = duet_backends[i];
        printf("  %s: %s\n", b->name, b->summary);
        duet_options_help(b->options, stdout, 6);
        printf("    task options:\n");
        duet_options_help(b->task_options, stdout, 6);
    }
}

static void list_selectors(void)
{
    printf("Selectors (duet.selector.NAME { options }): how a subset with given per-domain "
           "counts is drawn:\n\n");
    for (size_t i = 0; duet_selectors[i]; i++) {
        const duet_selector_type *s = duet_selectors[i];
        printf("  %s: %s\n", s->name, s->summary);
        duet_options_help(s->options, stdout, 6);
    }
}

static void list_executors(void)
{
    printf("Executors (executor = duet.executor.NAME { options }; duet.executor.processes "
           "builds local),\noverridden by duet run --executor NAME and --jobs N:\n\n");
    for (size_t i = 0; duet_executor_types[i]; i++) {
        const duet_executor_type *e = duet_executor_types[i];
        printf("  %s: %s\n", e->name, e->summary);
        duet_options_help(e->options, stdout, 6);
    }
}

int duet_cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        printf("Commands:\n");
        for (const duet_command *c = duet_commands; c->name; c++)
            printf("  %-10s %s\n", c->name, c->summary);
        printf("\nAlso: duet help methods | backends | selectors | executors\n");
        return DUET_EXIT_OK;
    }
    const char *topic = argv[1];
    if (strcmp(topic, "methods") == 0)
        list_methods();
    else if (strcmp(topic, "backends") == 0)
        list_backends();
    else if (strcmp(topic, "selectors") == 0)
        list_selectors();
    else if (strcmp(topic, "executors") == 0)
        list_executors();
    else {
        const duet_command *c = duet_command_find(topic);
        if (c == NULL) {
            fprintf(stderr, "duet help: no command or topic named '%s'; the commands are", topic);
            for (const duet_command *k = duet_commands; k->name; k++)
                fprintf(stderr, "%s %s", k == duet_commands ? "" : ",", k->name);
            fprintf(stderr, ", and the topics methods, backends, selectors, executors\n");
            return DUET_EXIT_USAGE;
        }
        if (c->help)
            c->help(stdout);
        else {
            char *args[] = {(char *)c->name, "--help", NULL};
            return c->run(2, args);
        }
    }
    return DUET_EXIT_OK;
}
