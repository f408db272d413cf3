#include "tools/bench/workload.hpp"

#include <fmt/format.h>

#include <array>
#include <map>
#include <random>
#include <string_view>

namespace reglament::bench {
namespace {

constexpr std::array<std::string_view, 24> company_words{
    "Ромашка", "Вектор", "Север", "Квадрат", "Меридиан", "Градиент", "Лотос", "Альянс",
    "Импульс", "Горизонт", "Сфера", "Ладога", "Кедр", "Орион", "Магистраль", "Престиж",
    "Стройресурс", "Техноплюс", "Агроснаб", "Фарватер", "Янтарь", "Полюс", "Эталон", "Зенит"};
constexpr std::array<std::string_view, 12> company_kinds{
    "Торговый дом", "Строй", "Сервис", "Логистик", "Трейд", "Медиа",
    "Групп", "Проект", "Консалт", "Маркет", "Инжиниринг", "Продукт"};
constexpr std::array<std::string_view, 12> first_names{
    "Анна", "Игорь", "Елена", "Олег", "Мария", "Сергей",
    "Виктор", "Наталья", "Алексей", "Татьяна", "Дмитрий", "Юлия"};
constexpr std::array<std::string_view, 12> patronymics{
    "Сергеевна", "Петрович", "Викторовна", "Николаевич", "Андреевна", "Игоревич",
    "Алексеевич", "Викторовна", "Владимирович", "Михайловна", "Сергеевич", "Олеговна"};
constexpr std::array<std::string_view, 6> accountants{
    "buh.ivanova", "buh.petrova", "buh.sidorov", "buh.kozlova", "buh.orlova", "buh.frolov"};
constexpr std::array<std::string_view, 12> months{
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"};
constexpr std::array<std::string_view, 4> quarters{"I квартал", "II квартал", "III квартал", "IV квартал"};
constexpr std::array<std::string_view, 5> openings{
    "Добрый день! ", "Здравствуйте. ", "Здравствуйте! ", "Добрый день, ", ""};

// Requests per service id of the demo catalog; {m} month, {q} quarter, {n} a number.
const std::map<std::string, std::vector<std::string_view>>& texts_by_service() {
  static const std::map<std::string, std::vector<std::string_view>> texts{
      {"bank_statement",
       {"пришлите, пожалуйста, выписку из банка за {m}, нужно сверить поступления.",
        "загрузите банковскую выписку по второму счёту за {m}, там {n} платежей.",
        "обработайте выписку по расчётному счёту за {m}, пожалуйста."}},
      {"primary_docs",
       {"отправляю первичку за {m}: накладные и акты, всего {n} документов.",
        "загрузил в папку счета-фактуры и УПД от поставщиков за {m}, проведите, пожалуйста.",
        "пришла пачка накладных от поставщика, {n} штук, внесите в учёт."}},
      {"payroll",
       {"нужно рассчитать зарплату за {m} и аванс, у нас новый сотрудник.",
        "пришлите расчётные листки по зарплате за {m}.",
        "посчитайте, пожалуйста, заработную плату курьерам за {m}."}},
      {"consultation",
       {"подскажите, можно ли учесть аренду автомобиля в расходах?",
        "есть вопрос по подаркам сотрудникам, посоветуйте, как лучше оформить.",
        "объясните, пожалуйста, как нам правильно вернуть аванс покупателю."}},
      {"certificate",
       {"нужна справка об отсутствии задолженности для банка.",
        "сделайте акт сверки с поставщиком за {q}, пожалуйста.",
        "банк просит справку о доходах для кредита, подготовьте до пятницы."}},
      {"hr_docs",
       {"оформите приказ об отпуске для бухгалтера с {n} числа.",
        "принимаем нового сотрудника, подготовьте кадровые документы и трудовой договор.",
        "менеджер увольняется, нужен приказ об увольнении и расчёт."}},
      {"tax_return_personal",
       {"помогите заполнить декларацию 3-НДФЛ на вычет за лечение.",
        "хочу получить налоговый вычет за квартиру, нужна декларация."}},
      {"reporting",
       {"когда будет готов отчёт по НДС за {q}? Пришлите на согласование.",
        "подготовьте, пожалуйста, отчётность по УСН за прошлый год.",
        "пришло требование из налоговой по отчёту РСВ за {q}, что делать?"}},
      {"bank_payment",
       {"подготовьте платёжку: нужно оплатить поставщику по счёту №{n}.",
        "сделайте платёжное поручение на аренду за {m}, сумма как обычно."}},
  };
  return texts;
}

// Requests no keyword recognises: they go to the manager's "service unknown" choice.
constexpr std::array<std::string_view, 3> unclear_texts{
    "перезвоните мне, пожалуйста, как будет минутка.",
    "у нас сменился директор, что нужно сделать с нашей стороны?",
    "можно встретиться в офисе на следующей неделе?"};

std::string yaml_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string fill(std::string_view pattern, std::mt19937_64& rng) {
  std::string out(pattern);
  auto replace = [&](std::string_view key, std::string_view value) {
    if (auto p = out.find(key); p != std::string::npos) out.replace(p, key.size(), value);
  };
  replace("{m}", months[rng() % months.size()]);
  replace("{q}", quarters[rng() % quarters.size()]);
  replace("{n}", std::to_string(2 + rng() % 60));
  return out;
}

}  // namespace

std::string synthetic_firm_yaml(const firm_file& demo, int clients, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string y = "firm: " + yaml_quoted(demo.firm_name.empty() ? "Бухгалтерская компания" : demo.firm_name) + "\n";

  y += "services:\n";
  for (const auto& s : demo.services()) {
    y += fmt::format("  - id: {}\n    title: {}\n    price: {}\n    unit: {}\n    keywords: [", s.id,
                     yaml_quoted(s.title), s.price, yaml_quoted(s.unit));
    for (std::size_t i = 0; i < s.keywords.size(); ++i) y += (i ? ", " : "") + yaml_quoted(s.keywords[i]);
    y += "]\n";
  }

  std::vector<std::string> tariff_ids;
  y += "tariffs:\n";
  for (const auto& [id, t] : demo.tariffs()) {
    tariff_ids.push_back(id);
    y += fmt::format("  - id: {}\n    title: {}\n    includes: {{", id, yaml_quoted(t.title));
    bool first = true;
    for (const auto& [service, quota] : t.quotas) {
      y += fmt::format("{}{}: {}", first ? " " : ", ", service, quota < 0 ? std::string("unlimited") : std::to_string(quota));
      first = false;
    }
    y += " }\n";
  }

  y += "clients:\n";
  for (int i = 0; i < clients; ++i) {
    const auto word = company_words[rng() % company_words.size()];
    const auto kind = company_kinds[rng() % company_kinds.size()];
    const bool informal = rng() % 5 == 0;
    const auto who = rng() % first_names.size();
    const std::string address = informal ? std::string(first_names[who])
                                         : fmt::format("{} {}", first_names[who], patronymics[who]);
    // Most clients are in Moscow time; some in Yekaterinburg and Vladivostok.
    const auto r = rng() % 10;
    const char* tz = r < 8 ? "+03:00" : r == 8 ? "+05:00" : "+10:00";
    y += fmt::format(
        "  - id: c{0:05}\n    name: {1}\n    address: {2}\n    form: {3}\n    tariff: {4}\n"
        "    manager: manager{5}\n    accountant: {6}\n    timezone: \"{7}\"\n"
        "    contacts:\n      email: [client{0:05}@{8}.ru]\n      telegram: [\"{9}\"]\n",
        i, yaml_quoted(fmt::format("ООО «{} {}»", word, kind)), yaml_quoted(address), informal ? "ты" : "Вы",
        tariff_ids[rng() % tariff_ids.size()], 1 + rng() % 3, accountants[rng() % accountants.size()], tz,
        fmt::format("firm{}", i % 997), 200000 + i);
  }
  return y;
}

std::vector<inbound_message> synthetic_messages(const firm_file& firm, int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Patterns for every service of the catalog; a service without hand-written requests
  // still gets one built from its title so the whole catalog is exercised.
  std::vector<std::string> patterns;
  for (const auto& s : firm.services()) {
    auto it = texts_by_service().find(s.id);
    if (it != texts_by_service().end())
      for (auto t : it->second) patterns.emplace_back(t);
    else
      patterns.push_back("нужна услуга «" + s.title + "», " + (s.keywords.empty() ? "" : s.keywords.front()) + ".");
  }

  std::vector<const contact_def*> emails;
  for (const auto& c : firm.clients())
    for (const auto& k : c.contacts)
      if (k.channel == "email") {
        emails.push_back(&k);
        break;
      }

  std::vector<inbound_message> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count && !emails.empty(); ++i) {
    inbound_message m;
    m.channel = "email";
    m.external_id = fmt::format("<bench.{}.{}@mail.example>", seed, i);
    m.thread = m.external_id;  // a new thread: the message opens its own case
    m.sender = emails[rng() % emails.size()]->address;
    // One request in twenty is one the catalog does not recognise.
    const bool unclear = rng() % 20 == 0;
    const auto body = unclear ? std::string(unclear_texts[rng() % unclear_texts.size()])
                              : fill(patterns[rng() % patterns.size()], rng);
    auto opening = openings[rng() % openings.size()];
    if (opening.empty() || opening.ends_with("! ") || opening.ends_with(". ")) {
      // A sentence starts here: capitalise the first letter (Cyrillic lower-case ranges).
      std::string b = body;
      auto c0 = static_cast<unsigned char>(b[0]), c1 = static_cast<unsigned char>(b[1]);
      if (c0 == 0xD0 && c1 >= 0xB0 && c1 <= 0xBF) b[1] = static_cast<char>(c1 - 0x20);
      else if (c0 == 0xD1 && c1 >= 0x80 && c1 <= 0x8F) b[0] = static_cast<char>(0xD0), b[1] = static_cast<char>(c1 + 0x20);
      m.text = std::string(opening) + b;
    } else {
      m.text = std::string(opening) + body;
    }
    m.text += fmt::format("\n\n--\nС уважением, {}", m.sender);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace reglament::bench
