// The subcommands of `spikessm`, in --help order: main() and the command-line fuzzer build the
// same app from this one list.
#include "commands.h"

namespace spikessm::cli {

void add_commands(CLI::App& app) {
  app.require_subcommand(1);
  add_train(app);
  add_eval(app);
  add_sdn(app);
  add_export(app);
  add_import(app);
  add_report(app);
  add_data(app);
  add_bench(app);
  add_lm_generate(app);
  add_stream(app);
}

}  // namespace spikessm::cli
