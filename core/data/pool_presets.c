/*
 * Built-in pool presets. main9 mirrors the nine training domains of different kinds used by
 * Chen, Lau, Foo and Low, "DUET: Optimizing Training Data Mixtures via Feedback from Unseen
 * Evaluation Tasks" (arXiv 2502.00270): three groups of Brown genres, dictionary glosses, spam,
 * ordinary mail, scripture and two computing dictionaries. full keeps every unit as its own
 * domain. tiny covers the sources of the committed test fixture (no FOLDOC).
 */
#include <string.h>

#include "data/pool.h"

static const duet_pool_domain_spec main9_domains[] = {
    {"brown_press", "brown:news brown:editorial brown:reviews",
     "Brown corpus press: reportage, editorials, reviews (tagged sentences)"},
    {"brown_learned", "brown:learned", "Brown corpus learned and scientific writing (tagged)"},
    {"brown_fiction",
     "brown:fiction brown:mystery brown:science_fiction brown:adventure brown:romance",
     "Brown corpus fiction genres (tagged sentences)"},
    {"wordnet", "wordnet:noun wordnet:verb wordnet:adj wordnet:adv", "WordNet 3.0 glosses"},
    {"spam", "mail:spam", "SpamAssassin spam mail paragraphs"},
    {"ham", "mail:easy_ham mail:hard_ham", "SpamAssassin ordinary mail paragraphs"},
    {"kjv", "kjv:old kjv:new", "King James Bible verses"},
    {"foldoc", "foldoc", "Free On-line Dictionary of Computing entries"},
    {"jargon", "jargon", "Jargon File 4.4.7 entries"},
};

static const duet_pool_domain_spec full_domains[] = {
    {"brown_news", "brown:news", "Brown press: reportage"},
    {"brown_editorial", "brown:editorial", "Brown press: editorial"},
    {"brown_reviews", "brown:reviews", "Brown press: reviews"},
    {"brown_religion", "brown:religion", "Brown religion"},
    {"brown_hobbies", "brown:hobbies", "Brown skills and hobbies"},
    {"brown_lore", "brown:lore", "Brown popular lore"},
    {"brown_belles_lettres", "brown:belles_lettres", "Brown belles lettres"},
    {"brown_government", "brown:government", "Brown government documents"},
    {"brown_learned", "brown:learned", "Brown learned writing"},
    {"brown_fiction", "brown:fiction", "Brown general fiction"},
    {"brown_mystery", "brown:mystery", "Brown mystery and detective fiction"},
    {"brown_science_fiction", "brown:science_fiction", "Brown science fiction"},
    {"brown_adventure", "brown:adventure", "Brown adventure and western fiction"},
    {"brown_romance", "brown:romance", "Brown romance and love stories"},
    {"brown_humor", "brown:humor", "Brown humor"},
    {"wordnet_noun", "wordnet:noun", "WordNet noun glosses"},
    {"wordnet_verb", "wordnet:verb", "WordNet verb glosses"},
    {"wordnet_adj", "wordnet:adj", "WordNet adjective glosses"},
    {"wordnet_adv", "wordnet:adv", "WordNet adverb glosses"},
    {"spam", "mail:spam", "SpamAssassin spam"},
    {"easy_ham", "mail:easy_ham", "SpamAssassin easy ham"},
    {"hard_ham", "mail:hard_ham", "SpamAssassin hard ham"},
    {"kjv_old", "kjv:old", "King James Bible, Old Testament"},
    {"kjv_new", "kjv:new", "King James Bible, New Testament"},
    {"foldoc", "foldoc", "Free On-line Dictionary of Computing"},
    {"jargon", "jargon", "Jargon File 4.4.7"},
};

static const duet_pool_domain_spec tiny_domains[] = {
    {"brown_press", "brown:news", "Brown press reportage (fixture cut)"},
    {"brown_learned", "brown:learned", "Brown learned writing (fixture cut)"},
    {"brown_fiction", "brown:fiction brown:science_fiction", "Brown fiction (fixture cut)"},
    {"wordnet", "wordnet:noun wordnet:verb wordnet:adj wordnet:adv", "WordNet glosses (cut)"},
    {"spam", "mail:spam", "SpamAssassin spam (fixture cut)"},
    {"ham", "mail:easy_ham mail:hard_ham", "SpamAssassin ham (fixture cut)"},
    {"kjv", "kjv:old kjv:new", "King James Bible verses (fixture cut)"},
    {"jargon", "jargon", "Jargon File entries (fixture cut)"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const duet_pool_preset presets[] = {
    {"main9",
     "nine domains of different kinds: Brown press, learned and fiction, WordNet, spam, "
     "ham, King James Bible, FOLDOC, Jargon File",
     COUNT(main9_domains), main9_domains, 5000, 500, 2000},
    {"full", "every unit as its own domain (26 domains)", COUNT(full_domains), full_domains, 20000,
     2000, 5000},
    {"tiny", "the committed test fixture under tests/fixtures/raw (8 domains, no FOLDOC)",
     COUNT(tiny_domains), tiny_domains, 1000, 100, 200},
};

const duet_pool_preset *duet_pool_preset_find(const char *name)
{
    for (size_t i = 0; i < COUNT(presets); i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

size_t duet_pool_preset_count(void)
{
    return COUNT(presets);
}

const duet_pool_preset *duet_pool_preset_at(size_t i)
{
    return i < COUNT(presets) ? &presets[i] : NULL;
}

void duet_pool_split_sizes(const duet_pool_preset *preset, uint64_t n,
                           uint64_t sizes[DUET_SPLIT_COUNT])
{
    uint64_t eval = n / 5 < preset->max_eval ? n / 5 : preset->max_eval;
    uint64_t heldout = n / 10 < preset->max_heldout ? n / 10 : preset->max_heldout;
    uint64_t rest = n - eval - heldout;
    sizes[DUET_SPLIT_TRAIN] = rest < preset->max_train ? rest : preset->max_train;
    sizes[DUET_SPLIT_HELDOUT] = heldout;
    sizes[DUET_SPLIT_EVAL] = eval;
}
