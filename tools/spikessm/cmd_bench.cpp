// `spikessm bench lra --budget-minutes M --tasks a,b --models x,y --out FILE.md`
// Trains each model on each task whose data is present, each run stopped by
// train.max_minutes (its rate decaying within it: train.anneal_to_budget), and writes the
// markdown table task x model -> accuracy, mean spiking rate, energy, training time. With
// --resume every run continues from its checkpoint and the budget counts the training time of
// all its parts, so a table can be built across interruptions.
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "commands.h"
#include "flags.h"
#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/data/text_io.h"
#include "spikessm/common/config.h"
#include "spikessm/train/trainer.h"

namespace spikessm::cli {
namespace fs = std::filesystem;

namespace {

struct BenchArgs {
  double budget = 150;
  std::vector<std::string> tasks{"listops", "pathfinder32", "cifar10-gray"};
  std::vector<std::string> models{"spikingssm", "binary_s4d", "binary_s4d_gsu"};
  std::string configs = "configs/lra", variant = "cpu", out = "runs/bench_lra/table.md",
              runs = "runs/bench_lra";
  std::vector<std::string> sets;
  int64_t threads = 0;
  bool resume = false;
};

// Published numbers (papers.md 1.7, 2.2): SpikingSSM-VT, Binary S4D, Binary S4D + GSU & GeLU.
std::string published(const std::string& task, const std::string& model) {
  struct Row {
    const char *task, *model, *acc;
  };
  static const Row rows[] = {{"listops", "spikingssm", "60.23"},
                             {"listops", "binary_s4d", "54.80"},
                             {"listops", "binary_s4d_gsu", "59.60"},
                             {"pathfinder32", "spikingssm", "93.51"},
                             {"pathfinder32", "binary_s4d", "82.60"},
                             {"pathfinder32", "binary_s4d_gsu", "91.30"},
                             {"cifar10-gray", "spikingssm", "88.21"},
                             {"cifar10-gray", "binary_s4d", "82.00"},
                             {"cifar10-gray", "binary_s4d_gsu", "85.00"},
                             {"imdb", "spikingssm", "80.41"},
                             {"imdb", "binary_s4d", "82.50"},
                             {"imdb", "binary_s4d_gsu", "86.50"},
                             {"aan", "spikingssm", "88.77"},
                             {"aan", "binary_s4d", "85.03"},
                             {"aan", "binary_s4d_gsu", "90.22"},
                             {"pathx", "spikingssm", "94.82"},
                             {"pathx", "binary_s4d", "61.20"}};
  for (const auto& r : rows)
    if (task == r.task && model == r.model) return r.acc;
  return "n/r";
}

void run_bench(const BenchArgs& a) {
  std::ostringstream md;
  char line[512];
  md << "| task | model | config | steps | accuracy (test) | published | mean spiking rate | "
        "energy / sample (paper conv.) | energy / sample (all layers) | training time |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& task : a.tasks) {
    for (const auto& model : a.models) {
      const std::string file = a.configs + "/" + task + "_" + model +
                               (a.variant.empty() ? "" : "_" + a.variant) + ".toml";
      require(fs::exists(file), "--configs", "no config " + file);
      Config cfg;
      cfg.merge_file(file);
      cfg.set("train.anneal_to_budget=true");  // each cell's rate decays within its budget (--set
                                               // can undo it)
      for (const auto& s : a.sets) cfg.set(s);
      cfg.set("train.max_minutes=" + std::to_string(a.budget));
      cfg.set("train.out_dir=\"" + a.runs + "/" + task + "_" + model + "\"");
      const std::string dir = cfg.get_string("data.dir");
      if (task != "cifar10-gray" && !fs::exists(dir)) {
        std::fprintf(stderr, "bench lra: skipping %s (no data at '%s')\n", task.c_str(),
                     dir.c_str());
        std::snprintf(line, sizeof line, "| %s | %s | %s | - | no data | %s | - | - | - | - |\n",
                      task.c_str(), model.c_str(), file.c_str(), published(task, model).c_str());
        md << line;
        continue;
      }
      std::fprintf(stderr, "bench lra: %s x %s (%s), budget %.1f min\n", task.c_str(),
                   model.c_str(), file.c_str(), a.budget);
      TrainRunOptions run;
      run.overwrite = !a.resume;
      run.resume = a.resume;
      auto r = run_training(cfg, run);
      std::snprintf(line, sizeof line,
                    "| %s | %s | %s | %lld | %.2f | %s | %.4f | %.3f uJ | %.3f uJ | %.1f min |\n",
                    task.c_str(), model.c_str(), file.c_str(), (long long)r.steps,
                    100.0 * r.test.accuracy, published(task, model).c_str(), r.test.ops.mean_rate,
                    r.test.ops.energy_uj(true), r.test.ops.energy_uj(false),
                    r.train_seconds / 60.0);
      md << line;
      fs::create_directories(fs::path(a.out).parent_path().empty() ? "."
                                                                   : fs::path(a.out).parent_path());
      write_file_atomic(a.out, md.str());  // the table so far, after every run
    }
  }
  fs::create_directories(fs::path(a.out).parent_path().empty() ? "."
                                                               : fs::path(a.out).parent_path());
  write_file_atomic(a.out, md.str());
  std::printf("%s", md.str().c_str());
}

}  // namespace

void add_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "end-to-end benchmarks");
  cmd->require_subcommand(1);
  auto* lra =
      cmd->add_subcommand("lra", "train models on LRA tasks within a time budget; write the table");
  lra->add_option("--budget-minutes", a->budget, "training minutes per run (train.max_minutes)")
      ->check(range_of("train.max_minutes"));
  lra->add_option("--tasks", a->tasks, "listops pathfinder32 cifar10-gray imdb aan pathx")
      ->delimiter(',');
  lra->add_option("--models", a->models, "spikingssm binary_s4d binary_s4d_gsu")->delimiter(',');
  lra->add_option("--configs", a->configs, "folder of <task>_<model>[_<variant>].toml");
  lra->add_option("--variant", a->variant,
                  "config variant suffix: cpu (budget size) or '' (paper)");
  lra->add_option("--out", a->out, "markdown table (written after every run)")
      ->check(output_file(false));
  lra->add_option("--runs", a->runs, "parent folder of the run directories");
  lra->add_option("--set", a->sets, "override a key in every config")->take_all();
  lra->add_option("--threads", a->threads, "intra-op threads (0: all cores)")
      ->check(range_of("train.threads"));
  lra->add_flag("--resume", a->resume,
                "continue every run from its checkpoint; the budget counts all its parts");
  lra->callback([a] {
    set_threads(a->threads);
    run_bench(*a);
  });
}

}  // namespace spikessm::cli
