/*
 * Importer for dictionaries in dictd format (FOLDOC, the Jargon File). <name>.index has one
 * line per headword, "headword TAB offset TAB length", where offset and length are base-64
 * numbers (alphabet A-Z a-z 0-9 + /, most significant digit first) giving the entry's bytes in
 * <name>.dict. Each distinct entry is one record of unit <name>, its text with white space
 * squeezed, in the order of the entries in the .dict file. Headwords starting with
 * "00-database" or "00database" are the dictionary's own metadata and are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/import_internal.h"
#include "util/mem.h"

typedef struct dict_entry {
    uint64_t offset, length;
} dict_entry;

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes a base-64 number of n digits; returns 0 when a digit is invalid or it overflows. */
static int decode_number(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 10)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = base64_value(s[i]);
        if (d < 0)
            return 0;
        v = v * 64 + (uint64_t)d;
    }
    *out = v;
    return 1;
}

static int compare_entries(const void *a, const void *b)
{
    const dict_entry *x = a, *y = b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

static int is_metadata(const char *headword, size_t n)
{
    return (n >= 11 && memcmp(headword, "00-database", 11) == 0) ||
           (n >= 10 && memcmp(headword, "00database", 10) == 0);
}

/* Parses the index into entries (sorted by offset, duplicates removed), checked against size. */
static duet_status parse_index(duet_import *imp, const char *rel, const char *data, size_t len,
                               uint64_t dict_size, const char *dict_rel, dict_entry **out,
                               size_t *count, duet_error *err)
{
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    dict_entry *entries = duet_calloc(lines + 1, sizeof *entries);
    if (entries == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", rel);
    size_t n_entries = 0;
    duet_line_cursor c;
    const char *line;
    size_t n;
    duet_line_cursor_init(&c, data, len);
    while (duet_line_cursor_next(&c, &line, &n)) {
        const char *tab1 = memchr(line, '\t', n);
        const char *tab2 = tab1 ? memchr(tab1 + 1, '\t', n - (size_t)(tab1 + 1 - line)) : NULL;
        const char *field_end = tab2 ? memchr(tab2 + 1, '\t', n - (size_t)(tab2 + 1 - line)) : NULL;
        if (field_end == NULL)
            field_end = line + n;
        dict_entry e;
        if (tab2 == NULL || !decode_number(tab1 + 1, (size_t)(tab2 - tab1 - 1), &e.offset) ||
            !decode_number(tab2 + 1, (size_t)(field_end - tab2 - 1), &e.length)) {
            duet_free(entries);
            return duet_error_set(err, DUET_EFORMAT,
                                  "%s/%s:%zu: expected \"<headword> TAB <offset> TAB <length>\" "
                                  "with base-64 numbers, found \"%.*s\"",
                                  imp->raw_dir, rel, c.number, (int)(n > 60 ? 60 : n), line);
        }
        if (e.offset > dict_size || e.length > dict_size - e.offset) {
            duet_free(entries);
            return duet_error_set(err, DUET_EFORMAT,
                                  "%s/%s:%zu: the entry \"%.*s\" ends at byte %llu, past the end "
                                  "of %s/%s (%llu bytes); the .dict file is truncated: fetch it "
                                  "again with scripts/fetch-data.sh",
                                  imp->raw_dir, rel, c.number, (int)(tab1 - line), line,
                                  (unsigned long long)(e.offset + e.length), imp->raw_dir, dict_rel,
                                  (unsigned long long)dict_size);
        }
        if (!is_metadata(line, (size_t)(tab1 - line)))
            entries[n_entries++] = e;
    }
    qsort(entries, n_entries, sizeof *entries, compare_entries);
    size_t unique = 0;
    for (size_t i = 0; i < n_entries; i++)
        if (unique == 0 || entries[i].offset != entries[unique - 1].offset)
            entries[unique++] = entries[i];
    *out = entries;
    *count = unique;
    return DUET_OK;
}

duet_status duet_import_dictd(duet_import *imp, const char *name, duet_error *err)
{
    char index_rel[128], dict_rel[128];
    snprintf(index_rel, sizeof index_rel, "%s/%s.index", name, name);
    snprintf(dict_rel, sizeof dict_rel, "%s/%s.dict", name, name);
    duet_records *unit;
    duet_status status = duet_import_unit_records(imp, name, 0, &unit, err);
    char *index = NULL, *dict = NULL;
    size_t index_len = 0, dict_len = 0;
    if (status == DUET_OK)
        status = duet_import_read_file(imp, dict_rel, &dict, &dict_len, err);
    if (status == DUET_OK)
        status = duet_import_read_file(imp, index_rel, &index, &index_len, err);
    if (status == DUET_OK)
        status = duet_import_check_complete(imp, index_rel, index, index_len, err);
    dict_entry *entries = NULL;
    size_t count = 0;
    if (status == DUET_OK)
        status = parse_index(imp, index_rel, index, index_len, dict_len, dict_rel, &entries, &count,
                             err);
    char *text = status == DUET_OK ? duet_malloc(dict_len + 1) : NULL;
    if (status == DUET_OK && text == NULL)
        status = duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", dict_rel);
    for (size_t i = 0; status == DUET_OK && i < count; i++) {
        size_t tlen =
            duet_import_squeeze_space(dict + entries[i].offset, (size_t)entries[i].length, text);
        if (tlen > 0)
            status = duet_records_append(unit, text, tlen, NULL, 0, err);
    }
    duet_free(text);
    duet_free(entries);
    duet_free(index);
    duet_free(dict);
    return status;
}
