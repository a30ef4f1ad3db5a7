#pragma once
// The interface every causal language model implements (spiking_ssm_lm, neuronspark_lm and
// their non-spiking twins), so that one trainer, one evaluator and one generator serve all.
//  - parallel mode (training, evaluation, prompt):  ids (B, L) int64 -> logits (B, L, V)
//  - recurrent mode (generation): one token a step, constant memory per token; the state
//    holds everything the model carries across tokens (S4D states, membranes, frame state).
// Invariant (tested per model): step() over a text gives the logits forward() gives for it,
// and forward_with_state() on a prefix followed by step() equals forward() on the whole.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "spikessm/metrics/energy.h"
#include "spikessm/metrics/recorder.h"

namespace spikessm {

// A model's recurrent state: an ordered list of tensors (the model decides what they are),
// so it can be saved to and loaded from a file without knowing the model.
struct LmState {
  std::vector<torch::Tensor> tensors;
};

class LanguageModelImpl : public torch::nn::Module {
 public:
  ~LanguageModelImpl() override = default;

  // ids: (B, L) int64 -> logits: (B, L, V); position t sees ids[:, :t+1] only.
  virtual torch::Tensor forward(const torch::Tensor& ids) = 0;
  // As forward(), and *state is set to the state after the last position (prompt ingestion).
  virtual torch::Tensor forward_with_state(const torch::Tensor& ids, LmState* state) = 0;
  // A fresh state for a batch of B sequences (nothing seen yet).
  virtual LmState initial_state(int64_t batch) = 0;
  // ids: (B,) int64, the next token of each sequence -> logits (B, V); advances *state.
  virtual torch::Tensor step(const torch::Tensor& ids, LmState* state) = 0;

  virtual int64_t vocab_size() const = 0;
  virtual std::string family() const = 0;  // "spiking_ssm_lm" | "neuronspark_lm"
  virtual bool spiking() const = 0;        // false for the non-spiking same-size twin

  // Spike statistics: while on, forward() accumulates firing counts per spiking layer;
  // turning it on zeroes them. ops_report(tokens) turns them into per-token operation counts
  // and energy (papers.md section 5) for the tokens seen since.
  virtual void set_collect_stats(bool on) = 0;
  // The recorder every layer reports its spikes to (metrics/recorder.h).
  virtual StatsRecorder& stats() = 0;
  virtual OpsReport ops_report() const = 0;

  // Extra training loss from the last forward()/forward_with_state() (NeuronSpark: the
  // PonderNet cost, already weighted), to be added to the cross-entropy; 0 by default.
  virtual torch::Tensor aux_loss() { return torch::zeros({}); }
  // Gradient adjustments a trainer calls after backward(), before clipping and the optimizer
  // step (NeuronSpark: natural-gradient compensation of the modulation biases); none by default.
  virtual void adjust_gradients() {}
};

using LanguageModel = std::shared_ptr<LanguageModelImpl>;

}  // namespace spikessm
