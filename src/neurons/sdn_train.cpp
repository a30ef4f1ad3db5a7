#include <cmath>

#include <ATen/CPUGeneratorImpl.h>

#include "spikessm/neurons/sdn_train.h"
#include "spikessm/common/progress.h"

namespace spikessm {

SdnMetrics evaluate_sdn(const SdnWeights& w, const SdnDataset& d) {
  auto m = sdn_predict(w, d.input.unsqueeze(2)).squeeze(2);  // (N, L)
  auto pred = (m + d.input) >= 1.f;
  SdnMetrics r;
  r.agreement = pred.eq(d.spike.to(torch::kBool)).to(torch::kFloat64).mean().item<double>();
  r.mae = (m - d.mem).abs().to(torch::kFloat64).mean().item<double>();
  return r;
}

SdnNet train_sdn(const SdnDataset& train, const SdnDataset& test, const SdnTrainOptions& o,
                 const SdnEpochHook& hook, bool show_progress) {
  torch::manual_seed(o.seed);
  SdnNet net;
  torch::optim::AdamW opt(net->parameters(),
                          torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  const int64_t n = train.input.size(0);
  const int64_t per_epoch = n / o.batch;  // the last incomplete batch is dropped
  const int64_t total = o.epochs * per_epoch;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed + 0x5D7);
  Progress bar("sdn", total);
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    net->train();
    auto order = torch::randperm(n, gen);
    double loss_sum = 0;
    for (int64_t i = 0; i < per_epoch; ++i, ++step) {
      // Cosine decay to 0 over the whole run, stepped per step (the official code steps
      // CosineAnnealingLR per epoch; per step is the same curve without the staircase).
      const double lr = 0.5 * o.lr * (1 + std::cos(M_PI * double(step) / double(total)));
      for (auto& g : opt.param_groups())
        static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
      auto idx = order.narrow(0, i * o.batch, o.batch);
      auto x = train.input.index_select(0, idx);
      auto target = train.mem.index_select(0, idx);
      auto pred = net(x);
      auto loss = o.smooth_l1 ? torch::smooth_l1_loss(pred, target) : torch::mse_loss(pred, target);
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      if (show_progress)
        bar.update(step + 1, (step + 1) * o.batch, "loss " + std::to_string(loss.item<double>()));
    }
    net->eval();
    const auto metrics = evaluate_sdn(net->fold(train.tau), test);
    if (hook) hook(epoch + 1, loss_sum / double(std::max<int64_t>(per_epoch, 1)), metrics);
  }
  if (show_progress) bar.finish();
  net->eval();
  return net;
}

}  // namespace spikessm
