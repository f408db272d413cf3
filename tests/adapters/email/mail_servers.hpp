// Real mail servers for the email tests, started on 127.0.0.1 and stopped by the test:
// Dovecot (dovecot-imapd) with a maildir and a passwd-file user in a scratch directory,
// and an SMTP server (python3-aiosmtpd, smtp_sink.py) writing what it receives to a
// directory, which can be told to answer MAIL FROM with an error code until healed.
// Each runs as a child process of the test, killed by its pid at the end.
// Not thread-safe; test-only.
//
// Dovecot runs unprivileged with default_login_user / default_internal_user set to the
// current user. When the tests run as root (Dovecot refuses root for its login and mail
// processes) they use Debian's dovenull and dovecot users, and the maildir belongs to
// dovecot.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace reglament::email::testing {

inline unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class child_process {
 public:
  child_process() = default;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() { stop(); }

  void start(std::vector<std::string> args, const std::string& log_file) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      if (FILE* log = std::fopen(log_file.c_str(), "a")) {
        ::dup2(fileno(log), 1);
        ::dup2(fileno(log), 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  // Waits (up to a minute: a loaded machine) for `port` to accept; throws with `what` if
  // the child exits first or never listens.
  void wait_for_port(unsigned short port, const std::string& what, const std::string& log_file) {
    for (int i = 0; i < 6000; ++i) {
      if (port_open(port)) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error(what + " exited at start-up:\n" + read_file(log_file));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error(what + " does not listen on port " + std::to_string(port) + ":\n" + read_file(log_file));
  }
  void stop() {
    if (pid_ <= 0) return;
    // The whole group: Dovecot's master otherwise waits for its sessions to end.
    ::kill(-pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

class dovecot_server {
 public:
  static constexpr const char* user = "firm";
  static constexpr const char* password = "secret-Пароль";

  explicit dovecot_server(const std::string& dir) : dir_(dir) {
    namespace fs = std::filesystem;
    fs::remove_all(dir_);
    for (const char* d : {"base", "state", "mail/firm/new", "mail/firm/cur", "mail/firm/tmp"})
      fs::create_directories(dir_ + "/" + d);
    port_ = free_port();
    const bool root = ::geteuid() == 0;
    const passwd* me = ::getpwuid(::geteuid());
    const std::string self = me ? me->pw_name : "nobody";
    const passwd* mail = root ? ::getpwnam("dovecot") : me;
    if (!mail) throw std::runtime_error("no 'dovecot' user to own the test maildir");
    mail_uid_ = mail->pw_uid;
    mail_gid_ = mail->pw_gid;
    std::ofstream(dir_ + "/passwd") << user << ":{PLAIN}" << password << "::::::\n";
    std::ofstream conf(dir_ + "/dovecot.conf");
    conf << "protocols = imap\n"
         << "listen = 127.0.0.1\n"
         << "base_dir = " << dir_ << "/base\n"
         << "state_dir = " << dir_ << "/state\n"
         << "log_path = " << dir_ << "/dovecot.log\n"
         << "ssl = no\n"
         << "disable_plaintext_auth = no\n"
         << "auth_mechanisms = plain login\n"
         << "mail_location = maildir:" << dir_ << "/mail/%u\n"
         << "default_login_user = " << (root ? "dovenull" : self) << "\n"
         << "default_internal_user = " << (root ? "dovecot" : self) << "\n"
         << "first_valid_uid = 1\n"
         << "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u " << dir_ << "/passwd\n}\n"
         << "userdb {\n  driver = passwd-file\n  args = username_format=%u " << dir_ << "/passwd\n"
         << "  default_fields = uid=" << mail_uid_ << " gid=" << mail_gid_ << " home=" << dir_ << "/mail/%u\n}\n"
         << "service imap-login {\n  chroot =\n  inet_listener imap {\n    address = 127.0.0.1\n    port = " << port_
         << "\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}\n"
         << "service anvil {\n  chroot =\n}\n";
    conf.close();
    own_maildir();
    start();
  }
  ~dovecot_server() {
    process_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Stops the server (a test of a mail server that is down) and starts it again on the
  // same port with the same mailbox and UIDs.
  void stop() { process_.stop(); }
  void start() {
    process_.start({"/usr/sbin/dovecot", "-F", "-c", dir_ + "/dovecot.conf"}, dir_ + "/stdout.log");
    process_.wait_for_port(port_, "dovecot", dir_ + "/dovecot.log");
  }

  unsigned short port() const { return port_; }
  std::string url() const { return "imap://127.0.0.1:" + std::to_string(port_) + "/"; }
  // Drops `raw` into the user's maildir, as a delivery agent would.
  void deliver(const std::string& raw) {
    static int n = 0;
    // Dovecot numbers new mail in file-name order: zero-padded, the order of delivery.
    char name[64];
    std::snprintf(name, sizeof name, "%010d.%06d.test", static_cast<int>(::getpid()), ++n);
    const auto tmp = dir_ + "/mail/firm/tmp/" + std::string(name);
    std::ofstream(tmp, std::ios::binary) << raw;
    std::filesystem::rename(tmp, dir_ + "/mail/firm/new/" + std::string(name));
    own_maildir();
  }
  std::string log() const { return read_file(dir_ + "/dovecot.log"); }

 private:
  void own_maildir() {
    if (::geteuid() != 0) return;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/mail"))
      if (::chown(e.path().c_str(), mail_uid_, mail_gid_) != 0) throw std::runtime_error("chown " + e.path().string());
    if (::chown((dir_ + "/mail").c_str(), mail_uid_, mail_gid_) != 0) throw std::runtime_error("chown maildir");
  }

  std::string dir_;
  unsigned short port_ = 0;
  uid_t mail_uid_ = 0;
  gid_t mail_gid_ = 0;
  child_process process_;
};

class smtp_server {
 public:
  // `credentials` "login:password" makes the server require AUTH.
  explicit smtp_server(const std::string& dir, const std::string& credentials = {}) : dir_(dir) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/mail");
    port_ = free_port();
    std::vector<std::string> args{"/usr/bin/python3", std::string(REGLAMENT_SOURCE_DIR) + "/tests/adapters/email/smtp_sink.py",
                                  std::to_string(port_), dir_ + "/mail"};
    if (!credentials.empty()) args.push_back(credentials);
    process_.start(args, dir_ + "/smtp.log");
    process_.wait_for_port(port_, "aiosmtpd", dir_ + "/smtp.log");
  }
  ~smtp_server() {
    process_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  unsigned short port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // The messages received so far, in order, each with X-Envelope-From/To lines first.
  std::vector<std::string> received() const {
    std::vector<std::string> out;
    for (int i = 1;; ++i) {
      const auto path = dir_ + "/mail/" + std::to_string(i) + ".eml";
      if (!std::filesystem::exists(path)) break;
      out.push_back(read_file(path));
    }
    return out;
  }
  void stop() { process_.stop(); }
  // From now on every MAIL FROM is answered with `reply` ("451 4.3.0 Try again later");
  // heal() ends that. MAIL FROM commands seen so far, faulted or not: attempts().
  void fail_with(const std::string& reply) {
    std::ofstream(dir_ + "/fault.tmp") << reply << "\n";
    std::filesystem::rename(dir_ + "/fault.tmp", dir_ + "/fault");
  }
  void heal() { std::filesystem::remove(dir_ + "/fault"); }
  std::size_t attempts() const {
    const auto text = read_file(dir_ + "/attempts");
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }

 private:
  std::string dir_;
  unsigned short port_ = 0;
  child_process process_;
};

// A plain UTF-8 mail as a client's mail program writes it.
inline std::string plain_mail(const std::string& from, const std::string& message_id, const std::string& subject,
                              const std::string& text) {
  return "From: " + from + "\r\nTo: office@balans-buh.ru\r\nSubject: " + subject + "\r\nMessage-ID: <" + message_id +
         ">\r\nDate: Fri, 04 Dec 2026 09:00:00 +0300\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n";
}

// [channels.email] lines for reglamentd talking to these servers: SMTP without TLS from
// office@balans-buh.ru; IMAP as the test user with its password in `password_file`
// (the caller writes dovecot_server::password there).
inline std::string smtp_keys(const smtp_server& smtp) {
  return "smtp_url = \"" + smtp.url() + "\"\nsmtp_starttls = false\nfrom_address = \"office@balans-buh.ru\"\n";
}
inline std::string imap_keys(const dovecot_server& dovecot, const std::string& password_file) {
  return "imap_url = \"" + dovecot.url() + "INBOX\"\nusername = \"" + std::string(dovecot_server::user) +
         "\"\npassword_file = \"" + password_file + "\"\n";
}

}  // namespace reglament::email::testing
