#include "engine/case_machine.hpp"

#include <boost/mpl/list.hpp>
#include <boost/statechart/custom_reaction.hpp>
#include <boost/statechart/event.hpp>
#include <boost/statechart/simple_state.hpp>
#include <boost/statechart/state_machine.hpp>
#include <boost/statechart/transition.hpp>

#include <fmt/format.h>

namespace reglament {
namespace {

namespace sc = boost::statechart;
namespace mpl = boost::mpl;

struct ev_client : sc::event<ev_client> {
  explicit ev_client(const inbound_message& m) : msg(m) {}
  const inbound_message& msg;
};
struct ev_staff : sc::event<ev_staff> {
  explicit ev_staff(const staff_action& a) : act(a) {}
  const staff_action& act;
};
struct ev_timer : sc::event<ev_timer> {
  explicit ev_timer(timer_due t) : due(t) {}
  timer_due due;
};
struct ev_delivery : sc::event<ev_delivery> {
  explicit ev_delivery(const delivery_result& d) : result(d) {}
  const delivery_result& result;
};
// Internal: after the interpreter ran, move the machine to the lifecycle state the
// case is now in (the interpreter decides, by the step it stopped at).
struct ev_settle : sc::event<ev_settle> {
  explicit ev_settle(case_status s) : to(s) {}
  case_status to;
};

struct open_case;
struct closed_case;
struct running;
struct waiting_manager;
struct waiting_client;
struct waiting_payment;
struct waiting_director;
struct waiting_timer;

struct machine : sc::state_machine<machine, open_case> {
  machine(const interpreter& i, case_state& s) : interp(i), state(s) {}
  const interpreter& interp;
  case_state& state;
  step_outcome out;

  // Records what the interpreter did and queues the move to the state it left us in.
  template <class State>
  sc::result settle(State& st, step_outcome o) {
    out = std::move(o);
    st.post_event(ev_settle(state.status));
    return st.discard_event();
  }
};

const char* waiting_for_text(case_status s) {
  switch (s) {
    case case_status::waiting_client: return "the case is waiting for the client's reply";
    case case_status::waiting_payment: return "the case is waiting for a payment";
    case case_status::waiting_director: return "the case is waiting for the director's decision";
    case case_status::waiting_timer: return "the case is waiting for a timer";
    case case_status::waiting_manager: return "the case is waiting for the manager";
    case case_status::running: return "the case is running";
    case case_status::closed: return "the case is closed";
  }
  return "";
}

// Reactions every open case has; inner states add what a person may do there.
struct open_case : sc::simple_state<open_case, machine, running> {
  using reactions = mpl::list<sc::custom_reaction<ev_client>, sc::custom_reaction<ev_staff>,
                              sc::custom_reaction<ev_timer>, sc::custom_reaction<ev_delivery>,
                              sc::custom_reaction<ev_settle>>;

  sc::result react(const ev_client& e) {
    return outermost_context().settle(*this, outermost_context().interp.client_message(outermost_context().state, e.msg));
  }
  // Reached only when the current inner state does not take staff actions: notes still go in.
  sc::result react(const ev_staff& e) {
    auto& m = outermost_context();
    if (staff_action::any_time(e.act.what)) return m.settle(*this, m.interp.staff(m.state, e.act));
    m.out = {{}, fmt::format("{}: '{}' is not possible now", waiting_for_text(m.state.status), to_string(e.act.what)), true};
    return discard_event();
  }
  sc::result react(const ev_timer& e) {
    return outermost_context().settle(*this, outermost_context().interp.timer(outermost_context().state, e.due));
  }
  sc::result react(const ev_delivery& e) {
    return outermost_context().settle(*this, outermost_context().interp.delivery(outermost_context().state, e.result));
  }
  sc::result react(const ev_settle& e) {
    switch (e.to) {
      case case_status::running: return transit<running>();
      case case_status::waiting_manager: return transit<waiting_manager>();
      case case_status::waiting_client: return transit<waiting_client>();
      case case_status::waiting_payment: return transit<waiting_payment>();
      case case_status::waiting_director: return transit<waiting_director>();
      case case_status::waiting_timer: return transit<waiting_timer>();
      case case_status::closed: return transit<closed_case>();
    }
    return discard_event();
  }
};

// A person acts on the current step: only the kinds `accepts` allows.
template <class Derived>
struct takes_staff : sc::simple_state<Derived, open_case> {
  using reactions = sc::custom_reaction<ev_staff>;
  sc::result react(const ev_staff& e) {
    auto& m = this->outermost_context();
    if (!Derived::accepts(e.act.what) && !staff_action::any_time(e.act.what)) return this->forward_event();
    return m.settle(*this, m.interp.staff(m.state, e.act));
  }
};

using k = staff_action::kind;
struct running : sc::simple_state<running, open_case> {};
struct waiting_timer : sc::simple_state<waiting_timer, open_case> {};
struct waiting_manager : takes_staff<waiting_manager> {
  static bool accepts(k a) {
    return a == k::choose || a == k::submit || a == k::done || a == k::skip || a == k::correct || a == k::send;
  }
};
struct waiting_client : takes_staff<waiting_client> {
  // The manager may route a reply the playbook could not read.
  static bool accepts(k a) { return a == k::choose; }
};
struct waiting_payment : takes_staff<waiting_payment> {
  static bool accepts(k a) { return a == k::paid; }
};
struct waiting_director : takes_staff<waiting_director> {
  static bool accepts(k a) { return a == k::decide; }
};

struct closed_case : sc::simple_state<closed_case, machine> {
  using reactions = mpl::list<sc::custom_reaction<ev_client>, sc::custom_reaction<ev_staff>,
                              sc::custom_reaction<ev_timer>, sc::custom_reaction<ev_delivery>,
                              sc::custom_reaction<ev_settle>>;
  // A late message is still journaled; it reopens nothing (a new case is opened by the engine).
  sc::result react(const ev_client& e) {
    auto& m = outermost_context();
    m.out = m.interp.client_message(m.state, e.msg);
    return discard_event();
  }
  sc::result react(const ev_staff& e) {
    auto& m = outermost_context();
    if (staff_action::any_time(e.act.what))
      m.out = m.interp.staff(m.state, e.act);
    else
      m.out = {{}, "the case is closed", true};
    return discard_event();
  }
  sc::result react(const ev_timer&) {
    outermost_context().out = {{}, "the case is closed", true};
    return discard_event();
  }
  sc::result react(const ev_delivery& e) {
    auto& m = outermost_context();
    m.out = m.interp.delivery(m.state, e.result);
    return discard_event();
  }
  sc::result react(const ev_settle&) { return discard_event(); }
};

}  // namespace

struct case_machine::impl {
  impl(const interpreter& i, case_state& s) : m(i, s) {}
  machine m;
};

case_machine::case_machine(const interpreter& interp, case_state& state)
    : impl_(std::make_unique<impl>(interp, state)) {
  impl_->m.initiate();
  impl_->m.process_event(ev_settle(state.status));  // resume where the journal left the case
}

case_machine::~case_machine() = default;

step_outcome case_machine::handle(const case_input& input) {
  auto& m = impl_->m;
  m.out = {};
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, inbound_message>) m.process_event(ev_client(ev));
        if constexpr (std::is_same_v<T, staff_action>) m.process_event(ev_staff(ev));
        if constexpr (std::is_same_v<T, timer_due>) m.process_event(ev_timer(ev));
        if constexpr (std::is_same_v<T, delivery_result>) m.process_event(ev_delivery(ev));
      },
      input);
  return std::move(m.out);
}

case_status case_machine::current() const {
  const auto& m = impl_->m;
  if (m.state_cast<const closed_case*>()) return case_status::closed;
  if (m.state_cast<const waiting_manager*>()) return case_status::waiting_manager;
  if (m.state_cast<const waiting_client*>()) return case_status::waiting_client;
  if (m.state_cast<const waiting_payment*>()) return case_status::waiting_payment;
  if (m.state_cast<const waiting_director*>()) return case_status::waiting_director;
  if (m.state_cast<const waiting_timer*>()) return case_status::waiting_timer;
  return case_status::running;
}

}  // namespace reglament
