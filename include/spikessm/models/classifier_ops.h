#pragma once
// Per-layer operation counts of a SequenceClassifier from the rates its blocks reported to
// its recorder during an evaluation pass with set_collect_stats(true).
#include "spikessm/metrics/energy.h"
#include "spikessm/models/sequence_classifier.h"

namespace spikessm {

// L: sequence length the statistics were gathered at.
OpsReport classifier_ops(SequenceClassifierImpl& model, int64_t L);

}  // namespace spikessm
