// Config: a TOML document (toml++ plus our schema validation), a `--set key=value` line, or a
// train.inject_nonfinite spec, chosen by the first byte. Anything accepted must round-trip:
// to_toml() read back gives the same config.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "spikessm/common/error.h"
#include "config_round_trip.h"
#include "spikessm/common/config.h"
#include "spikessm/train/guard.h"

namespace spikessm::fuzz {

int config_one(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    spikessm::Config c;
    switch (data[0] % 3) {
      case 0:
        c.merge_string(text, "fuzz.toml");
        break;
      case 1:
        c.set(text);
        break;
      default:
        spikessm::FaultInjection::parse(text, "train.inject_nonfinite");
        return 0;
    }
    expect_config_round_trip(c);
  } catch (const spikessm::InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::config_one(data, size);
}
#endif
