// The model.nir_block export: standard NIR nodes only, and the graph, stepped the way NIR
// consumers step it (forward Euler at dt, a node's incoming edges summed), is the model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <set>

#include "spikessm/common/error.h"
#include "spikessm/export/nir_model.h"
#include "spikessm/models/build.h"

using namespace spikessm;

namespace {

Config nir_block_config(const std::string& norm, bool prenorm) {
  Config cfg;
  cfg.set("model.nir_block=true");
  cfg.set("model.d_model=6");
  cfg.set("model.d_state=2");
  cfg.set("model.n_layers=2");
  cfg.set("model.norm=" + norm);
  cfg.set(std::string("model.prenorm=") + (prenorm ? "true" : "false"));
  return cfg;
}

void perturb(torch::nn::Module& m) {
  torch::NoGradGuard g;
  for (auto& p : m.parameters()) p.add_(torch::randn_like(p) * 0.05);
  for (auto& b : m.named_buffers()) {
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.3);
  }
}

torch::Tensor param(const NirNode& n, const std::string& key) {
  const auto& v = n.params.at(key);
  return torch::tensor(v.data, torch::kDouble).view(v.shape);
}

// A NIR simulator written from the NIR definitions alone: each step, every node reads the sum
// of its sources; CubaLIF integrates tau_syn I' = -I + w_in S, tau_mem v' = v_leak - v + r I
// by forward Euler at dt and resets v to v_reset when v >= v_threshold.
// x: (B, L, d) -> per-step outputs (B, L, C); spikes[node]: (B, L, H).
torch::Tensor run_graph(const NirGraph& g, const torch::Tensor& x, double dt,
                        std::map<std::string, torch::Tensor>& spikes) {
  std::map<std::string, std::vector<std::string>> sources;
  for (const auto& [a, b] : g.edges) sources[b].push_back(a);
  std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> state;  // CubaLIF (I, v)
  std::map<std::string, std::vector<torch::Tensor>> trains;
  std::vector<torch::Tensor> outs;
  for (int64_t t = 0; t < x.size(1); ++t) {
    std::map<std::string, torch::Tensor> value;
    std::function<torch::Tensor(const std::string&)> eval = [&](const std::string& name) {
      auto it = value.find(name);
      if (it != value.end()) return it->second;
      const NirNode& n = g.nodes.at(name);
      torch::Tensor in;
      if (n.type == "Input") {
        in = x.select(1, t);
      } else {
        for (const auto& s : sources.at(name)) in = in.defined() ? in + eval(s) : eval(s);
      }
      torch::Tensor out;
      if (n.type == "Input" || n.type == "Output") {
        out = in;
      } else if (n.type == "Affine") {
        out = torch::mm(in, param(n, "weight").t()) + param(n, "bias");
      } else if (n.type == "CubaLIF") {
        auto& [I, v] = state[name];
        if (!I.defined()) I = v = torch::zeros_like(in);
        I = I + dt / param(n, "tau_syn") * (-I + param(n, "w_in") * in);
        v = v + dt / param(n, "tau_mem") * (param(n, "v_leak") - v + param(n, "r") * I);
        out = (v >= param(n, "v_threshold")).to(torch::kDouble);
        v = torch::where(out > 0, param(n, "v_reset").expand_as(v), v);
        trains[name].push_back(out);
      } else {
        ADD_FAILURE() << name << ": unexpected node type " << n.type;
        out = in;
      }
      value[name] = out;
      return out;
    };
    outs.push_back(eval("output"));
  }
  for (auto& [name, s] : trains) spikes[name] = torch::stack(s, 1);
  return torch::stack(outs, 1);
}

}  // namespace

class NirStandard : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(NirStandard, EulerRunOfTheGraphIsTheModel) {
  auto [norm, prenorm] = GetParam();
  torch::manual_seed(21);
  auto cfg = nir_block_config(norm, prenorm);
  auto model = build_classifier(cfg, 1, 10);
  perturb(*model);
  {
    // Steps of 0.5 and larger output weights than the initialisation's, so that both layers
    // spike on random inputs (with dt_h ~ 1e-2 the untrained gain leaves them silent).
    torch::NoGradGuard g;
    for (auto& blk : model->layers()) {
      blk->s4d->log_dt.fill_(std::log(0.5));
      blk->s4d->c.mul_(4);
    }
  }
  model->eval();
  model->to(torch::kDouble);
  NirExportOptions o;
  o.dt = 1e-4;
  o.seq_len = 40;
  o.config_toml = cfg.to_toml();
  o.input_scale = {0.5};  // the graph reads raw = (x - shift) / scale
  o.input_shift = {-0.25};
  auto g = classifier_to_nir(*model, o);
  ASSERT_TRUE(is_nir_standard(*model));
  const std::set<std::string> standard = {"Input", "Output", "Affine", "CubaLIF"};
  for (const auto& [name, n] : g.nodes)
    EXPECT_TRUE(standard.count(n.type)) << name << ": " << n.type;

  auto x = torch::randn({3, 40, 1}, torch::kDouble) * 2;
  std::map<std::string, torch::Tensor> spikes;
  auto per_step = run_graph(g, (x + 0.25) / 0.5, o.dt, spikes);  // (B, L, C)
  torch::NoGradGuard ng;
  auto want = model->forward(x);
  auto got = per_step.mean(1);
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-9 * (1 + want.abs().max().item<double>()));
  ASSERT_EQ(spikes.size(), 2u);
  for (const auto& [name, s] : spikes) {  // both layers spike, neither saturates
    const double rate = s.mean().item<double>();
    EXPECT_GT(rate, 0.01) << name;
    EXPECT_LT(rate, 0.99) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Norms, NirStandard,
                         ::testing::Values(std::make_tuple(std::string("batch"), true),
                                           std::make_tuple(std::string("batch"), false),
                                           std::make_tuple(std::string("none"), true)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "norm_" +
                                  (std::get<1>(info.param) ? "prenorm" : "postnorm");
                         });

// What the NIR-standard block cannot have is refused when the model is built, naming the key.
TEST(NirStandard, BlockConfigurationIsChecked) {
  auto expect_refusal = [](const std::string& set, const std::string& key) {
    auto cfg = nir_block_config("batch", true);
    cfg.set(set);
    try {
      build_classifier(cfg, 1, 10);
      ADD_FAILURE() << set << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_refusal("model.norm=layer", "model.norm");
  expect_refusal("model.d_state=4", "model.d_state");
  expect_refusal("model.bidirectional=true", "model.bidirectional");
  expect_refusal("model.reset=soft", "model.reset");
  expect_refusal("model.trainable_b=true", "model.trainable_b");
}

// The real mode stays real and there is no D skip: neither is a trained parameter.
TEST(NirStandard, ModeIsRealWithoutSkip) {
  auto model = build_classifier(nir_block_config("batch", true), 1, 10);
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  for (const auto& p : model->named_parameters()) {
    EXPECT_FALSE(ends_with(p.key(), "s4d.a_imag")) << p.key();
    EXPECT_FALSE(ends_with(p.key(), "s4d.d")) << p.key();
  }
  for (auto& blk : model->layers()) {
    EXPECT_TRUE(blk->s4d->a_imag.eq(0).all().item<bool>());
    EXPECT_TRUE(blk->s4d->d.eq(0).all().item<bool>());
    EXPECT_EQ(blk->mix->weight.size(0), blk->mix->weight.size(1));
  }
}

TEST(NirStandard, WhatNirCannotExpressIsRefused) {
  Config cfg;
  cfg.set("model.d_model=4");
  cfg.set("model.d_state=2");
  cfg.set("model.n_layers=1");
  cfg.set("model.neuron=sdn_scratch");
  auto model = build_classifier(cfg, 1, 10);
  NirExportOptions o;
  o.seq_len = 10;
  try {
    classifier_to_nir(*model, o);
    ADD_FAILURE() << "the SDN neuron was exported";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model.neuron"), std::string::npos) << e.what();
  }
}
