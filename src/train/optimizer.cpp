#include "spikessm/train/optimizer.h"

#include <algorithm>

#include "spikessm/ssm/s4d.h"

namespace spikessm {

std::unique_ptr<torch::optim::AdamW> make_optimizer(torch::nn::Module& model, const Config& cfg,
                                                    std::vector<double>& base_lrs) {
  const double lr = cfg.get_float("train.lr"), wd = cfg.get_float("train.weight_decay");
  const double ssm_lr = std::min(lr, cfg.get_float("train.ssm_lr"));
  std::vector<torch::Tensor> regular, ssm;
  for (const auto& p : model.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    (S4DImpl::is_ssm_parameter(p.key()) ? ssm : regular).push_back(p.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(regular, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(lr).weight_decay(wd)));
  base_lrs = {lr};
  if (!ssm.empty()) {
    // The SSM's own parameters: a capped learning rate and no weight decay (papers.md 1.6).
    groups.emplace_back(ssm, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(ssm_lr).weight_decay(0.0)));
    base_lrs.push_back(ssm_lr);
  }
  return std::make_unique<torch::optim::AdamW>(std::move(groups),
                                               torch::optim::AdamWOptions(lr).weight_decay(wd));
}

void set_learning_rates(torch::optim::AdamW& opt, const std::vector<double>& base_lrs,
                        double factor) {
  auto& groups = opt.param_groups();
  for (size_t i = 0; i < groups.size(); ++i)
    static_cast<torch::optim::AdamWOptions&>(groups[i].options()).lr(base_lrs[i] * factor);
}

}  // namespace spikessm
