#include "spikessm/train/optimizer.h"

#include <algorithm>

#include "spikessm/ssm/s4d.h"

namespace spikessm {

namespace {

bool ends_with_part(const std::string& name, const char* part) {
  const std::string suffix = std::string(".") + part;
  return name == part || (name.size() > suffix.size() &&
                          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0);
}

}  // namespace

bool is_neuron_parameter(const std::string& name) {
  for (const char* p : {"w", "v_th", "b_beta", "b_alpha", "b_th"})
    if (ends_with_part(name, p)) return true;
  return false;
}

std::unique_ptr<torch::optim::AdamW> make_optimizer(torch::nn::Module& model,
                                                    const OptimizerOptions& o,
                                                    std::vector<double>& base_lrs) {
  const double lr = o.lr, wd = o.weight_decay, ssm_lr = std::min(lr, o.ssm_lr);
  const double neuron_mult = o.neuron_lr_mult;
  std::vector<torch::Tensor> regular, ssm, neuron;
  for (const auto& p : model.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    if (S4DImpl::is_ssm_parameter(p.key()))
      ssm.push_back(p.value());
    else if (neuron_mult != 1.0 && is_neuron_parameter(p.key()))
      neuron.push_back(p.value());
    else
      regular.push_back(p.value());
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
  if (!neuron.empty()) {
    // Neuron dynamics (decays, thresholds): NeuronSpark's 10x learning rate, no weight decay
    // (it would pull thresholds and decay logits toward 0).
    groups.emplace_back(neuron,
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(lr * neuron_mult).weight_decay(0.0)));
    base_lrs.push_back(lr * neuron_mult);
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
