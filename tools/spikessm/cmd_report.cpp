// `spikessm report --checkpoint FILE --out DIR [--set data.dir=...] [--samples N] [--sample I]
// [--svg]`
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "spikessm/export/report.h"

namespace spikessm::cli {

void add_report(CLI::App& app) {
  struct Args {
    ReportOptions o;
    int64_t threads = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "report", "HTML page with training curves, spike rates, raster, membrane traces and energy");
  cmd->add_option("--checkpoint", args->o.checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("--out", args->o.out_dir, "output directory (index.html and figures)")
      ->required();
  cmd->add_option("--metrics", args->o.metrics, "metrics.jsonl (default: next to the checkpoint)");
  cmd->add_option("--set", args->o.sets, "override a data key, e.g. data.dir=DIR")->take_all();
  cmd->add_option("--samples", args->o.samples,
                  "test samples for rates and energy (0: all; default 2000)")
      ->check(range_of("data.test_limit"));
  cmd->add_option("--sample", args->o.sample_index,
                  "index of the test sample (language models: window) drawn as raster (default 0)")
      ->check(int_range(0, 1000000000));
  cmd->add_flag("--svg", args->o.svg, "also write SVG figures");
  cmd->add_option("--threads", args->threads, "intra-op threads (0: all cores)")
      ->check(range_of("train.threads"));
  cmd->callback([args] {
    set_threads(args->threads);
    auto r = write_report(args->o);
    std::printf("%s %.4f on the report's samples, mean spiking rate %.4f\n",
                r.headline.first.c_str(), r.headline.second, r.mean_rate);
    for (const auto& f : r.figures) std::printf("figure %s\n", f.c_str());
    std::printf("report %s\n", r.html.c_str());
  });
}

}  // namespace spikessm::cli
