# Writes the first ```c fenced block of the Markdown file IN to OUT, so that a test compiles the
# documented example exactly as it stands in the docs.
file(READ ${IN} text)
string(FIND "${text}" "```c\n" start)
if(start EQUAL -1)
  message(FATAL_ERROR "${IN} has no ```c block")
endif()
math(EXPR start "${start} + 5")
string(SUBSTRING "${text}" ${start} -1 rest)
string(FIND "${rest}" "```" stop)
string(SUBSTRING "${rest}" 0 ${stop} code)
file(WRITE ${OUT} "/* Extracted from ${IN} at build time; edit the document, not this file. */\n${code}")
