// The command line: an argument vector (the input's NUL-separated fields) through the real
// CLI11 app of tools/spikessm, every subcommand with its flags and validators, stopped before
// the subcommands' work (no training, no file written); then every --set value of the
// parsed command through Config, which must round-trip as in fuzz_config. Nothing may escape
// but CLI11's ParseError and our InputError: no crash, no other exception.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "../tools/spikessm/commands.h"
#include "config_round_trip.h"
#include "spikessm/common/config.h"
#include "spikessm/common/error.h"

// What main.cpp defines besides main(): the harness stands in for it.
namespace spikessm::cli {
void set_threads(int64_t) {}
const std::string& command_line() {
  static const std::string line = "spikessm (fuzz)";
  return line;
}
}  // namespace spikessm::cli

namespace spikessm::fuzz {

namespace {

// Thrown once everything is parsed and checked, before any subcommand's callback (which
// would train, evaluate and write files) runs: CLI11 calls the top app's parse-complete
// callback first. The callbacks stay in place: they own the values the options write to.
struct Parsed {};

// --help-config prints the whole schema from an option callback.
void remove_schema_listing(CLI::App& app) {
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (auto* o = sub->get_option_no_throw("--help-config")) sub->remove_option(o);
    remove_schema_listing(*sub);
  }
}

// The --set values of the subcommand that was parsed.
std::vector<std::string> set_values(CLI::App& app) {
  for (auto* sub : app.get_subcommands()) {
    if (auto* opt = sub->get_option_no_throw("--set")) return opt->as<std::vector<std::string>>();
  }
  return {};
}

}  // namespace

int cli_one(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"spikessm"};
  std::string field;
  for (size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] == 0) {
      args.push_back(field);
      field.clear();
    } else {
      field += char(data[i]);
    }
  }
  if (!field.empty() && args.size() < 64) args.push_back(field);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  CLI::App app{"spikessm"};
  spikessm::cli::add_commands(app);
  remove_schema_listing(app);
  app.parse_complete_callback([] { throw Parsed{}; });
  std::vector<std::string> sets;
  try {
    app.parse(int(argv.size()), argv.data());
    std::abort();  // a subcommand's work ran
  } catch (const Parsed&) {
    sets = set_values(app);
  } catch (const CLI::ParseError&) {
    return 0;  // main prints it as one line with exit code 2 (or 0 for --help)
  } catch (const spikessm::InputError&) {
    return 0;
  }
  try {
    spikessm::Config c;
    for (const auto& s : sets) c.set(s);
    expect_config_round_trip(c);
  } catch (const spikessm::InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::cli_one(data, size);
}
#endif
