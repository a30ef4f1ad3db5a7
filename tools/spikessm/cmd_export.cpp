// `spikessm export --format nir --checkpoint FILE --out FILE.nir [--dt SECONDS]
//      [--reference DIR [--samples N]] [--set data.key=value]`
// `spikessm import --format nir --in FILE.nir [--checkpoint ORIGINAL] [--out NEW.pt]`
// `spikessm export --format safetensors --checkpoint FILE --out FILE.safetensors`
// `spikessm export --format checkpoint --checkpoint FILE --out WEIGHTS.pt` (weights only)
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
#include "spikessm/data/task.h"
#include "spikessm/export/nir_model.h"
#include "spikessm/export/nir_reference.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trained_model.h"

namespace spikessm::cli {

namespace {

// The sequence length and the input the graph reads, from the checkpoint's own task (its test
// split is read: the length of FSDD, sCIFAR or an array set is not in the config).
void describe_task_input(const TrainedModel& m, const Task& task, NirExportOptions& o) {
  o.seq_len = task.L;
  const auto dataset = m.cfg.get_string("data.dataset");
  const auto pool = m.cfg.get_int("data.pool");
  const bool pixels = dataset == "fashion-mnist" || dataset == "mnist";
  if (pixels && task.stats.mean.size() == 1 && task.d_input == 1) {
    // to_pixel_sequences: x = (p / 255 - mean) / std, p the (pooled) pixel value 0..255.
    const double mean = task.stats.mean[0], sd = task.stats.std[0];
    o.input_scale = {1.0 / (255.0 * sd)};
    o.input_shift = {-mean / sd};
    o.input_note =
        dataset + " pixel values 0..255" +
        (pool > 1 ? " (means of " + std::to_string(pool) + "x" + std::to_string(pool) + " blocks)"
                  : std::string()) +
        ", one per step in row-major order" +
        (m.cfg.get_bool("data.permute") ? " after the seeded permutation" : "") +
        "; standardised with the training split's mean " + std::to_string(mean) + " and std " +
        std::to_string(sd);
    return;
  }
  o.input_note = "inputs as spikessm's pipeline makes them for data.dataset = " + dataset + " (" +
                 task.description + ")";
}

void check_format(const std::string& format) {
  if (format != "nir" && format != "safetensors")
    throw InputError("--format: unknown format '" + format + "' (expected nir or safetensors)");
}

void check_export_format(const std::string& format) {
  if (format != "nir" && format != "safetensors" && format != "checkpoint")
    throw InputError("--format: unknown format '" + format +
                     "' (expected nir, safetensors or checkpoint)");
}

// The trained model without what only resuming needs (optimizer moments, RNG, data order):
// a file a third of the size that every reader of checkpoints takes (models/ holds these).
void export_checkpoint(const std::string& checkpoint, const std::string& out) {
  require(std::filesystem::weakly_canonical(checkpoint) != std::filesystem::weakly_canonical(out),
          "--out", "is the --checkpoint itself (expected a new file)");
  auto m = load_trained_model(checkpoint);
  save_trained_model(m, out);
  int64_t n = 0;
  for (const auto& p : m.module().parameters()) n += p.numel();
  std::printf("wrote %s: weights-only checkpoint, %lld parameters, step %lld (%s)%s\n", out.c_str(),
              (long long)n, (long long)m.meta.step, m.cfg.get_string("model.family").c_str(),
              m.tokenizer ? ", with its tokenizer next to it" : "");
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
  save_trained_model(m, out);
  std::printf("wrote %s\n", out.c_str());
}

}  // namespace

void add_export(CLI::App& app) {
  struct Args {
    std::string format = "nir", checkpoint, out, reference;
    std::vector<std::string> sets;
    double dt = 1e-3;
    int64_t samples = 1000;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "export",
      "write a trained model as a NIR graph (HDF5), its weights as safetensors, or a "
      "weights-only checkpoint");
  cmd->add_option("--format", args->format,
                  "output format: nir | safetensors | checkpoint (weights only: what eval, "
                  "generate, stream and export read, without the optimizer state) (default nir)");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint.pt written by train")->required();
  cmd->add_option("--out", args->out, "the .nir, .safetensors or .pt file to write")
      ->required()
      ->check(output_file());
  cmd->add_option("--dt", args->dt, "seconds of NIR time per sequence step (default 1e-3)")
      ->check(real_range(0, 1e6, true));
  cmd->add_option("--reference", args->reference,
                  "nir: also write spikessm's run on the first --samples test inputs into this "
                  "directory (inputs, labels, logits, spikes per block as .npy; docs/nir.md)");
  cmd->add_option("--samples", args->samples, "test inputs for --reference (default 1000)")
      ->check(int_range(1, 1000000));
  cmd->add_option("--set", args->sets, "override a data key, e.g. data.dir=DIR")->take_all();
  cmd->callback([args] {
    check_export_format(args->format);
    if (args->format == "safetensors") return export_safetensors(args->checkpoint, args->out);
    if (args->format == "checkpoint") return export_checkpoint(args->checkpoint, args->out);
    auto m = load_trained_model(args->checkpoint, args->sets);
    auto* model = dynamic_cast<SequenceClassifierImpl*>(m.classifier.get());
    require(model != nullptr, args->checkpoint,
            "NIR export covers the sequence classifiers (model.family = \"classifier\"), not " +
                m.cfg.get_string("model.family") +
                " (NIR has no node for its attention, token embedding or language-model head)");
    NirExportOptions o;
    o.dt = args->dt;
    o.config_toml = m.meta.config_toml;
    // Refuse what NIR cannot express before reading any data.
    {
      NirExportOptions probe = o;
      probe.seq_len = 1;
      classifier_to_nir(*model, probe);
    }
    const Task task = load_test_split(m);
    describe_task_input(m, task, o);
    auto graph = classifier_to_nir(*model, o);
    if (!args->reference.empty()) {
      const int64_t n = std::min<int64_t>(args->samples, task.test_x.size(0));
      write_nir_reference(*model, task.test_x.narrow(0, 0, n), task.test_y.narrow(0, 0, n), o,
                          args->reference);
    }
    write_nir(args->out, graph);
    size_t n_nodes = graph.nodes.size();
    for (const auto& [name, node] : graph.nodes)
      if (node.graph) n_nodes += node.graph->nodes.size();
    std::printf(
        "wrote %s: NIR graph of %zu top-level nodes (%zu with sub-graphs), dt %g s per step, L = "
        "%lld, %s\n",
        args->out.c_str(), graph.nodes.size(), n_nodes, o.dt, (long long)o.seq_len,
        is_nir_standard(*model) ? "standard NIR nodes only (model.nir_block)"
                                : "GLU and LayerNorm as annotated sub-graphs that NIR consumers "
                                  "cannot run (train with model.nir_block = true for a runnable "
                                  "graph)");
    if (!args->reference.empty())
      std::printf("wrote spikessm's run on %lld test inputs into %s\n",
                  (long long)std::min<int64_t>(args->samples, task.test_x.size(0)),
                  args->reference.c_str());
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
