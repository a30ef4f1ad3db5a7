#include "spikessm/infer/generate.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <chrono>
#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/infer/state_file.h"
#include "spikessm/models/lm_step_engine.h"
#include "spikessm/train/trainer.h"

namespace spikessm {
namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The model's step engine for one sequence, or null (then model.step() is the path).
std::unique_ptr<LmStepEngine> one_sequence_engine(LanguageModelImpl& model, const LmState& st) {
  if (st.tensors.empty() || st.tensors[0].dim() < 1 || st.tensors[0].size(0) != 1) return nullptr;
  return LmStepEngine::build(model);
}
}  // namespace

void check_sampling(const SamplingOptions& o) {
  require(std::isfinite(o.temperature) && o.temperature >= 0 && o.temperature <= 100,
          "--temperature", std::to_string(o.temperature) + " (expected 0 to 100; 0 is greedy)");
  require(o.top_k >= 0, "--top-k",
          std::to_string(o.top_k) + " (expected >= 0; 0 keeps every token)");
  require(std::isfinite(o.top_p) && o.top_p > 0 && o.top_p <= 1, "--top-p",
          std::to_string(o.top_p) + " (expected a probability in (0, 1])");
}

int64_t sample_token(const torch::Tensor& logits_in, const SamplingOptions& o, at::Generator& gen) {
  auto logits = logits_in.to(torch::kDouble).view(-1);  // (V,)
  if (o.temperature == 0) return logits.argmax().item<int64_t>();
  auto [sorted, idx] = (logits / o.temperature).sort(0, /*descending=*/true);
  auto probs = torch::softmax(sorted, 0);
  int64_t keep = probs.size(0);
  if (o.top_k > 0) keep = std::min(keep, o.top_k);
  if (o.top_p < 1) {
    // The smallest prefix whose mass reaches top_p (at least one token).
    auto before = probs.cumsum(0) - probs;
    keep = std::min(keep, std::max<int64_t>(1, before.lt(o.top_p).sum().item<int64_t>()));
  }
  auto kept = probs.narrow(0, 0, keep);
  const int64_t pick = torch::multinomial(kept / kept.sum(), 1, false, gen).item<int64_t>();
  return idx[pick].item<int64_t>();
}

void read_prompt(LanguageModelImpl& model, const std::vector<int64_t>& prompt, bool have_state,
                 GenState& g, GenerateStats& stats) {
  torch::NoGradGuard ng;
  require(have_state || !prompt.empty(), "--prompt",
          "is empty (give a prompt, or --state-in to continue a state)");
  const auto t0 = std::chrono::steady_clock::now();
  auto ids = torch::tensor(prompt, torch::kLong);
  if (!have_state) {
    auto logits = model.forward_with_state(ids.view({1, -1}), &g.state);  // (1, P, V)
    g.next_logits = logits.select(1, logits.size(1) - 1).contiguous();    // (1, V)
  } else if (auto engine = one_sequence_engine(model, g.state)) {
    engine->load_state(g.state);
    for (const int64_t id : prompt) g.next_logits = engine->step(id);
    engine->store_state(&g.state);
    g.next_logits = g.next_logits.clone();  // the engine's buffer dies with it
  } else {
    for (int64_t t = 0; t < ids.size(0); ++t)
      g.next_logits = model.step(ids.narrow(0, t, 1), &g.state);
  }
  g.tokens_seen += int64_t(prompt.size());
  stats.prompt_tokens += int64_t(prompt.size());
  stats.prompt_seconds += seconds_since(t0);
}

void generate_tokens(LanguageModelImpl& model, int64_t max_tokens, const SamplingOptions& o,
                     GenState& g, const std::function<void(int64_t)>& on_token,
                     GenerateStats& stats) {
  torch::NoGradGuard ng;
  auto gen = at::detail::createCPUGenerator(o.seed);
  const auto t0 = std::chrono::steady_clock::now();
  auto id = torch::empty({1}, torch::kLong);
  auto engine = max_tokens > 0 ? one_sequence_engine(model, g.state) : nullptr;
  if (engine) engine->load_state(g.state);
  try {
    for (int64_t i = 0; i < max_tokens; ++i) {
      const int64_t tok = sample_token(g.next_logits[0], o, gen);
      on_token(tok);
      if (engine) {
        g.next_logits = engine->step(tok);  // (1, V)
      } else {
        id[0] = tok;
        g.next_logits = model.step(id, &g.state);  // (1, V)
      }
      ++g.tokens_seen;
      ++stats.generated;
    }
  } catch (...) {
    if (engine) engine->store_state(&g.state);  // g stays consistent with what was emitted
    throw;
  }
  if (engine) {
    engine->store_state(&g.state);
    g.next_logits = g.next_logits.clone();  // the engine's buffer dies with it
  }
  stats.generate_seconds += seconds_since(t0);
}

void save_gen_state(const std::string& path, const GenState& g, const nlohmann::json& info) {
  std::vector<torch::Tensor> tensors = g.state.tensors;
  tensors.push_back(g.next_logits);
  nlohmann::json meta = info;
  meta["tokens_seen"] = g.tokens_seen;
  meta["n_state_tensors"] = g.state.tensors.size();
  save_state_file(path, "lm", meta, tensors);
}

GenState load_gen_state(const std::string& path, LanguageModelImpl& model, nlohmann::json* info) {
  auto [meta, tensors] = load_state_file(path, "lm", "generate --state-out");
  require(meta.value("family", std::string()) == model.family() &&
              meta.value("spiking", !model.spiking()) == model.spiking() &&
              meta.value("vocab", int64_t(-1)) == model.vocab_size(),
          path,
          "was written by a " + meta.value("family", std::string("?")) + " with vocabulary " +
              std::to_string(meta.value("vocab", int64_t(-1))) +
              ", not by this checkpoint's model");
  require(
      !tensors.empty() && int64_t(tensors.size()) == meta.value("n_state_tensors", int64_t(-1)) + 1,
      path, "holds " + std::to_string(tensors.size()) + " tensors, not the state it describes");
  const auto fresh = model.initial_state(1).tensors;
  bool same = fresh.size() + 1 == tensors.size() && tensors.back().dim() == 2 &&
              tensors.back().size(1) == model.vocab_size();
  for (size_t i = 0; same && i < fresh.size(); ++i)
    same = fresh[i].sizes() == tensors[i].sizes() &&
           fresh[i].scalar_type() == tensors[i].scalar_type();
  require(same, path, "holds a state of other shapes than this checkpoint's model (another size?)");
  GenState g;
  g.next_logits = tensors.back();
  tensors.pop_back();
  g.state.tensors = std::move(tensors);
  g.tokens_seen = meta.value("tokens_seen", int64_t(0));
  if (info) *info = meta;
  return g;
}

double peak_rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

}  // namespace spikessm
