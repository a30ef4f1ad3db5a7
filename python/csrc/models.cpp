// Whole models as Python classes: the classifier and language-model interfaces of the
// library, built from a config by the library's own builders (build_model,
// build_language_model), their tokenizers, and streaming generation.
#include "py_common.h"
#include "spikessm/common/config.h"
#include "spikessm/data/task.h"
#include "spikessm/infer/generate.h"
#include "spikessm/models/build.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/text/tokenizer.h"

namespace spikessm::python {

namespace {

using Module = torch::nn::Module;
using Tensor = at::Tensor;
using Release = py::call_guard<py::gil_scoped_release>;

// The config a run would read: defaults, then a TOML file, then "key=value" overrides, each
// checked against the schema (InputError naming the key).
Config make_config(const std::string& toml_text, const std::vector<std::string>& sets) {
  Config cfg;
  if (!toml_text.empty()) cfg.merge_string(toml_text, "the config");
  for (const auto& s : sets) cfg.set(s);
  return cfg;
}

ModelInput model_input_from(const std::string& json_text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("model_input: not JSON (") + e.what() + ")");
  }
  return model_input_from_json(j, "model_input");
}

py::object ops_json(const OpsReport& r) { return to_python(r.to_json()); }

// The state of streaming generation: the model state after every token read, the logits of the
// next token, and one sampling generator for the whole stream (seeded once, as generate does).
struct TokenStream {
  LanguageModel model;
  SamplingOptions sampling;
  at::Generator gen;
  GenState g;
  GenerateStats stats;
  bool started = false;
};

void bind_classifier(py::module_& m) {
  py::class_<ClassifierImpl, Module, std::shared_ptr<ClassifierImpl>>(m, "Classifier",
                                                                      py::multiple_inheritance())
      .def("forward", &ClassifierImpl::forward, Release())
      .def("set_collect_stats", &ClassifierImpl::set_collect_stats, py::arg("on"))
      .def(
          "ops_report", [](ClassifierImpl& c, int64_t L) { return ops_json(c.ops_report(L)); },
          py::arg("L"))
      .def("populations", [](ClassifierImpl& c) { return c.stats().populations(); })
      .def(
          "mean_rate", [](ClassifierImpl& c) { return c.stats().mean_rate(); },
          "Spikes over elements of every population recorded since statistics were turned on.");

  m.def(
      "build_classifier",
      [](const std::string& config_toml, const std::string& model_input_json) {
        const Config cfg = make_config(config_toml, {});
        torch::manual_seed(uint64_t(cfg.get_int("train.seed")));  // as training starts
        return build_model(cfg, model_input_from(model_input_json));
      },
      py::arg("config_toml"), py::arg("model_input_json"));
}

void bind_language_model(py::module_& m) {
  py::class_<LanguageModelImpl, Module, std::shared_ptr<LanguageModelImpl>>(
      m, "LanguageModel", py::multiple_inheritance())
      .def("forward", &LanguageModelImpl::forward, Release())
      .def(
          "forward_with_state",
          [](LanguageModelImpl& lm, const Tensor& ids) {
            LmState s;
            auto logits = lm.forward_with_state(ids, &s);
            return std::make_tuple(logits, s.tensors);
          },
          Release())
      .def("initial_state",
           [](LanguageModelImpl& lm, int64_t batch) { return lm.initial_state(batch).tensors; })
      .def(
          "step",
          [](LanguageModelImpl& lm, const Tensor& ids, std::vector<Tensor> state) {
            LmState s{std::move(state)};
            auto logits = lm.step(ids, &s);
            return std::make_tuple(logits, s.tensors);
          },
          Release())
      .def("aux_loss", &LanguageModelImpl::aux_loss)
      .def("adjust_gradients", &LanguageModelImpl::adjust_gradients)
      .def_property_readonly("vocab_size", &LanguageModelImpl::vocab_size)
      .def_property_readonly("family", &LanguageModelImpl::family)
      .def_property_readonly("spiking", &LanguageModelImpl::spiking)
      .def("set_collect_stats", &LanguageModelImpl::set_collect_stats, py::arg("on"))
      .def("ops_report", [](LanguageModelImpl& lm) { return ops_json(lm.ops_report()); })
      .def("populations", [](LanguageModelImpl& lm) { return lm.stats().populations(); });

  m.def(
      "build_language_model",
      [](const std::string& config_toml, int64_t vocab) {
        const Config cfg = make_config(config_toml, {});
        require(is_language_model(cfg), "model.family",
                "'" + cfg.get_string("model.family") + "' is not a language model");
        torch::manual_seed(uint64_t(cfg.get_int("train.seed")));
        return build_language_model(cfg, vocab);
      },
      py::arg("config_toml"), py::arg("vocab"));
}

void bind_tokenizer(py::module_& m) {
  py::class_<Tokenizer, std::shared_ptr<Tokenizer>>(m, "Tokenizer")
      .def_property_readonly("kind", &Tokenizer::kind)
      .def_property_readonly("vocab_size", &Tokenizer::vocab_size)
      .def("encode", &Tokenizer::encode, py::arg("text"))
      // Text as str with invalid UTF-8 replaced (a cut may split a character); a piece as bytes,
      // since one byte token may be a part of a character.
      .def(
          "decode",
          [](const Tokenizer& t, const std::vector<int64_t>& ids) {
            const auto s = t.decode(ids);
            return py::reinterpret_steal<py::str>(
                PyUnicode_DecodeUTF8(s.data(), Py_ssize_t(s.size()), "replace"));
          },
          py::arg("ids"))
      .def(
          "piece", [](const Tokenizer& t, int64_t id) { return py::bytes(t.piece(id)); },
          py::arg("id"))
      .def("save", &Tokenizer::save, py::arg("dir"));
  m.def(
      "load_tokenizer",
      [](const std::string& dir) { return std::shared_ptr<Tokenizer>(load_tokenizer(dir)); },
      py::arg("dir"));
}

void bind_stream(py::module_& m) {
  py::class_<TokenStream, std::shared_ptr<TokenStream>>(m, "TokenStream")
      .def(py::init([](LanguageModel model, double temperature, int64_t top_k, double top_p,
                       uint64_t seed) {
             auto s = std::make_shared<TokenStream>(
                 TokenStream{model, {}, at::detail::createCPUGenerator(seed), {}, {}, false});
             s->sampling = SamplingOptions{temperature, top_k, top_p, seed};
             check_sampling(s->sampling);
             return s;
           }),
           py::arg("model"), py::arg("temperature") = 1.0, py::arg("top_k") = 0,
           py::arg("top_p") = 1.0, py::arg("seed") = 0)
      .def(
          "read",
          [](TokenStream& s, const std::vector<int64_t>& ids) {
            read_prompt(*s.model, ids, s.started, s.g, s.stats);
            s.started = true;
          },
          py::arg("ids"), Release())
      .def(
          "next",
          [](TokenStream& s) {
            require(s.started, "TokenStream", "read a prompt before drawing tokens");
            // One step of generate_tokens, with the stream's generator kept across calls.
            torch::NoGradGuard ng;
            const int64_t tok = sample_token(s.g.next_logits[0], s.sampling, s.gen);
            s.g.next_logits = s.model->step(torch::full({1}, tok, torch::kLong), &s.g.state);
            ++s.g.tokens_seen;
            ++s.stats.generated;
            return tok;
          },
          Release())
      .def(
          "generate",
          [](TokenStream& s, int64_t max_tokens) {
            require(s.started, "TokenStream", "read a prompt before drawing tokens");
            std::vector<int64_t> out;
            generate_tokens(
                *s.model, max_tokens, s.sampling, s.g, [&](int64_t t) { out.push_back(t); },
                s.stats);
            return out;
          },
          py::arg("max_tokens"), Release(),
          "The library's generate_tokens (a fresh generator from the seed, as `spikessm "
          "generate`).")
      .def_property_readonly("next_logits", [](const TokenStream& s) { return s.g.next_logits; })
      .def_property_readonly("state", [](const TokenStream& s) { return s.g.state.tensors; })
      .def_property_readonly("tokens_seen", [](const TokenStream& s) { return s.g.tokens_seen; });
}

void bind_config(py::module_& m) {
  m.def(
      "config_toml",
      [](const std::string& toml_text, const std::vector<std::string>& sets) {
        return make_config(toml_text, sets).to_toml();
      },
      py::arg("toml_text") = "", py::arg("sets") = std::vector<std::string>{},
      "The full config (every key) as TOML: defaults, then toml_text, then key=value sets.");
  m.def(
      "config_family",
      [](const std::string& toml_text) {
        return make_config(toml_text, {}).get_string("model.family");
      },
      py::arg("toml_text"));
  m.def(
      "read_file",
      [](const std::string& path) {
        Config probe;
        probe.merge_file(path);  // checks the file against the schema, naming it in errors
        return probe.to_toml();
      },
      py::arg("path"));
  m.def(
      "load_test_split",
      [](const std::string& config_toml) {
        const Task t = load_task(make_config(config_toml, {}));
        return std::make_tuple(t.test_x, t.test_y, to_python(to_json(t.model_input())));
      },
      py::arg("config_toml"), "The test split the config's task reads: (x, y, model_input).");
}

}  // namespace

void bind_models(py::module_& m) {
  bind_classifier(m);
  bind_language_model(m);
  bind_tokenizer(m);
  bind_stream(m);
  bind_config(m);
}

}  // namespace spikessm::python
