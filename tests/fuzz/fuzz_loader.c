/*
 * Fuzz harness of the experiment loader: arbitrary text goes through duet_config_load_string as
 * an experiment script. The script runs sandboxed (no io, os.exit, ...) with 64 MiB of Lua
 * memory and 5 million VM instructions per call, so that no input can hang the fuzzer or
 * exhaust its memory; the loader must return a configuration or an error with a message.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "run/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    duet_load_options opt = {0};
    opt.sandbox = 1;
    opt.lua_max_bytes = (size_t)64 << 20;
    opt.lua_max_instructions = 5000000;
    duet_config *cfg = NULL;
    duet_error err = {0};
    duet_status st = duet_config_load_string(text, "=fuzz.lua", &opt, &cfg, &err);
    fuzz_check_error("loader", st, &err);
    if (st == DUET_OK && (cfg == NULL || cfg->resolved == NULL))
        fuzz_violation("loader", "success without a resolved configuration");
    duet_config_free(cfg);
    free(text);
    return 0;
}
