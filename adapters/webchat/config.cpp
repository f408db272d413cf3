#include "adapters/webchat/config.hpp"

#include "adapters/webchat/chat_server.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace reglament::webchat {
namespace {

// The outbox's "webchat" rows, delivered into the visitors' conversations.
class server_channel final : public reglament::channel {
 public:
  explicit server_channel(std::shared_ptr<chat_server> s) : server_(std::move(s)) {}
  std::string name() const override { return "webchat"; }
  delivery_status deliver(const outbound_message& m) override { return server_->channel().deliver(m); }

 private:
  std::shared_ptr<chat_server> server_;
};

// Visitors' messages, handed to the inbound gateway.
class server_source final : public reglament::inbound_source {
 public:
  explicit server_source(std::shared_ptr<chat_server> s) : server_(std::move(s)) {}
  std::string name() const override { return "webchat"; }
  void start(inbound_sink& sink) override { server_->start(sink); }
  void stop() override { server_->stop(); }

 private:
  std::shared_ptr<chat_server> server_;
};

}  // namespace

daemon::channel_parts make_channel(daemon::channel_settings& s, const daemon::channel_env& env) {
  server_options opt;
  const std::string default_db =
      (std::filesystem::path(env.data_dir.empty() ? "." : env.data_dir) / "webchat.db").string();
  opt.db_path = s.string("db", default_db);
  if (opt.db_path.empty()) throw daemon::channel_config_error(s.key("db") + ": must not be empty");
  opt.firm = s.string("firm", "");
  for (const auto& origin : s.strings("allowed_origins")) {
    if ((origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0) || origin.back() == '/')
      throw daemon::channel_config_error(fmt::format(
          "{}: expected origins like \"https://firm.ru\" (scheme and host, no path), got '{}'",
          s.key("allowed_origins"), origin));
    opt.allowed_origins.push_back(origin);
  }
  auto& lim = opt.lim;
  lim.max_text_bytes = static_cast<std::size_t>(s.integer("max_text_bytes", 4000, 1, 65536));
  lim.messages_per_minute = static_cast<int>(s.integer("messages_per_minute", 20, 1, 6000));
  lim.message_burst = static_cast<int>(s.integer("message_burst", 10, 1, 1000));
  lim.max_connections = static_cast<int>(s.integer("max_connections", 500, 1, 100000));
  lim.max_connections_per_visitor = static_cast<int>(s.integer("max_connections_per_visitor", 8, 1, 100));
  lim.new_visitors_per_hour = static_cast<int>(s.integer("new_visitors_per_hour", 30, 1, 1000000));
  lim.new_visitors_burst = static_cast<int>(s.integer("new_visitors_burst", 10, 1, 100000));
  lim.hello_timeout = s.seconds("hello_timeout", std::chrono::seconds(10), std::chrono::seconds(1),
                                std::chrono::seconds(600));
  if (!env.clk) throw daemon::channel_config_error(s.key("enabled") + ": the website chat needs the clock");

  const firm_profile* firm = env.firm;
  auto* log = env.log;
  std::shared_ptr<chat_server> server;
  try {
    server = std::make_shared<chat_server>(
        opt, *env.clk,
        [firm](const std::string& lang) { return firm ? firm->name(lang) : std::string{}; },
        [log](const std::string& what, const std::string& detail) {
          if (log) log->warn("website chat", {{"op", what}, {"error", detail}});
        });
  } catch (const std::exception& e) {
    throw daemon::channel_config_error(fmt::format("{}: {}", s.key("db"), e.what()));
  }
  if (log) log->info("website chat: the widget is /chat/widget.js, a demo page /chat/demo", {{"db", opt.db_path}});
  daemon::channel_parts parts;
  parts.outbound = std::make_unique<server_channel>(server);
  parts.inbound = std::make_unique<server_source>(server);
  parts.web = server;
  return parts;
}

}  // namespace reglament::webchat
