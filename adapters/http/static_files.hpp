// The staff web app's files (web/: ES modules, CSS, index.html) served from a directory
// on disk: content type by extension, an ETag so a browser revalidates cheaply, and the
// security headers (a CSP that forbids inline scripts). Thread-safe: it holds only the
// directory and reads each file per request. Not a general web server: no directory
// listings, no ranges, nothing outside the directory.
#pragma once

#include <boost/beast/http.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace reglament::http {

class static_files {
 public:
  // `dir` need not exist yet: a missing file is a 404 at request time.
  explicit static_files(std::filesystem::path dir);

  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;

  // True if `path` (decoded, without the query) is one this serves: GET or HEAD of
  // anything outside /api/ and the operations endpoints.
  static bool wants(std::string_view path);

  // "/" and "/app/**" give index.html, "/assets/X" the file X, "/favicon.ico" itself;
  // a 304 when the ETag matches, 404 when there is no such file, 400 for a path that
  // tries to leave the directory.
  response serve(const request& req, std::string_view path) const;

  // The headers every page of the app carries (also used on the app's error pages).
  static void set_security_headers(response& res);
  static const char* content_security_policy();
  static const char* content_type_for(std::string_view extension);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace reglament::http
