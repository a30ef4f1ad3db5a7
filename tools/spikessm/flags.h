#pragma once
// The one check of every numeric flag, run by CLI11 while it parses (before any work): a flag
// that stands for a config key takes that key's range from the schema (--threads is
// train.threads), the others state their own. A bad value ends the run with one line:
// "error: --threads: 2000 is out of range [0, 256] (the range of train.threads) (see --help)",
// exit 2.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace spikessm::cli {

// The range and type (integer or number) of a config key of the schema.
CLI::Validator range_of(const std::string& key);
// An integer in [min, max].
CLI::Validator int_range(int64_t min, int64_t max);
// A finite number in [min, max], or in (min, max] when min_open.
CLI::Validator real_range(double min, double max, bool min_open = false);
// An integer among the listed values.
CLI::Validator int_choice(const std::vector<int64_t>& values);

// The same for the files a command writes, checked before it works: not a directory, and
// (unless the command creates it) in a directory that exists.
CLI::Validator output_file(bool parent_must_exist = true);

}  // namespace spikessm::cli
