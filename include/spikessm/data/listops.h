#pragma once
// ListOps (LRA), following lra_benchmarks/data/listops.py exactly (spec/lra.md), seeded:
// operators MIN, MAX, MED, SM; leaf probability 0.75 below max depth; 2..max_args children;
// trees kept when min_length < length < max_length (501..1999 tokens), unique, in
// generation order (the original takes Python's set order: also unrelated to the labels);
// the first 96,000 train, then 2,000 val, then 2,000 test.
// Files: TSV with header "Source\tTarget": basic_train.tsv, basic_val.tsv, basic_test.tsv.
// Tokens (the S4 loader): ']' -> 'X', parentheses dropped, split on spaces, <eos> appended;
// ids 0 <pad>, 1 <unk>, 2 <eos>, then [MIN [MAX [MED [SM X 0..9 (18 in all).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spikessm {

struct ListOpsOptions {
  int max_depth = 10;
  int max_args = 10;
  int min_length = 500;   // exclusive
  int max_length = 2000;  // exclusive
  int64_t n_train = 96000, n_val = 2000, n_test = 2000;
};

struct ListOpsSample {
  std::string source;  // e.g. "( ( ( [MAX 2 ) 9 ) ] )"
  int target = 0;      // 0..9
  int length = 0;      // tokens counted as the original does: operators, ']' and digits
  int depth = 0;       // deepest level of any node, root = 1 (leaves are forced at max_depth)
};

// The whole set in order (train, then val, then test).
std::vector<ListOpsSample> generate_listops(const ListOpsOptions& opt, uint64_t seed);

// Value of a source string by direct evaluation (an independent check of the generator).
int evaluate_listops(const std::string& source);

// Writes DIR/basic_{train,val,test}.tsv atomically.
void write_listops_tsv_dir(const std::string& dir, const std::vector<ListOpsSample>& all,
                           const ListOpsOptions& opt);

struct ListOpsRows {
  std::vector<std::string> source;
  std::vector<int64_t> target;
};
// Reads one official TSV file (header "Source\tTarget"); InputError on malformed rows.
ListOpsRows read_listops_tsv(const std::string& path);

constexpr int64_t kListOpsVocab = 18;
// The S4 tokenisation of one source: ids without padding, <eos> last, truncated to l_max
// tokens before <eos>.
std::vector<int64_t> tokenize_listops(const std::string& source, int64_t l_max);
// rows -> x: (N, l_max + 1) int64 padded with 0, y: (N,) int64.
void encode_listops(const ListOpsRows& rows, int64_t l_max, torch::Tensor& x, torch::Tensor& y);

}  // namespace spikessm
