// Per-step targets of the user's own sequences: y (N, L) integer labels (a class a step) or
// (N, L, K) float values a step (fixtures written by NumPy, make_step_fixtures.py, whose label
// at step t is the sign of the running sum of the input). The loss and metrics count only the
// valid steps (a float64 hand reference), padding values change nothing, a causal model's
// streamed per-step logits equal its parallel ones, and training learns the running sign.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.h"
#include "spikessm/export/npy.h"

#include "spikessm/api/evaluate.h"
#include "spikessm/common/error.h"
#include "spikessm/data/array_task.h"
#include "spikessm/data/inspect.h"
#include "spikessm/data/npy.h"
#include "spikessm/models/build.h"
#include "spikessm/models/classifier_stream.h"
#include "spikessm/train/trained_model.h"
#include "spikessm/train/trainer.h"
#include "test_util.h"

using namespace spikessm;
using spikessm::testing::fixture;

namespace {

Task steps_task(const std::string& train, const std::string& test = "") {
  DataOptions o;
  o.dataset = "arrays";
  o.train_file = fixture("arrays/" + train);
  if (!test.empty()) o.test_file = fixture("arrays/" + test);
  return load_array_task(o);
}

SequenceClassifier small_model(const ModelInput& in, const std::vector<std::string>& keys) {
  Config cfg;
  for (const char* k :
       {"model.n_layers=2", "model.d_model=16", "model.d_state=8", "model.bidirectional=false"})
    cfg.set(k);
  for (const auto& k : keys) cfg.set(k);
  torch::manual_seed(3);
  auto net = build_classifier(cfg, in);
  net->eval();
  return net;
}

void expect_input_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error (expected one containing '" << needle << "')";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(ArraySteps, IntegerLabelsAStepMapToClasses) {
  const Task t = steps_task("steps_train.npz", "steps_test.npz");
  const auto raw = read_npz(fixture("arrays/steps_train.npz")).at("y");  // (96, 24) of -1, 1
  ASSERT_EQ(t.train_y.sizes(), raw.sizes());
  EXPECT_TRUE(t.train_y.equal(raw.eq(1).to(torch::kInt64)));  // -1 -> class 0, 1 -> class 1
  EXPECT_EQ(t.stats.classes, (std::vector<std::string>{"-1", "1"}));
  EXPECT_TRUE(t.stats.per_step);
  EXPECT_TRUE(t.model_input().per_step);
  EXPECT_EQ(t.n_classes, 2);
  const std::string report = inspect_data_file(fixture("arrays/steps_train.npz"));
  EXPECT_NE(report.find("target: per-step classes"), std::string::npos) << report;
  EXPECT_NE(report.find("classes: 2 (steps: -1: "), std::string::npos) << report;
  const Task r = steps_task("steps_regress.npz");
  EXPECT_EQ(r.stats.targets, 2);
  EXPECT_TRUE(r.stats.per_step);
  EXPECT_EQ(r.train_y.dim(), 3);
  EXPECT_NE(inspect_data_file(fixture("arrays/steps_regress.npz")).find("per step"),
            std::string::npos);
}

// Padding steps are never read: two files that differ only there (NaN and 0, a label that is no
// class, against 1e3 and a real class) give the same task and the same loss; the loss equals
// a float64 cross-entropy over the valid steps only; a padded row's per-step logits are the row's
// alone.
TEST(ArraySteps, LossAndAccuracyCountOnlyValidSteps) {
  const Task a = steps_task("steps_lengths_a.npz"), b = steps_task("steps_lengths_b.npz");
  EXPECT_EQ(a.stats.classes, (std::vector<std::string>{"-1", "1"}));
  EXPECT_TRUE(a.train_y.equal(b.train_y));
  EXPECT_TRUE(a.test_y.equal(b.test_y));
  const int64_t lengths[] = {10, 3, 7, 1, 10, 5};
  const Task full = [] {
    DataOptions o;
    o.dataset = "arrays";
    o.train_file = o.test_file = fixture("arrays/steps_lengths_a.npz");
    return load_array_task(o);
  }();
  for (const std::vector<std::string>& model :
       std::vector<std::vector<std::string>>{{"model.spiking=true"},
                                             {"model.spiking=false"},
                                             {"model.block=binary_s4d", "model.mixer=gsu"}}) {
    SCOPED_TRACE(model.back());
    auto net = small_model(full.model_input(), model);
    const EvalResult r = evaluate(net, full.test_x, full.test_y, 4, false, false);
    Task other = full;
    other.test_x = full.test_x.nan_to_num(1e3);  // padding values of any kind
    const EvalResult o = evaluate(net, other.test_x, full.test_y, 4, false, false);
    EXPECT_EQ(r.loss, o.loss);
    EXPECT_TRUE(r.per_step);
    EXPECT_EQ(r.units, 10 + 3 + 7 + 1 + 10 + 5);
    torch::NoGradGuard ng;
    double ce = 0;
    int64_t correct = 0;
    for (int64_t i = 0; i < 6; ++i) {
      const auto row = full.test_x.narrow(0, i, 1).narrow(1, 0, lengths[i]);
      const auto logits = net(row)[0].to(torch::kFloat64);  // (len, 2): the row alone
      const auto in_batch = net(full.test_x)[i].narrow(0, 0, lengths[i]).to(torch::kFloat64);
      EXPECT_TRUE(torch::allclose(logits, in_batch, 1e-4, 1e-5)) << "row " << i;
      for (int64_t t = 0; t < lengths[i]; ++t) {
        const int64_t y = full.test_y[i][t].item<int64_t>();
        ce -= torch::log_softmax(logits[t], 0)[y].item<double>();
        correct += logits[t].argmax().item<int64_t>() == y;
      }
    }
    EXPECT_NEAR(r.loss, ce / 36.0, 1e-5);
    EXPECT_NEAR(r.accuracy, double(correct) / 36.0, 1e-12);
  }
}

TEST(ArraySteps, RegressionAStepMatchesAFloat64Reference) {
  const Task t = steps_task("steps_regress.npz");
  auto net = small_model(t.model_input(), {"model.spiking=false"});
  const EvalResult r = evaluate(net, t.train_x, t.train_y, 7, false, false);
  torch::NoGradGuard ng;
  const auto pred = net(t.train_x).to(torch::kFloat64), y = t.train_y.to(torch::kFloat64);
  ASSERT_EQ(pred.sizes(), y.sizes());  // (N, L, 2)
  const auto flat = y.reshape({-1, 2});
  const double sse = (pred - y).square().sum().item<double>();
  const double sst = (flat - flat.mean(0, true)).square().sum().item<double>();
  EXPECT_TRUE(r.regression && r.per_step);
  EXPECT_NEAR(r.loss, sse / double(y.numel()), 1e-5);
  EXPECT_NEAR(r.mae, (pred - y).abs().mean().item<double>(), 1e-5);
  EXPECT_NEAR(r.r2, 1.0 - sse / sst, 1e-4);
}

TEST(ArraySteps, BadTargetsAreOneLine) {
  expect_input_error([] { steps_task("steps_bad_length.npz"); },
                     "steps_bad_length.npz: y has shape (20, 11), expected (N, L = 12)");
  expect_input_error([] { steps_task("steps_train.npz", "steps_unknown_label.npz"); },
                     "y holds label 3 at row 2, step 5, which is not among the training set's 2 "
                     "classes");
  expect_input_error([] { steps_task("steps_train.npz", "train.npz"); },
                     "train.npz: holds per-sequence targets, the training set per-step ones");
}

// The label of step t is the sign of x[0] + ... + x[t]: learnt by a causal SpikingSSM in a few
// hundred steps; the checkpoint evaluates alone to the same numbers, and the stream's per-step
// classes are the parallel model's.
TEST(ArraySteps, LearnsTheSignOfTheRunningSum) {
  const auto dir = spikessm::testing::scratch_dir("array_steps_train");
  Config c;
  for (const std::string& k : std::vector<std::string>{
           "data.dataset=arrays", "data.train=" + fixture("arrays/steps_train.npz"),
           "data.test=" + fixture("arrays/steps_test.npz"), "model.d_model=32", "model.d_state=16",
           "model.n_layers=2", "model.bidirectional=false", "train.batch_size=16",
           "train.epochs=50", "train.max_steps=300", "train.lr=0.01", "train.threads=1",
           "train.log_every=1000", "train.out_dir=" + (dir / "run").string()})
    c.set(k);
  const TrainResult r = run_training(c, {});
  ASSERT_TRUE(r.test.per_step);
  EXPECT_EQ(r.test.units, 32 * 24);
  EXPECT_GT(r.test.accuracy, 0.85) << "per-step accuracy (half the steps are +1)";
  const auto e = evaluate_checkpoint((dir / "run/checkpoint.pt").string(),
                                     {"data.train=/no/such/training/file.npz"});
  EXPECT_NEAR(e.stats.at("accuracy").get<double>(), r.test.accuracy, 1e-12);
  EXPECT_TRUE(e.stats.at("per_step").get<bool>());
  EXPECT_NE(e.report.find("test per-step accuracy "), std::string::npos) << e.report;

  auto m = load_trained_model((dir / "run/checkpoint.pt").string());
  auto net = SequenceClassifier(std::dynamic_pointer_cast<SequenceClassifierImpl>(m.classifier));
  const Task t = load_test_split(m);
  ClassifierStream stream(net);
  auto s = stream.initial_state(2);
  const auto x = t.test_x.narrow(0, 0, 2);
  torch::Tensor streamed;
  {
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < 24; i += 5)
      parts.push_back(stream.step_logits(x.narrow(1, i, std::min<int64_t>(5, 24 - i)), s));
    streamed = torch::cat(parts, 1);  // (2, 24, 2)
  }
  torch::NoGradGuard ng;
  const auto parallel = net(x);
  EXPECT_LT((streamed - parallel).abs().max().item<double>(), 1e-4);
  EXPECT_TRUE(streamed.argmax(2).equal(parallel.argmax(2)));
}

// `spikessm stream` of a per-step model prints a class a step: the classes of the parallel
// model on the standardised row (stream applies the checkpoint's standardisation to the raw
// .npy); detection mode is refused in one line.
TEST(ArraySteps, StreamPrintsTheClassOfEveryStep) {
  const auto dir = spikessm::testing::scratch_dir("array_steps_stream");
  const auto run = (dir / "run").string();
  auto r = spikessm::testing::run_cli(
      "train --set data.dataset=arrays --set data.train=" + fixture("arrays/steps_train.npz") +
      " --set data.test=" + fixture("arrays/steps_test.npz") +
      " --set model.d_model=8 --set model.d_state=4 --set model.bidirectional=false"
      " --set train.max_steps=4 --set train.batch_size=16 --set train.threads=1"
      " --set train.out_dir=" +
      run);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto raw = read_npz(fixture("arrays/steps_test.npz")).at("x")[3];  // (24, 1) raw values
  spikessm::testing::write_file(dir / "row.npy", npy_bytes(raw.contiguous()));
  r = spikessm::testing::run_cli("stream --checkpoint " + run + "/checkpoint.pt --input " +
                                 (dir / "row.npy").string() + " --json --chunk 7");
  ASSERT_EQ(r.code, 0) << r.out;
  auto m = load_trained_model(run + "/checkpoint.pt");
  const Task t = load_test_split(m);
  torch::Tensor probs;
  {
    torch::NoGradGuard ng;
    probs = torch::softmax(m.classifier->forward(t.test_x.narrow(0, 3, 1))[0], 1);  // (24, 2)
  }
  std::istringstream lines(r.out);
  int64_t steps = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    const auto j = nlohmann::json::parse(line);
    ASSERT_EQ(j.at("event"), "step") << line;
    EXPECT_EQ(j.at("step").get<int64_t>(), steps + 1);
    const auto p = j.at("probs").get<std::vector<double>>();
    ASSERT_EQ(p.size(), 2u);
    for (int64_t c = 0; c < 2; ++c)
      EXPECT_NEAR(p[size_t(c)], probs[steps][c].item<double>(), 1e-4) << line;
    if (std::abs(p[0] - p[1]) > 1e-3)  // no near tie: the same class
      EXPECT_EQ(j.at("class").get<int64_t>(), probs[steps].argmax().item<int64_t>()) << line;
    ++steps;
  }
  EXPECT_EQ(steps, 24) << r.out;
  r = spikessm::testing::run_cli("stream --checkpoint " + run + "/checkpoint.pt --input " +
                                 (dir / "row.npy").string() + " --detect");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--detect: does not apply to a model trained on per-step targets"),
            std::string::npos)
      << r.out;
}
