// `spikessm eval --checkpoint FILE [--set data.dir=...] [--json FILE] [--logits FILE.npy]`
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "spikessm/api/evaluate.h"
#include "spikessm/common/atomic_file.h"
#include "spikessm/export/npy.h"

namespace spikessm::cli {

void add_eval(CLI::App& app) {
  struct Args {
    std::string checkpoint, json, logits;
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
  cmd->add_option("--logits", args->logits,
                  "classifiers: also write the test logits (N, n_classes) as a NumPy .npy file")
      ->check(output_file());
  cmd->add_option("--threads", args->threads, "intra-op threads (0: all cores)")
      ->check(range_of("train.threads"));
  cmd->callback([args] {
    set_threads(args->threads);
    const auto r = evaluate_checkpoint(args->checkpoint, args->sets, !args->logits.empty());
    std::printf("%s", r.report.c_str());
    if (!args->json.empty()) write_file_atomic(args->json, r.stats.dump(2) + "\n");
    if (!args->logits.empty()) write_file_atomic(args->logits, npy_bytes(r.logits));
  });
}

}  // namespace spikessm::cli
