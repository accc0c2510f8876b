/*
 * King James Bible importer. kjv.txt has one verse a line, "<book><chapter>:<verse> <text>",
 * in canonical order, as printed by the bible program of Debian's bible-kjv package. Verses
 * before Matthew 1:1 form unit kjv:old, the rest kjv:new. The reference is not part of the
 * record.
 */
#include <stdio.h>
#include <string.h>

#include "data/import_internal.h"
#include "util/mem.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of the reference "Ge1:1" at the start of line, or 0 when there is none. */
static size_t reference_length(const char *line, size_t n)
{
    size_t i = 0;
    if (i < n && is_digit(line[i]))
        i++;
    size_t book = i;
    while (i < n && is_letter(line[i]))
        i++;
    if (i == book)
        return 0;
    size_t chapter = i;
    while (i < n && is_digit(line[i]))
        i++;
    if (i == chapter || i >= n || line[i] != ':')
        return 0;
    size_t verse = ++i;
    while (i < n && is_digit(line[i]))
        i++;
    if (i == verse || i >= n || line[i] != ' ')
        return 0;
    return i;
}

duet_status duet_import_kjv(duet_import *imp, duet_error *err)
{
    const char *rel = "kjv/kjv.txt";
    duet_records *old_testament, *new_testament;
    duet_status status = duet_import_unit_records(imp, "kjv:old", 0, &old_testament, err);
    if (status == DUET_OK)
        status = duet_import_unit_records(imp, "kjv:new", 0, &new_testament, err);
    char *data = NULL, *verse = NULL;
    size_t len = 0;
    if (status == DUET_OK)
        status = duet_import_read_lines(imp, rel, 1, &data, &len, &verse, err);
    duet_records *unit = old_testament;
    duet_line_cursor c;
    const char *line;
    size_t n;
    duet_line_cursor_init(&c, data, len);
    while (status == DUET_OK && duet_line_cursor_next(&c, &line, &n)) {
        if (n == 0)
            continue;
        size_t ref = reference_length(line, n);
        if (ref == 0) {
            status =
                duet_error_set(err, DUET_EFORMAT,
                               "%s/%s:%zu: expected \"<book><chapter>:<verse> <text>\" such as "
                               "\"Ge1:1 In the beginning ...\", found \"%.*s\"",
                               imp->raw_dir, rel, c.number, (int)(n > 60 ? 60 : n), line);
            break;
        }
        if (ref == 6 && memcmp(line, "Mat1:1", 6) == 0)
            unit = new_testament;
        size_t vlen = duet_import_squeeze_space(line + ref, n - ref, verse);
        if (vlen > 0)
            status = duet_records_append(unit, verse, vlen, NULL, 0, err);
    }
    duet_free(verse);
    duet_free(data);
    return status;
}
