# The daemon and the benchmark allocate through mimalloc (Debian's libmimalloc, which
# replaces malloc and operator new for the whole process when linked). An event's facts,
# the case's variables and the JSON text are many small short-lived allocations; glibc's
# malloc spent a quarter of the writer thread's instructions on them (docs/BENCHMARKS.md,
# fifth round). Not with the sanitizers: ASan brings its own allocator.
option(REGLAMENT_MIMALLOC "Link reglamentd and reglament-bench with mimalloc" ON)
if(REGLAMENT_MIMALLOC AND NOT REGLAMENT_SANITIZE)
  find_package(mimalloc 2.0 REQUIRED)
endif()

# Links `target` (an executable) with the process allocator chosen above.
function(reglament_allocator target)
  if(REGLAMENT_MIMALLOC AND NOT REGLAMENT_SANITIZE)
    # First on the link line, so its malloc comes before libc's.
    target_link_libraries(${target} PRIVATE mimalloc)
    target_compile_definitions(${target} PRIVATE REGLAMENT_MIMALLOC=1)
  endif()
endfunction()
