#pragma once
// Pathfinder / Path-X (LRA), following drewlinsley/pathfinder snakes2.py @ab9c130 with LRA's
// parameter table (spec/lra.md), seeded: two target snakes of `contour_length` paddles whose
// tails are `seed_distance` apart, short distractor snakes in the free space, and two
// circular markers: one at the origin tip of a target snake, the other at the terminal tip
// of the same snake (label 1) or of the other one (label 0). Paddles are drawn at
// `antialias_scale` and Lanczos-resized; the image is min-max scaled to 8 bits on save.
// Differences from the original, none of which changes the geometry's rules: a seeded
// 64-bit Mersenne twister instead of NumPy's unseeded one; wide lines (thickness x aa > 1)
// are filled as the rectangle around the segment (Pillow draws a polygon of it).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace spikessm {

struct PathfinderParams {
  int size = 32;
  int padding = 1;
  int antialias_scale = 2;
  std::vector<int> paddle_margin_list{1};
  int paddle_length = 2;
  double paddle_thickness = 0.5;
  double marker_radius = 1.5;
  int seed_distance = 7;
  double continuity = 1.0;
  int contour_length = 14;
  int distractor_length = 4;      // contour_length // 3
  int num_distractor_snakes = 5;  // 20 // distractor_length
  std::vector<double> snake_contrast_list{2.0};
  std::vector<double> paddle_contrast_list{0.75};
  int max_paddle_retrial = 2;
  int max_distractor_contour_retrial = 4;
  bool use_single_paddles = false;  // snakes2_wrapper.py sets False
};

// LRA's table for size 32 (Pathfinder), 64, 128 (Path-X) or 256; contour_length 14 ("hard").
PathfinderParams pathfinder_params(int size, int contour_length = 14);

struct PathfinderSample {
  torch::Tensor image;  // (size, size) uint8
  int label = 0;        // 1: the markers are on one snake
  int margin = 1;
};

// One image from a generator state seeded by (seed, index): any subset is reproducible.
PathfinderSample generate_pathfinder(const PathfinderParams& p, uint64_t seed, int64_t index);

// Writes the official layout under out_dir/curv_contour_length_<cl>/:
// imgs/<batch>/sample_<i>.png and metadata/<batch>.npy (space-separated text rows
// "imgs/<batch> sample_<i>.png i label continuity contour_length distractor_length
// paddle_length paddle_thickness margin n_paddle_contrasts"), `per_batch` images a batch.
// Returns the number of label-1 images.
int64_t write_pathfinder_dir(const std::string& out_dir, const PathfinderParams& p, uint64_t seed,
                             int64_t n, int64_t per_batch, bool progress);

struct PathfinderSet {
  torch::Tensor images;  // (N, size, size) uint8
  torch::Tensor labels;  // (N,) int64
};
// One image listed in the metadata: its file, label (0/1) and the metadata line naming it.
struct PathfinderRow {
  std::string image;
  int64_t label = 0;
  std::string at;  // "<metadata file>:<line>", for errors
};

// Lists the official image folders' metadata without decoding an image: `dir` is the
// difficulty folder (holding metadata/ and imgs/) or its parent with curv_contour_length_14/.
// Rows in metadata file order (files sorted numerically), empty image files skipped;
// limit > 0 lists only the first `limit` rows.
std::vector<PathfinderRow> list_pathfinder_dir(const std::string& dir, int64_t limit);

// Decodes rows[which[0]], rows[which[1]], ... (all the same size, else InputError).
PathfinderSet read_pathfinder_rows(const std::vector<PathfinderRow>& rows,
                                   const std::vector<int64_t>& which);

// Every listed row: read_pathfinder_rows(list_pathfinder_dir(dir, limit), 0..n-1).
PathfinderSet read_pathfinder_dir(const std::string& dir, int64_t limit);

}  // namespace spikessm
