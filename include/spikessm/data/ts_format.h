#pragma once
// The time-series archive's .ts files (UCR/UEA, aeon, sktime): a header of @-lines
// (@problemName, @univariate, @dimensions, @equalLength, @seriesLength, @classLabel or
// @targetLabel, @timeStamps) then @data rows of comma-separated values, one dimension after
// another separated by ':', the label or target last; '?' marks a missing value.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace spikessm {

struct TsData {
  std::string problem;
  torch::Tensor x;        // (N, L, C) float32, rows shorter than L padded with 0 at the end
  torch::Tensor lengths;  // (N,) int64 valid steps of each row
  std::vector<std::string> labels;       // per row: its class label text (@classLabel true)
  std::vector<double> targets;           // per row: its regression target (@targetLabel true)
  std::vector<std::string> class_names;  // the header's @classLabel list, in order
  int64_t missing = 0;                   // '?' values (read as NaN)
};

// InputError naming the file and line for a malformed header or row (wrong number of
// dimensions, a value that is not a number, a label not in the header's list).
TsData read_ts(const std::string& path);

}  // namespace spikessm
