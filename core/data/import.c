/*
 * The import context: units of records, the sources they came from and the manifest of every
 * file read. Invariant: file_paths[0..n_files) and file_sha256 are parallel, and each source's
 * sha256 covers exactly the files recorded while its importer ran.
 */
#include "data/import.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "data/import_internal.h"
#include "data/sha256.h"
#include "util/mem.h"

duet_status duet_import_init(duet_import *imp, const char *raw_dir, duet_error *err)
{
    memset(imp, 0, sizeof *imp);
    imp->raw_dir = duet_strdup(raw_dir);
    if (imp->raw_dir == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory starting an import from %s",
                              raw_dir);
    return DUET_OK;
}

void duet_import_free(duet_import *imp)
{
    if (imp == NULL)
        return;
    for (size_t i = 0; i < imp->n_units; i++) {
        duet_free(imp->units[i].name);
        duet_records_free(&imp->units[i].records);
    }
    for (size_t i = 0; i < imp->n_sources; i++) {
        duet_free(imp->sources[i].name);
        duet_free(imp->sources[i].package);
        duet_free(imp->sources[i].licence);
    }
    for (size_t i = 0; i < imp->n_files; i++)
        duet_free(imp->file_paths[i]);
    duet_free(imp->units);
    duet_free(imp->sources);
    duet_free(imp->file_paths);
    duet_free(imp->file_sha256);
    duet_free(imp->raw_dir);
    memset(imp, 0, sizeof *imp);
}

/* Grows an array of elements of `size` bytes so that it holds at least n + 1 elements. */
static int grow(void **array, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 1;
    size_t grown = *cap ? 2 * *cap : 16;
    int overflow;
    size_t bytes = duet_mul_size(grown, size, &overflow);
    if (overflow)
        return 0;
    void *p = duet_realloc(*array, bytes);
    if (p == NULL)
        return 0;
    *array = p;
    *cap = grown;
    return 1;
}

static duet_status record_file(duet_import *imp, const char *rel, const char *hex, duet_error *err)
{
    void *paths = imp->file_paths, *digests = imp->file_sha256;
    size_t cap_paths = imp->cap_files, cap_digests = imp->cap_files;
    int ok = grow(&paths, &cap_paths, imp->n_files, sizeof(char *));
    imp->file_paths = paths;
    ok = ok && grow(&digests, &cap_digests, imp->n_files, 65);
    imp->file_sha256 = digests;
    if (!ok)
        return duet_error_set(err, DUET_ENOMEM, "out of memory recording input file %s", rel);
    imp->cap_files = cap_paths < cap_digests ? cap_paths : cap_digests;
    char *copy = duet_strdup(rel);
    if (copy == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory recording input file %s", rel);
    imp->file_paths[imp->n_files] = copy;
    memcpy(imp->file_sha256[imp->n_files], hex, 65);
    imp->n_files++;
    return DUET_OK;
}

duet_status duet_import_read_file(duet_import *imp, const char *rel, char **data, size_t *len,
                                  duet_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", imp->raw_dir, rel) >= (int)sizeof path)
        return duet_error_set(err, DUET_ELIMIT, "path %s/%s is longer than %zu bytes", imp->raw_dir,
                              rel, sizeof path - 1);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return duet_error_set(err, errno == ENOENT ? DUET_ENOTFOUND : DUET_EIO,
                              "cannot open %s: %s; run scripts/fetch-data.sh to fetch the raw "
                              "sources, or pass the folder that holds them with --raw",
                              path, strerror(errno));
    char *buf = NULL;
    size_t used = 0, cap = 0;
    duet_status status = DUET_OK;
    for (;;) {
        if (used + 65536 + 1 > cap) {
            size_t grown = cap ? 2 * cap : 65536 * 2;
            char *p = duet_realloc(buf, grown);
            if (p == NULL) {
                status = duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", path);
                break;
            }
            buf = p;
            cap = grown;
        }
        size_t got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0) {
            if (ferror(f))
                status = duet_error_set(err, DUET_EIO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (status != DUET_OK) {
        duet_free(buf);
        return status;
    }
    buf[used] = '\0';
    char hex[65];
    duet_sha256_hex(buf, used, hex);
    status = record_file(imp, rel, hex, err);
    if (status != DUET_OK) {
        duet_free(buf);
        return status;
    }
    *data = buf;
    *len = used;
    return DUET_OK;
}

duet_status duet_import_read_lines(duet_import *imp, const char *rel, size_t scratch_copies,
                                   char **data, size_t *len, char **scratch, duet_error *err)
{
    duet_status status = duet_import_read_file(imp, rel, data, len, err);
    if (status != DUET_OK)
        return status;
    status = duet_import_check_complete(imp, rel, *data, *len, err);
    int overflow;
    size_t bytes = duet_mul_size(*len + 1, scratch_copies, &overflow);
    *scratch = status == DUET_OK && !overflow ? duet_malloc(bytes) : NULL;
    if (status == DUET_OK && *scratch == NULL)
        status = duet_error_set(err, DUET_ENOMEM, "out of memory reading %s/%s", imp->raw_dir, rel);
    if (status != DUET_OK) {
        duet_free(*data);
        *data = NULL;
    }
    return status;
}

duet_status duet_import_unit_records(duet_import *imp, const char *name, int tagged,
                                     duet_records **out, duet_error *err)
{
    for (size_t i = 0; i < imp->n_units; i++) {
        if (strcmp(imp->units[i].name, name) == 0) {
            *out = &imp->units[i].records;
            return DUET_OK;
        }
    }
    void *units = imp->units;
    int ok = grow(&units, &imp->cap_units, imp->n_units, sizeof *imp->units);
    imp->units = units;
    char *copy = ok ? duet_strdup(name) : NULL;
    if (copy == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory adding unit %s", name);
    duet_import_unit *u = &imp->units[imp->n_units++];
    memset(u, 0, sizeof *u);
    u->name = copy;
    u->records.tagged = tagged;
    *out = &u->records;
    return DUET_OK;
}

const duet_import_unit *duet_import_find_unit(const duet_import *imp, const char *name)
{
    for (size_t i = 0; i < imp->n_units; i++)
        if (strcmp(imp->units[i].name, name) == 0)
            return &imp->units[i];
    return NULL;
}

duet_status duet_import_check_complete(const duet_import *imp, const char *rel, const char *data,
                                       size_t len, duet_error *err)
{
    if (len == 0 || data[len - 1] == '\n')
        return DUET_OK;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    return duet_error_set(err, DUET_EFORMAT,
                          "%s/%s:%zu: the file ends inside this line, without a line feed; the "
                          "file is truncated: fetch it again with scripts/fetch-data.sh",
                          imp->raw_dir, rel, lines);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

size_t duet_import_squeeze_space(const char *in, size_t n, char *out)
{
    size_t len = 0;
    int pending_space = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space(in[i])) {
            pending_space = len > 0;
            continue;
        }
        if (pending_space)
            out[len++] = ' ';
        pending_space = 0;
        out[len++] = in[i];
    }
    return len;
}

void duet_line_cursor_init(duet_line_cursor *c, const char *data, size_t len)
{
    c->next = data;
    c->end = data + len;
    c->number = 0;
}

int duet_line_cursor_next(duet_line_cursor *c, const char **line, size_t *len)
{
    if (c->next >= c->end)
        return 0;
    const char *nl = memchr(c->next, '\n', (size_t)(c->end - c->next));
    const char *stop = nl ? nl : c->end;
    *line = c->next;
    *len = (size_t)(stop - c->next);
    c->next = nl ? nl + 1 : c->end;
    c->number++;
    return 1;
}

/* Copies the value of "key: value" from the SOURCE text into *out (owned), or fails. */
static duet_status source_field(const duet_import *imp, const char *rel, const char *text,
                                size_t len, const char *key, char **out, duet_error *err)
{
    duet_line_cursor c;
    const char *line;
    size_t n, klen = strlen(key);
    duet_line_cursor_init(&c, text, len);
    while (duet_line_cursor_next(&c, &line, &n)) {
        if (n > klen + 1 && memcmp(line, key, klen) == 0 && line[klen] == ':') {
            char *value = duet_malloc(n - klen);
            if (value == NULL)
                return duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", rel);
            size_t vlen = duet_import_squeeze_space(line + klen + 1, n - klen - 1, value);
            value[vlen] = '\0';
            *out = value;
            return DUET_OK;
        }
    }
    return duet_error_set(err, DUET_EFORMAT,
                          "%s/%s has no \"%s:\" line; scripts/fetch-data.sh writes it with the "
                          "source's package and licence",
                          imp->raw_dir, rel, key);
}

/* Reads <source>/SOURCE and appends the source entry (its digest is filled in later). */
static duet_status begin_source(duet_import *imp, const char *source, duet_error *err)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/SOURCE", source);
    char *text;
    size_t len;
    duet_status status = duet_import_read_file(imp, rel, &text, &len, err);
    if (status != DUET_OK)
        return status;
    void *sources = imp->sources;
    int ok = grow(&sources, &imp->cap_sources, imp->n_sources, sizeof *imp->sources);
    imp->sources = sources;
    if (!ok) {
        duet_free(text);
        return duet_error_set(err, DUET_ENOMEM, "out of memory adding source %s", source);
    }
    duet_import_source *s = &imp->sources[imp->n_sources];
    memset(s, 0, sizeof *s);
    s->name = duet_strdup(source);
    status = s->name ? DUET_OK : duet_error_set(err, DUET_ENOMEM, "out of memory");
    if (status == DUET_OK)
        status = source_field(imp, rel, text, len, "package", &s->package, err);
    if (status == DUET_OK)
        status = source_field(imp, rel, text, len, "licence", &s->licence, err);
    duet_free(text);
    imp->n_sources++; /* counted even on failure so that duet_import_free releases it */
    return status;
}

/* Sets the digest of the last source to the hash of the manifest lines of files [first, n). */
static void finish_source(duet_import *imp, size_t first_file)
{
    duet_sha256 h;
    duet_sha256_init(&h);
    for (size_t i = first_file; i < imp->n_files; i++) {
        duet_sha256_update(&h, imp->file_sha256[i], 64);
        duet_sha256_update(&h, "  ", 2);
        duet_sha256_update(&h, imp->file_paths[i], strlen(imp->file_paths[i]));
        duet_sha256_update(&h, "\n", 1);
    }
    duet_sha256_final_hex(&h, imp->sources[imp->n_sources - 1].sha256);
}

duet_status duet_import_source_run(duet_import *imp, const char *source, duet_error *err)
{
    for (size_t i = 0; i < imp->n_sources; i++)
        if (strcmp(imp->sources[i].name, source) == 0)
            return DUET_OK;
    duet_status (*run)(duet_import *, duet_error *) = NULL;
    int dictd = strcmp(source, "foldoc") == 0 || strcmp(source, "jargon") == 0;
    if (strcmp(source, "brown") == 0)
        run = duet_import_brown;
    else if (strcmp(source, "mail") == 0)
        run = duet_import_mail;
    else if (strcmp(source, "wordnet") == 0)
        run = duet_import_wordnet;
    else if (strcmp(source, "kjv") == 0)
        run = duet_import_kjv;
    else if (!dictd)
        return duet_error_set(err, DUET_ENOTFOUND,
                              "unknown source \"%s\"; the sources are brown, mail, wordnet, kjv, "
                              "foldoc and jargon",
                              source);
    size_t first_file = imp->n_files;
    duet_status status = begin_source(imp, source, err);
    if (status == DUET_OK)
        status = dictd ? duet_import_dictd(imp, source, err) : run(imp, err);
    if (status != DUET_OK)
        return status;
    finish_source(imp, first_file);
    return DUET_OK;
}
