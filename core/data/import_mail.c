/*
 * SpamAssassin public mail corpus importer. Each *.txt file of a folder easy-ham-N, hard-ham-N
 * or spam-N is one mail; the folder name without its "-N" suffix names the unit (mail:easy_ham,
 * mail:hard_ham, mail:spam). A record is one paragraph of a mail body that reads as prose:
 * headers, quoted lines, MIME part headers, HTML and base64 blocks are dropped by the filter in
 * keep_paragraph. Files are read in byte order of their names, so the records are reproducible.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include "data/import_internal.h"
#include "util/mem.h"

/* Paragraphs shorter or longer than these (after white space is squeezed) are dropped. */
#define MAIL_MIN_BYTES 40
#define MAIL_MAX_BYTES 2000

typedef struct name_list {
    size_t n, cap;
    char **v;
} name_list;

static void name_list_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        duet_free(l->v[i]);
    duet_free(l->v);
    memset(l, 0, sizeof *l);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the entries of dir whose names pass `keep`, sorted by strcmp. */
static duet_status list_dir(const char *dir, int (*keep)(const char *), name_list *out,
                            duet_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return duet_error_set(err, DUET_ENOTFOUND,
                              "cannot open folder %s; run scripts/fetch-data.sh to fetch the raw "
                              "sources, or pass the folder that holds them with --raw",
                              dir);
    duet_status status = DUET_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!keep(e->d_name))
            continue;
        if (out->n == out->cap) {
            size_t grown = out->cap ? 2 * out->cap : 64;
            char **v = duet_realloc(out->v, grown * sizeof *v);
            if (v == NULL) {
                status = duet_error_set(err, DUET_ENOMEM, "out of memory listing %s", dir);
                break;
            }
            out->v = v;
            out->cap = grown;
        }
        char *copy = duet_strdup(e->d_name);
        if (copy == NULL) {
            status = duet_error_set(err, DUET_ENOMEM, "out of memory listing %s", dir);
            break;
        }
        out->v[out->n++] = copy;
    }
    closedir(d);
    if (status == DUET_OK && out->n > 0)
        qsort(out->v, out->n, sizeof *out->v, compare_names);
    return status;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int is_mail_folder(const char *name)
{
    return has_prefix(name, "easy-ham-") || has_prefix(name, "hard-ham-") ||
           has_prefix(name, "spam-");
}

static int is_mail_file(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && name[0] != '.' && strcmp(name + n - 4, ".txt") == 0;
}

/* Decodes quoted-printable soft line breaks and =XX escapes in place; returns the new length. */
static size_t decode_quoted_printable(char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=' && i + 1 < n && s[i + 1] == '\n') {
            i++;
            continue;
        }
        const char *hi = i + 2 < n && s[i] == '=' ? memchr(hex, s[i + 1], 16) : NULL;
        const char *lo = hi ? memchr(hex, s[i + 2], 16) : NULL;
        if (hi && lo) {
            s[out++] = (char)((hi - hex) * 16 + (lo - hex));
            i += 2;
            continue;
        }
        s[out++] = s[i];
    }
    return out;
}

/* Whether a squeezed paragraph reads as prose: mostly letters and spaces, no markup or codes. */
static int keep_paragraph(const char *p, size_t n)
{
    if (n < MAIL_MIN_BYTES || n > MAIL_MAX_BYTES)
        return 0;
    size_t letters = 0, spaces = 0, printable = 0, angles = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        letters += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        spaces += c == ' ';
        printable += c >= 32 && c < 127;
        angles += c == '<';
    }
    if (printable * 100 < n * 95 || letters * 100 < n * 60 || spaces * 100 < n * 8 || angles > 2)
        return 0;
    static const char *const markers[] = {"Content-", "MIME-",      "This is a multi-part",
                                          "&nbsp",    "http-equiv", "------"};
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
        size_t m = strlen(markers[i]);
        for (size_t k = 0; k + m <= n; k++)
            if (memcmp(p + k, markers[i], m) == 0)
                return 0;
    }
    return 1;
}

/* Appends the prose paragraphs of the mail body (lines starting with '>' removed). */
static duet_status add_paragraphs(char *body, size_t n, duet_records *unit, char *scratch,
                                  duet_error *err)
{
    size_t used = 0;
    size_t i = 0;
    duet_status status = DUET_OK;
    while (i <= n && status == DUET_OK) {
        const char *nl = i < n ? memchr(body + i, '\n', n - i) : NULL;
        size_t end = nl ? (size_t)(nl - body) : n;
        const char *line = body + i;
        size_t len = end - i;
        int blank = 1;
        for (size_t k = 0; k < len; k++)
            blank = blank && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r');
        if (blank || end == n) {
            if (!blank && line[0] != '>') {
                memcpy(scratch + used, line, len);
                used += len;
            }
            size_t squeezed = duet_import_squeeze_space(scratch, used, scratch);
            if (keep_paragraph(scratch, squeezed))
                status = duet_records_append(unit, scratch, squeezed, NULL, 0, err);
            used = 0;
        } else if (line[0] != '>') {
            memcpy(scratch + used, line, len);
            used += len;
            scratch[used++] = ' ';
        }
        i = end + 1;
    }
    return status;
}

/* Whether `needle` (lower case) occurs in the NUL-terminated s, ignoring ASCII case. */
static int contains_ignoring_case(const char *s, const char *needle)
{
    size_t m = strlen(needle);
    for (; *s; s++) {
        size_t k = 0;
        while (k < m && s[k] && tolower((unsigned char)s[k]) == needle[k])
            k++;
        if (k == m)
            return 1;
    }
    return 0;
}

static duet_status import_mail_file(duet_import *imp, const char *rel, duet_records *unit,
                                    duet_error *err)
{
    char *data;
    size_t len;
    duet_status status = duet_import_read_file(imp, rel, &data, &len, err);
    if (status != DUET_OK)
        return status;
    char *split = strstr(data, "\n\n");
    char *split_crlf = strstr(data, "\n\r\n");
    if (split == NULL || (split_crlf != NULL && split_crlf < split))
        split = split_crlf;
    if (split == NULL) {
        size_t lines = 1;
        for (size_t i = 0; i < len; i++)
            lines += data[i] == '\n';
        status = duet_error_set(err, DUET_EFORMAT,
                                "%s/%s:%zu: no empty line ends the mail header; the file is "
                                "truncated or not a mail: fetch it again with "
                                "scripts/fetch-data.sh",
                                imp->raw_dir, rel, lines);
        duet_free(data);
        return status;
    }
    *split = '\0';
    int quoted_printable = contains_ignoring_case(data, "quoted-printable");
    char *body = split + 1;
    size_t body_len = len - (size_t)(body - data);
    if (quoted_printable)
        body_len = decode_quoted_printable(body, body_len);
    char *scratch = duet_malloc(body_len + 2);
    if (scratch == NULL)
        status = duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", rel);
    else
        status = add_paragraphs(body, body_len, unit, scratch, err);
    duet_free(scratch);
    duet_free(data);
    return status;
}

/* "easy-ham-1" -> "mail:easy_ham". */
static void unit_name_of(const char *folder, char *out, size_t size)
{
    char base[64];
    snprintf(base, sizeof base, "%s", folder);
    char *dash = strrchr(base, '-');
    if (dash != NULL)
        *dash = '\0';
    for (char *p = base; *p; p++)
        if (*p == '-')
            *p = '_';
    snprintf(out, size, "mail:%s", base);
}

duet_status duet_import_mail(duet_import *imp, duet_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/mail", imp->raw_dir);
    name_list folders = {0};
    duet_status status = list_dir(dir, is_mail_folder, &folders, err);
    if (status == DUET_OK && folders.n == 0)
        status = duet_error_set(err, DUET_ENOTFOUND,
                                "%s has no easy-ham-N, hard-ham-N or spam-N folder; run "
                                "scripts/fetch-data.sh to fetch the mail corpus",
                                dir);
    for (size_t f = 0; status == DUET_OK && f < folders.n; f++) {
        char sub[4096 + 64], unit_name[80];
        snprintf(sub, sizeof sub, "%s/%s", dir, folders.v[f]);
        unit_name_of(folders.v[f], unit_name, sizeof unit_name);
        duet_records *unit;
        status = duet_import_unit_records(imp, unit_name, 0, &unit, err);
        name_list files = {0};
        if (status == DUET_OK)
            status = list_dir(sub, is_mail_file, &files, err);
        for (size_t i = 0; status == DUET_OK && i < files.n; i++) {
            char rel[512];
            snprintf(rel, sizeof rel, "mail/%s/%s", folders.v[f], files.v[i]);
            status = import_mail_file(imp, rel, unit, err);
        }
        name_list_free(&files);
    }
    name_list_free(&folders);
    return status;
}
