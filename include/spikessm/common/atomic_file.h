#pragma once
// The one way spikessm writes a file: a reader (or a crash) sees the old file or the complete
// new one, never a part. The bytes go to a temporary file in the same directory, are fsynced,
// renamed over the target, and the directory is fsynced so that the rename itself is durable.
// No LibTorch dependency, so fuzzers can link it.
#include <functional>
#include <string>

namespace spikessm {

// Writes bytes to path atomically; InputError naming path when it cannot.
void write_file_atomic(const std::string& path, const std::string& bytes);

// For writers that need a file name (libpng, HDF5): write(tmp) fills the temporary file, which
// is then synced and renamed to path. A failing write() leaves no temporary file behind.
void write_file_atomic_with(const std::string& path,
                            const std::function<void(const std::string& tmp)>& write);

// The steps, for writers with their own rename sequence (checkpoints keep the previous file):
// bytes to path (created or truncated) and fsynced; fsync of a directory ("" = ".").
void write_file_synced(const std::string& path, const std::string& bytes);
void sync_directory(const std::string& dir);

}  // namespace spikessm
