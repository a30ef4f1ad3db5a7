#pragma once
// Whole-file reads shared by every reader (no LibTorch dependency, so fuzzers can link it).
#include <string>

namespace spikessm {

// The file's bytes; InputError naming the file when it cannot be opened or read.
std::string read_file_bytes(const std::string& path);

}  // namespace spikessm
