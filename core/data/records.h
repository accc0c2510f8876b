/*
 * A list of text records (sentences, glosses, mail paragraphs, verses, dictionary entries)
 * stored compactly: all record bytes in one array, with n + 1 offsets so that record i is
 * text[off[i] .. off[i+1]). Tagged records (Brown sentences) also carry one space-separated tag
 * string per record, whose k-th tag belongs to the k-th space-separated token of the text.
 * Record text is not NUL-terminated.
 */
#ifndef DUET_RECORDS_H
#define DUET_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct duet_records {
    size_t n;          /* records */
    char *text;        /* [off[n]] bytes of all records */
    uint64_t *off;     /* [n + 1]; off[0] = 0; NULL while n == 0 and nothing was reserved */
    char *tags;        /* [tag_off[n]] bytes of all tag strings, or NULL when untagged */
    uint64_t *tag_off; /* [n + 1], or NULL when untagged */
    int tagged;        /* 1 when tags and tag_off are used */
    size_t text_cap, off_cap, tags_cap; /* allocated sizes, for appends */
} duet_records;

/* A zeroed duet_records is an empty untagged list; set `tagged` before the first append. */
void duet_records_free(duet_records *r);

/*
 * Appends one record. tags must be NULL exactly when the list is untagged. The list is left
 * unchanged when an allocation fails.
 */
duet_status duet_records_append(duet_records *r, const char *text, size_t text_len,
                                const char *tags, size_t tags_len, duet_error *err);

/* Appends record i of src to dst (both tagged or both untagged). */
duet_status duet_records_append_from(duet_records *dst, const duet_records *src, size_t i,
                                     duet_error *err);

/* Length in bytes of record i, and of its tag string (0 when untagged). */
size_t duet_records_len(const duet_records *r, size_t i);
const char *duet_records_text(const duet_records *r, size_t i);
size_t duet_records_tags_len(const duet_records *r, size_t i);
const char *duet_records_tags(const duet_records *r, size_t i);

#endif
