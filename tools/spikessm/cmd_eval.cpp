// `spikessm eval --checkpoint FILE [--set data.dir=...] [--json FILE]`
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "spikessm/api/evaluate.h"
#include "spikessm/common/atomic_file.h"

namespace spikessm::cli {

void add_eval(CLI::App& app) {
  struct Args {
    std::string checkpoint, json;
    std::vector<std::string> sets;
    int64_t threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "eval", "evaluate a checkpoint on the test split and report spikes/energy");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("--set", args->sets, "override a data/eval key, e.g. data.dir=DIR")->take_all();
  cmd->add_option("--json", args->json, "also write the statistics as JSON to this file")
      ->check(output_file());
  cmd->add_option("--threads", args->threads, "intra-op threads (0: all cores)")
      ->check(range_of("train.threads"));
  cmd->callback([args] {
    set_threads(args->threads);
    const auto r = evaluate_checkpoint(args->checkpoint, args->sets);
    std::printf("%s", r.report.c_str());
    if (!args->json.empty()) write_file_atomic(args->json, r.stats.dump(2) + "\n");
  });
}

}  // namespace spikessm::cli
