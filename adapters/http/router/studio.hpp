// The owner's playbook studio over HTTP: playbooks with their versions, a draft's
// validation, graph, rehearsal and conversation tests, deploying a draft as a new
// version (running cases stay on theirs); the firm file's parts (services, tariffs,
// pricing, staff) with the same validate/deploy flow, swapped live; managers' proposals.
// Every check reuses the engine (playbook_library::check_draft, build_graph/render_graph,
// sandbox, run_stories, firm_file::parse): the studio answers as `reglament validate`,
// `graph`, `rehearse` and `test` would. Thread-safe: handle() may run on any IO thread;
// long work (stories) runs on the calling IO thread. Routes are owner-only (docs/API.md).
#pragma once

#include "adapters/http/read_pool.hpp"
#include "adapters/http/router/api.hpp"
#include "engine/live_firm.hpp"
#include "engine/playbook_library.hpp"
#include "engine/store/proposal_book.hpp"
#include "engine/writer.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace reglament::http {

struct studio_options {
  std::string playbooks_dir;  // where deployed playbooks are written (atomically)
  std::string firm_path;      // the firm file deployed parts are written to
  live_firm* firm = nullptr;  // swapped when a firm file deploys; null: firm routes 503
  proposal_book* proposals = nullptr;  // null: proposal routes 503
  // Extra checks of a new firm file against what the daemon holds (clients on a tariff
  // the new file drops); each problem is a message. May be null.
  std::function<std::vector<std::string>(const firm_file&)> check_firm;
  // Called after a firm file deployed (e.g. the clients API's tariff ids). May be null.
  std::function<void(const firm_file&)> on_firm_deployed;
  const clock* now = nullptr;  // REQUIRES: set
  std::size_t max_rehearsals = 32;
};

class studio {
 public:
  // REQUIRES: everything outlives the studio. `writer_store` is the writer's connection;
  // it is used only inside work submitted to `w` (on the writer thread).
  studio(writer& w, store& writer_store, read_pool& reads, playbook_library& books, studio_options opt);
  ~studio();

  // The paths this serves: /api/v1/playbooks..., /api/v1/firm..., /api/v1/proposals...,
  // /api/v1/rehearsals...
  static bool owns(std::string_view path);

  // Passes exactly one reply to `respond` (perhaps on the writer thread, after a commit).
  // `who` is the owner the gate admitted: decisions are recorded in their name.
  void handle(request&& req, const principal& who, std::function<void(reply)> respond);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reglament::http
