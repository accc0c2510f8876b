/*
 * Growable record lists. Invariant: off[0..n] (and tag_off[0..n] when tagged) are
 * non-decreasing, off[n] bytes of text are valid, and off is non-NULL whenever n > 0.
 */
#include "data/records.h"

#include <string.h>

#include "util/mem.h"

void duet_records_free(duet_records *r)
{
    if (r == NULL)
        return;
    duet_free(r->text);
    duet_free(r->off);
    duet_free(r->tags);
    duet_free(r->tag_off);
    int tagged = r->tagged;
    memset(r, 0, sizeof *r);
    r->tagged = tagged;
}

/* Ensures *buf has room for `need` bytes, doubling its capacity. */
static int reserve_bytes(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 1;
    size_t grown = *cap ? *cap : 4096;
    while (grown < need) {
        if (grown > SIZE_MAX / 2)
            return 0;
        grown *= 2;
    }
    char *p = duet_realloc(*buf, grown);
    if (p == NULL)
        return 0;
    *buf = p;
    *cap = grown;
    return 1;
}

/* Ensures room for n + 2 offsets in r->off (and r->tag_off when tagged). */
static int reserve_offsets(duet_records *r)
{
    if (r->n + 2 <= r->off_cap)
        return 1;
    size_t grown = r->off_cap ? 2 * r->off_cap : 256;
    int overflow;
    size_t bytes = duet_mul_size(grown, sizeof(uint64_t), &overflow);
    if (overflow)
        return 0;
    uint64_t *off = duet_realloc(r->off, bytes);
    if (off == NULL)
        return 0;
    if (r->off == NULL)
        off[0] = 0;
    r->off = off;
    if (r->tagged) {
        uint64_t *tag_off = duet_realloc(r->tag_off, bytes);
        if (tag_off == NULL)
            return 0; /* off grew but keeps its content; off_cap stays, so nothing is lost */
        if (r->tag_off == NULL)
            tag_off[0] = 0;
        r->tag_off = tag_off;
    }
    r->off_cap = grown;
    return 1;
}

duet_status duet_records_append(duet_records *r, const char *text, size_t text_len,
                                const char *tags, size_t tags_len, duet_error *err)
{
    if ((tags != NULL) != (r->tagged != 0))
        return duet_error_set(err, DUET_EINVAL,
                              "record tags given to an %s record list; pass tags exactly when the "
                              "list is tagged",
                              r->tagged ? "tagged" : "untagged");
    size_t text_used = r->n ? (size_t)r->off[r->n] : 0;
    size_t tags_used = r->n && r->tagged ? (size_t)r->tag_off[r->n] : 0;
    /* One spare byte keeps the buffers non-NULL even when every record is empty. */
    if (!reserve_offsets(r) || !reserve_bytes(&r->text, &r->text_cap, text_used + text_len + 1) ||
        (r->tagged && !reserve_bytes(&r->tags, &r->tags_cap, tags_used + tags_len + 1)))
        return duet_error_set(err, DUET_ENOMEM, "out of memory appending record %zu (%zu bytes)",
                              r->n, text_len);
    memcpy(r->text + text_used, text, text_len);
    r->off[r->n + 1] = text_used + text_len;
    if (r->tagged) {
        memcpy(r->tags + tags_used, tags, tags_len);
        r->tag_off[r->n + 1] = tags_used + tags_len;
    }
    r->n++;
    return DUET_OK;
}

duet_status duet_records_append_from(duet_records *dst, const duet_records *src, size_t i,
                                     duet_error *err)
{
    return duet_records_append(dst, duet_records_text(src, i), duet_records_len(src, i),
                               src->tagged ? duet_records_tags(src, i) : NULL,
                               duet_records_tags_len(src, i), err);
}

size_t duet_records_len(const duet_records *r, size_t i)
{
    return (size_t)(r->off[i + 1] - r->off[i]);
}

const char *duet_records_text(const duet_records *r, size_t i)
{
    return r->text + r->off[i];
}

size_t duet_records_tags_len(const duet_records *r, size_t i)
{
    return r->tagged ? (size_t)(r->tag_off[i + 1] - r->tag_off[i]) : 0;
}

const char *duet_records_tags(const duet_records *r, size_t i)
{
    return r->tagged ? r->tags + r->tag_off[i] : NULL;
}
