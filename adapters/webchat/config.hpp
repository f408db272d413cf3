// Registration of the website chat with the daemon's channel registry: reads
// [channels.webchat] (db, firm, allowed_origins and the limits) and builds one
// chat_server that is at once the outbound channel "webchat", the inbound source started
// with the inbound gateway, and the web service on the HTTP port (/chat/widget.js,
// /chat/demo, /chat/ws). Kept apart from the chat's logic. See docs/CHANNELS.md,
// "Website chat".
#pragma once

#include "daemon/channel_registry.hpp"

namespace reglament::webchat {

// Reads [channels.webchat]; throws daemon::channel_config_error naming the key, or
// naming channels.webchat.db when the conversation store cannot be opened.
daemon::channel_parts make_channel(daemon::channel_settings& s, const daemon::channel_env& env);

}  // namespace reglament::webchat
