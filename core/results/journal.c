/* The append-only run journal (format in journal.h). */
#include "results/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/mem.h"

#define JOURNAL_MAGIC    "duet-journal 1"
#define JOURNAL_LINE_MAX ((size_t)1 << 24)

struct duet_journal {
    int fd;
    char *path;
    uint64_t hash;
    duet_sync sync;
    struct timespec last_sync;
};

void duet_journal_set_sync(duet_journal *j, duet_sync sync)
{
    j->sync = sync;
}

/* 1 when the policy asks for a flush now. */
static int flush_due(duet_journal *j)
{
    if (j->sync == DUET_SYNC_ALWAYS)
        return 1;
    if (j->sync == DUET_SYNC_NEVER)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (double)(now.tv_sec - j->last_sync.tv_sec) +
                     1e-9 * (double)(now.tv_nsec - j->last_sync.tv_nsec);
    if (elapsed < 1.0)
        return 0;
    j->last_sync = now;
    return 1;
}

uint32_t duet_crc32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint64_t duet_config_hash(const char *resolved)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (const unsigned char *p = (const unsigned char *)resolved; *p; p++) {
        h ^= *p;
        h *= 0x100000001B3ull;
    }
    return h;
}

static duet_status write_all(int fd, const char *data, size_t len, const char *path,
                             duet_error *err)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return duet_error_set(err, DUET_EIO, "cannot write the journal %s: %s", path,
                                  n < 0 ? strerror(errno) : "no progress");
        data += n;
        len -= (size_t)n;
    }
    return DUET_OK;
}

static duet_status write_header(duet_journal *j, duet_error *err)
{
    char header[64];
    int len =
        snprintf(header, sizeof header, JOURNAL_MAGIC " %016llx\n", (unsigned long long)j->hash);
    duet_status st = write_all(j->fd, header, (size_t)len, j->path, err);
    if (st == DUET_OK && fsync(j->fd) != 0)
        st = duet_error_set(err, DUET_EIO, "cannot flush the journal %s: %s", j->path,
                            strerror(errno));
    return st;
}

duet_status duet_journal_open(const char *path, uint64_t config_hash, duet_journal **out,
                              duet_error *err)
{
    duet_journal *j = duet_calloc(1, sizeof *j);
    if (j == NULL || (j->path = duet_strdup(path)) == NULL) {
        duet_free(j);
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening the journal");
    }
    j->hash = config_hash;
    j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (j->fd < 0) {
        duet_status st =
            duet_error_set(err, DUET_EIO, "cannot open the journal %s: %s", path, strerror(errno));
        duet_journal_close(j);
        return st;
    }
    off_t size = lseek(j->fd, 0, SEEK_END);
    if (size == 0) {
        duet_status st = write_header(j, err);
        if (st != DUET_OK) {
            duet_journal_close(j);
            return st;
        }
    }
    *out = j;
    return DUET_OK;
}

void duet_journal_close(duet_journal *j)
{
    if (j == NULL)
        return;
    if (j->fd >= 0)
        close(j->fd);
    duet_free(j->path);
    duet_free(j);
}

duet_status duet_journal_reset(duet_journal *j, duet_error *err)
{
    if (ftruncate(j->fd, 0) != 0)
        return duet_error_set(err, DUET_EIO, "cannot empty the journal %s: %s", j->path,
                              strerror(errno));
    return write_header(j, err);
}

static void put_doubles(duet_buf *b, const double *v, size_t n)
{
    duet_buf_puts(b, " ");
    for (size_t i = 0; i < n; i++)
        duet_buf_printf(b, "%s%a", i ? "," : "", v[i]);
    if (n == 0)
        duet_buf_puts(b, "-");
}

static void put_int64s(duet_buf *b, const int64_t *v, size_t n)
{
    duet_buf_puts(b, " ");
    for (size_t i = 0; i < n; i++)
        duet_buf_printf(b, "%s%lld", i ? "," : "", (long long)v[i]);
    if (n == 0)
        duet_buf_puts(b, "-");
}

static duet_status append_line(duet_journal *j, duet_buf *b, duet_error *err)
{
    duet_status st = duet_buf_status(b, err);
    if (st != DUET_OK)
        return st;
    uint32_t crc = duet_crc32(b->data, b->len);
    duet_buf_printf(b, " crc=%08x\n", (unsigned)crc);
    if ((st = duet_buf_status(b, err)) != DUET_OK)
        return st;
    if ((st = write_all(j->fd, b->data, b->len, j->path, err)) != DUET_OK)
        return st;
    if (flush_due(j) && fdatasync(j->fd) != 0)
        return duet_error_set(err, DUET_EIO, "cannot flush the journal %s: %s", j->path,
                              strerror(errno));
    return DUET_OK;
}

duet_status duet_journal_iteration(duet_journal *j, size_t task, size_t method, size_t trial,
                                   size_t t, const duet_trial_results *tr, size_t n, size_t k,
                                   duet_error *err)
{
    duet_buf b = {0};
    duet_buf_printf(&b, "I %zu %zu %zu %zu %lld %a %a %a %a", task, method, trial, t,
                    (long long)tr->best_sample[t], tr->feedback[t], tr->value[t],
                    tr->inner_optimum[t], tr->seconds[t]);
    put_doubles(&b, tr->proposed + t * n, n);
    put_doubles(&b, tr->ratios + t * n, n);
    put_int64s(&b, tr->counts + t * n, n);
    put_doubles(&b, tr->ess + t * n, n);
    put_doubles(&b, tr->samples + t * k, k);
    put_doubles(&b, tr->sample_values + t * k, k);
    duet_buf_puts(&b, " ");
    if (tr->n_diag == 0)
        duet_buf_puts(&b, "-");
    for (size_t d = 0; d < tr->n_diag; d++) {
        const duet_series *s = &tr->diag[d];
        duet_buf_printf(&b, "%s%s:%zu:", d ? ";" : "", s->name, s->len);
        for (size_t i = 0; i < s->len; i++)
            duet_buf_printf(&b, "%s%a", i ? "," : "", s->values[t * s->len + i]);
    }
    duet_status st = append_line(j, &b, err);
    duet_buf_free(&b);
    return st;
}

duet_status duet_journal_warm(duet_journal *j, size_t task, size_t method, size_t trial, size_t p,
                              const duet_trial_results *tr, size_t n, duet_error *err)
{
    duet_buf b = {0};
    duet_buf_printf(&b, "W %zu %zu %zu %zu", task, method, trial, p);
    put_doubles(&b, tr->warm_ratios + p * n, n);
    duet_buf_printf(&b, " %a %a", tr->warm_feedback[p], tr->warm_value[p]);
    duet_status st = append_line(j, &b, err);
    duet_buf_free(&b);
    return st;
}

/* ------------------------------------------------------------------ replay */

typedef struct cursor {
    char *p;
    int ok;
} cursor;

/* Returns the next space-separated field, or NULL (and ok = 0) when there is none. */
static char *next_field(cursor *c)
{
    if (!c->ok || c->p == NULL || *c->p == '\0') {
        c->ok = 0;
        return NULL;
    }
    char *start = c->p;
    char *space = strchr(start, ' ');
    if (space) {
        *space = '\0';
        c->p = space + 1;
    } else {
        c->p = start + strlen(start);
    }
    return start;
}

static size_t next_index(cursor *c, size_t limit)
{
    char *f = next_field(c);
    if (f == NULL)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(f, &end, 10);
    if (errno || end == f || *end || v >= limit) {
        c->ok = 0;
        return 0;
    }
    return (size_t)v;
}

static double parse_double(char *text, int *ok)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0')
        *ok = 0;
    return v;
}

static double next_double(cursor *c)
{
    char *f = next_field(c);
    return f ? parse_double(f, &c->ok) : NAN;
}

/* Parses exactly n comma-separated doubles from text into out. */
static int parse_doubles(char *text, double *out, size_t n)
{
    if (n == 0)
        return strcmp(text, "-") == 0;
    int ok = 1;
    char *save = NULL;
    size_t i = 0;
    for (char *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (i >= n)
            return 0;
        out[i++] = parse_double(tok, &ok);
    }
    return ok && i == n;
}

static int parse_int64s(char *text, int64_t *out, size_t n)
{
    if (n == 0)
        return strcmp(text, "-") == 0;
    char *save = NULL;
    size_t i = 0;
    for (char *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(tok, &end, 10);
        if (i >= n || errno || end == tok || *end)
            return 0;
        out[i++] = v;
    }
    return i == n;
}

static void next_doubles(cursor *c, double *out, size_t n)
{
    char *f = next_field(c);
    if (f && !parse_doubles(f, out, n))
        c->ok = 0;
}

static void next_int64s(cursor *c, int64_t *out, size_t n)
{
    char *f = next_field(c);
    if (f && !parse_int64s(f, out, n))
        c->ok = 0;
}

/* Parses the diag field "name:len:v,...;..." into row t of tr. */
static int parse_diag(char *text, duet_trial_results *tr, size_t t, size_t T, duet_error *err)
{
    if (strcmp(text, "-") == 0)
        return 1;
    char *save = NULL;
    for (char *entry = strtok_r(text, ";", &save); entry; entry = strtok_r(NULL, ";", &save)) {
        char *colon1 = strchr(entry, ':');
        char *colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
        if (colon2 == NULL)
            return 0;
        *colon1 = *colon2 = '\0';
        char *end = NULL;
        unsigned long len = strtoul(colon1 + 1, &end, 10);
        if (*end || len == 0 || len > 65536)
            return 0;
        duet_series *s = NULL;
        if (duet_trial_series(tr, entry, (size_t)len, T, &s, err) != DUET_OK)
            return 0;
        if (!parse_doubles(colon2 + 1, s->values + t * s->len, s->len))
            return 0;
    }
    return 1;
}

/* Applies one record (without its crc suffix) to r; returns 1 if a row was filled. */
static duet_status apply_record(char *line, duet_results *r, size_t *filled, duet_error *err)
{
    cursor c = {line, 1};
    char *kind = next_field(&c);
    size_t ti = next_index(&c, r->n_tasks);
    if (!c.ok)
        return DUET_EFORMAT;
    duet_task_results *task = &r->tasks[ti];
    size_t mi = next_index(&c, task->n_methods);
    size_t trial = next_index(&c, r->trials);
    if (!c.ok)
        return DUET_EFORMAT;
    duet_method_results *mr = &task->methods[mi];
    duet_trial_results *tr = &mr->trials[trial];
    size_t n = task->n, k = mr->samples, T = r->iterations;
    *filled = 0;
    if (kind[0] == 'W' && kind[1] == '\0') {
        size_t p = next_index(&c, tr->warm_total);
        if (!c.ok)
            return DUET_EFORMAT;
        if (p < tr->warm_done)
            return DUET_OK;
        if (p > tr->warm_done)
            return DUET_EFORMAT;
        next_doubles(&c, tr->warm_ratios + p * n, n);
        tr->warm_feedback[p] = next_double(&c);
        tr->warm_value[p] = next_double(&c);
        if (!c.ok || *c.p != '\0')
            return DUET_EFORMAT;
        tr->warm_done = p + 1;
        *filled = 1;
        return DUET_OK;
    }
    if (kind[0] != 'I' || kind[1] != '\0')
        return DUET_EFORMAT;
    size_t t = next_index(&c, T);
    if (!c.ok)
        return DUET_EFORMAT;
    if (t < tr->iterations_done)
        return DUET_OK;
    if (t > tr->iterations_done)
        return DUET_EFORMAT;
    char *best = next_field(&c);
    if (best == NULL)
        return DUET_EFORMAT;
    char *end = NULL;
    long long b = strtoll(best, &end, 10);
    if (*end || b < 0 || (size_t)b >= k)
        return DUET_EFORMAT;
    tr->best_sample[t] = b;
    tr->feedback[t] = next_double(&c);
    tr->value[t] = next_double(&c);
    tr->inner_optimum[t] = next_double(&c);
    tr->seconds[t] = next_double(&c);
    next_doubles(&c, tr->proposed + t * n, n);
    next_doubles(&c, tr->ratios + t * n, n);
    next_int64s(&c, tr->counts + t * n, n);
    next_doubles(&c, tr->ess + t * n, n);
    next_doubles(&c, tr->samples + t * k, k);
    next_doubles(&c, tr->sample_values + t * k, k);
    char *diag = next_field(&c);
    if (!c.ok || *c.p != '\0' || diag == NULL)
        return DUET_EFORMAT;
    if (!parse_diag(diag, tr, t, T, err))
        return err && err->status == DUET_ENOMEM ? DUET_ENOMEM : DUET_EFORMAT;
    tr->iterations_done = t + 1;
    duet_trial_update_derived(tr, t, task->goal, task->optimum_known, task->optimum);
    *filled = 1;
    return DUET_OK;
}

/* Splits off and checks the " crc=XXXXXXXX" suffix; returns 1 when it matches. */
static int check_crc(char *line, size_t len)
{
    const size_t suffix = 13; /* " crc=" + 8 hex digits */
    if (len < suffix || strncmp(line + len - suffix, " crc=", 5) != 0)
        return 0;
    char *end = NULL;
    unsigned long crc = strtoul(line + len - 8, &end, 16);
    if (*end != '\0')
        return 0;
    line[len - suffix] = '\0';
    return duet_crc32(line, len - suffix) == (uint32_t)crc;
}

duet_status duet_journal_replay(const char *path, uint64_t config_hash, duet_results *r,
                                size_t *applied, size_t *torn, duet_error *err)
{
    *applied = 0;
    *torn = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return DUET_OK;
        return duet_error_set(err, DUET_EIO, "cannot open the journal %s: %s", path,
                              strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    size_t lineno = 0;
    duet_status st = DUET_OK;
    char *pending = NULL; /* a line that failed its check; an error unless it is the last */
    size_t pending_no = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (pending) {
            st = duet_error_set(err, DUET_EFORMAT,
                                "%s:%zu: corrupted journal record (bad checksum or fields) "
                                "before the last line; move the journal aside to resume from the "
                                "results file alone",
                                path, pending_no);
            break;
        }
        if ((size_t)got > JOURNAL_LINE_MAX) {
            st = duet_error_set(err, DUET_ELIMIT, "%s:%zu: journal line too long", path, lineno);
            break;
        }
        size_t len = (size_t)got;
        int complete = len > 0 && line[len - 1] == '\n';
        if (complete)
            line[--len] = '\0';
        if (lineno == 1) {
            char expect[64];
            snprintf(expect, sizeof expect, JOURNAL_MAGIC " %016llx",
                     (unsigned long long)config_hash);
            if (strncmp(line, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0) {
                st = duet_error_set(err, DUET_EFORMAT, "%s is not a duet journal", path);
                break;
            }
            if (!complete || strcmp(line, expect) != 0) {
                st = duet_error_set(err, DUET_EMISMATCH,
                                    "%s was written for another configuration; resume with the "
                                    "same script and --set options, or move the journal aside",
                                    path);
                break;
            }
            continue;
        }
        size_t filled = 0;
        duet_status rst = DUET_EFORMAT;
        if (complete && check_crc(line, len))
            rst = apply_record(line, r, &filled, err);
        if (rst == DUET_ENOMEM) {
            st = duet_error_set(err, DUET_ENOMEM, "out of memory replaying %s", path);
            break;
        }
        if (rst != DUET_OK) {
            pending = line;
            pending_no = lineno;
            continue;
        }
        *applied += filled;
    }
    if (st == DUET_OK && pending)
        *torn = 1;
    free(line);
    fclose(f);
    return st;
}
