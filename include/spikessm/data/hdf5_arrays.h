#pragma once
// The numeric datasets at the root of an HDF5 file, as h5py writes them
// (`f.create_dataset("x", data=a)`, any chunking, gzip/shuffle compression): float16-64,
// int8-64, uint8-64 and h5py's bool enum. libhdf5 runs in a forked child
// (common/isolated_call.h): some malformed files crash it, which must become one error line.
#include <torch/torch.h>

#include <map>
#include <string>

namespace spikessm {

// Root datasets by name -> C-contiguous tensors (float16 read as float32, uint16 as int32,
// uint32/64 as int64, bool enum as bool). Groups, strings and other types are left out;
// InputError naming the file (and dataset) for a file that is not HDF5 or a dataset that
// cannot be read.
std::map<std::string, torch::Tensor> read_hdf5_arrays(const std::string& path);

}  // namespace spikessm
