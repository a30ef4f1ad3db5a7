#pragma once
// IDX image sets (fashion-mnist, mnist) as pixel sequences: x (N, L, 1) float32, standardised
// with the training split's pixel statistics; y (N,) int64.
#include <string>

#include "spikessm/data/task.h"

namespace spikessm {

// The folder a dataset is read from when data.dir is empty ("" when it has none).
std::string default_data_dir(const std::string& dataset);
Task load_seq_image_task(const DataOptions& o);

}  // namespace spikessm
