// Reading a list of clients to import from a file: CSV (a header row, one client a row;
// see docs/CLIENTS.md for the columns) or YAML (the firm file's `clients:` shape), and
// the checks a batch must pass before anything is stored. Pure functions over text but
// for read_clients_file, which reads the file; safe from any thread. This does not
// store: client_registry::import does, all or nothing.
#pragma once

#include "engine/client_index.hpp"
#include "engine/diagnostic.hpp"

#include <set>
#include <string>
#include <vector>

namespace reglament {

struct client_batch {
  std::vector<client_def> clients;
  std::vector<source_pos> positions;  // where clients[i] is written (CSV line, YAML entry)
};

// By extension: .csv, or .yaml/.yml. Every problem lands in `problems` with its place.
client_batch read_clients_file(const std::string& path, diagnostics& problems);

// CSV in UTF-8, with or without a BOM; comma-separated, or semicolon-separated when the
// header has semicolons and no commas (Excel in a Russian locale); RFC 4180 quotes.
// Several values in one cell (contacts, birthdays) are separated by ';'.
client_batch parse_clients_csv(const std::string& text, const std::string& name, diagnostics& problems);
client_batch parse_clients_yaml(const std::string& text, const std::string& name, diagnostics& problems);
// One client as a YAML or JSON map with the keys of a `clients:` entry (the API's body).
client_batch parse_client_document(const std::string& text, const std::string& name, diagnostics& problems);

// What a batch needs beyond each client's own fields: an id fit for a URL, a name and a
// tariff (known, when `tariffs` is given), ids and contacts not repeated in the batch.
void check_client_batch(const client_batch& batch, const std::set<std::string>* tariffs,
                        diagnostics& problems);

}  // namespace reglament
