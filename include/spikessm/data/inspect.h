#pragma once
// What spikessm reads from a data file, before training on it (`spikessm data inspect`).
#include <string>

namespace spikessm {

// For an .npz, a folder of .npy files, an .npy or a .ts file: each array's shape and dtype,
// the label classes and their counts, the length range, NaN/Inf and missing values, and
// whether data.dataset = "arrays" accepts it (and if not, its one-line reason). Text lines.
std::string inspect_data_file(const std::string& path);

}  // namespace spikessm
