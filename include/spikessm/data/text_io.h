#pragma once
// Small file helpers shared by the data readers and generators.
#include <string>
#include <vector>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/file_bytes.h"

namespace spikessm {

// Regular files directly inside dir, sorted by name.
std::vector<std::string> list_files_sorted(const std::string& dir);
// MD5 of a byte string as 32 lowercase hex digits.
std::string md5_hex(const std::string& bytes);

}  // namespace spikessm
