// Checkpoints from Python with the library's own calls: load_trained_model (any family),
// save_checkpoint (a file `spikessm eval`, `train --resume`, `export` and `report` read),
// evaluate_checkpoint (`spikessm eval`) and the trainer's evaluate() of a classifier.
#include <filesystem>

#include "py_common.h"
#include "spikessm/api/evaluate.h"
#include "spikessm/common/atomic_file.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/export/safetensors.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/optimizer.h"
#include "spikessm/train/train_options.h"
#include "spikessm/train/trained_model.h"
#include "spikessm/train/trainer.h"

namespace spikessm::python {

namespace {

using Module = torch::nn::Module;
using Release = py::call_guard<py::gil_scoped_release>;

// What load_trained_model returns, with the tokenizer shared so Python can hold it.
struct Loaded {
  std::string path, config_toml;
  int64_t step = 0;
  nlohmann::json model_input;  // classifiers; null for language models
  Classifier classifier;
  LanguageModel lm;
  std::shared_ptr<Tokenizer> tokenizer;
};

Loaded load(const std::string& path, const std::vector<std::string>& sets) {
  TrainedModel t = load_trained_model(path, sets);
  Loaded r;
  r.path = path;
  r.config_toml = t.cfg.to_toml();
  r.step = t.meta.step;
  if (!t.is_language_model()) r.model_input = to_json(t.input);
  r.classifier = t.classifier;
  r.lm = t.lm;
  r.tokenizer = std::shared_ptr<Tokenizer>(std::move(t.tokenizer));
  return r;
}

// The checkpoint the trainer writes: weights, the config, the step, the classifier's
// ModelInput (so eval needs no data to rebuild it), and an AdamW over the trainer's parameter
// groups with no moments yet, so `train --resume` continues from these weights at `step`.
void save(const std::string& path, Module& model, const std::string& config_toml,
          const std::string& model_input_json, int64_t step, const Tokenizer* tokenizer) {
  Config cfg;
  cfg.merge_string(config_toml, "the model's config");
  CheckpointMeta meta{cfg.to_toml(), step};
  if (!model_input_json.empty()) {
    const auto j = nlohmann::json::parse(model_input_json);
    model_input_from_json(j, "model_input");  // refuses what eval could not read back
    meta.state["model_input"] = j;
  }
  std::vector<double> base_lrs;
  auto opt = make_optimizer(model, train_options(cfg).optimizer, base_lrs);
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  save_checkpoint(path, model, opt.get(), meta);
  if (tokenizer) tokenizer->save(dir.empty() ? "." : dir.string());
}

}  // namespace

void bind_checkpoints(py::module_& m) {
  py::class_<Loaded>(m, "Loaded")
      .def_readonly("path", &Loaded::path)
      .def_readonly("config_toml", &Loaded::config_toml)
      .def_readonly("step", &Loaded::step)
      .def_property_readonly("model_input",
                             [](const Loaded& l) { return to_python(l.model_input); })
      .def_readonly("classifier", &Loaded::classifier)
      .def_readonly("lm", &Loaded::lm)
      .def_readonly("tokenizer", &Loaded::tokenizer);

  m.def("load_trained", &load, py::arg("path"), py::arg("sets") = std::vector<std::string>{},
        Release());
  m.def(
      "save_checkpoint",
      [](const std::string& path, Module& model, const std::string& config_toml,
         const std::string& model_input_json, int64_t step,
         const std::shared_ptr<Tokenizer>& tokenizer) {
        save(path, model, config_toml, model_input_json, step, tokenizer.get());
      },
      py::arg("path"), py::arg("model"), py::arg("config_toml"), py::arg("model_input_json"),
      py::arg("step"), py::arg("tokenizer") = nullptr, Release());
  m.def(
      "write_safetensors",
      [](const std::string& path, const NamedTensors& tensors,
         const std::map<std::string, std::string>& metadata) {
        write_file_atomic(path, safetensors_bytes(tensors, metadata));
      },
      py::arg("path"), py::arg("tensors"), py::arg("metadata"), Release());
  m.def(
      "read_safetensors",
      [](const std::string& path) {
        std::map<std::string, std::string> metadata;
        auto tensors = read_safetensors(read_file_bytes(path), path, &metadata);
        return std::make_tuple(tensors, metadata);
      },
      py::arg("path"), Release());
  m.def(
      "evaluate_checkpoint",
      [](const std::string& path, const std::vector<std::string>& sets) {
        CheckpointEvaluation r;
        {
          py::gil_scoped_release release;
          r = evaluate_checkpoint(path, sets);
        }
        return std::make_tuple(r.report, to_python(r.stats));
      },
      py::arg("path"), py::arg("sets") = std::vector<std::string>{});
  m.def(
      "evaluate_classifier",
      [](ClassifierImpl& model, const at::Tensor& x, const at::Tensor& y, int64_t batch_size) {
        EvalResult r;
        {
          py::gil_scoped_release release;
          r = evaluate(model, x, y, batch_size, true, false);
        }
        auto j = r.ops.to_json();
        j["accuracy"] = r.accuracy;
        j["loss"] = r.loss;
        j["samples"] = r.samples;
        return to_python(j);
      },
      py::arg("model"), py::arg("x"), py::arg("y"), py::arg("batch_size") = 64,
      "The trainer's evaluation (the numbers `spikessm eval` prints) on given tensors.");
}

}  // namespace spikessm::python
