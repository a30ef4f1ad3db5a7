// `spikessm report --checkpoint FILE --out DIR [--set data.dir=...] [--samples N] [--sample I] [--svg]`
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "spikessm/common/config.h"
#include "spikessm/common/error.h"
#include "spikessm/export/report.h"
#include "spikessm/train/checkpoint.h"

namespace spikessm::cli {

// The report draws a sequence classifier's blocks: a checkpoint of another family is named as
// such (as generate names a classifier's), not failed on as weights that do not fit.
static void check_family(const std::string& checkpoint) {
  Config cfg;
  cfg.merge_string(read_checkpoint_meta(checkpoint).config_toml, checkpoint);
  const std::string& family = cfg.get_string("model.family");
  const bool lm = family == "spiking_ssm_lm" || family == "neuronspark_lm";
  require(family == "classifier", checkpoint,
          "is a " + std::string(lm ? "language model's" : family) + " checkpoint (model.family = " + family +
              "), not a sequence classifier's; report draws the blocks of model.family = classifier");
}

void add_report(CLI::App& app) {
  struct Args {
    ReportOptions o;
    int64_t threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("report", "HTML page with training curves, spike rates, raster, membrane traces and energy");
  cmd->add_option("--checkpoint", args->o.checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("--out", args->o.out_dir, "output directory (index.html and figures)")->required();
  cmd->add_option("--metrics", args->o.metrics, "metrics.jsonl (default: next to the checkpoint)");
  cmd->add_option("--set", args->o.sets, "override a data key, e.g. data.dir=DIR")->take_all();
  cmd->add_option("--samples", args->o.samples, "test samples for rates and energy (0: all; default 2000)")
      ->check(range_of("data.test_limit"));
  cmd->add_option("--sample", args->o.sample_index, "index of the test sample drawn as raster and traces (default 0)")
      ->check(int_range(0, 1000000000));
  cmd->add_flag("--svg", args->o.svg, "also write SVG figures");
  cmd->add_option("--threads", args->threads, "intra-op threads (0: all cores)")
      ->check(range_of("train.threads"));
  cmd->callback([args] {
    check_family(args->o.checkpoint);
    set_threads(args->threads);
    auto r = write_report(args->o);
    std::printf("%s %.4f on the report's samples, mean spiking rate %.4f\n", r.headline.first.c_str(),
                r.headline.second, r.mean_rate);
    for (const auto& f : r.figures) std::printf("figure %s\n", f.c_str());
    std::printf("report %s\n", r.html.c_str());
  });
}

}  // namespace spikessm::cli
