#pragma once
// Models built from a Config (the registry by name grows with the other model families).
#include "spikessm/common/config.h"
#include "spikessm/models/classifier.h"
#include "spikessm/models/model_input.h"
#include "spikessm/models/sequence_classifier.h"

namespace spikessm {

LifOptions lif_options_from(const Config& cfg);
NeuronKind neuron_from_string(const std::string& name);  // bptt|sltt -> Lif, sdn, sdn_scratch
SpikingSSMBlockOptions block_options_from(const Config& cfg);
SequenceClassifier build_classifier(const Config& cfg, int64_t d_input, int64_t n_classes);

BinaryS4DBlockOptions binary_block_options_from(const Config& cfg);
// The classifier for a task's inputs: encoder (model.encoder: auto | linear | embedding) and head
// (retrieval for pair tasks) follow the task's inputs; model.block picks spiking_ssm or
// binary_s4d (with model.mixer glu | gsu).
SequenceClassifier build_classifier(const Config& cfg, const ModelInput& input);

// Any classifier for a task, by model.family: classifier (build_classifier above) or
// spikformer (image tasks, model.attention ssa | lrf_ssa | lrf_dyn).
Classifier build_model(const Config& cfg, const ModelInput& input);

}  // namespace spikessm
