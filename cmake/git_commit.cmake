# Writes the library's version source (cmake/version.cpp.in) with the git commit of the source
# tree. Run as a script at every build (cmake -P), so a new commit is picked up without
# reconfiguring; configure_file rewrites the file only when its text changes, so an unchanged
# commit recompiles nothing. Without git or outside a checkout (a release tarball) the commit
# is "unknown".
#   -DSOURCE_DIR=<repository> -DINPUT=<version.cpp.in> -DOUTPUT=<file> -DSPIKESSM_VERSION=<x.y.z>
set(SPIKESSM_GIT_COMMIT "unknown")
find_program(GIT_EXECUTABLE git)
if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  RESULT_VARIABLE rc OUTPUT_VARIABLE hash OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(rc EQUAL 0 AND hash MATCHES "^[0-9a-f]+$")
    set(SPIKESSM_GIT_COMMIT "${hash}")
    # Tracked files changed since that commit: the build is not exactly that commit.
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" diff --quiet HEAD --
                    RESULT_VARIABLE dirty OUTPUT_QUIET ERROR_QUIET)
    if(dirty EQUAL 1)
      string(APPEND SPIKESSM_GIT_COMMIT "-dirty")
    endif()
  endif()
endif()
configure_file("${INPUT}" "${OUTPUT}" @ONLY)
