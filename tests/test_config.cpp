// Config: TOML merge, --set overrides, and one clear error per kind of bad input.
#include <gtest/gtest.h>

#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/common/config.h"
#include "spikessm/common/kinds.h"
#include "test_util.h"

using namespace spikessm;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, DefaultsRoundTripThroughToml) {
  Config a;
  a.set("model.d_model=128");
  a.set("model.dt_min=0.0001");
  a.set("train.out_dir=runs/x y");
  Config b;
  b.merge_string(a.to_toml(), "roundtrip");
  EXPECT_EQ(b.get_int("model.d_model"), 128);
  EXPECT_DOUBLE_EQ(b.get_float("model.dt_min"), 1e-4);
  EXPECT_EQ(b.get_string("train.out_dir"), "runs/x y");
  EXPECT_EQ(a.to_toml(), b.to_toml());
}

TEST(Config, MergesFileAndWidensIntegersToFloats) {
  Config c;
  c.merge_string("[model]\nd_model = 32\ndropout = 0\n[train]\nlr = 1\n", "t.toml");
  EXPECT_EQ(c.get_int("model.d_model"), 32);
  EXPECT_DOUBLE_EQ(c.get_float("train.lr"), 1.0);
  c.set("data.dataset=\"mnist\"");
  EXPECT_EQ(c.get_string("data.dataset"), "mnist");
}

TEST(Config, EveryShippedConfigParses) {
  for (const char* name : {"quickstart", "smnist", "psmnist"}) {
    Config c;
    EXPECT_NO_THROW(c.merge_file(std::string(SPIKESSM_SOURCE_DIR) + "/configs/" + name + ".toml"))
        << name;
  }
}

TEST(Config, BadInputNamesTheProblem) {
  Config c;
  EXPECT_NE(error_of([&] { c.set("model.d_modle=3"); }).find("unknown key 'model.d_modle'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.set("model.d_model=abc"); }).find("is not an integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.set("model.d_model=0"); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { c.set("model.dropout=1.5"); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { c.set("model.norm=group"); }).find("not one of layer, batch, none"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.set("noequals"); }).find("expected key=value"), std::string::npos);
  EXPECT_NE(
      error_of([&] { c.merge_string("[model]\nd_model = \n", "bad.toml"); }).find("bad.toml:2"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              c.merge_string("[model]\nd_model = 1.5\n", "f.toml");
            }).find("should be an integer"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { c.merge_string("[modle]\nx = 1\n", "f.toml"); }).find("unknown key 'modle.x'"),
      std::string::npos);
  EXPECT_NE(error_of([&] { c.merge_file("/nonexistent/x.toml"); }).find("cannot open"),
            std::string::npos);
  // Rejected values never land.
  EXPECT_EQ(c.get_int("model.d_model"), 64);
}

namespace {
template <class E>
void expect_key_uses_table(const std::string& key) {
  const ConfigKey* k = nullptr;
  for (const auto& c : config_schema())
    if (c.key == key) k = &c;
  ASSERT_NE(k, nullptr) << key;
  EXPECT_EQ(k->choices, enum_choices<E>()) << key;
  for (const auto& name : k->choices) EXPECT_EQ(to_string(parse_enum<E>(name, key)), name) << key;
  try {
    parse_enum<E>("no_such_name", key);
    ADD_FAILURE() << key << ": an unknown name was accepted";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(key + ": unknown ", 0), 0u) << msg;
    for (const auto& name : k->choices) EXPECT_NE(msg.find(name), std::string::npos) << msg;
  }
}
}  // namespace

// One names table per enum: the schema's choices (and so --help-config and the config's own
// error messages), parsing, printing and the parse error all come from it.
TEST(Config, EnumKeysTakeTheirNamesFromOneTable) {
  expect_key_uses_table<Surrogate>("model.surrogate");
  expect_key_uses_table<ResetMode>("model.reset");
  expect_key_uses_table<S4DInit>("model.init");
  expect_key_uses_table<NormKind>("model.norm");
  expect_key_uses_table<MixKernel>("model.mix_kernel");
  expect_key_uses_table<MixerKind>("model.mixer");
  expect_key_uses_table<BinaryActivation>("model.binary_activation");
  expect_key_uses_table<AttentionKind>("model.attention");
}

TEST(Config, SectionsAndKeysAreNotMistakenForEachOther) {
  // A section given a value, or a key given a table, is named as such (not "unknown key").
  auto msg = [](const std::string& toml) {
    try {
      Config c;
      c.merge_string(toml, "f.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(msg("[[model]]\nd_model = 3\n"),
            "f.toml: 'model' must be a table ([model] holding keys such as model.n_layers), not an "
            "array");
  EXPECT_EQ(
      msg("train = \"fast\"\n"),
      "f.toml: 'train' must be a table ([train] holding keys such as train.epochs), not a string");
  EXPECT_EQ(msg("[model.dropout]\nx = 1\n"),
            "f.toml: model.dropout should be a number, not a table");
  EXPECT_EQ(msg("model = { d_model = 16 }\n"), "accepted");  // an inline table is a table
  Config c;
  EXPECT_THROW(c.set("model=5"), InputError);
  EXPECT_EQ(c.get_int("model.d_model"), 64);
}
