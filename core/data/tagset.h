/*
 * The coarse part-of-speech tagset used by the embedded tagger: the twelve tags of Petrov, Das
 * and McDonald, "A Universal Part-of-Speech Tagset" (LREC 2012), with a mapping from the Brown
 * corpus tags written in docs/embedded-backend.md.
 */
#ifndef DUET_TAGSET_H
#define DUET_TAGSET_H

#include <stddef.h>

#define DUET_TAGSET_SIZE 12

/* "NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X". */
const char *duet_tagset_name(unsigned tag);

/* The coarse tag (0..11) of a Brown tag of len bytes, such as "nn-tl", "bez*" or "ppss+md". */
unsigned duet_tagset_from_brown(const char *tag, size_t len);

#endif
