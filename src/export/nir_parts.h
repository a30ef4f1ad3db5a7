#pragma once
// Building blocks shared by the two classifier -> NIR mappings (nir_model.cpp: the default
// block with annotated parts; nir_standard.cpp: the model.nir_block block).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "spikessm/export/nir.h"
#include "spikessm/export/nir_model.h"

namespace spikessm {

// spikessm.format of the model.nir_block graphs (nir_standard.cpp).
constexpr const char* kStandardNirFormat = "spikessm-nir-standard-1";
// The model.nir_block mapping; classifier_to_nir has checked what both mappings need.
NirGraph classifier_to_standard_nir(SequenceClassifierImpl& model, const NirExportOptions& opt);

namespace nir_parts {

NirValue from_tensor(const torch::Tensor& t);  // any shape, stored as float
NirValue shape_value(std::vector<int64_t> shape);
void add_io(NirGraph& g, int64_t in, int64_t out);
NirNode affine(const torch::Tensor& w, const torch::Tensor& b);  // w: (out, in), b: (out)

// input -> [normalise] -> encoder; returns the name of the encoder node.
std::string add_input_and_encoder(NirGraph& g, SequenceClassifierImpl& model,
                                  const NirExportOptions& opt);
// Graph metadata both mappings write (format, config, dt, L, input note).
void add_graph_metadata(NirGraph& g, const NirExportOptions& opt);

}  // namespace nir_parts
}  // namespace spikessm
