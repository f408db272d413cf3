// Registration of the Telegram channel with the daemon's channel registry: reads
// [channels.telegram] (api_url, token_file / token_env, poll_timeout, max_file_bytes,
// bot_username), and builds the outbound channel and the inbound source around one
// Bot API client and the store-backed ledger of sent messages; `/start CODE` links
// through the client registry. Kept apart from the logic (telegram_channel.hpp,
// telegram_source.hpp). See docs/CHANNELS.md, "Telegram".
#pragma once

#include "daemon/channel_registry.hpp"

#include <string>

namespace reglament::telegram {

// Reads [channels.telegram]; throws daemon::channel_config_error naming the key.
daemon::channel_parts make_channel(daemon::channel_settings& s, const daemon::channel_env& env);

// "https://t.me/<bot_username>?start=CODE" for the table's bot_username ("" without one).
std::string deep_link(const std::string& bot_username, const std::string& code);

}  // namespace reglament::telegram
