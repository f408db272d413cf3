# Writes a C++ source defining reglament::webchat::asset(name) over the given files:
#   cmake -DOUT=assets_data.cpp -DHEADER=adapters/webchat/assets.hpp -DFILES="a.js|b.html" -P embed_files.cmake
# Each file becomes a raw string literal named by its file name.
set(body "")
string(REPLACE "|" ";" files "${FILES}")
foreach(f ${files})
  file(READ ${f} content)
  get_filename_component(name ${f} NAME)
  string(FIND "${content}" ")reglament_asset\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )reglament_asset\"")
  endif()
  string(APPEND body "  if (name == \"${name}\") return R\"reglament_asset(${content})reglament_asset\";\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from web/chat by cmake/embed_files.cmake; do not edit.\n#include \"${HEADER}\"\n\nnamespace reglament::webchat {\n\nstd::string_view asset(std::string_view name) {\n${body}  return {};\n}\n\n}  // namespace reglament::webchat\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
