// `spikessm export --format nir --checkpoint FILE --out FILE.nir [--dt SECONDS]`
// `spikessm import --format nir --in FILE.nir [--checkpoint ORIGINAL] [--out NEW.pt]`
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "spikessm/common/error.h"
#include "spikessm/common/config.h"
#include "spikessm/export/nir_model.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trained_model.h"

namespace spikessm::cli {

namespace {

// The sequence length of the checkpoint's task, from its config (no data is read).
int64_t task_length(const Config& cfg) {
  const int64_t pool = cfg.get_int("data.pool");
  return (28 / pool) * (28 / pool);
}

void check_format(const std::string& format) {
  if (format != "nir") throw InputError("--format: unknown format '" + format + "' (expected nir)");
}

}  // namespace

void add_export(CLI::App& app) {
  struct Args {
    std::string format = "nir", checkpoint, out;
    double dt = 1e-3;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("export", "write a trained model as a NIR graph (HDF5)");
  cmd->add_option("--format", args->format, "output format (nir)");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("--out", args->out, "the .nir file to write")->required()->check(output_file());
  cmd->add_option("--dt", args->dt, "seconds of NIR time per sequence step (default 1e-3)")
      ->check(real_range(0, 1e6, true));
  cmd->callback([args] {
    check_format(args->format);
    auto m = load_trained_model(args->checkpoint);
    auto* model = dynamic_cast<SequenceClassifierImpl*>(m.classifier.get());
    require(model != nullptr, args->checkpoint,
            "NIR export covers the sequence classifiers (model.family = \"classifier\"), not " +
                m.cfg.get_string("model.family"));
    NirExportOptions o;
    o.dt = args->dt;
    o.seq_len = task_length(m.cfg);
    o.config_toml = m.meta.config_toml;
    auto graph = classifier_to_nir(*model, o);
    write_nir(args->out, graph);
    size_t n_nodes = graph.nodes.size();
    for (const auto& [name, node] : graph.nodes)
      if (node.graph) n_nodes += node.graph->nodes.size();
    std::printf(
        "wrote %s: NIR graph of %zu top-level nodes (%zu with sub-graphs), dt %g s per step, L = "
        "%lld\n",
        args->out.c_str(), graph.nodes.size(), n_nodes, o.dt, (long long)o.seq_len);
  });
}

void add_import(CLI::App& app) {
  struct Args {
    std::string format = "nir", in, checkpoint, out;
    double tolerance = 1e-5;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("import", "read a NIR graph written by export back into a model");
  cmd->add_option("--format", args->format, "input format (nir)");
  cmd->add_option("--in", args->in, "the .nir file")->required();
  cmd->add_option("--checkpoint", args->checkpoint,
                  "compare every parameter with this checkpoint (exit 1 if they differ)");
  cmd->add_option("--out", args->out, "write the imported model as a checkpoint (usable by eval)")
      ->check(output_file());
  cmd->add_option("--tolerance", args->tolerance,
                  "largest parameter difference accepted (default 1e-5)")
      ->check(real_range(0, 1e6));
  cmd->callback([args] {
    check_format(args->format);
    auto imported = classifier_from_nir(read_nir(args->in), args->in);
    int64_t n = 0;
    for (auto& p : imported.model->parameters()) n += p.numel();
    std::printf("read %s: %lld-layer SpikingSSM, %lld parameters, dt %g s, L = %lld\n",
                args->in.c_str(), (long long)imported.model->options.n_layers(), (long long)n,
                imported.dt, (long long)imported.seq_len);
    if (!args->checkpoint.empty()) {
      auto original = load_trained_model(args->checkpoint);
      auto [diff, where] = max_parameter_difference(original.module(), *imported.model);
      std::printf("largest parameter difference to %s: %.3g (%s)\n", args->checkpoint.c_str(), diff,
                  where.c_str());
      if (!(diff <= args->tolerance))
        throw std::runtime_error("round trip failed: " + where + " differs by " +
                                 std::to_string(diff));
      std::printf("round trip ok (tolerance %g)\n", args->tolerance);
    }
    if (!args->out.empty()) {
      save_checkpoint(args->out, *imported.model, nullptr,
                      CheckpointMeta{imported.cfg.to_toml(), 0});
      std::printf("wrote %s\n", args->out.c_str());
    }
  });
}

}  // namespace spikessm::cli
