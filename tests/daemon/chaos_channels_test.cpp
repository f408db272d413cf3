// The chaos campaign with real channels: clients write by email (into Dovecot's maildir,
// fetched by IMAP) and by Telegram (updates at the fake Bot API); each gets a reply by
// SMTP (aiosmtpd) or sendMessage. The daemon is killed with SIGKILL at random moments at
// least 50 times and restarted on the same data dir. Then, from what the servers
// themselves received: every inbound mail and update is in exactly one case, and every
// reply was delivered; a reply delivered twice (possible only when the daemon dies
// between the server's acceptance and the commit that records it) is counted and must
// carry the same Message-ID (email) so the client's mail program shows it once.
// Prints the figures. REGLAMENT_CHAOS_KILLS sets the number of kills (default 50).
#include "engine/store/sqlite_store.hpp"
#include "tests/adapters/email/mail_servers.hpp"
#include "tests/adapters/telegram/fake_bot_api.hpp"
#include "tests/daemon/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

using namespace reglament::testing;
namespace mail = reglament::email::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string header(const std::string& raw, const std::string& name) {
  const auto at = raw.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  const auto start = at + 4 + name.size();
  auto value = raw.substr(start, raw.find("\r\n", start) - start);
  if (value.size() > 1 && value.front() == '<' && value.back() == '>') value = value.substr(1, value.size() - 2);
  return value;
}

std::string mail_id(int i) { return fmt::format("chaos-mail-{}@example.ru", i); }
std::string tg_user(int i) { return std::to_string(300000 + i); }

std::string client_mail(int i) {
  return mail::plain_mail(fmt::format("Client {0} <client{0}@example.ru>", i), mail_id(i), fmt::format("Request {}", i),
                          fmt::format("Заявка номер {}", i));
}

}  // namespace

TEST_CASE("chaos with channels: email and Telegram in, SMTP and the Bot API out, 50 SIGKILLs", "[slow][integration]") {
  const int kills = std::getenv("REGLAMENT_CHAOS_KILLS") ? std::atoi(std::getenv("REGLAMENT_CHAOS_KILLS")) : 50;
  const auto dir = temp_dir("chaos-channels");
  const auto data = dir + "/data";
  mail::dovecot_server dovecot(dir + "/dovecot");
  mail::smtp_server smtp(dir + "/smtp");
  fake_bot_api bot(fake_bot_api::test_token);
  std::ofstream(dir + "/imap-password") << mail::dovecot_server::password << "\n";
  std::ofstream(dir + "/telegram-token") << fake_bot_api::test_token << "\n";
  std::ofstream(dir + "/reglament.toml")
      << "[firm]\nfile = \"" REGLAMENT_SOURCE_DIR "/playbooks/bookkeeping/firm/demo-firm.yaml\"\n"
      << "[outbox]\nretry_first_seconds = 1\nretry_max_seconds = 2\n"
      << "[channels.email]\n"
      << mail::imap_keys(dovecot, dir + "/imap-password") << mail::smtp_keys(smtp)
      << "poll_interval = 1\n"
      << "initial = \"all\"\n"
      << "[channels.telegram]\n"
      << "api_url = \"" << bot.url() << "\"\n"
      << "token_file = \"" << dir << "/telegram-token\"\n"
      << "poll_timeout = 1\n";
  const std::vector<std::string> args{"--config", dir + "/reglament.toml", "--playbooks",
                                      REGLAMENT_SOURCE_DIR "/tests/daemon/fixtures/chaos_channels"};
  std::mt19937 rng(20261204);

  // Each round: two mails and two Telegram messages arrive while the daemon starts and
  // works; it is killed after 50..900 ms.
  int mails = 0, updates = 0, started = 0;
  for (int round = 0; round < kills; ++round) {
    dovecot.deliver(client_mail(mails++));
    bot.update(fake_bot_api::text_message(std::stoll(tg_user(updates)), fmt::format("Заявка {}", updates), 1));
    ++updates;
    daemon_process d(data, args);
    ++started;
    dovecot.deliver(client_mail(mails++));
    bot.update(fake_bot_api::text_message(std::stoll(tg_user(updates)), fmt::format("Заявка {}", updates), 1));
    ++updates;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 900)(rng)));
    d.kill(SIGKILL);
  }

  // The last start: everything arrives and every reply goes out.
  const int messages = mails + updates;
  auto replied_mail = [&] {
    std::set<std::string> to;
    for (const auto& raw : smtp.received()) to.insert(header(raw, "In-Reply-To"));
    return to;
  };
  auto replied_chats = [&] {
    std::set<std::string> chats;
    for (const auto& call : bot.calls("sendMessage")) {
      const auto& id = call["params"]["chat_id"];
      chats.insert(id.is_string() ? id.get<std::string>() : id.dump());
    }
    return chats;
  };
  {
    daemon_process d(data, args);
    http_client c(d.port());
    const bool done = fake_bot_api::wait_for(
        [&] {
          return static_cast<int>(replied_mail().size()) >= mails && static_cast<int>(replied_chats().size()) >= updates;
        },
        std::chrono::seconds(150));
    if (!done) FAIL_CHECK("not every reply went out; reglamentd log tail:\n" << d.log().substr(d.log().size() > 20000 ? d.log().size() - 20000 : 0));
    // Nothing left to send (a kill may have left a reply between "sent" and "recorded").
    fake_bot_api::wait_for([&] {
      const auto j = json::parse(c.get("/api/v1/outbox?limit=10000&state=queued").body);
      return j["outbox"].empty();
    });
    CHECK(d.kill(SIGTERM) == 0);
  }

  // Inbound: every mail and update in exactly one case (from the journal itself).
  reglament::sqlite_store st(data + "/reglament.db", {.read_only = true});
  std::map<std::string, int> received;  // external id -> times journaled
  int cases = 0;
  for (reglament::case_id id = 1;; ++id) {
    const auto journal = st.journal(id);
    if (journal.empty()) break;
    ++cases;
    for (const auto& e : journal)
      if (e.what.kind == reglament::fact_kind::message_received) ++received[e.what.data.value("external_id", "")];
  }
  int in_lost = 0, in_doubled = 0;
  for (int i = 0; i < mails; ++i) {
    const auto n = received.count(mail_id(i)) ? received[mail_id(i)] : 0;
    in_lost += n == 0;
    in_doubled += n > 1;
  }
  for (int i = 0; i < updates; ++i) {
    const auto key = tg_user(i) + ":1";
    const auto n = received.count(key) ? received[key] : 0;
    in_lost += n == 0;
    in_doubled += n > 1;
  }

  // Outbound: what aiosmtpd and the fake Bot API received.
  std::map<std::string, std::vector<std::string>> replies;  // inbound Message-ID -> reply Message-IDs
  for (const auto& raw : smtp.received()) replies[header(raw, "In-Reply-To")].push_back(header(raw, "Message-ID"));
  int out_lost = 0, out_doubled = 0, doubled_new_id = 0;
  for (int i = 0; i < mails; ++i) {
    const auto& r = replies[mail_id(i)];
    out_lost += r.empty();
    if (r.size() > 1) {
      out_doubled += static_cast<int>(r.size()) - 1;
      doubled_new_id += std::set<std::string>(r.begin(), r.end()).size() > 1;
    }
  }
  std::map<std::string, int> sends;
  for (const auto& call : bot.calls("sendMessage")) {
    const auto& id = call["params"]["chat_id"];
    ++sends[id.is_string() ? id.get<std::string>() : id.dump()];
  }
  int tg_lost = 0, tg_doubled = 0;
  for (int i = 0; i < updates; ++i) {
    const auto n = sends[tg_user(i)];
    tg_lost += n == 0;
    tg_doubled += n > 1 ? n - 1 : 0;
  }
  const auto replay = st.verify_replay();
  for (const auto& diff : replay.differences) UNSCOPED_INFO(diff);

  WARN(fmt::format("chaos with channels: kills={} starts={} messages={} (email={} telegram={}) cases={} "
                   "inbound_lost={} inbound_doubled={} email_replies={} email_lost={} email_doubled={} "
                   "email_doubled_with_new_message_id={} telegram_replies={} telegram_lost={} telegram_doubled={} "
                   "replay_cases={}",
                   kills, started + 1, messages, mails, updates, cases, in_lost, in_doubled, smtp.received().size(),
                   out_lost, out_doubled, doubled_new_id, bot.calls("sendMessage").size(), tg_lost, tg_doubled,
                   replay.cases));
  CHECK(in_lost == 0);
  CHECK(in_doubled == 0);
  CHECK(cases == messages);
  CHECK(out_lost == 0);
  CHECK(tg_lost == 0);
  // A reply sent twice is the same mail (same Message-ID): the client's program shows one.
  CHECK(doubled_new_id == 0);
  CHECK(replay.differences.empty());
}
