#pragma once
// Helpers shared by the autograd Functions of the stateful neurons (PLIF, selective PLIF).
#include <torch/torch.h>

namespace spikessm::detail {

template <typename T>
T* ptr_or_null(const torch::Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// Function::apply cannot take an undefined tensor: "no v0" travels as a (0) tensor.
inline torch::Tensor v0_or_none(const torch::Tensor& v0) {
  return v0.dim() == 2 ? v0 : torch::Tensor();
}

}  // namespace spikessm::detail
