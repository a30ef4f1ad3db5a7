#pragma once
// A model's weights as a flat safetensors file (common/safetensors_format.h): one tensor per
// parameter and buffer, named as in checkpoints and in Python's state_dict() (module path,
// dot, tensor name: "blocks.0.s4d.log_dt", "blocks.0.norm.running_mean"). Metadata carries
// what rebuilds the model (docs/python.md lists the keys).
#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace spikessm {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Every defined parameter and buffer of `model`, recursively, in registration order.
NamedTensors flat_state_dict(torch::nn::Module& model);

// The file image of `tensors` (F64, F32, I64, ... of their dtype) with string metadata.
std::string safetensors_bytes(const NamedTensors& tensors,
                              const std::map<std::string, std::string>& metadata);

// The tensors of a file image (copied out of it) and its metadata; InputError naming `where`.
NamedTensors read_safetensors(const std::string& bytes, const std::string& where,
                              std::map<std::string, std::string>* metadata = nullptr);

// Copies every tensor into the parameter or buffer of the same name (converting the dtype);
// InputError when a name is missing from either side or a shape differs, before any copy.
void load_flat_state_dict(torch::nn::Module& model, const NamedTensors& tensors,
                          const std::string& where);

}  // namespace spikessm
