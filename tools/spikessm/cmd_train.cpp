// `spikessm train --config FILE [--set key=value ...] [--resume]`
#include <cstdio>
#include <iostream>
#include <thread>

#include "commands.h"
#include "flags.h"
#include "spikessm/common/error.h"
#include "spikessm/common/config.h"
#include "spikessm/train/distributed.h"
#include "spikessm/train/trainer.h"

namespace spikessm::cli {

void add_train(CLI::App& app) {
  struct Args {
    std::string config;
    std::vector<std::string> sets;
    bool resume = false, overwrite = false;
    int64_t threads = -1;
    int nproc = -1, rank = 0, world_size = 1;  // nproc -1: not given
    std::string master;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("train", "train a model from a TOML config, then evaluate it");
  cmd->add_option("--config", args->config, "TOML experiment config (configs/*.toml)");
  cmd->add_option("--set", args->sets, "override a config key: --set model.d_model=128")
      ->take_all();
  cmd->add_flag("--resume", args->resume, "continue from <train.out_dir>/checkpoint.pt");
  cmd->add_flag("--overwrite", args->overwrite, "replace an existing run in train.out_dir");
  cmd->add_option("--threads", args->threads, "intra-op threads (default: train.threads)")
      ->check(range_of("train.threads"));
  cmd->add_option("--nproc", args->nproc,
                  "data-parallel: start N local worker processes (a loopback Gloo group)")
      ->check(int_range(1, 256));
  cmd->add_option("--rank", args->rank, "data-parallel: this process's rank in 0..world-size-1")
      ->check(int_range(0, 65535));
  cmd->add_option("--world-size", args->world_size, "data-parallel: number of ranks in the run")
      ->check(int_range(1, 65536));
  cmd->add_option("--master", args->master, "data-parallel: ADDR:PORT of rank 0 (its TCPStore)");
  cmd->add_flag_callback(
      "--help-config",
      [] {
        std::fputs(config_schema_help().c_str(), stdout);
        throw CLI::Success();
      },
      "list every config key with its default");
  cmd->callback([args] {
    Config cfg;
    if (!args->config.empty()) cfg.merge_file(args->config);
    for (const auto& s : args->sets) cfg.set(s);
    if (args->nproc != -1) {
      require(args->world_size == 1 && args->master.empty(), "--nproc",
              "cannot be combined with --world-size/--master (it sets them for its workers)");
      // Checked here, once, rather than by every worker.
      require(cfg.get_int("train.batch_size") % args->nproc == 0, "train.batch_size",
              std::to_string(cfg.get_int("train.batch_size")) + " is not divisible by the " +
                  std::to_string(args->nproc) + " ranks (the global batch is split evenly)");
    }
    if (args->nproc > 1) {
      // Split the cores between the workers unless the user chose per-rank threads.
      int64_t t = args->threads >= 0 ? args->threads : cfg.get_int("train.threads");
      if (t <= 0)
        t = std::max<int64_t>(1, int64_t(std::thread::hardware_concurrency()) / args->nproc);
      std::vector<std::string> argv{"spikessm", "train"};
      if (!args->config.empty()) argv.insert(argv.end(), {"--config", args->config});
      for (const auto& s : args->sets) argv.insert(argv.end(), {"--set", s});
      if (args->resume) argv.push_back("--resume");
      if (args->overwrite) argv.push_back("--overwrite");
      const int code = launch_local_workers(args->nproc, argv, int(t));
      if (code != 0) throw ExitCode{code};
      return;
    }
    set_threads(args->threads >= 0 ? args->threads : cfg.get_int("train.threads"));
    TrainRunOptions run;
    run.resume = args->resume;
    run.overwrite = args->overwrite;
    run.dist.rank = args->rank;
    run.dist.world_size = args->world_size;
    run.dist.master = args->master;
    const auto r = run_training(cfg, run);
    std::printf("%s", r.report.c_str());  // empty on ranks other than 0
  });
}

}  // namespace spikessm::cli
