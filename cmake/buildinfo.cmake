# Writes ${OUT} with the git commit and dirty flag of ${SRC}; rewrites it only when they change,
# so an unchanged tree does not trigger a rebuild. Run at every build by the duet_buildinfo target.
execute_process(COMMAND git rev-parse HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE commit_rc)
if(NOT commit_rc EQUAL 0 OR NOT commit)
  set(commit "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(status)
  set(dirty 1)
else()
  set(dirty 0)
endif()
set(text "/* Generated at build time by cmake/buildinfo.cmake. */\n#define DUET_GIT_COMMIT \"${commit}\"\n#define DUET_GIT_DIRTY ${dirty}\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
