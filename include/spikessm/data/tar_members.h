#pragma once
// The regular files of a ustar archive held in memory (the shared data sets ship as tars:
// CIFAR-10 JPEGs, FSDD recordings), so readers never unpack them to disk.
#include <string>
#include <vector>

namespace spikessm {

struct TarMember {
  std::string name;             // with the ustar prefix joined, e.g. "recordings/3_jackson_7.wav"
  size_t offset = 0, size = 0;  // the member's bytes are tar.substr(offset, size)
};

// Regular-file members in archive order; `what` names the archive in errors. InputError when
// a member runs past the end of the bytes.
std::vector<TarMember> tar_members(const std::string& tar, const std::string& what);

}  // namespace spikessm
