#pragma once
// NumPy arrays as numpy.save / numpy.savez / numpy.savez_compressed write them: format
// versions 1-3, little or big endian, C or Fortran order, dtypes bool, int8-64, uint8-16,
// float32 and float64. Every header field is checked before any allocation; errors are one
// InputError naming the file (and the member of an .npz) and what was expected.
#include <torch/torch.h>

#include <map>
#include <string>

namespace spikessm {

// Largest array accepted (elements), against absurd headers.
constexpr int64_t kNpyMaxElements = int64_t(1) << 36;

// An .npy image in memory -> a C-contiguous tensor of its dtype (uint16 becomes int32).
torch::Tensor parse_npy(const std::string& bytes, const std::string& where);

// An .npy file. A little-endian, C-order float32 file is memory-mapped, not read: its pages
// are loaded as rows are used, so it may be larger than memory.
torch::Tensor read_npy(const std::string& path);

// Lets go of the pages of t's elements where t is a view of a memory-mapped .npy (read_npy):
// they leave the process's resident set (the kernel's file cache may keep them) and are read
// again from the file when next used. Nothing happens to any other tensor. For passes over a
// file larger than memory (statistics, inspection).
void release_mapped_pages(const torch::Tensor& t);

// Every array of an .npz archive (stored or deflated members), by name without ".npy".
std::map<std::string, torch::Tensor> read_npz(const std::string& path);

}  // namespace spikessm
