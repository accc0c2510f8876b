/* Whole-file reading and crash-safe whole-file writing. */
#ifndef DUET_FILEIO_H
#define DUET_FILEIO_H

#include <stddef.h>

#include "util/error.h"

/*
 * Reads the file at path into a NUL-terminated buffer owned by the caller (duet_free). Files
 * larger than max_bytes are rejected with DUET_ELIMIT.
 */
duet_status duet_read_text_file(const char *path, size_t max_bytes, char **out, size_t *len,
                                duet_error *err);

/*
 * Replaces the file at path atomically: writes tmp_path, flushes it to disk, renames it over
 * path and flushes the folder. A crash leaves either the old or the new content, never a mix.
 */
duet_status duet_write_file_atomic(const char *path, const void *data, size_t len, duet_error *err);

/* Flushes the folder containing path, so a rename into it survives a crash. */
duet_status duet_sync_parent_dir(const char *path, duet_error *err);

/* The folder part of path ("." when it has none) copied into out. */
void duet_path_dirname(const char *path, char *out, size_t size);

#endif
