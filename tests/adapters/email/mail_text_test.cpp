#include "adapters/email/mail_text.hpp"

#include "adapters/email/charset.hpp"

#include <catch2/catch.hpp>

using namespace reglament::email;

TEST_CASE("html_to_text drops tags, scripts and styles and decodes entities", "[email]") {
  const auto text = html_to_text(
      "<html><head><style>p{color:red}</style><title>T</title></head><body>"
      "<div>Добрый&nbsp;день!</div><p>Цена &mdash; 1&#160;500 &#x20BD; &laquo;за&raquo; A&amp;B &lt;x&gt;</p>"
      "<script>alert(1)</script><!-- c --><p>Строка 1<br>Строка 2</p></body></html>");
  CHECK(text == "Добрый день!\n\nЦена — 1 500 ₽ «за» A&B <x>\n\nСтрока 1\nСтрока 2");
}

TEST_CASE("html_to_text keeps list items and collapses spaces", "[email]") {
  CHECK(html_to_text("<ul><li>один</li>\n  <li>два   три</li></ul>") == "• один\n• два три");
  CHECK(html_to_text("  a \n\n  b  ") == "a b");
  CHECK(html_to_text("&unknown; &#0; &") == "&unknown; \xEF\xBF\xBD &");
}

TEST_CASE("strip_quotes_and_signature cuts quoted history in its English and Russian forms", "[email]") {
  CHECK(strip_quotes_and_signature("Да, согласен.\n\nOn Mon, 23 Nov 2026 at 10:00, Office <o@f.ru> wrote:\n> Цена 1500?\n") ==
        "Да, согласен.");
  CHECK(strip_quotes_and_signature("Да.\n\nOn Mon, 23 Nov 2026 at 10:00, Office Manager\n<o@f.ru> wrote:\n> x") == "Да.");
  CHECK(strip_quotes_and_signature("Ок.\n\n23.11.2026, 10:05, \"Бухгалтерия\" <o@f.ru> пишет:\n> Цена?") == "Ок.");
  CHECK(strip_quotes_and_signature("Ок.\n\nпн, 23 нояб. 2026 г. в 10:00, Офис <o@f.ru>:\n> Цена?") == "Ок.");
  CHECK(strip_quotes_and_signature("Готово\r\n-----Original Message-----\r\nFrom: x\r\nold") == "Готово");
  CHECK(strip_quotes_and_signature("Готово\n\n-----Исходное сообщение-----\nОт: x") == "Готово");
  CHECK(strip_quotes_and_signature("Готово\n\nОт: Офис <o@f.ru>\nОтправлено: 23 ноября 2026 г. 10:00\nКому: я\n\nстарое") ==
        "Готово");
  CHECK(strip_quotes_and_signature("Ответ сверху\n> цитата\nответ снизу") == "Ответ сверху\nответ снизу");
}

TEST_CASE("strip_quotes_and_signature cuts signatures and sign-offs only near the end", "[email]") {
  CHECK(strip_quotes_and_signature("Пришлите счёт.\n\n-- \nИгорь\n+7 900") == "Пришлите счёт.");
  CHECK(strip_quotes_and_signature("Пришлите счёт.\n\nС уважением,\nАнна Петрова\nглавный бухгалтер") ==
        "Пришлите счёт.");
  CHECK(strip_quotes_and_signature("Пришлите счёт.\nС уважением, Анна") == "Пришлите счёт.");
  CHECK(strip_quotes_and_signature("Вопрос.\n\nОтправлено с iPhone") == "Вопрос.");
  // A sentence that starts like a sign-off is the message, not a signature.
  CHECK(strip_quotes_and_signature("С уважением к вашему труду, прошу перенести срок.\nСпасибо!") ==
        "С уважением к вашему труду, прошу перенести срок.\nСпасибо!");
  CHECK(strip_quotes_and_signature("Добрый день.\nС уважением, прошу выставить счёт за декабрь, январь и февраль.") ==
        "Добрый день.\nС уважением, прошу выставить счёт за декабрь, январь и февраль.");
  // A sign-off far from the end (a long letter follows) is not cut.
  CHECK(strip_quotes_and_signature("Текст\nС уважением\n1\n2\n3\n4\n5\n6\n7") == "Текст\nС уважением\n1\n2\n3\n4\n5\n6\n7");
  // A message that is only a quote keeps its text rather than becoming empty.
  CHECK(strip_quotes_and_signature("> только цитата") == "> только цитата");
}

TEST_CASE("decode_header_text joins adjacent encoded words, even padded ones", "[email]") {
  CHECK(decode_header_text("=?UTF-8?B?0J/RgNC40LI=?= =?UTF-8?B?0LXRgg==?=") == "Привет");
  CHECK(decode_header_text("=?UTF-8?b?0JHRg9GF0LPQsNC70YLQtdGA0LjRjw==?=\r\n\t=?UTF-8?b?IMKr0KDQvtC80LDRiNC60LDCuw==?=") ==
        "Бухгалтерия «Ромашка»");
  CHECK(decode_header_text("Re: =?koi8-r?Q?=E4=C5=CB=CC=C1=D2=C1=C3=C9=D1?= [#12]") == "Re: Декларация [#12]");
  // A letter split across two words (its bytes in both) is joined before converting.
  CHECK(decode_header_text("=?utf-8?Q?=D0?= =?utf-8?Q?=AF?=") == "Я");
  CHECK(decode_header_text("=?windows-1251?B?0ffl8g==?= and =?utf-8?Q?x_y?=") == "Счет and x y");
  CHECK(decode_header_text("plain =? not encoded") == "plain =? not encoded");
  CHECK(decode_header_text("\xD1\xF7\xE5\xF2") == "Счет");  // raw windows-1251 in a header
}
