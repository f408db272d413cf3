// The channel adapters compiled into reglamentd. Each adapter adds one line below (and
// its library to reglament_daemon in daemon/CMakeLists.txt); see docs/CHANNELS.md.
#include "daemon/channel_registry.hpp"

#include "adapters/email/config.hpp"
#include "adapters/telegram/config.hpp"
#include "adapters/webchat/config.hpp"

namespace reglament::daemon {

void register_builtin_channels(channel_registry& r) {
  r.add("email", email::make_channel);          // adapters/email/config.hpp
  r.add("telegram", telegram::make_channel);    // adapters/telegram/config.hpp
  r.add("webchat", webchat::make_channel);      // adapters/webchat/config.hpp
}

}  // namespace reglament::daemon
