#pragma once
// Whole-file reads shared by every reader (no LibTorch dependency, so fuzzers can link it).
#include <string>

namespace spikessm {

// The file's bytes; InputError naming the file when it cannot be opened or read.
std::string read_file_bytes(const std::string& path);

// The same for a file that must be a regular one (a checkpoint, a generation state): a device
// such as /dev/zero would be read without end, a FIFO would block. Checked on the opened file
// (no window between check and read). `expected` completes the messages, e.g. "checkpoint
// file": "<path>: checkpoint file not found", "<path>: is a character device, not a regular
// file (expected a checkpoint file)".
std::string read_regular_file(const std::string& path, const std::string& expected);

}  // namespace spikessm
