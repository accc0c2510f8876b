/* Helpers shared by the importers in core/data/import_*.c; not part of the public interface. */
#ifndef DUET_IMPORT_INTERNAL_H
#define DUET_IMPORT_INTERNAL_H

#include <stddef.h>

#include "data/import.h"

/*
 * Reads raw_dir/rel into a NUL-terminated buffer (*data, owned by the caller, *len bytes
 * without the NUL) and records rel with its SHA-256 in the import's file list.
 */
duet_status duet_import_read_file(duet_import *imp, const char *rel, char **data, size_t *len,
                                  duet_error *err);

/*
 * Reads a line-oriented text file like duet_import_read_file, checks that it is complete
 * (duet_import_check_complete) and allocates *scratch with room for `scratch_copies` copies of
 * the file plus one byte, for building records. On failure nothing stays allocated.
 */
duet_status duet_import_read_lines(duet_import *imp, const char *rel, size_t scratch_copies,
                                   char **data, size_t *len, char **scratch, duet_error *err);

/* The record list of the unit `name`, created (empty, tagged as given) when absent. */
duet_status duet_import_unit_records(duet_import *imp, const char *name, int tagged,
                                     duet_records **out, duet_error *err);

/*
 * Fails with DUET_EFORMAT naming rel when the buffer does not end with a line feed: every raw
 * text file ends with one, so a missing final line feed means the file was cut short.
 */
duet_status duet_import_check_complete(const duet_import *imp, const char *rel, const char *data,
                                       size_t len, duet_error *err);

/*
 * Copies n bytes from in to out (room for n bytes) with every run of white space (space, tab,
 * CR, LF, FF, VT) replaced by one space and leading and trailing white space removed. Returns
 * the length written.
 */
size_t duet_import_squeeze_space(const char *in, size_t n, char *out);

/* Line cursor over a NUL-terminated buffer; line numbers count from 1. */
typedef struct duet_line_cursor {
    const char *next;
    const char *end;
    size_t number; /* number of the line last returned */
} duet_line_cursor;

void duet_line_cursor_init(duet_line_cursor *c, const char *data, size_t len);
/* Stores the next line (without its line feed) in *line and *len; returns 0 at the end. */
int duet_line_cursor_next(duet_line_cursor *c, const char **line, size_t *len);

/* Importers of single sources, called by duet_import_source_run. */
duet_status duet_import_brown(duet_import *imp, duet_error *err);
duet_status duet_import_mail(duet_import *imp, duet_error *err);
duet_status duet_import_wordnet(duet_import *imp, duet_error *err);
duet_status duet_import_kjv(duet_import *imp, duet_error *err);
duet_status duet_import_dictd(duet_import *imp, const char *name, duet_error *err);

#endif
