/*
 * Brown to universal tag mapping. A Brown tag is reduced to its base before lookup: foreign
 * words ("fw-...") are X; the title, headline and cited-word suffixes ("-tl", "-hl", "-nc") are
 * cut; a contraction ("ppss+md") takes the tag of its first part; trailing negation '*' and
 * possessive '$' marks are removed ("bez*" -> "bez", "pp$" -> "pp"), and the bare negator '*'
 * ("not") is an adverb.
 */
#include "data/tagset.h"

#include <stdio.h>
#include <string.h>

enum { NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM, CONJ, PRT, PUNCT, OTHER };

const char *duet_tagset_name(unsigned tag)
{
    static const char *const names[DUET_TAGSET_SIZE] = {
        "NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X"};
    return tag < DUET_TAGSET_SIZE ? names[tag] : "?";
}

static const struct {
    const char *base;
    unsigned tag;
} exact[] = {
    {".", PUNCT},  {",", PUNCT},   {":", PUNCT}, {"(", PUNCT},  {")", PUNCT}, {"'", PUNCT},
    {"''", PUNCT}, {"``", PUNCT},  {"`", PUNCT}, {"--", PUNCT}, {"cd", NUM},  {"od", ADJ},
    {"cc", CONJ},  {"cs", CONJ},   {"in", ADP},  {"to", PRT},   {"rp", PRT},  {"ex", DET},
    {"uh", OTHER}, {"nil", OTHER}, {"md", VERB}, {"pn", PRON},  {"ql", ADV},  {"qlp", ADV},
    {"wql", ADV},  {"rn", ADV},    {"wrb", ADV}, {"ap", DET},   {"at", DET},  {"abl", DET},
    {"abn", DET},  {"abx", DET},   {"", ADV},
};

static const struct {
    const char *prefix;
    unsigned tag;
} prefixes[] = {
    {"wdt", DET}, {"dt", DET},  {"wp", PRON}, {"pp", PRON}, {"nn", NOUN},
    {"np", NOUN}, {"nr", NOUN}, {"vb", VERB}, {"be", VERB}, {"hv", VERB},
    {"do", VERB}, {"jj", ADJ},  {"rb", ADV},
};

unsigned duet_tagset_from_brown(const char *tag, size_t len)
{
    char base[32];
    if (len >= 3 && memcmp(tag, "fw-", 3) == 0)
        return OTHER;
    if (len == 2 && memcmp(tag, "--", 2) == 0)
        return PUNCT;
    size_t n = 0;
    while (n < len && n + 1 < sizeof base && tag[n] != '+' && (tag[n] != '-' || n == 0))
        n++;
    while (n > 0 && (tag[n - 1] == '*' || tag[n - 1] == '$') && !(n == 1 && len == 1))
        n--;
    if (n == 1 && len == 1 && tag[0] == '*')
        n = 0; /* the bare negator "*" */
    snprintf(base, sizeof base, "%.*s", (int)n, tag);
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(base, exact[i].base) == 0)
            return exact[i].tag;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(base, prefixes[i].prefix, strlen(prefixes[i].prefix)) == 0)
            return prefixes[i].tag;
    return OTHER;
}
