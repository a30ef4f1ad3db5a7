// `spikessm data generate listops|pathfinder --out DIR --seed S ...` and
// `spikessm data stats listops|pathfinder --n N --seed S [--grid FILE.png]`
#include <cstdio>
#include <filesystem>

#include <ATen/Parallel.h>

#include "commands.h"
#include "flags.h"
#include "spikessm/data/inspect.h"
#include "spikessm/common/error.h"
#include "spikessm/data/listops.h"
#include "spikessm/data/lra_stats.h"
#include "spikessm/data/pathfinder.h"
#include "spikessm/data/png_io.h"

namespace spikessm::cli {

namespace {

struct DataArgs {
  std::string what, out, grid;
  uint64_t seed = 0;
  int64_t train = 96000, val = 2000, test = 2000, n = 200000, per_batch = 1000;
  int size = 32, contour_length = 14;
};

// The flags' ranges: sample counts, and the LRA parameter sets of Pathfinder (a contour
// shorter than 3 has no distractor length: a division by zero).
const CLI::Validator kSamples = int_range(1, 1000000000), kSize = int_choice({32, 64, 128, 256}),
                     kContour = int_choice({6, 9, 14});

void generate(const DataArgs& a) {
  if (a.what == "listops") {
    ListOpsOptions o;
    o.n_train = a.train;
    o.n_val = a.val;
    o.n_test = a.test;
    auto all = generate_listops(o, a.seed);
    write_listops_tsv_dir(a.out, all, o);
    std::printf("wrote %s/basic_{train,val,test}.tsv: %lld / %lld / %lld samples (seed %llu)\n",
                a.out.c_str(), (long long)o.n_train, (long long)o.n_val, (long long)o.n_test,
                (unsigned long long)a.seed);
    std::printf("%s", listops_stats(all, o.max_depth).markdown().c_str());
  } else if (a.what == "pathfinder") {
    auto p = pathfinder_params(a.size, a.contour_length);
    const int64_t pos = write_pathfinder_dir(a.out, p, a.seed, a.n, a.per_batch, true);
    std::printf("wrote %s/curv_contour_length_%d: %lld images of %dx%d, %lld connected (%.4f)\n",
                a.out.c_str(), a.contour_length, (long long)a.n, a.size, a.size, (long long)pos,
                double(pos) / double(a.n));
  } else {
    throw InputError("data generate: unknown set '" + a.what +
                     "' (expected listops or pathfinder)");
  }
}

void stats(const DataArgs& a) {
  if (a.what == "listops") {
    ListOpsOptions o;
    o.n_train = a.n;
    o.n_val = o.n_test = 0;
    auto all = generate_listops(o, a.seed);
    std::printf("%s", listops_stats(all, o.max_depth).markdown().c_str());
  } else if (a.what == "pathfinder") {
    auto p = pathfinder_params(a.size, a.contour_length);
    std::vector<PathfinderSample> s(static_cast<size_t>(a.n));
    at::parallel_for(0, a.n, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) s[size_t(i)] = generate_pathfinder(p, a.seed, i);
    });
    std::printf("%s", pathfinder_stats(s).markdown().c_str());
    if (!a.grid.empty()) {
      std::vector<PathfinderSample> first(s.begin(), s.begin() + std::min<int64_t>(a.n, 32));
      write_png_gray(a.grid, image_grid(first, 8, a.size <= 32 ? 4 : 1));
      std::printf("grid of the first %zu images: %s (bright frame: connected)\n", first.size(),
                  a.grid.c_str());
    }
  } else {
    throw InputError("data stats: unknown set '" + a.what + "' (expected listops or pathfinder)");
  }
}

}  // namespace

void add_data(CLI::App& app) {
  auto a = std::make_shared<DataArgs>();
  auto* cmd =
      app.add_subcommand("data", "inspect your data files; generate the synthetic LRA sets");
  cmd->require_subcommand(1);
  auto* gen = cmd->add_subcommand(
      "generate", "write ListOps TSVs or Pathfinder folders in the official layout");
  gen->add_option("set", a->what, "listops | pathfinder")->required();
  gen->add_option("--out", a->out, "output directory")->required();
  gen->add_option("--seed", a->seed, "generator seed")->required()->check(range_of("train.seed"));
  gen->add_option("--train", a->train, "listops: training samples (official 96000)")
      ->check(kSamples);
  gen->add_option("--val", a->val, "listops: validation samples (official 2000)")->check(kSamples);
  gen->add_option("--test", a->test, "listops: test samples (official 2000)")->check(kSamples);
  gen->add_option("--size", a->size, "pathfinder: 32 (Pathfinder), 64, 128 (Path-X) or 256")
      ->check(kSize);
  gen->add_option("--contour-length", a->contour_length, "pathfinder: 6, 9 or 14 (hard; LRA)")
      ->check(kContour);
  gen->add_option("-n", a->n, "pathfinder: images (LRA: 200000)")->check(kSamples);
  gen->add_option("--per-batch", a->per_batch, "pathfinder: images per imgs/<batch> folder")
      ->check(kSamples);
  gen->callback([a] {
    set_threads(0);
    generate(*a);
  });
  auto* ins = cmd->add_subcommand("inspect", "what spikessm reads from a data file of yours");
  ins->add_option("file", a->out, ".npz, .npy, a folder of .npy files, or .ts")->required();
  ins->callback([a] { std::fputs(inspect_data_file(a->out).c_str(), stdout); });
  auto* st = cmd->add_subcommand("stats", "fidelity statistics of n generated samples (markdown)");
  st->add_option("set", a->what, "listops | pathfinder")->required();
  st->add_option("-n", a->n, "samples")->required()->check(kSamples);
  st->add_option("--seed", a->seed, "generator seed")->required()->check(range_of("train.seed"));
  st->add_option("--size", a->size, "pathfinder image size")->check(kSize);
  st->add_option("--contour-length", a->contour_length, "pathfinder contour length")
      ->check(kContour);
  st->add_option("--grid", a->grid, "pathfinder: write a PNG grid of the first 32 images")
      ->check(output_file());
  st->callback([a] {
    set_threads(0);
    stats(*a);
  });
}

}  // namespace spikessm::cli
