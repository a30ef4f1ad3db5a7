#pragma once
// Which spikessm this is: the semantic version (CMake's project(VERSION), the one place it is
// defined) and the git commit the library was built from ("unknown" outside a git checkout;
// "-dirty" appended when the tree had uncommitted changes). Run directories, metrics and
// checkpoints record both, so a result can be traced to the code that produced it.
#include <string>

namespace spikessm {

// "MAJOR.MINOR.PATCH", e.g. "0.1.0".
const char* version();
// The abbreviated commit hash, e.g. "59d8612c0a3e", or "unknown".
const char* git_commit();
// "spikessm 0.1.0 (commit 59d8612c0a3e)": what --version prints.
std::string version_line();

}  // namespace spikessm
