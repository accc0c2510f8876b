/*
 * Brown corpus importer (Form C, tagged; Francis and Kucera 1964, revised 1979). cats.txt maps
 * each file to its genre; every non-blank line of a file is one sentence of word/tag tokens.
 * A record's text is its words joined by single spaces and its tag string the Brown tags joined
 * the same way, so token k of the text has tag k. The split point of a token is its last '/',
 * because words such as "1/2" contain slashes.
 */
#include <stdio.h>
#include <string.h>

#include "data/import_internal.h"
#include "util/mem.h"

/* Checks that a cats.txt file name has the form c[a-r][0-9][0-9]. */
static int valid_file_name(const char *s, size_t n)
{
    return n == 4 && s[0] == 'c' && s[1] >= 'a' && s[1] <= 'r' && s[2] >= '0' && s[2] <= '9' &&
           s[3] >= '0' && s[3] <= '9';
}

static int valid_genre(const char *s, size_t n)
{
    if (n == 0 || n > 40)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return 0;
    return 1;
}

/* Splits one sentence line into words and tags and appends it to unit. */
static duet_status parse_sentence(duet_import *imp, const char *rel, size_t line_number,
                                  const char *line, size_t n, duet_records *unit, char *words,
                                  char *tags, duet_error *err)
{
    size_t wlen = 0, tlen = 0, i = 0;
    while (i < n) {
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i >= n)
            break;
        size_t start = i;
        while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            i++;
        const char *token = line + start;
        size_t token_len = i - start;
        const char *slash = NULL;
        for (size_t k = token_len; k-- > 0;)
            if (token[k] == '/') {
                slash = token + k;
                break;
            }
        if (slash == NULL || slash == token || slash == token + token_len - 1)
            return duet_error_set(err, DUET_EFORMAT,
                                  "%s/%s:%zu: token \"%.*s\" is not of the form word/tag; the "
                                  "file is damaged: fetch it again with scripts/fetch-data.sh",
                                  imp->raw_dir, rel, line_number,
                                  (int)(token_len > 60 ? 60 : token_len), token);
        size_t word_len = (size_t)(slash - token), tag_len = token_len - word_len - 1;
        if (wlen > 0) {
            words[wlen++] = ' ';
            tags[tlen++] = ' ';
        }
        memcpy(words + wlen, token, word_len);
        wlen += word_len;
        memcpy(tags + tlen, slash + 1, tag_len);
        tlen += tag_len;
    }
    if (wlen == 0)
        return DUET_OK;
    return duet_records_append(unit, words, wlen, tags, tlen, err);
}

static duet_status import_file(duet_import *imp, const char *file, const char *genre,
                               duet_error *err)
{
    char rel[64], unit_name[64];
    snprintf(rel, sizeof rel, "brown/%s", file);
    snprintf(unit_name, sizeof unit_name, "brown:%s", genre);
    duet_records *unit;
    duet_status status = duet_import_unit_records(imp, unit_name, 1, &unit, err);
    if (status != DUET_OK)
        return status;
    char *data, *words;
    size_t len;
    status = duet_import_read_lines(imp, rel, 2, &data, &len, &words, err);
    if (status != DUET_OK)
        return status;
    char *tags = words + len + 1; /* the second half of the scratch buffer */
    duet_line_cursor c;
    const char *line;
    size_t n;
    duet_line_cursor_init(&c, data, len);
    while (status == DUET_OK && duet_line_cursor_next(&c, &line, &n))
        status = parse_sentence(imp, rel, c.number, line, n, unit, words, tags, err);
    duet_free(words);
    duet_free(data);
    return status;
}

duet_status duet_import_brown(duet_import *imp, duet_error *err)
{
    const char *rel = "brown/cats.txt";
    char *cats;
    size_t len;
    duet_status status = duet_import_read_file(imp, rel, &cats, &len, err);
    if (status != DUET_OK)
        return status;
    status = duet_import_check_complete(imp, rel, cats, len, err);
    duet_line_cursor c;
    const char *line;
    size_t n;
    duet_line_cursor_init(&c, cats, len);
    while (status == DUET_OK && duet_line_cursor_next(&c, &line, &n)) {
        if (n == 0)
            continue;
        const char *space = memchr(line, ' ', n);
        size_t name_len = space ? (size_t)(space - line) : n;
        const char *genre = space ? space + 1 : line + n;
        size_t genre_len = n - name_len - (space != NULL);
        if (!valid_file_name(line, name_len) || !valid_genre(genre, genre_len)) {
            status = duet_error_set(err, DUET_EFORMAT,
                                    "%s/%s:%zu: expected \"<file> <genre>\" such as \"ca01 news\", "
                                    "found \"%.*s\"",
                                    imp->raw_dir, rel, c.number, (int)(n > 60 ? 60 : n), line);
            break;
        }
        char file[8], genre_name[48];
        snprintf(file, sizeof file, "%.*s", (int)name_len, line);
        snprintf(genre_name, sizeof genre_name, "%.*s", (int)genre_len, genre);
        status = import_file(imp, file, genre_name, err);
    }
    duet_free(cats);
    return status;
}
