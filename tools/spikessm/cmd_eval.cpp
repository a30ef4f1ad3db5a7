// `spikessm eval --checkpoint FILE [--set data.dir=...] [--json FILE]`
#include <cstdio>

#include "commands.h"
#include "spikessm/data/task.h"
#include "spikessm/io/config.h"
#include "spikessm/models/build.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trainer.h"
#include "spikessm/train/lm_checkpoint.h"

namespace spikessm::cli {

void add_eval(CLI::App& app) {
  struct Args {
    std::string checkpoint, json;
    std::vector<std::string> sets;
    int64_t threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("eval", "evaluate a checkpoint on the test split and report spikes/energy");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("--set", args->sets, "override a data/eval key, e.g. data.dir=DIR")->take_all();
  cmd->add_option("--json", args->json, "also write the statistics as JSON to this file");
  cmd->add_option("--threads", args->threads, "intra-op threads (0: all cores)");
  cmd->callback([args] {
    set_threads(args->threads);
    if (checkpoint_is_lm(args->checkpoint)) {
      eval_lm_checkpoint(args->checkpoint, args->sets, args->json);  // cmd_eval_lm.cpp
      return;
    }
    Config cfg;
    cfg.merge_string(read_checkpoint_meta(args->checkpoint).config_toml, args->checkpoint);
    for (const auto& s : args->sets) cfg.set(s);
    torch::manual_seed(uint64_t(cfg.get_int("train.seed")));
    auto task = load_task(cfg);
    auto model = build_model(cfg, task);
    load_checkpoint(args->checkpoint, *model, nullptr);
    auto r = evaluate(*model, task.test_x, task.test_y, cfg.get_int("train.eval_batch_size"), true,
                      true);
    std::printf("data: %s\n", task.description.c_str());
    std::printf("test accuracy %.4f (loss %.4f, %lld samples)\n", r.accuracy, r.loss,
                (long long)r.samples);
    std::printf("%s", r.ops.to_table().c_str());
    if (!args->json.empty()) {
      auto j = r.ops.to_json();
      j["accuracy"] = r.accuracy;
      j["loss"] = r.loss;
      j["samples"] = r.samples;
      write_file_atomic(args->json, j.dump(2) + "\n");
    }
  });
}

}  // namespace spikessm::cli
