/*
 * Importers that turn the raw sources fetched by scripts/fetch-data.sh into record lists.
 *
 * The raw folder has one sub-folder per source, each with a SOURCE file ("package: ..." and
 * "licence: ..." lines written by the fetch script) and the source's own files:
 *
 *   brown/    c[a-r][0-9][0-9] (word/tag tokens, one sentence a line) and cats.txt (file genre)
 *   mail/     easy-ham-*, hard-ham-*, spam-* folders of *.txt mails (SpamAssassin public corpus)
 *   wordnet/  data.noun, data.verb, data.adj, data.adv (WordNet 3.0 database files)
 *   kjv/      kjv.txt (one verse a line: "Ge1:1 In the beginning ...")
 *   foldoc/, jargon/  <name>.index and <name>.dict (dictd format, uncompressed)
 *
 * Each importer adds named units of records ("brown:news", "mail:spam", "wordnet:noun",
 * "kjv:old", "foldoc", ...) to a duet_import, and records the path and SHA-256 of every file
 * it read. Malformed input fails with a message naming the file and line.
 */
#ifndef DUET_IMPORT_H
#define DUET_IMPORT_H

#include <stddef.h>

#include "data/records.h"
#include "util/error.h"

/* Version of the import rules; stored in every pool file. Raise it when records change. */
#define DUET_IMPORTER_VERSION 1

typedef struct duet_import_unit {
    char *name; /* "brown:news", "mail:spam", ... (owned) */
    duet_records records;
} duet_import_unit;

typedef struct duet_import_source {
    char *name;      /* folder under the raw directory: "brown", "mail", ... (owned) */
    char *package;   /* "package:" line of its SOURCE file (owned) */
    char *licence;   /* "licence:" line of its SOURCE file (owned) */
    char sha256[65]; /* digest of the source's manifest: "<sha256>  <path>\n" per file read */
} duet_import_source;

typedef struct duet_import {
    char *raw_dir; /* owned copy */
    size_t n_units, cap_units;
    duet_import_unit *units;
    size_t n_sources, cap_sources;
    duet_import_source *sources;
    size_t n_files, cap_files;
    char **file_paths;       /* [n_files] paths relative to raw_dir (owned) */
    char (*file_sha256)[65]; /* [n_files] hex digests */
} duet_import;

/* Starts an empty import reading from raw_dir. */
duet_status duet_import_init(duet_import *imp, const char *raw_dir, duet_error *err);
void duet_import_free(duet_import *imp);

/* Runs the importer of one source folder ("brown", "mail", "wordnet", "kjv", "foldoc", "jargon").
 */
duet_status duet_import_source_run(duet_import *imp, const char *source, duet_error *err);

/* The unit with this name, or NULL. */
const duet_import_unit *duet_import_find_unit(const duet_import *imp, const char *name);

#endif
