#include "target_scores.h"

namespace spikessm {

double TargetScore::loss_sum() const {
  return loss.item<double>() * double(values > 0 ? values : units);
}

TargetScore score_targets(const torch::Tensor& logits, const torch::Tensor& y) {
  TargetScore s;
  const bool regression = y.is_floating_point(), per_step = per_step_targets(y);
  const auto target = per_step ? y.narrow(1, 0, logits.size(1)) : y;
  if (!regression && !per_step) {  // (B, K) against (B,)
    s.loss = torch::cross_entropy_loss(logits, target);
    s.units = target.size(0);
    s.correct = logits.argmax(1).eq(target).sum().item<int64_t>();
    return s;
  }
  if (!regression) {  // (B L', K) against (B L'), -1 not scored
    const auto lg = logits.reshape({-1, logits.size(-1)});
    const auto t = target.reshape({-1});
    const auto valid = t.ne(-1);
    s.units = valid.sum().item<int64_t>();
    s.loss = torch::cross_entropy_loss(lg, t, {}, at::Reduction::Mean, /*ignore_index=*/-1);
    s.correct = lg.argmax(1).eq(t).logical_and(valid).sum().item<int64_t>();
    return s;
  }
  if (!per_step) {  // (B, K) against (B, K)
    s.loss = torch::mse_loss(logits, target);
    s.units = target.size(0);
    s.values = target.numel();
    s.abs_sum = (logits - target).abs().sum().item<double>();
    return s;
  }
  const auto valid = target.isnan().logical_not();  // (B, L', K)
  const auto diff =
      torch::where(valid, logits - target.nan_to_num(0.0), torch::zeros({}, logits.options()));
  s.values = valid.sum().item<int64_t>();
  s.units = valid.any(-1).sum().item<int64_t>();
  s.loss = diff.square().sum() / double(std::max<int64_t>(s.values, 1));
  s.abs_sum = diff.abs().sum().item<double>();
  return s;
}

double target_sum_of_squares(const torch::Tensor& y) {
  auto v = y.to(torch::kFloat64).reshape({-1, y.size(-1)});  // (M, K)
  v = v.index_select(0, v.isnan().any(1).logical_not().nonzero().view(-1));
  if (v.size(0) == 0) return 0;
  return (v - v.mean(0, true)).square().sum().item<double>();
}

}  // namespace spikessm
