// The user's own sequences: .npy / .npz as NumPy writes them (fixtures written by NumPy itself,
// tests/fixtures/arrays/make_fixtures.py), .ts files, the arrays task, and training from arrays
// equal to training from the IDX reader on the same data.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "spikessm/api/evaluate.h"
#include "spikessm/common/error.h"
#include "spikessm/data/array_task.h"
#include "spikessm/data/hdf5_arrays.h"
#include "spikessm/data/inspect.h"
#include "spikessm/data/npy.h"
#include "spikessm/data/ts_format.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/models/build.h"
#include "spikessm/train/trained_model.h"
#include "spikessm/train/trainer.h"
#include "test_util.h"

using namespace spikessm;
using spikessm::testing::fixture;

namespace {

torch::Tensor reference() {  // make_fixtures.py's ref
  return torch::arange(24, torch::kFloat64).reshape({2, 3, 4}) * 0.5 - 3;
}

// A C-order little-endian .npy of a float32 or int64 tensor, as numpy.save writes it.
void write_npy(const std::string& path, const torch::Tensor& t) {
  const bool f = t.scalar_type() == torch::kFloat32;
  std::string shape;
  for (int64_t d : t.sizes()) shape += std::to_string(d) + ", ";
  std::string h = std::string("{'descr': '") + (f ? "<f4" : "<i8") +
                  "', 'fortran_order': False, 'shape': (" + shape + "), }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {char(h.size() & 0xFF), char(h.size() >> 8)};
  out.write(len, 2);
  out << h;
  auto c = t.contiguous();
  out.write(static_cast<const char*>(c.data_ptr()), std::streamsize(c.nbytes()));
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

TEST(Npy, EveryDtypeByteOrderAndLayoutNumpyWrites) {
  const auto ref = reference();
  const auto ints = (ref * 2).abs();
  for (const char* f : {"f4le", "f8be", "f4_fortran"})
    EXPECT_TRUE(
        read_npy(fixture(std::string("arrays/") + f + ".npy")).to(torch::kFloat64).equal(ref))
        << f;
  for (const char* f : {"i1", "i2be", "i4", "i8", "u1", "u2be"})
    EXPECT_TRUE(
        read_npy(fixture(std::string("arrays/") + f + ".npy")).to(torch::kFloat64).equal(ints))
        << f;
  EXPECT_TRUE(read_npy(fixture("arrays/bool.npy")).equal(ref > 0));
}

TEST(Npz, StoredAndDeflatedArchives) {
  auto train = read_npz(fixture("arrays/train.npz"));
  auto test = read_npz(fixture("arrays/test.npz"));  // savez_compressed
  ASSERT_EQ(train.count("x") + train.count("y"), 2u);
  EXPECT_EQ(train["x"].sizes(), (std::vector<int64_t>{40, 16, 2}));
  EXPECT_TRUE(test["x"].equal(train["x"].narrow(0, 0, 10) + 0.25f));
  EXPECT_TRUE(test["y"].equal(train["y"].narrow(0, 0, 10)));
}

TEST(TsFormat, MultivariateRowsAndLabels) {
  const TsData d = read_ts(fixture("arrays/two_dims.ts"));
  EXPECT_EQ(d.problem, "Tiny");
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"walk", "run"}));
  EXPECT_EQ(d.labels, (std::vector<std::string>{"walk", "run"}));
  // x (N, L, C): row 1, dimension 0 is 0.5, 0.1, -2
  auto want = torch::tensor({1.f, 4.f, 2.f, 5.f, 3.f, 6.f, 0.5f, 7.f, 0.1f, 8.f, -2.f, 9.f})
                  .reshape({2, 3, 2});
  EXPECT_TRUE(d.x.equal(want)) << d.x;
}

TEST(ArrayData, BadFilesAreOneLineNamingTheFileAndWhat) {
  const auto dir = spikessm::testing::scratch_dir("array_bad");
  const std::string good = read_file_bytes(fixture("arrays/f4le.npy"));
  auto put = [&](const std::string& name, const std::string& bytes) {
    spikessm::testing::write_file(dir / name, bytes);
    return (dir / name).string();
  };
  expect_input_error([&] { read_npy(put("cut.npy", good.substr(0, good.size() - 5))); },
                     "truncated");
  expect_input_error([&] { read_npy(put("magic.npy", "PK" + good)); }, "magic");
  std::string complex = good;
  complex.replace(complex.find("<f4"), 3, "<c8");
  expect_input_error([&] { read_npy(put("complex.npy", complex)); }, "not supported");
  expect_input_error([&] { read_npy(put("empty.npy", "")); }, "empty.npy");
  expect_input_error([&] { read_npz(put("junk.npz", "not a zip at all, not at all......")); },
                     "not a zip");
  expect_input_error(
      [&] { read_ts(put("dims.ts", "@dimensions 2\n@classLabel true a b\n@data\n1,2:a\n")); },
      "dims.ts:4: 1 dimensions, expected 2");
  expect_input_error(
      [&] { read_ts(put("label.ts", "@univariate true\n@classLabel true a b\n@data\n1,2:c\n")); },
      "'c' is not among");
  expect_input_error([&] { read_ts(put("nodata.ts", "@problemName x\n")); }, "no @data");
  // x and y of different lengths, NaN inputs
  std::filesystem::create_directories(dir / "mismatch");
  write_npy((dir / "mismatch/x.npy").string(), torch::zeros({4, 5}));
  write_npy((dir / "mismatch/y.npy").string(), torch::zeros({3}, torch::kInt64));
  expect_input_error([&] { read_array_split((dir / "mismatch").string()); },
                     "x has 4 rows but y has 3");
  std::filesystem::create_directories(dir / "nan");
  write_npy((dir / "nan/x.npy").string(), torch::full({2, 5}, NAN));
  write_npy((dir / "nan/y.npy").string(), torch::zeros({2}, torch::kInt64));
  expect_input_error([&] { read_array_split((dir / "nan").string()); }, "NaN");
  EXPECT_NE(inspect_data_file((dir / "nan").string()).find("does not accept it"),
            std::string::npos);
}

TEST(ArrayData, LabelsMapToClassesInOrder) {
  DataOptions o;
  o.dataset = "arrays";
  o.train_file = fixture("arrays/train.npz");
  o.test_file = fixture("arrays/test.npz");
  const Task t = load_array_task(o);
  EXPECT_EQ(t.n_classes, 2);
  EXPECT_EQ(t.d_input, 2);
  EXPECT_EQ(t.train_y[0].item<int64_t>(), 1);  // label 7 -> class 1 (3 -> 0)
  EXPECT_EQ(t.test_x.sizes(), (std::vector<int64_t>{10, 16, 2}));
  // standardised with the training statistics
  EXPECT_LT(t.train_x.mean(std::vector<int64_t>{0, 1}).abs().max().item<double>(), 1e-5);
  o.test_file = fixture("arrays/two_dims.ts");
  expect_input_error([&] { load_array_task(o); }, "another shape");
}

// Evaluation reads data.test alone, with the classes and statistics the checkpoint saved.
TEST(ArrayData, EvaluationReadsOnlyTheTestFile) {
  DataOptions o;
  o.dataset = "arrays";
  o.train_file = fixture("arrays/train.npz");
  o.test_file = fixture("arrays/test.npz");
  const Task full = load_array_task(o);
  ASSERT_EQ(full.stats.classes, (std::vector<std::string>{"3", "7"}));
  ASSERT_EQ(full.stats.mean.size(), 2u);
  const auto saved = train_split_stats_from_json(to_json(full.stats), "checkpoint.pt");
  o.train_file = "/no/such/training/file.npz";
  const Task alone = load_task(o, TaskSplits::TestOnly, saved);
  EXPECT_FALSE(alone.train_x.defined());
  EXPECT_TRUE(alone.test_x.equal(full.test_x));
  EXPECT_TRUE(alone.test_y.equal(full.test_y));
  EXPECT_EQ(alone.model_input().d_input, full.model_input().d_input);
  EXPECT_EQ(alone.n_classes, full.n_classes);
  auto fewer = saved;
  fewer.classes = {"3"};
  expect_input_error([&] { load_task(o, TaskSplits::TestOnly, fewer); },
                     "class '7' does not occur in the training set");
  auto channels = saved;
  channels.mean = channels.std = {0.0, 1.0, 1.0};
  expect_input_error([&] { load_task(o, TaskSplits::TestOnly, channels); },
                     "2 signal channels, the checkpoint's training set 3");
}

// The same data through the IDX reader and through .npy files: the same weights, bit for bit.
TEST(ArrayData, TrainingFromNpyEqualsTrainingFromIdx) {
  const auto dir = spikessm::testing::scratch_dir("array_idx");
  Config idx;
  idx.set("data.dir=" + spikessm::testing::fashion_mnist_dir());
  for (const char* s :
       {"data.train_limit=256", "data.test_limit=64", "train.max_steps=6", "train.batch_size=32",
        "train.threads=1", "model.d_model=16", "model.d_state=8", "train.log_every=1000"})
    idx.set(s);
  const Task t = load_task(idx);
  for (const char* split : {"train", "test"}) {
    std::filesystem::create_directories(dir / split);
    const bool tr = std::string(split) == "train";
    write_npy((dir / split / "x.npy").string(), tr ? t.train_x : t.test_x);
    write_npy((dir / split / "y.npy").string(), tr ? t.train_y : t.test_y);
  }
  Config arrays = idx;
  for (const std::string& s : std::vector<std::string>{
           "data.dataset=arrays", "data.standardize=false",
           "data.train=" + (dir / "train").string(), "data.test=" + (dir / "test").string()})
    arrays.set(s);
  idx.set("train.out_dir=" + (dir / "run_idx").string());
  arrays.set("train.out_dir=" + (dir / "run_arrays").string());
  const TrainResult a = run_training(idx, {}), b = run_training(arrays, {});
  EXPECT_EQ(a.test.accuracy, b.test.accuracy);
  // The weights themselves (the checkpoints differ in their config section):
  auto ma = load_trained_model((dir / "run_idx/checkpoint.pt").string());
  auto mb = load_trained_model((dir / "run_arrays/checkpoint.pt").string());
  auto pa = ma.module().parameters(), pb = mb.module().parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(pa[i].equal(pb[i])) << i;
}

// ---- unequal lengths: a `lengths` array, unequal .ts rows ----

TEST(ArrayData, LengthsMarkPaddingInSignalsAndTokens) {
  const ArraySplit s = read_array_split(fixture("arrays/lengths.npz"));
  ASSERT_TRUE(s.lengths.defined());
  EXPECT_TRUE(s.lengths.equal(torch::tensor({8, 3, 5, 1, 8, 6}, torch::kInt64)));
  const auto raw = read_npz(fixture("arrays/lengths.npz"))["x"];
  for (int64_t i = 0; i < 6; ++i) {
    const int64_t n = s.lengths[i].item<int64_t>();
    EXPECT_TRUE(s.x[i].narrow(0, 0, n).equal(raw[i].narrow(0, 0, n))) << i;  // NaN/99 after
    EXPECT_TRUE(s.x[i].narrow(0, n, 8 - n).isnan().all().item<bool>()) << i;
  }
  // tokens: the padding (whatever ids it held, -1 included) becomes the padding id 0
  const ArraySplit t = read_array_split(fixture("arrays/tokens_lengths.npz"));
  const auto ids = read_npz(fixture("arrays/tokens_lengths.npz"))["x"];
  EXPECT_TRUE(t.x[0].equal(ids[0] + 1));
  EXPECT_TRUE(t.x[1].narrow(0, 0, 2).equal(ids[1].narrow(0, 0, 2) + 1));
  EXPECT_EQ(t.x[1].narrow(0, 2, 4).abs().sum().item<int64_t>(), 0);
  EXPECT_EQ(t.x[2].narrow(0, 4, 2).abs().sum().item<int64_t>(), 0);
  // unequal .ts rows: 5, 2, 7 and 1 steps
  const ArraySplit u = read_array_split(fixture("arrays/unequal.ts"));
  EXPECT_TRUE(u.lengths.equal(torch::tensor({5, 2, 7, 1}, torch::kInt64)));
  EXPECT_EQ(u.x.sizes(), (std::vector<int64_t>{4, 7, 1}));
  EXPECT_EQ(u.x[1][1][0].item<float>(), 0.5f);
  EXPECT_TRUE(u.x[1].narrow(0, 2, 5).isnan().all().item<bool>());
  EXPECT_NE(inspect_data_file(fixture("arrays/unequal.ts")).find("length 1..7"), std::string::npos);
}

TEST(ArrayData, BadLengthsAreOneLine) {
  const auto dir = spikessm::testing::scratch_dir("array_bad_lengths");
  auto folder = [&](const std::string& name, const torch::Tensor& x, const torch::Tensor& len) {
    std::filesystem::create_directories(dir / name);
    write_npy((dir / name / "x.npy").string(), x);
    write_npy((dir / name / "y.npy").string(), torch::tensor({0, 1, 0}, torch::kInt64));
    write_npy((dir / name / "lengths.npy").string(), len);
    return (dir / name).string();
  };
  const auto x = torch::zeros({3, 4});
  expect_input_error(
      [&] {
        read_array_split(folder("long", x, torch::tensor({4, 5, 1}, torch::kInt64)));
      },
      "lengths range 1..5, expected 1..4 (the steps of x)");
  expect_input_error(
      [&] {
        read_array_split(folder("zero", x, torch::tensor({4, 0, 1}, torch::kInt64)));
      },
      "lengths range 0..4");
  expect_input_error(
      [&] {
        read_array_split(folder("count", x, torch::tensor({4, 2}, torch::kInt64)));
      },
      "lengths has shape (2,), expected (3,)");
  expect_input_error(
      [&] {
        read_array_split(folder("frac", x, torch::tensor({4.f, 2.5f, 1.f})));
      },
      "lengths holds non-integer values");
  auto nan_inside = x.clone();
  nan_inside[1][1] = NAN;  // step 1 of a row of 2 valid steps
  expect_input_error(
      [&] {
        read_array_split(folder("nan", nan_inside, torch::tensor({4, 2, 1}, torch::kInt64)));
      },
      "x holds NaN or Inf values within the lengths");
  nan_inside[1][1] = 0.f;
  nan_inside[1][3] = NAN;  // after its length: padding, not looked at
  EXPECT_NO_THROW(
      read_array_split(folder("nan_after", nan_inside, torch::tensor({4, 2, 1}, torch::kInt64))));
}

// Standardisation uses the valid steps only (a float64 reference from the raw arrays).
TEST(ArrayData, StandardisationSkipsPadding) {
  DataOptions o;
  o.dataset = "arrays";
  o.train_file = o.test_file = fixture("arrays/lengths.npz");
  const Task t = load_array_task(o);
  auto raw = read_npz(fixture("arrays/lengths.npz"));
  const auto x = raw["x"].to(torch::kFloat64);
  const auto len = raw["lengths"];
  for (int64_t c = 0; c < 2; ++c) {
    std::vector<double> v;
    for (int64_t i = 0; i < 6; ++i)
      for (int64_t j = 0; j < len[i].item<int64_t>(); ++j) v.push_back(x[i][j][c].item<double>());
    double mean = 0, sq = 0;
    for (double a : v) mean += a / double(v.size());
    for (double a : v) sq += (a - mean) * (a - mean);
    EXPECT_NEAR(t.stats.mean[size_t(c)], mean, 1e-5) << c;
    EXPECT_NEAR(t.stats.std[size_t(c)], std::sqrt(sq / double(v.size() - 1)), 1e-5) << c;
  }
  EXPECT_TRUE(t.train_x[1].narrow(0, 3, 5).isnan().all().item<bool>());  // padding stays marked
}

// A padded row's logits equal the row's alone: causal blocks, mean over the valid steps.
TEST(ArrayData, PaddedRowGivesTheLogitsOfTheRowAlone) {
  const ArraySplit s = read_array_split(fixture("arrays/lengths.npz"));
  ModelInput in;
  in.kind = TaskInput::Signal;
  in.d_input = 2;
  in.n_classes = 3;
  for (const std::vector<std::string>& model :
       std::vector<std::vector<std::string>>{{"model.block=spiking_ssm", "model.spiking=true"},
                                             {"model.block=spiking_ssm", "model.spiking=false"},
                                             {"model.block=binary_s4d", "model.mixer=glu"},
                                             {"model.block=binary_s4d", "model.mixer=gsu"}}) {
    Config cfg;
    for (const char* k :
         {"model.n_layers=2", "model.d_model=16", "model.d_state=8", "model.bidirectional=false"})
      cfg.set(k);
    for (const auto& k : model) cfg.set(k);
    torch::manual_seed(3);
    auto net = build_classifier(cfg, in);
    net->eval();
    torch::NoGradGuard ng;
    const auto batch = net(s.x);  // (6, 3)
    EXPECT_TRUE(torch::isfinite(batch).all().item<bool>()) << model[0] << " " << model[1];
    for (int64_t i = 0; i < 6; ++i) {
      const auto row = s.x.narrow(0, i, 1).narrow(1, 0, s.lengths[i].item<int64_t>());
      EXPECT_TRUE(torch::allclose(net(row)[0], batch[i], 1e-4, 1e-5))
          << model[0] << " " << model[1] << " row " << i << "\n"
          << net(row)[0] << batch[i];
    }
  }
}

// Training and evaluating on unequal-length .ts rows: finite losses and weights, and the
// checkpoint's evaluation reads the test file with its padding alone.
TEST(ArrayData, TrainsOnUnequalLengthRows) {
  const auto dir = spikessm::testing::scratch_dir("array_unequal_train");
  Config c;
  for (const std::string& k : std::vector<std::string>{
           "data.dataset=arrays", "data.train=" + fixture("arrays/unequal.ts"),
           "data.test=" + fixture("arrays/unequal.ts"), "model.d_model=8", "model.d_state=4",
           "model.bidirectional=false", "train.batch_size=2", "train.max_steps=4",
           "train.threads=1", "train.log_every=1000", "train.out_dir=" + (dir / "run").string()})
    c.set(k);
  const TrainResult r = run_training(c, {});
  EXPECT_TRUE(std::isfinite(r.test.loss));
  EXPECT_EQ(r.test.samples, 4);
  auto m = load_trained_model((dir / "run/checkpoint.pt").string());
  for (const auto& p : m.module().parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
}

// ---- HDF5 files as h5py writes them (make_h5_fixtures.py), against NumPy-written twins ----

TEST(Hdf5Arrays, ContiguousAndGzipFilesEqualTheirNumpyTwins) {
  for (const char* name : {"plain", "gzip"}) {
    const auto h5 = read_hdf5_arrays(fixture(std::string("arrays/") + name + ".h5"));
    const auto npz = read_npz(fixture(std::string("arrays/") + name + "_twin.npz"));
    ASSERT_EQ(h5.size(), npz.size()) << name;  // strings and groups left out
    for (const auto& [k, want] : npz) {
      ASSERT_TRUE(h5.count(k)) << name << " " << k;
      const auto& got = h5.at(k);
      EXPECT_EQ(got.sizes(), want.sizes()) << name << " " << k;
      EXPECT_TRUE(got.to(torch::kFloat64).equal(want.to(torch::kFloat64))) << name << " " << k;
    }
    EXPECT_EQ(h5.at("x").scalar_type(),
              std::string(name) == "plain" ? torch::kFloat64 : torch::kFloat32);
  }
  EXPECT_EQ(read_hdf5_arrays(fixture("arrays/gzip.h5")).at("flags").scalar_type(), torch::kBool);
  // through the arrays task: the lengths array pads as in an .npz
  const ArraySplit a = read_array_split(fixture("arrays/plain.h5"));
  const ArraySplit b = read_array_split(fixture("arrays/plain_twin.npz"));
  EXPECT_TRUE(a.lengths.equal(b.lengths));
  EXPECT_TRUE(a.x.nan_to_num(7).equal(b.x.nan_to_num(7)));
  EXPECT_EQ(a.labels, b.labels);
}

TEST(Hdf5Arrays, BadFilesAreOneLine) {
  const auto dir = spikessm::testing::scratch_dir("array_bad_h5");
  auto put = [&](const std::string& name, const std::string& bytes) {
    spikessm::testing::write_file(dir / name, bytes);
    return (dir / name).string();
  };
  expect_input_error([&] { read_array_split(fixture("arrays/no_y.h5")); }, "has no array 'y'");
  expect_input_error([&] { read_hdf5_arrays(put("text.h5", "just some text")); },
                     "text.h5: not an HDF5 file");
  expect_input_error([&] { read_hdf5_arrays(put("empty.h5", "")); }, "empty.h5: not an HDF5");
  // a cut file: the reader (libhdf5, in its own process) fails, the caller gets one line
  const std::string whole = read_file_bytes(fixture("arrays/gzip.h5"));
  expect_input_error([&] { read_hdf5_arrays(put("cut.h5", whole.substr(0, whole.size() / 2))); },
                     "cut.h5");
  expect_input_error([&] { read_hdf5_arrays((dir / "missing.h5").string()); }, "does not exist");
}

// ---- regression targets ----

TEST(ArrayData, RegressionTargetsFromNpzAndTs) {
  const ArraySplit one = read_array_split(fixture("arrays/regress_train.npz"));
  const auto raw = read_npz(fixture("arrays/regress_train.npz"));
  ASSERT_TRUE(one.targets.defined());
  EXPECT_TRUE(one.labels.empty());
  EXPECT_TRUE(one.targets.equal(raw.at("y").to(torch::kFloat32).unsqueeze(1)));
  const ArraySplit two = read_array_split(fixture("arrays/regress2_train.npz"));
  EXPECT_EQ(two.targets.sizes(), (std::vector<int64_t>{30, 2}));
  const ArraySplit ts = read_array_split(fixture("arrays/targets.ts"));
  EXPECT_TRUE(ts.targets.equal(torch::tensor({0.5f, -1.25f, 3.f}).unsqueeze(1)));
  DataOptions o;
  o.dataset = "arrays";
  o.train_file = fixture("arrays/regress2_train.npz");
  const Task t = load_array_task(o);  // seeded split: 24 / 3 / 3
  EXPECT_EQ(t.n_classes, 2);          // two outputs
  EXPECT_EQ(t.stats.targets, 2);
  EXPECT_EQ(t.train_y.scalar_type(), torch::kFloat32);
  EXPECT_EQ(t.test_y.sizes(), (std::vector<int64_t>{3, 2}));
  EXPECT_NE(inspect_data_file(o.train_file).find("regression: 2 target value(s) per row"),
            std::string::npos);
  // classes against targets, and targets of another width
  o.test_file = fixture("arrays/regress_train.npz");
  expect_input_error([&] { load_array_task(o); },
                     "expected 2 regression target values per row, as in the training set");
  o.train_file = fixture("arrays/train.npz");
  expect_input_error([&] { load_array_task(o); }, "holds regression targets, the training set");
  const auto dir = spikessm::testing::scratch_dir("array_bad_targets");
  std::filesystem::create_directories(dir / "nan");
  write_npy((dir / "nan/x.npy").string(), torch::zeros({2, 3}));
  write_npy((dir / "nan/y.npy").string(), torch::tensor({0.5f, NAN}));
  expect_input_error([&] { read_array_split((dir / "nan").string()); },
                     "y holds NaN or Inf target values");
}

// evaluate() on float targets: MSE, MAE and R^2 as a float64 reference computes them from the
// model's own outputs.
TEST(ArrayData, RegressionMetricsMatchAFloat64Reference) {
  DataOptions o;
  o.dataset = "arrays";
  o.train_file = fixture("arrays/regress2_train.npz");
  const Task t = load_array_task(o);
  Config cfg;
  for (const char* k : {"model.n_layers=1", "model.d_model=8", "model.d_state=4"}) cfg.set(k);
  torch::manual_seed(5);
  auto net = build_classifier(cfg, t.model_input());
  net->eval();
  const EvalResult r = evaluate(net, t.train_x, t.train_y, 7, false, false);
  torch::NoGradGuard ng;
  const auto pred = net(t.train_x).to(torch::kFloat64), y = t.train_y.to(torch::kFloat64);
  const double sse = (pred - y).square().sum().item<double>();
  const double sst = (y - y.mean(0, true)).square().sum().item<double>();
  EXPECT_TRUE(r.regression);
  EXPECT_NEAR(r.loss, sse / double(y.numel()), 1e-5);
  EXPECT_NEAR(r.mae, (pred - y).abs().mean().item<double>(), 1e-5);
  EXPECT_NEAR(r.r2, 1.0 - sse / sst, 1e-4);
  EXPECT_EQ(r.accuracy, 0.0);
}

// Training on targets lowers the MSE; the checkpoint's evaluation reads only data.test, with
// the number of targets it saved, and gives the training run's final numbers.
TEST(ArrayData, TrainsRegressionAndEvaluatesTheCheckpoint) {
  const auto dir = spikessm::testing::scratch_dir("array_regress_train");
  Config c;
  for (const std::string& k : std::vector<std::string>{
           "data.dataset=arrays", "data.train=" + fixture("arrays/regress_train.npz"),
           "data.test=" + fixture("arrays/regress_train.npz"), "model.d_model=16",
           "model.d_state=8", "model.spiking=false", "train.batch_size=10", "train.epochs=20",
           "train.lr=0.01", "train.threads=1", "train.log_every=1000",
           "train.out_dir=" + (dir / "run").string()})
    c.set(k);
  const TrainResult r = run_training(c, {});
  ASSERT_TRUE(r.test.regression);
  // y = mean(x) + 0.5 over the rows: predicting the mean of y scores MSE = var(y)
  const auto y = read_npz(fixture("arrays/regress_train.npz")).at("y").to(torch::kFloat64);
  const double var = (y - y.mean()).square().mean().item<double>();
  EXPECT_LT(r.test.loss, 0.5 * var) << "mse " << r.test.loss << " var " << var;
  EXPECT_GT(r.test.r2, 0.5);
  const auto e = evaluate_checkpoint((dir / "run/checkpoint.pt").string(),
                                     {"data.train=/no/such/training/file.npz"});
  EXPECT_NEAR(e.stats.at("mse").get<double>(), r.test.loss, 1e-6);
  EXPECT_NEAR(e.stats.at("r2").get<double>(), r.test.r2, 1e-6);
  EXPECT_NE(e.report.find("test mse "), std::string::npos) << e.report;
}
