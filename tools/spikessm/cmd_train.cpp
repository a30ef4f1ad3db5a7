// `spikessm train --config FILE [--set key=value ...] [--resume]`
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "spikessm/io/config.h"
#include "spikessm/train/trainer.h"

namespace spikessm::cli {

static void print_schema() {
  for (const auto& k : config_schema()) {
    std::string def = std::visit(
        [](const auto& v) -> std::string {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
          else if constexpr (std::is_same_v<T, std::string>) return "\"" + v + "\"";
          else return std::to_string(v);
        },
        k.def);
    std::printf("%-24s %-20s %s\n", k.key.c_str(), def.c_str(), k.help.c_str());
  }
}

void add_train(CLI::App& app) {
  struct Args {
    std::string config;
    std::vector<std::string> sets;
    bool resume = false, overwrite = false;
    int64_t threads = -1;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("train", "train a model from a TOML config, then evaluate it");
  cmd->add_option("--config", args->config, "TOML experiment config (configs/*.toml)");
  cmd->add_option("--set", args->sets, "override a config key: --set model.d_model=128")
      ->take_all();
  cmd->add_flag("--resume", args->resume, "continue from <train.out_dir>/checkpoint.pt");
  cmd->add_flag("--overwrite", args->overwrite, "replace an existing run in train.out_dir");
  cmd->add_option("--threads", args->threads, "intra-op threads (default: train.threads)");
  cmd->add_flag_callback("--help-config", [] {
    print_schema();
    throw CLI::Success();
  }, "list every config key with its default");
  cmd->callback([args] {
    Config cfg;
    if (!args->config.empty()) cfg.merge_file(args->config);
    for (const auto& s : args->sets) cfg.set(s);
    set_threads(args->threads >= 0 ? args->threads : cfg.get_int("train.threads"));
    TrainRunOptions run;
    run.resume = args->resume;
    run.overwrite = args->overwrite;
    auto r = run_training(cfg, run);
    std::printf("trained %lld steps in %.1f s\n", (long long)r.steps, r.train_seconds);
    std::printf("test accuracy %.4f (loss %.4f, %lld samples)\n", r.test.accuracy, r.test.loss,
                (long long)r.test.samples);
    std::printf("%s", r.test.ops.to_table().c_str());
    std::printf("checkpoint %s\nmetrics %s\nspike statistics %s\n", checkpoint_path(cfg).c_str(),
                metrics_path(cfg).c_str(), stats_path(cfg).c_str());
  });
}

}  // namespace spikessm::cli
