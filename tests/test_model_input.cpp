// A checkpoint's "model_input" entry (models/model_input.h): it round-trips, and every damaged
// form is one InputError naming the checkpoint, never a crash or a huge allocation.
#include <gtest/gtest.h>

#include "spikessm/common/error.h"
#include "spikessm/models/model_input.h"

using namespace spikessm;

TEST(ModelInput, RoundTripsThroughJson) {
  ModelInput m;
  m.kind = TaskInput::Image;
  m.d_input = 3;
  m.n_classes = 10;
  m.image = {3, 32, 32};
  const ModelInput back = model_input_from_json(to_json(m), "ck.pt");
  EXPECT_EQ(back.kind, TaskInput::Image);
  EXPECT_EQ(back.d_input, 3);
  EXPECT_EQ(back.n_classes, 10);
  EXPECT_EQ(back.image, (std::vector<int64_t>{3, 32, 32}));
}

TEST(ModelInput, DamagedEntriesAreInputErrorsNamingTheCheckpoint) {
  const nlohmann::json good = to_json(ModelInput{});
  auto with = [&](const char* key, nlohmann::json v) {
    nlohmann::json j = good;
    if (v.is_discarded())
      j.erase(key);
    else
      j[key] = v;
    return j;
  };
  const nlohmann::json cases[] = {
      nlohmann::json::array(),                              // not an object
      with("kind", "pixels"),                               // unknown kind
      with("kind", 5),                                      // wrong type
      with("d_input", nlohmann::json::value_t::discarded),  // missing key
      with("d_input", 0),
      with("d_input", int64_t(1) << 40),  // would ask the builder for terabytes
      with("n_classes", -1),
      with("n_classes", "ten"),
      with("image", nlohmann::json::array({1, 2})),  // not (C, H, W)
      with("image", nlohmann::json::array({3, 0, 32})),
      with("image", nlohmann::json::array({3, 1 << 20, 32})),
  };
  for (const auto& j : cases) {
    try {
      model_input_from_json(j, "damaged.pt");
      ADD_FAILURE() << "accepted " << j.dump();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("damaged.pt"), std::string::npos) << e.what();
    }
  }
}
