#include "engine/store.hpp"

#include <fmt/format.h>

namespace reglament {

// Stable across retries and restarts: a channel that sees the key again drops the copy.
std::string outbox_row::idempotency_key() const { return fmt::format("c{}-m{}", id, n); }

}  // namespace reglament
