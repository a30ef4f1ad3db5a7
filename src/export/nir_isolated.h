#pragma once
// The NIR reader runs in a forked child (nir_isolated.cpp) because Debian 12's libhdf5 1.10.8
// crashes inside its own parser on some malformed files (fuzz/corpus/nir/crash-hdf5-*): a crash
// there must become one error line, not take the caller down.
#include <string>

#include "spikessm/export/nir.h"

namespace spikessm {

// The HDF5 parse itself, in this process (nir.cpp). Only the isolated child calls it.
NirGraph read_nir_image_in_process(const std::string& bytes, const std::string& name);

// A graph as bytes and back, to carry it from the child through a pipe.
std::string serialize_nir(const NirGraph& graph);
NirGraph deserialize_nir(const std::string& bytes);

}  // namespace spikessm
