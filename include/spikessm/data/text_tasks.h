#pragma once
// Readers of the LRA text tasks in their official formats, byte level:
// ids 0 <pad>, 1 <unk>, 2 <eos>, byte b -> b + 3 (vocabulary 259); sequences are truncated
// to l_max and padded with 0 at the end.
//  - Text (IMDB): the aclImdb folders, DIR/{train,test}/{pos,neg}/*.txt; pos = 1, neg = 0.
//  - Retrieval (AAN): DIR/new_aan_pairs.{train,eval,test}.tsv, rows
//    "label<TAB>id1<TAB>id2<TAB>text1<TAB>text2" with label 0/1 (also "0.0"/"1.0").
#include <torch/torch.h>

#include <string>

namespace spikessm {

constexpr int64_t kByteVocab = 259;

// bytes -> ids (no <eos>), at most l_max.
std::vector<int64_t> byte_tokens(const std::string& text, int64_t l_max);

// x: (N, l_max) int64, y: (N,) int64 for one split ("train" or "test"), files in name order,
// neg before pos.
void read_imdb_split(const std::string& dir, const std::string& split, int64_t l_max,
                     torch::Tensor& x, torch::Tensor& y);

// x: (N, 2, l_max) int64, y: (N,) for one AAN TSV file.
void read_aan_tsv(const std::string& path, int64_t l_max, torch::Tensor& x, torch::Tensor& y);

}  // namespace spikessm
