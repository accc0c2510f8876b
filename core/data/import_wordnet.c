/*
 * WordNet 3.0 gloss importer (Miller 1995; Fellbaum 1998). Each synset line of data.noun,
 * data.verb, data.adj and data.adv ends with "| gloss"; the gloss (definition and examples) is
 * one record of unit wordnet:<part of speech>. Lines starting with two spaces are the licence
 * header of the database files and are skipped.
 */
#include <stdio.h>
#include <string.h>

#include "data/import_internal.h"
#include "util/mem.h"

static duet_status import_part(duet_import *imp, const char *pos, duet_error *err)
{
    char rel[64], unit_name[64];
    snprintf(rel, sizeof rel, "wordnet/data.%s", pos);
    snprintf(unit_name, sizeof unit_name, "wordnet:%s", pos);
    duet_records *unit;
    duet_status status = duet_import_unit_records(imp, unit_name, 0, &unit, err);
    char *data = NULL, *gloss = NULL;
    size_t len = 0;
    if (status == DUET_OK)
        status = duet_import_read_lines(imp, rel, 1, &data, &len, &gloss, err);
    duet_line_cursor c;
    const char *line;
    size_t n;
    duet_line_cursor_init(&c, data, len);
    while (status == DUET_OK && duet_line_cursor_next(&c, &line, &n)) {
        if (n >= 2 && line[0] == ' ' && line[1] == ' ')
            continue;
        const char *bar = NULL;
        for (size_t k = 0; k + 1 < n; k++)
            if (line[k] == '|' && line[k + 1] == ' ') {
                bar = line + k;
                break;
            }
        if (n == 0 || line[0] < '0' || line[0] > '9' || bar == NULL) {
            status = duet_error_set(err, DUET_EFORMAT,
                                    "%s/%s:%zu: expected a synset line \"<offset> ... | <gloss>\", "
                                    "found \"%.*s\"",
                                    imp->raw_dir, rel, c.number, (int)(n > 60 ? 60 : n), line);
            break;
        }
        size_t glen = duet_import_squeeze_space(bar + 2, n - (size_t)(bar + 2 - line), gloss);
        if (glen > 0)
            status = duet_records_append(unit, gloss, glen, NULL, 0, err);
    }
    duet_free(gloss);
    duet_free(data);
    return status;
}

duet_status duet_import_wordnet(duet_import *imp, duet_error *err)
{
    static const char *const parts[] = {"noun", "verb", "adj", "adv"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        duet_status status = import_part(imp, parts[i], err);
        if (status != DUET_OK)
            return status;
    }
    return DUET_OK;
}
