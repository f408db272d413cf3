// The website chat's static files (web/chat/), embedded into the program at build time
// (cmake/embed_files.cmake), so an installed reglamentd serves the widget it was built
// with. Read-only data; thread-safe.
#pragma once

#include <string_view>

namespace reglament::webchat {

// The file's content by its name in web/chat/ ("widget.js", "demo.html"); empty if none.
std::string_view asset(std::string_view name);

}  // namespace reglament::webchat
