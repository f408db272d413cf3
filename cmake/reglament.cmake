# Project-wide helpers: warnings on every target, and one line per test file.
function(reglament_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter
    # Value types grow fields; an aggregate initialised with the leading ones is intended.
    -Wno-missing-field-initializers)
endfunction()

include(Catch)

# add_reglament_test(NAME SOURCE LIBS... [TAG tag]) builds tests/SOURCE into NAME and
# registers each Catch2 test case with CTest (catch_discover_tests).
function(add_reglament_test name source)
  cmake_parse_arguments(ARG "" "" "LIBS;LABELS" ${ARGN})
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE reglament_test_main ${ARG_LIBS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  reglament_warnings(${name})
  set(labels ${ARG_LABELS})
  if(NOT labels)
    set(labels unit)
  endif()
  # --warn NoTests: a registered name that matches no test case fails instead of passing
  # with nothing run (CTest splits a name holding ';' into two such names).
  catch_discover_tests(${name}
    TEST_PREFIX "${name}: "
    PROPERTIES LABELS "${labels}"
    EXTRA_ARGS --use-colour no --warn NoTests)
endfunction()
