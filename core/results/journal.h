/*
 * The run journal: an append-only text file beside the results file (FILE.h5.journal) that
 * records every finished iteration and warm-start point the moment it finishes, flushed to disk,
 * so that a run killed between two HDF5 snapshots loses nothing.
 *
 * Format (one record per line, fields separated by single spaces, numbers as C99 hexadecimal
 * floats so that they read back bit for bit):
 *
 *     duet-journal 1 <config-hash>
 *     W <task> <method> <trial> <point> <ratios> <feedback> <value> crc=<crc32>
 *     I <task> <method> <trial> <iter> <best-sample> <feedback> <value> <inner-optimum> <seconds>
 *       <proposed> <ratios> <counts> <ess> <samples> <sample-values> <diag> crc=<crc32>
 *
 * Lists are comma-separated; <diag> is "-" or name:len:v1,v2,...;name:len:... . The CRC-32
 * covers the line up to the space before "crc=". A last line without its newline or with a bad
 * CRC is a record torn by a crash and is ignored; a bad line before the last is an error.
 */
#ifndef DUET_JOURNAL_H
#define DUET_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "results/results.h"
#include "util/error.h"

typedef struct duet_journal duet_journal;

/* CRC-32 (IEEE 802.3 polynomial, as in zlib) of len bytes. */
uint32_t duet_crc32(const void *data, size_t len);

/* 64-bit FNV-1a of a string, printed as the config hash that ties a journal to its run. */
uint64_t duet_config_hash(const char *resolved);

/*
 * How records reach the disk. Every record is written to the file (so a killed process loses
 * nothing) and then, for DUET_SYNC_ALWAYS, flushed to the device with fdatasync before the run
 * continues, so an operating-system crash or power loss loses nothing either; DUET_SYNC_SECOND
 * flushes at most once a second (a machine crash loses at most the last second);
 * DUET_SYNC_NEVER leaves flushing to the operating system.
 */
typedef enum duet_sync {
    DUET_SYNC_ALWAYS = 0,
    DUET_SYNC_SECOND = 1,
    DUET_SYNC_NEVER = 2,
} duet_sync;

/* Sets the flush policy of an open journal (DUET_SYNC_ALWAYS until changed). */
void duet_journal_set_sync(duet_journal *j, duet_sync sync);

/* Opens the journal for appending, creating it with its header if absent. */
duet_status duet_journal_open(const char *path, uint64_t config_hash, duet_journal **out,
                              duet_error *err);
void duet_journal_close(duet_journal *j);

/* Appends row t of trial tr (n domains, k samples) and flushes it to disk. */
duet_status duet_journal_iteration(duet_journal *j, size_t task, size_t method, size_t trial,
                                   size_t t, const duet_trial_results *tr, size_t n, size_t k,
                                   duet_error *err);
/* Appends warm-start point p of trial tr and flushes it. */
duet_status duet_journal_warm(duet_journal *j, size_t task, size_t method, size_t trial, size_t p,
                              const duet_trial_results *tr, size_t n, duet_error *err);
/* Empties the journal (keeping its header) after a snapshot that contains all its records. */
duet_status duet_journal_reset(duet_journal *j, duet_error *err);

/*
 * Applies the records of the journal at path to r: records already in r (row below
 * iterations_done) are skipped, the next row is filled, and derived columns are recomputed.
 * *applied counts the rows filled. A missing journal applies nothing. A journal written for
 * another configuration (hash mismatch) is DUET_EMISMATCH.
 */
duet_status duet_journal_replay(const char *path, uint64_t config_hash, duet_results *r,
                                size_t *applied, size_t *torn, duet_error *err);

#endif
