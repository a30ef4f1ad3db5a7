// `spikessm export --format nir --checkpoint FILE --out FILE.nir [--dt SECONDS]`
// `spikessm import --format nir --in FILE.nir [--checkpoint ORIGINAL] [--out NEW.pt]`
// `spikessm export --format safetensors --checkpoint FILE --out FILE.safetensors`
// `spikessm import --format safetensors --in FILE.safetensors --checkpoint MODEL [--out NEW.pt]`
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "commands.h"
#include "flags.h"
#include "spikessm/common/error.h"
#include "spikessm/common/config.h"
#include "spikessm/common/atomic_file.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/export/safetensors.h"
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
  if (format != "nir" && format != "safetensors")
    throw InputError("--format: unknown format '" + format + "' (expected nir or safetensors)");
}

// Every weight of a checkpoint of any family, with what rebuilds the model as metadata.
void export_safetensors(const std::string& checkpoint, const std::string& out) {
  auto m = load_trained_model(checkpoint);
  std::map<std::string, std::string> meta = {{"format", "pt"},
                                             {"spikessm.config", m.meta.config_toml},
                                             {"spikessm.family", m.cfg.get_string("model.family")},
                                             {"spikessm.step", std::to_string(m.meta.step)}};
  if (!m.is_language_model()) meta["spikessm.model_input"] = to_json(m.input).dump();
  const auto tensors = flat_state_dict(m.module());
  write_file_atomic(out, safetensors_bytes(tensors, meta));
  int64_t n = 0;
  for (const auto& [name, t] : tensors) n += t.numel();
  std::printf("wrote %s: %zu tensors, %lld values (%s)\n", out.c_str(), tensors.size(),
              (long long)n, m.cfg.get_string("model.family").c_str());
}

// The weights of a safetensors file into the model of `checkpoint` (its config, and its
// tokenizer for a language model); optionally saved as a checkpoint eval reads.
void import_safetensors(const std::string& in, const std::string& checkpoint,
                        const std::string& out) {
  require(!checkpoint.empty(), "--checkpoint",
          "is required with --format safetensors (the model the weights go into)");
  auto m = load_trained_model(checkpoint);
  const auto tensors = read_safetensors(read_file_bytes(in), in);
  const auto before = flat_state_dict(m.module());
  std::map<std::string, torch::Tensor> old;
  for (const auto& [name, t] : before) old.emplace(name, t.clone());
  load_flat_state_dict(m.module(), tensors, in);
  double diff = 0;
  for (const auto& [name, t] : tensors)
    if (t.numel() > 0)
      diff = std::max(
          diff,
          (t.to(torch::kDouble) - old.at(name).to(torch::kDouble)).abs().max().item<double>());
  std::printf("read %s: %zu tensors into the model of %s (largest change %.3g)\n", in.c_str(),
              tensors.size(), checkpoint.c_str(), diff);
  if (out.empty()) return;
  CheckpointMeta meta{m.meta.config_toml, m.meta.step};
  if (!m.is_language_model()) meta.state["model_input"] = to_json(m.input);
  save_checkpoint(out, m.module(), nullptr, meta);
  if (m.tokenizer) {
    const auto dir = std::filesystem::path(out).parent_path();
    m.tokenizer->save(dir.empty() ? "." : dir.string());
  }
  std::printf("wrote %s\n", out.c_str());
}

}  // namespace

void add_export(CLI::App& app) {
  struct Args {
    std::string format = "nir", checkpoint, out;
    double dt = 1e-3;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "export", "write a trained model as a NIR graph (HDF5) or its weights as safetensors");
  cmd->add_option("--format", args->format, "output format: nir | safetensors (default nir)");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("--out", args->out, "the .nir or .safetensors file to write")
      ->required()
      ->check(output_file());
  cmd->add_option("--dt", args->dt, "seconds of NIR time per sequence step (default 1e-3)")
      ->check(real_range(0, 1e6, true));
  cmd->callback([args] {
    check_format(args->format);
    if (args->format == "safetensors") return export_safetensors(args->checkpoint, args->out);
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
  auto* cmd = app.add_subcommand(
      "import", "read a NIR graph or safetensors weights written by export back into a model");
  cmd->add_option("--format", args->format, "input format: nir | safetensors (default nir)");
  cmd->add_option("--in", args->in, "the .nir or .safetensors file")->required();
  cmd->add_option("--checkpoint", args->checkpoint,
                  "nir: compare every parameter with this checkpoint (exit 1 if they differ); "
                  "safetensors: the model the weights go into (required)");
  cmd->add_option("--out", args->out, "write the imported model as a checkpoint (usable by eval)")
      ->check(output_file());
  cmd->add_option("--tolerance", args->tolerance,
                  "largest parameter difference accepted (default 1e-5)")
      ->check(real_range(0, 1e6));
  cmd->callback([args] {
    check_format(args->format);
    if (args->format == "safetensors")
      return import_safetensors(args->in, args->checkpoint, args->out);
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
