/*
 * Fuzz harness of the Brown corpus importer: the input is the text of one corpus file, ca01,
 * listed in cats.txt as genre news, in a scratch raw folder; the importer must import it or
 * return an error with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "data/import.h"
#include "fuzz.h"

static const char source_text[] = "package: fuzz\nlicence: none (generated input)\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    if (dir == NULL)
        fuzz_violation("brown", "cannot make a scratch folder");
    char path[1024];
    snprintf(path, sizeof path, "%s/brown", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/brown/SOURCE", dir);
    if (fuzz_write_file(path, source_text, sizeof source_text - 1) != 0)
        fuzz_violation("brown", "cannot write the SOURCE file");
    snprintf(path, sizeof path, "%s/brown/cats.txt", dir);
    if (fuzz_write_file(path, "ca01 news\n", 10) != 0)
        fuzz_violation("brown", "cannot write cats.txt");
    snprintf(path, sizeof path, "%s/brown/ca01", dir);
    if (fuzz_write_file(path, data, size) != 0)
        fuzz_violation("brown", "cannot write the corpus file");

    duet_import imp;
    duet_error err = {0};
    duet_status st = duet_import_init(&imp, dir, &err);
    if (st == DUET_OK) {
        st = duet_import_source_run(&imp, "brown", &err);
        fuzz_check_error("brown", st, &err);
        if (st == DUET_OK && duet_import_find_unit(&imp, "brown:news") == NULL)
            fuzz_violation("brown", "success without the unit brown:news");
        duet_import_free(&imp);
    }
    return 0;
}
