#pragma once
// Small file helpers shared by the data readers and generators.
#include <string>
#include <vector>

#include "spikessm/common/file_bytes.h"

namespace spikessm {

// Writes text to path atomically (temp file + rename); InputError when it cannot.
void write_text_atomic(const std::string& path, const std::string& text);
// Regular files directly inside dir, sorted by name.
std::vector<std::string> list_files_sorted(const std::string& dir);
// MD5 of a byte string as 32 lowercase hex digits.
std::string md5_hex(const std::string& bytes);

}  // namespace spikessm
