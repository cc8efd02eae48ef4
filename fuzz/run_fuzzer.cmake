# Runs one libFuzzer target for $FUZZ_SECONDS (default 60) seconds.
#   cmake -DFUZZER=<exe> -DCORPUS=<seed dir> -DWORK=<scratch dir> -P run_fuzzer.cmake
# libFuzzer writes new inputs to the first corpus directory only, so WORK
# comes first and the seed corpus in the source tree stays untouched. Crash,
# leak and timeout reproducers go to WORK.artifacts/, beside it (not into
# WORK, where the next run would load them as corpus). Fails when the fuzzer
# finds anything.

foreach(var FUZZER CORPUS WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()

set(seconds 60)
if(DEFINED ENV{FUZZ_SECONDS} AND NOT "$ENV{FUZZ_SECONDS}" STREQUAL "")
  set(seconds $ENV{FUZZ_SECONDS})
endif()
if(NOT seconds MATCHES "^[0-9]+$")
  message(FATAL_ERROR "FUZZ_SECONDS must be a whole number of seconds, not '${seconds}'")
endif()

file(MAKE_DIRECTORY ${WORK} ${WORK}.artifacts)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${seconds} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix=${WORK}.artifacts/ ${WORK} ${CORPUS}
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); reproducers are in ${WORK}.artifacts")
endif()
