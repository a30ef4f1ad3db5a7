#pragma once
// What spikessm computes for test inputs, written as .npy files beside a NIR export, so that
// the run of the exported graph in a NIR consumer (snnTorch, Norse, ...) can be compared with
// it, layer by layer (tests/python/nir_consumer_compare.py):
//   inputs.npy          (N, L, d) float32  what the graph's input node reads (raw values when
//                                          the graph has a normalise node)
//   labels.npy          (N) int64          the test labels
//   logits.npy          (N, C) float32     the model's class scores (mean over time, decoded)
//   spikes_block<i>.npy (N, L, H) uint8    the LIF spikes of block i
#include <torch/torch.h>

#include <string>

#include "spikessm/export/nir_model.h"
#include "spikessm/models/sequence_classifier.h"

namespace spikessm {

// x: (N, L, d) float32 inputs as the data pipeline makes them, y: (N) labels. Runs in batches
// of `batch`; checks that its per-layer run gives the model's own logits (std::runtime_error
// otherwise). InputError when dir cannot be written.
void write_nir_reference(SequenceClassifierImpl& model, const torch::Tensor& x,
                         const torch::Tensor& y, const NirExportOptions& options,
                         const std::string& dir, int64_t batch = 100);

}  // namespace spikessm
