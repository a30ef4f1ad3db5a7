#pragma once
// IDX files (the MNIST / Fashion-MNIST container), raw or gzip-compressed.
// Only type 0x08 (unsigned byte) is supported: it is the only type those sets use,
// and refusing the others beats silently misreading them.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spikessm {

struct IdxArray {
  std::vector<int64_t> dims;  // 1..4 sizes, each > 0, outermost first
  std::vector<uint8_t> data;  // row-major payload, exactly prod(dims) bytes
};

// Largest payload accepted; guards against absurd headers before any allocation.
constexpr int64_t kIdxMaxElements = int64_t{1} << 31;

// Reads an IDX file; gzip is detected by its magic bytes (1f 8b), not by the name.
// Throws InputError("<path>: ...") on a missing file, bad header, truncated or
// over-long payload, or corrupt gzip stream.
IdxArray read_idx(const std::string& path);

// -> uint8 tensor of shape dims. The const& overload copies; the && overload hands the
// buffer to the tensor without a copy (47 MB for the MNIST training images).
torch::Tensor idx_to_tensor(const IdxArray& a);
torch::Tensor idx_to_tensor(IdxArray&& a);

}  // namespace spikessm
