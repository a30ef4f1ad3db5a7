#pragma once
// The one-token path of a language model, built once per loaded model: everything no token
// changes is computed up front (discretised S4D modes, 1 / v_th, transposed mixing weights,
// LayerNorm constants, the head's E^T), each block's step is one fused kernel over its state
// (kernels/cpu/ssm_block_step_cpu.h), and a token allocates nothing. It gives the numbers of
// the model's step() (and so of its parallel forward): spikes identical, logits to rounding.
//
// Covered: spiking_ssm_lm and neuronspark_lm (models/neuronspark_step.cpp: the K frames of
// a token through each layer's neurons, one matvec per projection and frame), spiking and
// their non-spiking twins, in float32 or float64. A model collecting statistics gets no
// engine: use model.step().
#include <torch/torch.h>

#include <memory>

#include "spikessm/models/language_model.h"

namespace spikessm {

class LmStepEngine {
 public:
  // Null when the model is not covered. The model must stay alive and unchanged (weights
  // read at build time) while the engine is used; it is put in eval mode.
  static std::unique_ptr<LmStepEngine> build(LanguageModelImpl& model);
  virtual ~LmStepEngine() = default;

  // The engine carries its own copy of the state in its own layout: load it from a
  // model-format state (B sequences), step, and store it back before model.step() or a save.
  virtual void load_state(const LmState& state) = 0;
  virtual void store_state(LmState* state) const = 0;
  // ids: (B,) int64 -> logits (B, V) in the model's dtype: a view of the engine's buffer,
  // overwritten by the next step (clone to keep it).
  torch::Tensor step(const torch::Tensor& ids);
  // The same for one sequence (B = 1), without a tensor for the id.
  torch::Tensor step(int64_t id);

 protected:
  // Sequence b of the loaded state reads token id (in [0, vocab_)) into logits_[b].
  virtual void row(int64_t b, int64_t id) = 0;
  int64_t vocab_ = 0, batch_ = 0;  // batch_: set by load_state
  torch::Tensor logits_;           // (batch_, vocab_)

 private:
  void step_row(int64_t b, int64_t id);  // checks id, then row()
};

}  // namespace spikessm
