#pragma once
// Streaming inference of a causal SequenceClassifier: the input arrives a step (or a chunk of
// steps) at a time, memory stays constant, and after every chunk the running logits are those
// the parallel forward() would give for everything read so far (the mean over time of the
// last block's output, decoded). Each block runs the whole chunk before the next block (all
// blocks are causal), through the same kernels as forward() with their states carried:
// diag_ssm_stream (S4D mode states) and lif_stream (membranes). Short chunks (B x T <= 64
// steps, e.g. one sample at a time) of SpikingSSM models take the step engine instead
// (classifier_step.h: each block one fused kernel over its state, nothing recomputed or
// allocated per step), which computes the same recurrences in another rounding order. Outputs
// therefore equal forward() on the concatenated input: spikes identical, logits to rounding.
//
// A per-step model (options.per_step) decodes every step's output instead: step_logits()
// gives the online prediction of each step, equal to forward()'s at that step.
//
// Causal configurations only: unidirectional S4D, LIF (not SDN) somas, a linear encoder, no
// retrieval head, and no GSU behind a non-binary activation (its ternary threshold is the
// maximum over the whole sequence). Anything else is refused with one InputError naming the
// config key.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "spikessm/models/sequence_classifier.h"

namespace spikessm {

class ClassifierStepEngine;

// Everything a stream carries between chunks, for B parallel streams.
struct ClassifierState {
  // Per block: the S4D mode states (B, H, N/2, 2) in the model's dtype, then the LIF
  // membranes (B, H) when the block's soma is a LIF.
  std::vector<torch::Tensor> blocks;
  torch::Tensor pooled_sum;  // (B, H) float64: sum over time of the last block's output
  int64_t steps = 0;         // time steps read since the state was fresh
};

// The key that makes a classifier non-causal ("" when it streams), and why.
struct StreamRefusal {
  std::string key, reason;
};
StreamRefusal stream_refusal(const SequenceClassifierImpl& model);

class ClassifierStream {
 public:
  // Puts the model in eval mode and computes what no input changes (discretised S4D modes,
  // thresholds, transposed mixing weights) once. InputError naming the key for a non-causal
  // model. The model must stay alive and unchanged while the stream is used.
  explicit ClassifierStream(SequenceClassifier model);

  // A fresh state for B streams (nothing read yet).
  ClassifierState initial_state(int64_t batch) const;
  // Zeroes s in place (no allocation): the stream starts over.
  void reset(ClassifierState& s) const;

  // x: (B, T, d_input) in the model's dtype, T >= 1 -> running logits (B, n_classes) after
  // the T steps (a per-step model: its last step's logits); advances s.
  torch::Tensor forward_with_state(const torch::Tensor& x, ClassifierState& s);
  // Per-step models: x (B, T, d_input) -> the logits of every step (B, T, n_classes);
  // advances s.
  torch::Tensor step_logits(const torch::Tensor& x, ClassifierState& s);
  bool per_step() const { return model_->options.per_step(); }
  // x: (B, d_input), one step -> running logits (B, n_classes); advances s.
  torch::Tensor step(const torch::Tensor& x, ClassifierState& s);
  // The running logits of s without reading anything: (B, n_classes). s.steps must be > 0.
  torch::Tensor logits(const ClassifierState& s);

  // Checks that s fits this model (count, shapes, dtypes); InputError naming `where`.
  void check_state(const ClassifierState& s, const std::string& where) const;

  const SequenceClassifierImpl& model() const { return *model_; }
  // Whether short chunks take the step engine (on by default when the model has one); off
  // gives the chunk path everywhere, for comparisons.
  bool has_step_engine() const { return engine_ != nullptr; }
  void set_step_engine(bool on);

 private:
  struct BlockConsts {
    torch::Tensor w, z, d;  // S4D: (1, H, M, 2), (H, M, 2), (H)
    torch::Tensor inv_vth;  // (H) 1 / v_th (SpikingSSM)
    torch::Tensor mix_wt;   // (H, 2H) W^T of the GLU mixer (SpikingSSM)
  };
  // One block over a chunk. x: (B, T, H) -> (B, T, H)
  torch::Tensor spiking_block(size_t i, const torch::Tensor& x, ClassifierState& s);
  torch::Tensor binary_block(size_t i, const torch::Tensor& x, ClassifierState& s);
  // Encoder and blocks over a chunk, s advanced. x: (B, T, d_input) -> (B, T, H)
  torch::Tensor run_blocks(const torch::Tensor& x, ClassifierState& s);

  SequenceClassifier model_;
  std::vector<SpikingSSMBlock> spiking_;  // the model's blocks of either kind
  std::vector<BinaryS4DBlock> binary_;
  std::vector<BlockConsts> consts_;
  bool lif_ = false;  // SpikingSSM blocks with a LIF soma: a membrane per block in the state
  std::shared_ptr<ClassifierStepEngine> engine_;  // null: every chunk takes the chunk path
  bool engine_on_ = true;
};

}  // namespace spikessm
