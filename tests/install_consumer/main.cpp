// A user's program on the installed library: one neuron with a hand-computed spike train, and
// a small SpikingSSM classifier built from a config, run forward once. Exit 0 when every
// result is as expected, 1 (with the reason) otherwise.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "spikessm/common/version.h"
#include "spikessm/models/build.h"
#include "spikessm/neurons/lif.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAILED: %s\n", what.c_str());
    ++failures;
  }
}

}  // namespace

int main() {
  std::printf("%s\n", spikessm::version_line().c_str());
  check(std::string(spikessm::version()) == EXPECTED_VERSION,
        std::string("library version ") + spikessm::version() + " != package version " +
            EXPECTED_VERSION);

  // LIF, tau 0.125, threshold 1, hard reset, constant input 0.9:
  // u = 0.9, then 0.125 * 0.9 + 0.9 = 1.0125 >= 1 spikes and resets to 0; so every 2nd step.
  spikessm::LifOptions lif;
  const auto s = spikessm::lif_multistep(torch::full({1, 6, 1}, 0.9f), lif);  // (1, 6, 1)
  const auto want = torch::tensor({0.f, 1.f, 0.f, 1.f, 0.f, 1.f}).view({1, 6, 1});
  check(torch::equal(s, want), "LIF spike train is not 0 1 0 1 0 1");

  // A two-layer SpikingSSM classifier over 1-feature sequences of 32 steps, 10 classes.
  spikessm::Config cfg;
  cfg.set("model.d_model=16");
  cfg.set("model.d_state=8");
  cfg.set("model.n_layers=2");
  torch::manual_seed(0);
  spikessm::ModelInput input;  // signal, d_input 1, 10 classes
  auto model = spikessm::build_model(cfg, input);
  model->eval();
  model->set_collect_stats(true);
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(torch::randn({3, 32, 1}));  // (3, 10)
  check(logits.sizes() == torch::IntArrayRef({3, 10}), "logits are not (3, 10)");
  check(torch::isfinite(logits).all().item<bool>(), "logits are not finite");
  const auto report = model->ops_report(32);
  check(report.mean_rate > 0 && report.mean_rate < 1,
        "mean spiking rate " + std::to_string(report.mean_rate) + " is not in (0, 1)");
  std::printf("logits (3, 10), mean spiking rate %.4f\n", report.mean_rate);

  if (failures == 0) std::printf("consumer: ok\n");
  return failures == 0 ? 0 : 1;
}
