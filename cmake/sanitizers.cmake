# REGLAMENT_SANITIZE: every target (libraries, daemon, tools, tests) with AddressSanitizer
# and UndefinedBehaviorSanitizer; the first error stops the program. REGLAMENT_FUZZ: the
# libFuzzer targets in fuzz/ (clang only); it implies REGLAMENT_SANITIZE, and the
# libraries they link are instrumented for coverage (fuzz/CMakeLists.txt).
option(REGLAMENT_SANITIZE "Build everything with ASan + UBSan" OFF)
option(REGLAMENT_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)

if(REGLAMENT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "REGLAMENT_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  set(REGLAMENT_SANITIZE ON CACHE BOOL "Build everything with ASan + UBSan" FORCE)
endif()

if(REGLAMENT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # File:line in reports is all the traces need; full debug info doubles build time.
    add_compile_options(-gline-tables-only)
  endif()
  # The options tools/test and tools/fuzz export (tools/sanitizers.env), for the tests
  # CMake registers itself (the fuzz tests).
  file(STRINGS ${PROJECT_SOURCE_DIR}/tools/sanitizers.env lines REGEX "^export ")
  set(REGLAMENT_SANITIZER_ENV)
  foreach(line ${lines})
    string(REGEX REPLACE "^export ([A-Z_]+)=\"(.*)\"$" "\\1=\\2" kv "${line}")
    string(REPLACE "$reglament_root" "${PROJECT_SOURCE_DIR}" kv "${kv}")
    list(APPEND REGLAMENT_SANITIZER_ENV "${kv}")
  endforeach()
endif()
