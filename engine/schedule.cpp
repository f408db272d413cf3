#include "engine/schedule.hpp"

#include "engine/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace reglament {
namespace {

using namespace std::chrono;

struct word_value {
  std::string_view word;
  int value;
};

constexpr std::array<word_value, 30> ordinal_words{{
    {"первый", 1},    {"первую", 1},    {"первое", 1},    {"первая", 1},    {"first", 1},
    {"второй", 2},    {"вторую", 2},    {"второе", 2},    {"вторая", 2},    {"second", 2},
    {"третий", 3},    {"третью", 3},    {"третье", 3},    {"третья", 3},    {"third", 3},
    {"четвертый", 4}, {"четвертую", 4}, {"четвертое", 4}, {"четвертая", 4}, {"fourth", 4},
    {"пятый", 5},     {"пятую", 5},     {"пятое", 5},     {"пятая", 5},     {"fifth", 5},
    {"последний", -1}, {"последнюю", -1}, {"последнее", -1}, {"последняя", -1}, {"last", -1},
}};

constexpr std::array<word_value, 42> weekday_words{{
    {"понедельник", 1}, {"понедельника", 1}, {"понедельникам", 1}, {"monday", 1}, {"mondays", 1}, {"пн", 1},
    {"вторник", 2},     {"вторника", 2},     {"вторникам", 2},     {"tuesday", 2}, {"tuesdays", 2}, {"вт", 2},
    {"среда", 3},       {"среду", 3},        {"средам", 3},        {"wednesday", 3}, {"wednesdays", 3}, {"ср", 3},
    {"четверг", 4},     {"четверга", 4},     {"четвергам", 4},     {"thursday", 4}, {"thursdays", 4}, {"чт", 4},
    {"пятница", 5},     {"пятницу", 5},      {"пятницам", 5},      {"friday", 5},  {"fridays", 5},  {"пт", 5},
    {"суббота", 6},     {"субботу", 6},      {"субботам", 6},      {"saturday", 6}, {"saturdays", 6}, {"сб", 6},
    {"воскресенье", 7}, {"воскресенья", 7},  {"воскресеньям", 7},  {"sunday", 7},  {"sundays", 7},  {"вс", 7},
}};

constexpr std::array<word_value, 48> month_words{{
    {"января", 1},   {"январь", 1},   {"january", 1},   {"jan", 1},
    {"февраля", 2},  {"февраль", 2},  {"february", 2},  {"feb", 2},
    {"марта", 3},    {"март", 3},     {"march", 3},     {"mar", 3},
    {"апреля", 4},   {"апрель", 4},   {"april", 4},     {"apr", 4},
    {"мая", 5},      {"май", 5},      {"may", 5},       {"mai", 5},
    {"июня", 6},     {"июнь", 6},     {"june", 6},      {"jun", 6},
    {"июля", 7},     {"июль", 7},     {"july", 7},      {"jul", 7},
    {"августа", 8},  {"август", 8},   {"august", 8},    {"aug", 8},
    {"сентября", 9}, {"сентябрь", 9}, {"september", 9}, {"sep", 9},
    {"октября", 10}, {"октябрь", 10}, {"october", 10},  {"oct", 10},
    {"ноября", 11},  {"ноябрь", 11},  {"november", 11}, {"nov", 11},
    {"декабря", 12}, {"декабрь", 12}, {"december", 12}, {"dec", 12},
}};

// Words that carry no meaning of their own here; any other unknown word is an error, so a
// typo never passes for a rule it does not say.
constexpr std::string_view filler_words[] = {
    "в", "во", "на", "по", "с", "и", "каждый", "каждую", "каждое", "каждого", "каждой", "каждым",
    "ежемесячно", "месяца", "месяц", "месяце", "число", "числа", "числам", "числу", "год", "года",
    "году", "ежегодно", "ежедневно", "день", "дня", "дням", "дни", "рабочий", "рабочим", "рабочие",
    "рабочего", "будням", "будние", "рождения", "рождение", "контакта", "контактов", "клиента",
    "клиентов", "профессиональный", "профессионального", "праздник", "праздника", "его", "ее",
    "the", "of", "a", "an", "every", "each", "month", "monthly", "on", "at", "in", "year", "yearly",
    "annually", "day", "days", "daily", "working", "business", "weekdays", "birthday", "birthdays",
    "contact", "contacts", "client", "clients", "professional", "holiday", "s", "their", "its", "утра",
};

const char* const forms_text =
    "«ежедневно в 9:00», «по рабочим дням в 9:30», «каждую пятницу в 16:00», "
    "«каждое 5-е число в 10:00», «в последний день месяца», «в первый (последний) рабочий день месяца», "
    "«каждый второй вторник месяца», «в последнюю пятницу месяца в 10:00», «ежегодно 21 ноября», "
    "«в день рождения контакта клиента в 10:00», «в профессиональный праздник клиента»; "
    "перенос: «…, если выпадает на выходной — в предыдущий (следующий) рабочий день»; "
    "English: «daily at 9:00», «on working days at 9:30», «every friday», «on day 5 of every month», "
    "«last friday of the month at 10:00», «every year on 21 november», «on a contact's birthday», "
    "«on the client's professional holiday», «…, if it falls on a day off, the previous working day»";

std::optional<int> lookup(std::string_view w, const auto& table) {
  for (const auto& e : table)
    if (e.word == w) return e.value;
  return std::nullopt;
}

bool one_of(std::string_view w, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), w) != list.end();
}

// "5", "5-е", "5-го", "5th", "1st" -> 5 / 1.
std::optional<int> number_of(std::string_view w) {
  std::size_t i = 0;
  int n = 0;
  while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i])) && i < 3) n = n * 10 + (w[i++] - '0');
  if (i == 0 || (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i])))) return std::nullopt;
  auto rest = w.substr(i);
  if (one_of(rest, {"", "-е", "-го", "-ое", "-ого", "-й", "-я", "-ю", "-ий", "th", "st", "nd", "rd", "-th"})) return n;
  return std::nullopt;
}

// "9:30", "09.30" -> minutes since midnight.
std::optional<int> time_of(std::string_view w) {
  auto sep = w.find_first_of(":.");
  if (sep == std::string_view::npos || sep == 0 || sep > 2 || w.size() != sep + 3) return std::nullopt;
  int h = 0, m = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (i == sep) continue;
    if (!std::isdigit(static_cast<unsigned char>(w[i]))) return std::nullopt;
    (i < sep ? h : m) = (i < sep ? h : m) * 10 + (w[i] - '0');
  }
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::vector<std::string> tokens(std::string_view folded) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    while (!cur.empty() && (cur.back() == '.' || cur.back() == '-' || cur.back() == ':')) cur.pop_back();
    while (!cur.empty() && (cur.front() == '-' || cur.front() == '.')) cur.erase(0, 1);
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (std::size_t i = 0; i < folded.size();) {
    unsigned char c = static_cast<unsigned char>(folded[i]);
    // Dashes, quotes and brackets in UTF-8 (—, –, «, », „, “, ”) separate words.
    static constexpr std::string_view separators[] = {"—", "–", "«", "»", "„", "“", "”", "’"};
    bool sep = false;
    for (auto s : separators)
      if (folded.substr(i, s.size()) == s) {
        flush();
        i += s.size();
        sep = true;
        break;
      }
    if (sep) continue;
    if (std::isspace(c) || c == ',' || c == ';' || c == '(' || c == ')' || c == '"' || c == '!' || c == '?') {
      flush();
    } else if (c == '\'') {
      flush();  // "client's" -> "client", "s"
    } else {
      cur += folded[i];
    }
    ++i;
  }
  flush();
  return out;
}

bool is_leap(int y) { return year(y).is_leap(); }

sys_days last_day(year_month ym) { return sys_days(ym / std::chrono::last); }

bool working_day(sys_days d, const working_calendar* cal) {
  if (cal) return cal->is_working_day(d);
  auto wd = weekday(d).iso_encoding();
  return wd <= 5;
}

// The day an occurrence on `d` actually fires on.
sys_days shifted(sys_days d, schedule_rule::shift s, const working_calendar* cal) {
  if (s == schedule_rule::shift::none) return d;
  int step = s == schedule_rule::shift::previous_working_day ? -1 : 1;
  for (int i = 0; i < 31 && !working_day(d, cal); ++i) d += days(step);
  return d;
}

const char* weekday_name(int iso, bool accusative) {
  static const char* nom[] = {"понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"};
  static const char* acc[] = {"понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье"};
  return (accusative ? acc : nom)[(iso - 1) % 7];
}

const char* month_genitive(int m) {
  static const char* names[] = {"января", "февраля", "марта", "апреля", "мая", "июня",
                                "июля", "августа", "сентября", "октября", "ноября", "декабря"};
  return names[(m - 1) % 12];
}

}  // namespace

const char* schedule_forms() { return forms_text; }

std::optional<schedule_rule> parse_schedule(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<schedule_rule> {
    if (error) *error = fmt::format("{} (понятные формы: {})", why, forms_text);
    return std::nullopt;
  };
  schedule_rule r;
  r.text = std::string(text);
  auto all = tokens(fold_case(text));
  if (all.empty()) return fail("пустое расписание");

  // The shift clause starts at "если" / "if" / "с переносом"; the rule is before it.
  std::vector<std::string> main, clause;
  bool in_clause = false;
  std::optional<int> time;
  for (const auto& w : all) {
    if (auto t = time_of(w)) {
      if (time && *time != *t) return fail(fmt::format("два разных времени: «{}»", w));
      time = t;
      continue;
    }
    if (one_of(w, {"если", "if", "переносом", "перенос", "переносить", "shifted", "moved"})) in_clause = true;
    (in_clause ? clause : main).push_back(w);
  }
  if (time) r.minute_of_day = *time;
  if (in_clause) {
    bool working = false, prev = false, next = false;
    for (const auto& w : clause) {
      if (w.starts_with("рабоч") || w == "working" || w == "business") working = true;
      if (w.starts_with("предыдущ") || w.starts_with("предшествующ") || w == "previous" || w == "preceding" ||
          w == "before")
        prev = true;
      if (w.starts_with("следующ") || w.starts_with("ближайш") || w == "next" || w == "following" || w == "after")
        next = true;
    }
    if (prev == next || !working)
      return fail("непонятно, куда переносить: ожидалось «в предыдущий рабочий день» или «в следующий рабочий день»");
    r.on_day_off = prev ? schedule_rule::shift::previous_working_day : schedule_rule::shift::next_working_day;
  }

  std::optional<int> weekday, month, ordinal;
  std::vector<int> numbers;
  bool birthday = false, holiday = false, working = false, every_day = false, day_word = false,
       month_word = false, number_word = false;
  for (std::size_t i = 0; i < main.size(); ++i) {
    const auto& w = main[i];
    if (auto v = lookup(w, weekday_words)) {
      if (weekday && *weekday != *v) return fail(fmt::format("два дня недели: «{}»", w));
      weekday = v;
    } else if (auto m = lookup(w, month_words)) {
      month = m;
    } else if (auto o = lookup(w, ordinal_words)) {
      ordinal = o;
    } else if (auto n = number_of(w)) {
      // "2-й вторник": a number right before a weekday is its ordinal.
      if (i + 1 < main.size() && lookup(main[i + 1], weekday_words)) {
        if (*n < 1 || *n > 5) return fail(fmt::format("«{}»: в месяце не больше пяти одинаковых дней недели", w));
        ordinal = n;
      } else {
        numbers.push_back(*n);
      }
    } else if (std::find(std::begin(filler_words), std::end(filler_words), w) == std::end(filler_words)) {
      return fail(fmt::format("непонятное слово «{}»", w));
    }
    if (w.starts_with("рожден") || w.starts_with("birthday")) birthday = true;
    if (w.starts_with("праздник") || w == "holiday") holiday = true;
    if (w.starts_with("рабоч") || w == "working" || w == "business" || w == "weekdays" || w.starts_with("будн"))
      working = true;
    if (w == "ежедневно" || w == "daily") every_day = true;
    if (one_of(w, {"день", "дня", "дням", "дни", "day", "days"})) day_word = true;
    if (w.starts_with("месяц") || w == "month" || w == "monthly" || w == "ежемесячно") month_word = true;
    if (w.starts_with("числ")) number_word = true;
  }

  if (birthday || holiday) {
    if (birthday && holiday) return fail("и день рождения, и праздник в одном правиле: нужны два сценария");
    if (weekday || month || !numbers.empty() || ordinal || working || every_day)
      return fail("у дня рождения и праздника клиента дата своя: в правиле может быть только время и перенос");
    r.what = birthday ? schedule_rule::repeat::contact_birthday : schedule_rule::repeat::client_holiday;
    return r;
  }
  if (month) {
    if (numbers.size() != 1) return fail("ежегодное правило: ожидалось число и месяц, например «ежегодно 21 ноября»");
    r.what = schedule_rule::repeat::yearly;
    r.month = *month;
    r.day = numbers.front();
    if (!year_month_day(year(2024), std::chrono::month(r.month), std::chrono::day(r.day)).ok())
      return fail(fmt::format("нет такой даты: {} {}", r.day, month_genitive(r.month)));
    if (weekday || ordinal) return fail("ежегодное правило не сочетается с днём недели");
    return r;
  }
  if (weekday) {
    if (!numbers.empty()) return fail(fmt::format("число {} рядом с днём недели: ожидалось «второй вторник»", numbers.front()));
    if (ordinal) {
      if (!month_word)
        return fail("«каждый второй вторник» — чего? Ожидалось «каждый второй вторник месяца»");
      r.what = schedule_rule::repeat::monthly_weekday;
      r.nth = *ordinal;
    } else {
      r.what = schedule_rule::repeat::weekly;
    }
    r.weekday = *weekday;
    return r;
  }
  if (ordinal && (ordinal == 1 || ordinal == -1) && day_word && month_word) {
    // The first / last (working) day of the month.
    if (!numbers.empty()) return fail("лишнее число рядом с «первый/последний день месяца»");
    r.what = schedule_rule::repeat::monthly_day;
    r.day = *ordinal == 1 ? 1 : -1;
    if (working) {
      if (r.on_day_off != schedule_rule::shift::none)
        return fail("«рабочий день месяца» уже рабочий: перенос здесь лишний");
      r.on_day_off = *ordinal == 1 ? schedule_rule::shift::next_working_day : schedule_rule::shift::previous_working_day;
    }
    return r;
  }
  if (ordinal) return fail("порядковое слово без дня недели: ожидалось, например, «последняя пятница месяца»");
  if (!numbers.empty()) {
    if (numbers.size() > 1) return fail("несколько чисел: ожидалось одно, например «каждое 5-е число»");
    if (!(number_word || month_word || day_word))
      return fail(fmt::format("число {} без «числа» или «месяца»: ожидалось «каждое {}-е число»", numbers.front(), numbers.front()));
    if (numbers.front() < 1 || numbers.front() > 31) return fail(fmt::format("в месяце нет {}-го числа", numbers.front()));
    r.what = schedule_rule::repeat::monthly_day;
    r.day = numbers.front();
    return r;
  }
  if (working) {
    r.what = schedule_rule::repeat::working_days;
    return r;
  }
  if (every_day || (day_word && !month_word)) {
    r.what = schedule_rule::repeat::daily;
    return r;
  }
  return fail("не понятно, когда запускать");
}

std::optional<timestamp> schedule_rule::next_after(timestamp after, minutes offset, const working_calendar* calendar,
                                                   annual_date occasion) const {
  if (per_client() && !occasion.valid()) return std::nullopt;
  const sys_days first = floor<days>(after + offset) - days(40);  // a shift may pull a later day back
  for (sys_days d = first; d < first + days(8 * 366 + 80); d += days(1)) {
    year_month_day ymd{d};
    bool nominal = false;
    switch (what) {
      case repeat::daily:
        nominal = true;
        break;
      case repeat::working_days:
        nominal = working_day(d, calendar);
        break;
      case repeat::weekly:
        nominal = static_cast<int>(std::chrono::weekday(d).iso_encoding()) == weekday;
        break;
      case repeat::monthly_day: {
        auto last = year_month_day(last_day(ymd.year() / ymd.month())).day();
        unsigned want = day < 0 ? static_cast<unsigned>(last) : std::min<unsigned>(day, static_cast<unsigned>(last));
        nominal = static_cast<unsigned>(ymd.day()) == want;
        break;
      }
      case repeat::monthly_weekday: {
        if (static_cast<int>(std::chrono::weekday(d).iso_encoding()) != weekday) break;
        int index = (static_cast<int>(static_cast<unsigned>(ymd.day())) - 1) / 7 + 1;
        nominal = nth > 0 ? index == nth : year_month_day(d + days(7)).month() != ymd.month();
        break;
      }
      case repeat::yearly:
      case repeat::client_holiday:
      case repeat::contact_birthday: {
        int m = what == repeat::yearly ? month : occasion.month;
        int dd = what == repeat::yearly ? day : occasion.day;
        if (m == 2 && dd == 29 && !is_leap(static_cast<int>(ymd.year()))) dd = 28;
        nominal = static_cast<unsigned>(ymd.month()) == static_cast<unsigned>(m) &&
                  static_cast<unsigned>(ymd.day()) == static_cast<unsigned>(dd);
        break;
      }
    }
    if (!nominal) continue;
    auto fire = time_point_cast<milliseconds>(shifted(d, on_day_off, calendar) + minutes(minute_of_day) - offset);
    if (fire > after) return fire;
  }
  return std::nullopt;
}

std::string schedule_rule::describe() const {
  std::string out;
  switch (what) {
    case repeat::daily: out = "ежедневно"; break;
    case repeat::working_days: out = "по рабочим дням"; break;
    case repeat::weekly:
      out = fmt::format("кажд{} {}", weekday == 3 || weekday == 5 || weekday == 6 ? "ую" : (weekday == 7 ? "ое" : "ый"),
                        weekday_name(weekday, true));
      break;
    case repeat::monthly_day:
      out = day < 0 ? "в последний день месяца" : fmt::format("каждое {}-е число", day);
      break;
    case repeat::monthly_weekday: {
      static const char* ord_m[] = {"первый", "второй", "третий", "четвертый", "пятый"};
      static const char* ord_f[] = {"первую", "вторую", "третью", "четвертую", "пятую"};
      static const char* ord_n[] = {"первое", "второе", "третье", "четвертое", "пятое"};
      bool fem = weekday == 3 || weekday == 5 || weekday == 6;
      bool neut = weekday == 7;
      std::string ord = nth < 0 ? (fem ? "последнюю" : neut ? "последнее" : "последний")
                                : (fem ? ord_f[nth - 1] : neut ? ord_n[nth - 1] : ord_m[nth - 1]);
      out = fmt::format("в {} {} месяца", ord, weekday_name(weekday, true));
      break;
    }
    case repeat::yearly: out = fmt::format("ежегодно {} {}", day, month_genitive(month)); break;
    case repeat::client_holiday: out = "в профессиональный праздник клиента"; break;
    case repeat::contact_birthday: out = "в день рождения контакта клиента"; break;
  }
  out += fmt::format(" в {:02}:{:02}", minute_of_day / 60, minute_of_day % 60);
  if (on_day_off == shift::previous_working_day) out += ", на выходной — в предыдущий рабочий день";
  if (on_day_off == shift::next_working_day) out += ", на выходной — в следующий рабочий день";
  return out;
}

}  // namespace reglament
