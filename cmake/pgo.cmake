# Profile-guided optimisation (GCC), for the builds that are measured and deployed:
# tools/bench/run builds a tree with REGLAMENT_PGO=generate, runs a training workload in
# it (another seed than the measured one), then builds the measured tree with
# REGLAMENT_PGO=use from those profiles. An event's path is branchy and spread over many
# functions (interpreter, classifier, flat objects); laid out by the profile it ran
# 10-15% faster (docs/BENCHMARKS.md, eighth round). tools/bench/run also links that
# tree with -flto (CMAKE_INTERPROCEDURAL_OPTIMIZATION): with the profile, another 7%
# fewer instructions per case (ninth round).
#   REGLAMENT_PGO      "" (off), generate or use
#   REGLAMENT_PGO_DIR  where the profiles (.gcda) are written and read
set(REGLAMENT_PGO "" CACHE STRING "Profile-guided optimisation: empty, generate or use")
set_property(CACHE REGLAMENT_PGO PROPERTY STRINGS "" generate use)
set(REGLAMENT_PGO_DIR "${PROJECT_BINARY_DIR}/pgo-profiles" CACHE PATH "Profiles of REGLAMENT_PGO")

if(REGLAMENT_PGO)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    message(FATAL_ERROR "REGLAMENT_PGO needs GCC (the compiler is ${CMAKE_CXX_COMPILER_ID})")
  endif()
  # The profile of an object is named after its path inside the build tree, so that the
  # training tree's profiles fit the measured tree's objects.
  set(prefix "-fprofile-prefix-path=${PROJECT_BINARY_DIR}")
  if(REGLAMENT_PGO STREQUAL "generate")
    # Atomic counters: the writer, receiving and timer threads run the same code.
    add_compile_options(-fprofile-generate=${REGLAMENT_PGO_DIR} -fprofile-update=atomic ${prefix})
    add_link_options(-fprofile-generate=${REGLAMENT_PGO_DIR})
  elseif(REGLAMENT_PGO STREQUAL "use")
    if(NOT EXISTS "${REGLAMENT_PGO_DIR}")
      message(FATAL_ERROR "REGLAMENT_PGO=use: no profiles in ${REGLAMENT_PGO_DIR} (train a REGLAMENT_PGO=generate build first)")
    endif()
    # Code the training did not run (HTTP, channels, the studio) is optimised as
    # without a profile, not for size; counters of threads racing are tolerated, and a
    # source changed since the training keeps its code, unprofiled. The deeper inlining
    # makes GCC 12 see uninitialised strings that are not (-Wmaybe-uninitialized).
    add_compile_options(-fprofile-use=${REGLAMENT_PGO_DIR} -fprofile-partial-training -fprofile-correction -Wno-error=coverage-mismatch
                        -Wno-missing-profile -Wno-maybe-uninitialized ${prefix})
  else()
    message(FATAL_ERROR "REGLAMENT_PGO is '${REGLAMENT_PGO}': expected empty, generate or use")
  endif()
endif()
