// NIR export/import: the HDF5 layout round-trips, the exported real state space is the S4D
// layer (checked by discretising it independently with a matrix exponential), and import
// restores every parameter of a model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "spikessm/common/error.h"
#include "spikessm/export/nir_model.h"
#include "spikessm/models/build.h"
#include "test_util.h"

using namespace spikessm;
namespace fs = std::filesystem;

namespace {

Config small_config(bool bidirectional, const std::string& norm, bool prenorm, bool trainable_b) {
  Config cfg;
  cfg.set("model.d_model=6");
  cfg.set("model.d_state=4");
  cfg.set("model.n_layers=2");
  cfg.set(std::string("model.bidirectional=") + (bidirectional ? "true" : "false"));
  cfg.set("model.norm=" + norm);
  cfg.set(std::string("model.prenorm=") + (prenorm ? "true" : "false"));
  cfg.set(std::string("model.trainable_b=") + (trainable_b ? "true" : "false"));
  return cfg;
}

// Perturb every parameter so nothing sits at an initial value the import could guess.
void perturb(torch::nn::Module& m) {
  torch::NoGradGuard g;
  for (auto& p : m.parameters()) p.add_(torch::randn_like(p) * 0.05);
  for (auto& b : m.named_buffers()) {
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.3);
  }
}

NirNode& sub(NirGraph& g, const std::string& name) { return g.nodes.at(name); }

}  // namespace

TEST(Nir, FileLayoutRoundTrips) {
  auto dir = spikessm::testing::scratch_dir("nir_layout");
  NirGraph g;
  g.add("input", "Input").params["shape"] = NirValue::ints({1}, {3});
  auto& a = g.add("aff", "Affine");
  a.params["weight"] = NirValue::floats({2, 3}, {1, 2, 3, 4, 5, 6.5});
  a.params["bias"] = NirValue::floats({2}, {-1, 0.25});
  a.metadata["note"] = NirValue::str("hello");
  auto& sg = g.add("sub", "NIRGraph");
  sg.graph->add("input", "Input").params["shape"] = NirValue::ints({1}, {2});
  sg.graph->connect("input", "input");
  sg.metadata["flag"] = NirValue::scalar(1);
  g.connect("input", "aff");
  g.connect("aff", "sub");
  g.metadata["dt"] = NirValue::scalar(0.001);
  write_nir((dir / "g.nir").string(), g);
  EXPECT_FALSE(fs::exists(dir / "g.nir.tmp"));
  auto r = read_nir((dir / "g.nir").string());
  ASSERT_EQ(r.nodes.size(), 3u);
  EXPECT_EQ(r.nodes["aff"].type, "Affine");
  EXPECT_EQ(r.nodes["aff"].params["weight"].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(r.nodes["aff"].params["weight"].data[5], 6.5);
  EXPECT_EQ(r.nodes["aff"].metadata["note"].text, "hello");
  EXPECT_EQ(r.nodes["input"].params["shape"].kind, NirValue::Int);
  EXPECT_EQ(r.nodes["sub"].type, "NIRGraph");
  EXPECT_EQ(r.nodes["sub"].metadata["flag"].data[0], 1.0);
  EXPECT_EQ(r.edges, g.edges);
  EXPECT_EQ(r.metadata["dt"].data[0], 0.001);
}

TEST(Nir, RejectsFilesThatAreNotNir) {
  auto dir = spikessm::testing::scratch_dir("nir_bad");
  std::ofstream(dir / "junk.nir") << "not hdf5";
  EXPECT_THROW(read_nir((dir / "junk.nir").string()), InputError);
  EXPECT_THROW(read_nir((dir / "missing.nir").string()), InputError);
  NirGraph g;  // valid NIR, but not one of ours
  g.add("input", "Input").params["shape"] = NirValue::ints({1}, {1});
  write_nir((dir / "other.nir").string(), g);
  EXPECT_THROW(classifier_from_nir(read_nir((dir / "other.nir").string()), "other.nir"),
               InputError);
}

// The exported (A, B, C) with step dt, discretised exactly (ZOH via a matrix exponential) and
// run as a recurrence, gives the S4D layer's causal output (its fused scan).
TEST(Nir, StateSpaceIsExactS4D) {
  torch::manual_seed(11);
  auto cfg = small_config(true, "layer", true, true);
  auto model = build_classifier(cfg, 1, 10);
  perturb(*model);
  model->to(torch::kDouble);
  const double dt = 1e-3;
  NirExportOptions o;
  o.dt = dt;
  o.seq_len = 20;
  o.config_toml = cfg.to_toml();
  auto g = classifier_to_nir(*model, o);
  auto& s4d_node = sub(g, "block0_s4d");
  auto run = [&](NirGraph& sg, const torch::Tensor& u) {  // u: (L, H) -> (L, H)
    auto get = [&](const char* n) {
      auto& v = sg.nodes.at(n).params.at("weight");
      return torch::tensor(v.data, torch::kDouble).view(v.shape);
    };
    auto A = get("a"), B = get("b"), C = get("c");
    auto Phi = torch::matrix_exp(A * dt);
    auto Gam = torch::linalg_solve(A, torch::mm(Phi - torch::eye(A.size(0), torch::kDouble), B));
    auto x = torch::zeros({A.size(0)}, torch::kDouble);
    std::vector<torch::Tensor> ys;
    for (int64_t t = 0; t < u.size(0); ++t) {
      x = torch::mv(Phi, x) + torch::mv(Gam, u[t]);
      ys.push_back(torch::mv(C, x));
    }
    return torch::stack(ys);
  };
  auto u = torch::randn({1, 20, 6}, torch::kDouble);
  auto blk = model->layers()[0];
  torch::NoGradGuard ng;
  auto y_model = blk->s4d->forward(u)[0];
  auto d = torch::tensor(s4d_node.graph->nodes.at("d").params.at("scale").data, torch::kDouble);
  auto y_fwd = run(*s4d_node.graph, u[0]);
  // Anti-causal half: reverse time, delay by one step, same recurrence, reverse back.
  auto rev_in = torch::cat({torch::zeros({1, 6}, torch::kDouble), u[0].flip(0).narrow(0, 0, 19)});
  auto y_rev = run(*sub(*s4d_node.graph, "reverse").graph, rev_in).flip(0);
  auto y_nir = y_fwd + y_rev + u[0] * d;
  EXPECT_LT((y_nir - y_model).abs().max().item<double>(),
            1e-6 * (1 + y_model.abs().max().item<double>()));
}

class NirRoundTrip : public ::testing::TestWithParam<std::tuple<bool, std::string, bool, bool>> {};

TEST_P(NirRoundTrip, ImportRestoresEveryParameter) {
  auto [bidir, norm, prenorm, trainable_b] = GetParam();
  torch::manual_seed(12);
  auto cfg = small_config(bidir, norm, prenorm, trainable_b);
  auto model = build_classifier(cfg, 1, 10);
  perturb(*model);
  model->eval();
  NirExportOptions o;
  o.seq_len = 30;
  o.config_toml = cfg.to_toml();
  auto dir = spikessm::testing::scratch_dir("nir_roundtrip");
  const auto file = (dir / "m.nir").string();
  write_nir(file, classifier_to_nir(*model, o));
  auto imp = classifier_from_nir(read_nir(file), file);
  imp.model->eval();
  EXPECT_EQ(imp.seq_len, 30);
  auto [diff, where] = max_parameter_difference(*model, *imp.model);
  EXPECT_LT(diff, 1e-5) << where;
  torch::NoGradGuard ng;
  auto x = torch::randn({2, 30, 1}) * 2;
  EXPECT_TRUE(torch::allclose(model->forward(x), imp.model->forward(x), 1e-4, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(
    Variants, NirRoundTrip,
    ::testing::Values(std::make_tuple(true, std::string("layer"), true, false),
                      std::make_tuple(false, std::string("batch"), false, true),
                      std::make_tuple(false, std::string("none"), true, false)),
    [](const auto& info) {  // e.g. "bidirectional_layernorm_prenorm_fixedB"
      const auto& p = info.param;
      return std::string(std::get<0>(p) ? "bidirectional" : "causal") + "_" + std::get<1>(p) +
             "norm_" + (std::get<2>(p) ? "prenorm" : "postnorm") +
             (std::get<3>(p) ? "_trainableB" : "_fixedB");
    });

TEST(Nir, NonSpikingModelIsRefused) {
  auto cfg = small_config(false, "layer", true, false);
  cfg.set("model.spiking=false");
  auto model = build_classifier(cfg, 1, 10);
  NirExportOptions o;
  o.seq_len = 10;
  EXPECT_THROW(classifier_to_nir(*model, o), InputError);
}
