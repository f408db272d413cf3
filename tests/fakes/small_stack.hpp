// Runs a function on a thread with a small stack, so that a test shows an unbounded
// recursion by crashing rather than by the size of the input it needs on the main
// thread's 8 MiB. Test-only.
#pragma once

#include <pthread.h>

#include <exception>
#include <functional>
#include <stdexcept>

namespace reglament::testing {

inline void run_with_stack(std::size_t bytes, const std::function<void()>& fn) {
  struct job {
    const std::function<void()>* fn;
    std::exception_ptr error;
  } j{&fn, nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t t;
  const int rc = pthread_create(
      &t, &attr,
      [](void* p) -> void* {
        auto* j = static_cast<job*>(p);
        try {
          (*j->fn)();
        } catch (...) {
          j->error = std::current_exception();
        }
        return nullptr;
      },
      &j);
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("pthread_create failed");
  pthread_join(t, nullptr);
  if (j.error) std::rethrow_exception(j.error);
}

}  // namespace reglament::testing
