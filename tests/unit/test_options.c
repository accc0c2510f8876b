/* Option tables: parsing Lua tables, defaults, messages, and the text form reading back. */
#include "testutil.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/options.h"

typedef struct sample {
    int64_t count;
    double rate;
    int flag;
    char *label;
    int mode;
    duet_doubles weights;
    duet_strings names;
} sample;

static const duet_option spec[] = {
    {"count", DUET_OPT_INT, offsetof(sample, count), "3", 1, 10, NULL, "a count"},
    {"rate", DUET_OPT_DOUBLE, offsetof(sample, rate), "0.5", 0, 1, NULL, "a rate"},
    {"flag", DUET_OPT_BOOL, offsetof(sample, flag), "false", NAN, NAN, NULL, "a flag"},
    {"label", DUET_OPT_STRING, offsetof(sample, label), "x", NAN, NAN, NULL, "a label"},
    {"mode", DUET_OPT_ENUM, offsetof(sample, mode), "fast", NAN, NAN, "fast|exact|lazy", "a mode"},
    {"weights", DUET_OPT_DOUBLES, offsetof(sample, weights), "1,2", 0, 4, NULL, "weights"},
    {"names", DUET_OPT_STRINGS, offsetof(sample, names), "", 0, 8, NULL, "names"},
    {NULL},
};

/* Runs `chunk` (which must evaluate to a table) and parses it into s. */
static duet_status parse(const char *chunk, sample *s, duet_error *err)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    char code[512];
    snprintf(code, sizeof code, "return %s", chunk);
    assert_int_equal(luaL_dostring(L, code), LUA_OK);
    memset(s, 0, sizeof *s);
    duet_status st = duet_options_from_lua(L, -1, spec, s, NULL, "t.lua:7", "thing", err);
    lua_close(L);
    return st;
}

static void defaults_fill_missing_keys(void **state)
{
    (void)state;
    sample s;
    duet_error err;
    assert_int_equal(parse("{ count = 5 }", &s, &err), DUET_OK);
    assert_int_equal(s.count, 5);
    assert_true(s.rate == 0.5);
    assert_int_equal(s.flag, 0);
    assert_string_equal(s.label, "x");
    assert_int_equal(s.mode, 0);
    assert_int_equal(s.weights.n, 2);
    assert_true(s.weights.v[1] == 2.0);
    assert_int_equal(s.names.n, 0);
    duet_options_free(spec, &s);
}

static void values_of_every_type(void **state)
{
    (void)state;
    sample s;
    duet_error err;
    assert_int_equal(parse("{ count = 10, rate = 0.25, flag = true, label = 'hi', mode = 'lazy',"
                           " weights = {0.5}, names = {'a', 'b'} }",
                           &s, &err),
                     DUET_OK);
    assert_int_equal(s.count, 10);
    assert_true(s.rate == 0.25);
    assert_int_equal(s.flag, 1);
    assert_string_equal(s.label, "hi");
    assert_int_equal(s.mode, 2);
    assert_int_equal(s.weights.n, 1);
    assert_int_equal(s.names.n, 2);
    assert_string_equal(s.names.v[1], "b");
    duet_options_free(spec, &s);
    /* A single string is a one-entry list. */
    assert_int_equal(parse("{ names = 'solo' }", &s, &err), DUET_OK);
    assert_int_equal(s.names.n, 1);
    assert_string_equal(s.names.v[0], "solo");
    duet_options_free(spec, &s);
}

static void expect_error(const char *chunk, const char *text)
{
    sample s;
    duet_error err;
    duet_error_clear(&err);
    assert_int_equal(parse(chunk, &s, &err), DUET_EINVAL);
    if (strstr(err.msg, text) == NULL || strncmp(err.msg, "t.lua:7: thing: ", 16) != 0) {
        print_error("message '%s' lacks '%s' or the location prefix\n", err.msg, text);
        fail();
    }
    duet_options_free(spec, &s);
}

static void bad_values_are_named(void **state)
{
    (void)state;
    expect_error("{ count = 11 }", "option 'count' must be an integer between 1 and 10, got 11");
    expect_error("{ count = 2.5 }", "option 'count' must be an integer");
    expect_error("{ rate = '0.5' }", "option 'rate' must be a number between 0 and 1, got \"0.5\"");
    expect_error("{ rate = 0/0 }", "option 'rate' must be a number");
    expect_error("{ flag = 1 }", "option 'flag' must be true or false, got 1");
    expect_error("{ mode = 'slow' }", "option 'mode' must be one of fast|exact|lazy, got \"slow\"");
    expect_error("{ weights = {1, 'a'} }", "entry 2 is not");
    expect_error("{ weights = {1, 2, 3, 4, 5} }", "option 'weights' must be a list");
    expect_error("{ weights = { x = 1 } }", "option 'weights' must be a list");
    expect_error("{ cuont = 1 }", "unknown option 'cuont'; did you mean 'count'?");
    expect_error("{ zzzzzz = 1 }", "unknown option 'zzzzzz'; known options are: count, rate");
    expect_error("{ 42 }", "unexpected positional entry 42");
}

static void required_option_reported(void **state)
{
    (void)state;
    static const duet_option needs[] = {
        {"path", DUET_OPT_STRING, 0, NULL, NAN, NAN, NULL, "input file"},
        {NULL},
    };
    lua_State *L = luaL_newstate();
    lua_newtable(L);
    char *path = NULL;
    duet_error err;
    assert_int_equal(duet_options_from_lua(L, -1, needs, &path, NULL, "w.lua:1", "x", &err),
                     DUET_EINVAL);
    assert_non_null(strstr(err.msg, "option 'path' is required"));
    lua_close(L);
}

/* The text form is valid Lua that parses back to the same values. */
static void formatted_text_reads_back(void **state)
{
    (void)state;
    sample s, t;
    duet_error err;
    assert_int_equal(parse("{ count = 7, rate = 0.1, flag = true, label = 'a\"b\\\\c', "
                           "mode = 'exact', weights = {0.3, 1e-300}, names = {'p q'} }",
                           &s, &err),
                     DUET_OK);
    duet_buf b = {0};
    duet_buf_puts(&b, "{ ");
    assert_int_equal(duet_options_format(spec, &s, &b), DUET_OK);
    duet_buf_puts(&b, "}");
    assert_int_equal(parse(duet_buf_str(&b), &t, &err), DUET_OK);
    assert_int_equal(t.count, s.count);
    assert_true(t.rate == s.rate);
    assert_int_equal(t.flag, s.flag);
    assert_string_equal(t.label, s.label);
    assert_int_equal(t.mode, s.mode);
    assert_int_equal(t.weights.n, 2);
    assert_true(t.weights.v[1] == 1e-300);
    assert_string_equal(t.names.v[0], "p q");
    duet_buf_free(&b);
    duet_options_free(spec, &s);
    duet_options_free(spec, &t);
}

static void doubles_print_shortest(void **state)
{
    (void)state;
    const double values[] = {0.1, 0.8, 1.0 / 3.0, 1e-310, 123456789.125, -2.5};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        duet_buf b = {0};
        duet_buf_put_double(&b, values[i]);
        assert_true(strtod(duet_buf_str(&b), NULL) == values[i]);
        assert_true(strlen(duet_buf_str(&b)) <= 24);
        duet_buf_free(&b);
    }
    duet_buf b = {0};
    duet_buf_put_double(&b, 0.8);
    assert_string_equal(duet_buf_str(&b), "0.8");
    duet_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_fill_missing_keys), cmocka_unit_test(values_of_every_type),
        cmocka_unit_test(bad_values_are_named),       cmocka_unit_test(required_option_reported),
        cmocka_unit_test(formatted_text_reads_back),  cmocka_unit_test(doubles_print_shortest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
