#pragma once
// Models built from a Config (the registry by name grows with the other model families).
#include "spikessm/io/config.h"
#include "spikessm/models/sequence_classifier.h"

namespace spikessm {

LifOptions lif_options_from(const Config& cfg);
NeuronKind neuron_from_string(const std::string& name);  // bptt|sltt -> Lif, sdn, sdn_scratch
SpikingSSMBlockOptions block_options_from(const Config& cfg);
SequenceClassifier build_classifier(const Config& cfg, int64_t d_input, int64_t n_classes);

}  // namespace spikessm
