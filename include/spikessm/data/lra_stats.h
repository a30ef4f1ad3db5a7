#pragma once
// Fidelity statistics of the generated LRA sets, as markdown (docs/results.md) and checked
// by tests against the spec.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "spikessm/data/listops.h"
#include "spikessm/data/pathfinder.h"

namespace spikessm {

struct ListOpsStats {
  int64_t n = 0;
  int min_length = 0, max_length = 0;
  double mean_length = 0, median_length = 0;
  std::vector<int64_t> length_hist;  // bins of 250 tokens: [500,750), [750,1000), ... [1750,2000)
  std::vector<int64_t> depth_hist;   // index = depth (0..max_depth)
  std::vector<int64_t> label_hist;   // 10 classes
  std::vector<int64_t> op_hist;      // root operator MIN, MAX, MED, SM
  int64_t unique = 0;
  std::string markdown() const;
};
ListOpsStats listops_stats(const std::vector<ListOpsSample>& s, int max_depth);

struct PathfinderStats {
  int64_t n = 0, positives = 0;
  double mean_intensity = 0;        // mean pixel / 255
  double mean_bright_fraction = 0;  // fraction of pixels > 0
  std::string markdown() const;
};
PathfinderStats pathfinder_stats(const std::vector<PathfinderSample>& s);

// images (N, S, S) uint8 -> a (rows*(S+pad)+pad, cols*(S+pad)+pad) uint8 grid, each image
// scaled up `zoom` times, label-1 images framed bright and label-0 ones dim.
torch::Tensor image_grid(const std::vector<PathfinderSample>& s, int cols, int zoom);

}  // namespace spikessm
