#include "adapters/http/static_files.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <system_error>

namespace reglament::http {

namespace beast_http = boost::beast::http;
namespace fs = std::filesystem;

namespace {

struct content_type {
  std::string_view ext;
  const char* type;
};

constexpr content_type types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/plain; charset=utf-8"},
};

// A path segment that would leave the directory or name something hidden.
bool safe_relative(std::string_view path) {
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto seg = path.substr(start, end - start);
    if (seg == ".." || (!seg.empty() && seg.front() == '.')) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

static_files::static_files(fs::path dir) : dir_(std::move(dir)) {}

bool static_files::wants(std::string_view path) {
  return path.rfind("/api/", 0) != 0 && path != "/api" && path != "/healthz" && path != "/metrics";
}

const char* static_files::content_security_policy() {
  // No inline scripts or styles: everything the app runs is a file from this server.
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
         "form-action 'self'; frame-ancestors 'none'";
}

const char* static_files::content_type_for(std::string_view extension) {
  for (const auto& t : types)
    if (t.ext == extension) return t.type;
  return "application/octet-stream";
}

void static_files::set_security_headers(response& res) {
  res.set("Content-Security-Policy", content_security_policy());
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "same-origin");
}

static_files::response static_files::serve(const request& req, std::string_view path) const {
  auto answer = [&](beast_http::status status, std::string body) {
    response res{status, req.version()};
    res.keep_alive(req.keep_alive());
    res.set(beast_http::field::content_type, "text/plain; charset=utf-8");
    set_security_headers(res);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  };
  // URLs: "/" and "/app/..." (the app's own routes) are index.html; "/assets/X" is the
  // file X of the directory; "/favicon.ico" is itself. Nothing else is served.
  std::string_view rel;
  if (path == "/" || path == "/index.html" || path == "/app" || path.rfind("/app/", 0) == 0) {
    rel = "index.html";
  } else if (path.rfind("/assets/", 0) == 0) {
    rel = path.substr(8);
  } else if (path == "/favicon.ico") {
    rel = "favicon.ico";
  } else {
    return answer(beast_http::status::not_found, fmt::format("no such page: {}\n", path));
  }
  if (rel.empty() || !safe_relative(rel)) return answer(beast_http::status::bad_request, "bad path\n");

  fs::path file = dir_ / fs::path(std::string(rel));
  std::error_code ec;
  auto status = fs::status(file, ec);
  if (ec || !fs::is_regular_file(status))
    return answer(beast_http::status::not_found, fmt::format("no such file: /{}\n", rel));
  const auto size = fs::file_size(file, ec);
  const auto mtime = fs::last_write_time(file, ec);
  if (ec) return answer(beast_http::status::not_found, fmt::format("no such file: /{}\n", rel));
  // Size and modification time: a changed file gets a new tag without hashing it.
  const auto etag = fmt::format("\"{:x}-{:x}\"", size,
                                static_cast<unsigned long long>(mtime.time_since_epoch().count()));

  response res{beast_http::status::ok, req.version()};
  res.keep_alive(req.keep_alive());
  res.set(beast_http::field::content_type, content_type_for(file.extension().string()));
  // No build step means no hashed file names: the browser must ask every time, and a
  // matching ETag makes the answer a bodiless 304.
  res.set(beast_http::field::cache_control, "no-cache");
  res.set(beast_http::field::etag, etag);
  set_security_headers(res);
  if (auto inm = req[beast_http::field::if_none_match]; !inm.empty() && inm == etag) {
    res.result(beast_http::status::not_modified);
    return res;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return answer(beast_http::status::not_found, fmt::format("cannot read /{}\n", rel));
  res.body().assign(std::istreambuf_iterator<char>(in), {});
  res.prepare_payload();
  if (req.method() == beast_http::verb::head) {
    res.body().clear();
    res.content_length(size);
  }
  return res;
}

}  // namespace reglament::http
