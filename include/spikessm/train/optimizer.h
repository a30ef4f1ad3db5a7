#pragma once
// AdamW with two parameter groups: everything else (lr, weight decay) and the S4D
// parameters (lr = min(lr, ssm_lr), weight decay 0), as SpikingSSM trains them.
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "spikessm/io/config.h"

namespace spikessm {

// base_lrs receives each group's peak learning rate, for the schedule.
std::unique_ptr<torch::optim::AdamW> make_optimizer(torch::nn::Module& model, const Config& cfg,
                                                    std::vector<double>& base_lrs);
void set_learning_rates(torch::optim::AdamW& opt, const std::vector<double>& base_lrs,
                        double factor);

}  // namespace spikessm
