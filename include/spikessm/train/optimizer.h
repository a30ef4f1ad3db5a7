#pragma once
// AdamW with up to three parameter groups: everything else (lr, weight decay); the S4D
// parameters (lr = min(lr, ssm_lr), weight decay 0), as SpikingSSM trains them; and, when
// neuron_lr_mult != 1, the neuron parameters (lr x mult, weight decay 0), as NeuronSpark.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "spikessm/train/train_options.h"

namespace spikessm {

// Neuron dynamics by parameter name: PLIF decay logit `w` and threshold `v_th`, the selective
// neurons' biases `b_beta`, `b_alpha`, `b_th`.
bool is_neuron_parameter(const std::string& name);

// base_lrs receives each group's peak learning rate, for the schedule.
std::unique_ptr<torch::optim::AdamW> make_optimizer(torch::nn::Module& model,
                                                    const OptimizerOptions& o,
                                                    std::vector<double>& base_lrs);
void set_learning_rates(torch::optim::AdamW& opt, const std::vector<double>& base_lrs,
                        double factor);

}  // namespace spikessm
