// The user's own sequences: .npy / .npz as NumPy writes them (fixtures written by NumPy itself,
// tests/fixtures/arrays/make_fixtures.py), .ts files, the arrays task, and training from arrays
// equal to training from the IDX reader on the same data.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "spikessm/common/error.h"
#include "spikessm/data/array_task.h"
#include "spikessm/data/inspect.h"
#include "spikessm/data/npy.h"
#include "spikessm/data/ts_format.h"
#include "spikessm/common/file_bytes.h"
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
