#include "engine/playbook_library.hpp"

#include "engine/playbook_loader.hpp"
#include "engine/store.hpp"
#include "engine/validator.hpp"

#include <algorithm>
#include <filesystem>

namespace reglament {

namespace fs = std::filesystem;

diagnostics playbook_library::load_directory(const std::string& dir, store* st, timestamp now) {
  diagnostics problems;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    problems.push_back({severity::error, {dir, 0, 0}, "", "not a directory of playbooks"});
    return problems;
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (e.is_regular_file() && e.path().extension() == ".yaml" && !name.ends_with(".story.yaml"))
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());

  std::vector<playbook> books;
  for (const auto& f : files) {
    auto r = load_playbook_file(f);
    problems.insert(problems.end(), r.problems.begin(), r.problems.end());
    if (r.book) books.push_back(std::move(*r.book));
  }
  std::vector<const playbook*> set;
  for (const auto& b : books) set.push_back(&b);
  auto more = validate(set);
  problems.insert(problems.end(), more.begin(), more.end());
  if (has_errors(problems)) return problems;

  for (auto& b : books) {
    if (st) {
      b.version = st->register_playbook(b, now);
    } else {
      std::lock_guard lock(mutex_);
      auto& vs = versions_[b.id];
      auto same = std::find_if(vs.begin(), vs.end(), [&](const auto& v) { return v.second->sha256 == b.sha256; });
      b.version = same != vs.end() ? same->first : (vs.empty() ? 1 : vs.rbegin()->first + 1);
    }
    add(std::make_shared<const playbook>(std::move(b)));
  }
  return problems;
}

draft_check playbook_library::check_draft(std::string_view yaml, const std::string& file) const {
  draft_check out;
  auto r = load_playbook_text(yaml, file);
  out.problems = std::move(r.problems);
  if (!r.book) return out;
  out.book = std::move(r.book);
  std::vector<const playbook*> set;
  auto others = latest_all();
  for (const auto& b : others)
    if (b->id != out.book->id) set.push_back(b.get());
  set.push_back(&*out.book);
  for (auto& d : validate(set))
    if (d.pos.file == file || d.level == severity::error) out.problems.push_back(std::move(d));
  return out;
}

void playbook_library::add(playbook_ptr pb) {
  std::lock_guard lock(mutex_);
  versions_[pb->id][pb->version] = std::move(pb);
}

playbook_ptr playbook_library::version(const std::string& id, int version, store* st) {
  {
    std::lock_guard lock(mutex_);
    auto it = versions_.find(id);
    if (it != versions_.end())
      if (auto v = it->second.find(version); v != it->second.end()) return v->second;
  }
  if (!st) return nullptr;
  // An old version a running case still needs: parse it from the stored source.
  auto row = st->playbook_version(id, version);
  if (!row) return nullptr;
  auto r = load_playbook_text(row->source, row->file);
  if (!r.book) return nullptr;
  r.book->version = version;
  auto pb = std::make_shared<const playbook>(std::move(*r.book));
  add(pb);
  return pb;
}

playbook_ptr playbook_library::latest(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = versions_.find(id);
  if (it == versions_.end() || it->second.empty()) return nullptr;
  return it->second.rbegin()->second;
}

std::vector<playbook_ptr> playbook_library::latest_all() const {
  std::lock_guard lock(mutex_);
  std::vector<playbook_ptr> out;
  for (const auto& [id, vs] : versions_)
    if (!vs.empty()) out.push_back(vs.rbegin()->second);
  return out;
}

playbook_ptr playbook_library::for_channel(const std::string& channel, bool known_sender) const {
  playbook_ptr any;
  for (const auto& pb : latest_all()) {
    if (std::find(pb->on.channels.begin(), pb->on.channels.end(), channel) == pb->on.channels.end()) continue;
    if ((pb->on.from == "unknown") != known_sender) return pb;
    if (!any) any = pb;
  }
  return any;
}

}  // namespace reglament
