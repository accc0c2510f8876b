/*
 * Importers and pool files on the committed fixture: record counts against direct counts of
 * the raw files, disjoint seeded splits, SHA-256 against sha256sum, the layout as h5py reads it,
 * and malformed inputs (missing, truncated, bad line) that must name the file and line and
 * leave no pool file behind.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/pool.h"
#include "data/pool_internal.h"
#include "data/sha256.h"

#define FIXTURE DUET_TEST_FIXTURES "/raw"

/* Counts lines of path for which keep(line) is true. */
static size_t count_lines(const char *path, int (*keep)(const char *))
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[65536];
    size_t n = 0;
    while (fgets(line, sizeof line, f))
        n += keep(line);
    fclose(f);
    return n;
}

static int non_blank(const char *line)
{
    return strspn(line, " \t\r\n") != strlen(line);
}

static int synset_line(const char *line)
{
    return line[0] >= '0' && line[0] <= '9';
}

static int not_metadata(const char *line)
{
    return strncmp(line, "00-database", 11) != 0 && strncmp(line, "00database", 10) != 0;
}

static size_t domain_total(const duet_pool *pool, const char *name)
{
    size_t d;
    assert_true(duet_pool_find(pool, name, &d));
    size_t total = 0;
    for (int s = 0; s < DUET_SPLIT_COUNT; s++)
        total += duet_pool_records(pool, d, (duet_split)s)->n;
    return total;
}

static const char *import_tiny(const char *dir_name, uint64_t seed)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/tiny.h5", duet_test_tmpdir(dir_name));
    duet_error err;
    duet_error_clear(&err);
    duet_status status =
        duet_pool_import(duet_pool_preset_find("tiny"), FIXTURE, path, seed, NULL, &err);
    if (status != DUET_OK)
        print_error("import failed: %s\n", err.msg);
    assert_int_equal(status, DUET_OK);
    return path;
}

static void sha256_known_answers(void **state)
{
    (void)state;
    char hex[65];
    duet_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    duet_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    duet_sha256_hex(two_blocks, strlen(two_blocks), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void sha256_matches_sha256sum(void **state)
{
    (void)state;
    const char *path = FIXTURE "/kjv/kjv.txt";
    FILE *p = popen("sha256sum " FIXTURE "/kjv/kjv.txt", "r");
    assert_non_null(p);
    char expected[65] = {0};
    assert_int_equal(fscanf(p, "%64s", expected), 1);
    pclose(p);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    duet_sha256 s;
    duet_sha256_init(&s);
    char chunk[1000]; /* odd chunk size exercises the partial-block path */
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        duet_sha256_update(&s, chunk, got);
    fclose(f);
    char hex[65];
    duet_sha256_final_hex(&s, hex);
    assert_string_equal(hex, expected);
}

static void tiny_counts_match_raw_files(void **state)
{
    (void)state;
    const char *path = import_tiny("counts", 1);
    duet_pool *pool;
    duet_error err;
    assert_int_equal(duet_pool_open(path, &pool, &err), DUET_OK);
    assert_int_equal(duet_pool_domain_count(pool), 8);
    assert_string_equal(duet_pool_preset_name(pool), "tiny");
    assert_int_equal(duet_pool_split_seed(pool), 1);

    size_t news = count_lines(FIXTURE "/brown/ca01", non_blank) +
                  count_lines(FIXTURE "/brown/ca02", non_blank);
    assert_int_equal(domain_total(pool, "brown_press"), news);
    size_t verses = count_lines(FIXTURE "/kjv/kjv.txt", non_blank);
    assert_int_equal(domain_total(pool, "kjv"), verses);
    size_t glosses = 0;
    const char *parts[] = {"noun", "verb", "adj", "adv"};
    for (int i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof p, FIXTURE "/wordnet/data.%s", parts[i]);
        glosses += count_lines(p, synset_line);
    }
    assert_int_equal(domain_total(pool, "wordnet"), glosses);
    size_t entries = count_lines(FIXTURE "/jargon/jargon.index", not_metadata);
    assert_int_equal(domain_total(pool, "jargon"), entries);

    size_t d;
    assert_true(duet_pool_find(pool, "brown_press", &d));
    assert_true(duet_pool_domain_tagged(pool, d));
    assert_true(duet_pool_find(pool, "kjv", &d));
    assert_false(duet_pool_domain_tagged(pool, d));
    duet_pool_free(pool);
}

/* Every tagged record has as many tags as tokens. */
static void brown_tags_align_with_tokens(void **state)
{
    (void)state;
    duet_pool *pool;
    duet_error err;
    assert_int_equal(duet_pool_open(import_tiny("tags", 1), &pool, &err), DUET_OK);
    size_t d;
    assert_true(duet_pool_find(pool, "brown_fiction", &d));
    const duet_records *r = duet_pool_records(pool, d, DUET_SPLIT_TRAIN);
    assert_true(r->n > 0);
    for (size_t i = 0; i < r->n; i++) {
        size_t words = 1, tags = 1;
        for (size_t k = 0; k < duet_records_len(r, i); k++)
            words += duet_records_text(r, i)[k] == ' ';
        for (size_t k = 0; k < duet_records_tags_len(r, i); k++)
            tags += duet_records_tags(r, i)[k] == ' ';
        assert_int_equal(words, tags);
    }
    duet_pool_free(pool);
}

/* Splits are disjoint, cover the domain, have the preset's sizes and depend on the seed. */
static void splits_disjoint_and_seeded(void **state)
{
    (void)state;
    duet_pool *a, *b, *c;
    duet_error err;
    assert_int_equal(duet_pool_open(import_tiny("split-a", 7), &a, &err), DUET_OK);
    assert_int_equal(duet_pool_open(import_tiny("split-b", 7), &b, &err), DUET_OK);
    assert_int_equal(duet_pool_open(import_tiny("split-c", 8), &c, &err), DUET_OK);
    const duet_pool_preset *preset = duet_pool_preset_find("tiny");
    int any_difference = 0;
    for (size_t d = 0; d < duet_pool_domain_count(a); d++) {
        size_t total = domain_total(a, duet_pool_domain_name(a, d));
        uint64_t sizes[DUET_SPLIT_COUNT];
        duet_pool_split_sizes(preset, total, sizes);
        char *seen = calloc(total, 1);
        assert_non_null(seen);
        for (int s = 0; s < DUET_SPLIT_COUNT; s++) {
            const duet_records *ra = duet_pool_records(a, d, (duet_split)s);
            const duet_records *rb = duet_pool_records(b, d, (duet_split)s);
            const duet_records *rc = duet_pool_records(c, d, (duet_split)s);
            assert_int_equal(ra->n, sizes[s]);
            for (size_t i = 0; i < ra->n; i++) {
                uint64_t source = a->domains[d].source_index[s][i];
                assert_true(source < total);
                assert_int_equal(seen[source], 0);
                seen[source] = 1;
            }
            assert_int_equal(ra->n, rb->n);
            assert_int_equal(ra->off[ra->n], rb->off[rb->n]);
            assert_memory_equal(ra->text, rb->text, ra->off[ra->n]);
            any_difference |=
                ra->off[ra->n] != rc->off[rc->n] || memcmp(ra->text, rc->text, ra->off[ra->n]) != 0;
        }
        for (size_t i = 0; i < total; i++)
            assert_int_equal(seen[i], 1);
        free(seen);
    }
    assert_true(any_difference);
    duet_pool_free(a);
    duet_pool_free(b);
    duet_pool_free(c);
}

/* h5py, an independent HDF5 reader, sees the same records and attributes. */
static void h5py_reads_the_layout(void **state)
{
    (void)state;
    const char *path = import_tiny("h5py", 3);
    duet_pool *pool;
    duet_error err;
    assert_int_equal(duet_pool_open(path, &pool, &err), DUET_OK);
    size_t d;
    assert_true(duet_pool_find(pool, "kjv", &d));
    const duet_records *r = duet_pool_records(pool, d, DUET_SPLIT_EVAL);
    char command[2048];
    snprintf(command, sizeof command,
             "/usr/bin/python3 -c \"import h5py; f = h5py.File('%s', 'r'); "
             "g = f['domains/kjv/eval']; o = g['offsets'][()]; t = g['text'][()].tobytes(); "
             "print(f.attrs['format'], f.attrs['split_seed'], len(o) - 1, len(f['inputs/path'])); "
             "print(t[o[1]:o[2]].decode())\"",
             path);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    char format[64] = {0}, line[4096] = {0};
    unsigned long long seed = 0, n = 0, files = 0;
    assert_int_equal(fscanf(p, "%63s %llu %llu %llu\n", format, &seed, &n, &files), 4);
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    assert_string_equal(format, "duet-pool");
    assert_int_equal(seed, 3);
    assert_int_equal(n, r->n);
    assert_true(files > 10);
    line[strcspn(line, "\n")] = '\0';
    assert_int_equal(strlen(line), duet_records_len(r, 1));
    assert_memory_equal(line, duet_records_text(r, 1), duet_records_len(r, 1));
    duet_pool_free(pool);
}

/* ------------------------------------------------------------------ malformed inputs */

/* Copies the fixture to a fresh folder and returns its path. */
static const char *copy_fixture(const char *name)
{
    static char raw[600];
    snprintf(raw, sizeof raw, "%s/raw", duet_test_tmpdir(name));
    char command[1400];
    snprintf(command, sizeof command, "cp -r '%s' '%s'", FIXTURE, raw);
    assert_int_equal(system(command), 0);
    return raw;
}

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

/* Number of entries in dir other than . and .. */
static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/*
 * Imports preset from raw into an empty folder, expects `status` and a message containing
 * every string of `expected`, and checks that the folder is still empty.
 */
static void expect_failure(const char *preset, const char *raw, duet_status status,
                           const char *const *expected)
{
    char out_dir[600], out[700];
    snprintf(out_dir, sizeof out_dir, "%s", duet_test_tmpdir("out"));
    snprintf(out, sizeof out, "%s/pool.h5", out_dir);
    duet_error err;
    duet_error_clear(&err);
    assert_int_equal(duet_pool_import(duet_pool_preset_find(preset), raw, out, 1, NULL, &err),
                     status);
    for (; *expected; expected++) {
        if (strstr(err.msg, *expected) == NULL)
            print_error("message \"%s\" lacks \"%s\"\n", err.msg, *expected);
        assert_non_null(strstr(err.msg, *expected));
    }
    assert_int_equal(dir_entries(out_dir), 0);
}

static void missing_file_named(void **state)
{
    (void)state;
    const char *raw = copy_fixture("missing");
    char path[700];
    snprintf(path, sizeof path, "%s/kjv/kjv.txt", raw);
    assert_int_equal(remove(path), 0);
    const char *expected[] = {path, "fetch-data.sh", NULL};
    expect_failure("tiny", raw, DUET_ENOTFOUND, expected);
}

static void main9_needs_foldoc(void **state)
{
    (void)state;
    const char *expected[] = {"foldoc/SOURCE", NULL};
    expect_failure("main9", FIXTURE, DUET_ENOTFOUND, expected);
}

static void truncated_brown_file_named(void **state)
{
    (void)state;
    const char *raw = copy_fixture("truncated");
    char path[700];
    snprintf(path, sizeof path, "%s/brown/ca01", raw);
    write_file(path, "\n\n\tThe/at jury/nn said/vbd ./.\n\n\n\tIt/pps was/bedz a/at fi");
    const char *expected[] = {"brown/ca01:6:", "truncated", NULL};
    expect_failure("tiny", raw, DUET_EFORMAT, expected);
}

static void bad_brown_token_named(void **state)
{
    (void)state;
    const char *raw = copy_fixture("badtoken");
    char path[700];
    snprintf(path, sizeof path, "%s/brown/cj01", raw);
    write_file(path, "\n\tA/at sound/jj method/nn ./.\n\n\tNo tags/nns here/rb ./.\n");
    const char *expected[] = {"brown/cj01:4:", "\"No\"", "word/tag", NULL};
    expect_failure("tiny", raw, DUET_EFORMAT, expected);
}

static void bad_cats_line_named(void **state)
{
    (void)state;
    const char *raw = copy_fixture("badcats");
    char path[700];
    snprintf(path, sizeof path, "%s/brown/cats.txt", raw);
    write_file(path, "ca01 news\nca02news\n");
    const char *expected[] = {"brown/cats.txt:2:", "ca02news", NULL};
    expect_failure("tiny", raw, DUET_EFORMAT, expected);
}

static void bad_wordnet_line_named(void **state)
{
    (void)state;
    const char *raw = copy_fixture("badwordnet");
    char path[700];
    snprintf(path, sizeof path, "%s/wordnet/data.adv", raw);
    write_file(path, "  1 licence line\n00001 02 r 01 well 0 000 | in a good way\n00002 02 r "
                     "no gloss here\n");
    const char *expected[] = {"wordnet/data.adv:3:", "synset", NULL};
    expect_failure("tiny", raw, DUET_EFORMAT, expected);
}

static void bad_verse_named(void **state)
{
    (void)state;
    const char *raw = copy_fixture("badverse");
    char path[700];
    snprintf(path, sizeof path, "%s/kjv/kjv.txt", raw);
    write_file(path, "Ge1:1 In the beginning God created the heaven and the earth.\nGe1 And the "
                     "earth was without form\n");
    const char *expected[] = {"kjv/kjv.txt:2:", "<book><chapter>:<verse>", NULL};
    expect_failure("tiny", raw, DUET_EFORMAT, expected);
}

static void truncated_dict_named(void **state)
{
    (void)state;
    const char *raw = copy_fixture("shortdict");
    char path[700];
    snprintf(path, sizeof path, "%s/jargon/jargon.dict", raw);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
    const char *expected[] = {"jargon/jargon.index:", "past the end", "truncated", NULL};
    expect_failure("tiny", raw, DUET_EFORMAT, expected);
}

static void mail_without_body_named(void **state)
{
    (void)state;
    const char *raw = copy_fixture("badmail");
    char path[700];
    snprintf(path, sizeof path, "%s/mail/spam-1/00000.bad.txt", raw);
    write_file(path, "From: a@example.org\nSubject: cut\nTo: b@example.org\n");
    const char *expected[] = {"mail/spam-1/00000.bad.txt:4:", "header", NULL};
    expect_failure("tiny", raw, DUET_EFORMAT, expected);
}

static void source_file_without_licence(void **state)
{
    (void)state;
    const char *raw = copy_fixture("nolicence");
    char path[700];
    snprintf(path, sizeof path, "%s/jargon/SOURCE", raw);
    write_file(path, "package: Debian dict-jargon\n");
    const char *expected[] = {"jargon/SOURCE", "licence:", NULL};
    expect_failure("tiny", raw, DUET_EFORMAT, expected);
}

/* A failed import keeps an existing pool file unchanged. */
static void failure_keeps_existing_file(void **state)
{
    (void)state;
    const char *raw = copy_fixture("keep");
    char path[700], out[700];
    snprintf(path, sizeof path, "%s/kjv/kjv.txt", raw);
    assert_int_equal(remove(path), 0);
    snprintf(out, sizeof out, "%s/pool.h5", duet_test_tmpdir("keep-out"));
    write_file(out, "previous content\n");
    duet_error err;
    assert_int_equal(duet_pool_import(duet_pool_preset_find("tiny"), raw, out, 1, NULL, &err),
                     DUET_ENOTFOUND);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[64] = {0};
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "previous content\n");
}

static void opening_non_pool_files(void **state)
{
    (void)state;
    duet_pool *pool = NULL;
    duet_error err;
    char path[700];
    snprintf(path, sizeof path, "%s/absent.h5", duet_test_tmpdir("absent"));
    assert_int_equal(duet_pool_open(path, &pool, &err), DUET_ENOTFOUND);
    assert_non_null(strstr(err.msg, "duet data import"));
    assert_null(pool);
    write_file(path, "not hdf5\n");
    assert_int_equal(duet_pool_open(path, &pool, &err), DUET_EFORMAT);
    assert_non_null(strstr(err.msg, "not an HDF5 file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_answers),
        cmocka_unit_test(sha256_matches_sha256sum),
        cmocka_unit_test(tiny_counts_match_raw_files),
        cmocka_unit_test(brown_tags_align_with_tokens),
        cmocka_unit_test(splits_disjoint_and_seeded),
        cmocka_unit_test(h5py_reads_the_layout),
        cmocka_unit_test(missing_file_named),
        cmocka_unit_test(main9_needs_foldoc),
        cmocka_unit_test(truncated_brown_file_named),
        cmocka_unit_test(bad_brown_token_named),
        cmocka_unit_test(bad_cats_line_named),
        cmocka_unit_test(bad_wordnet_line_named),
        cmocka_unit_test(bad_verse_named),
        cmocka_unit_test(truncated_dict_named),
        cmocka_unit_test(mail_without_body_named),
        cmocka_unit_test(source_file_without_licence),
        cmocka_unit_test(failure_keeps_existing_file),
        cmocka_unit_test(opening_non_pool_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
