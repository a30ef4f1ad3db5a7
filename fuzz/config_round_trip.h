#pragma once
// What every fuzzer that builds a Config checks: a config that was accepted writes TOML that
// reads back to the same TOML (aborts otherwise, so libFuzzer reports it).
#include <cstdlib>
#include <string>

#include "spikessm/common/config.h"

namespace spikessm::fuzz {

inline void expect_config_round_trip(const Config& c) {
  const std::string once = c.to_toml();
  Config back;
  back.merge_string(once, "round-trip");
  if (back.to_toml() != once) std::abort();
}

}  // namespace spikessm::fuzz
