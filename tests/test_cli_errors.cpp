// Bad input through the real command line: one clear line, exit code 2, nothing written.
// The table of cases is the documentation too: with SPIKESSM_ERRORS_MD=FILE set, the test
// writes every case with the line it produced as a Markdown table (docs/errors.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <unistd.h>

#include "cli_runner.h"
#include "spikessm/common/config.h"
#include "spikessm/common/checkpoint_format.h"
#include "test_util.h"

using spikessm::testing::run_cli;
namespace fs = std::filesystem;

namespace {

struct BadCase {
  std::string what;      // the kind of mistake, for the table
  std::string args;      // after the binary; {dir} is the scratch directory
  std::string expected;  // a fragment the error line must contain
};

std::string fill(std::string s, const std::string& dir) {
  for (size_t p; (p = s.find("{dir}")) != std::string::npos;) s.replace(p, 5, dir);
  return s;
}

std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }
std::string idx(const std::vector<uint32_t>& dims, const std::string& payload) {
  std::string s{'\0', '\0', '\x08', char(dims.size())};
  for (auto d : dims) s += be32(d);
  return s + payload;
}

// An .npy image as numpy.save writes it (format 1.0, header padded to 64 bytes).
std::string npy(const std::string& descr, const std::string& shape, const std::string& payload) {
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + char(h.size() & 0xFF) + char(h.size() >> 8) + h +
         payload;
}
std::string int64s(const std::vector<int64_t>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8);  // little endian
}

// Files the cases read, by path under the scratch directory.
std::map<std::string, std::string> bad_files() {
  std::map<std::string, std::string> f;
  f["bad.toml"] = "[model]\nd_model = = 3\n";
  f["unknown.toml"] = "[model]\nwidth = 3\n";
  f["range.toml"] = "[model]\ndropout = 2.0\n";
  f["type.toml"] = "[train]\nepochs = \"two\"\n";
  f["array.toml"] = "[train]\nlr = [1, 2]\n";
  f["section.toml"] = "[optimizer]\nname = \"sgd\"\n";
  f["dupkey.toml"] = "[train]\nlr = 0.1\nlr = 0.2\n";
  f["unterminated.toml"] = "[model]\nneuron = \"bptt\n";
  f["binary.toml"] = std::string("\x00\xff\xfe\x01 garbage", 12);
  f["choice.toml"] = "[model]\nnorm = \"group\"\n";
  f["notckpt.pt"] = "this text file is not a checkpoint, whatever its name says";
  f["zip.pt"] = "PK\x03\x04 an old or foreign LibTorch archive";
  // spikessm checkpoints damaged in different ways
  spikessm::Config c;
  spikessm::CheckpointMeta m;
  m.config_toml = c.to_toml();
  m.step = 3;
  const std::string good = spikessm::encode_checkpoint(
      {{"meta", spikessm::checkpoint_meta_json(m)}, {"model", "not a torch archive"}});
  f["trunc.pt"] = good.substr(0, good.size() - 7);
  std::string flipped = good;
  flipped[good.size() - 3] ^= 0x40;
  f["flipped.pt"] = flipped;
  f["garbage_model.pt"] = good;
  f["badjson.pt"] = spikessm::encode_checkpoint({{"meta", "{\"format\": 2, \"step\": "}});
  m.config_toml = "[model]\nwidth = 3\n";
  f["badcfg.pt"] = spikessm::encode_checkpoint({{"meta", spikessm::checkpoint_meta_json(m)}});
  f["nometa.pt"] = spikessm::encode_checkpoint({{"model", "x"}});
  // MNIST-layout directories, each with one defect
  const std::string imgs = idx({4, 28, 28}, std::string(4 * 784, '\x10'));
  const std::string lbls = idx({4}, std::string("\x01\x02\x03\x04", 4));
  const std::string I = "/train-images-idx3-ubyte", L = "/train-labels-idx1-ubyte";
  f["emptydata" + I] = "junk";
  f["magic" + I] = "\x01\x02\x03\x04" + imgs.substr(4);
  f["magic" + L] = lbls;
  f["trunc" + I] = imgs.substr(0, imgs.size() - 100);
  f["trunc" + L] = lbls;
  f["count" + I] = imgs;
  f["count" + L] = idx({3}, std::string("\x01\x02\x03", 3));
  f["label" + I] = imgs;
  f["label" + L] = idx({4}, std::string("\x01\x0c\x03\x04", 4));
  f["dims" + I] = idx({4, 784}, std::string(4 * 784, '\x10'));
  f["dims" + L] = lbls;
  f["type" + I] = std::string("\0\0\x0d\x03", 4) + imgs.substr(4);
  f["type" + L] = lbls;
  f["trail" + I] = imgs + "extra";
  f["trail" + L] = lbls;
  const char gz_header_then_junk[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03 not deflate data";
  f["gz" + I + ".gz"] = std::string(gz_header_then_junk, sizeof gz_header_then_junk - 1);
  f["gz" + L] = lbls;
  f["nolabels" + I] = imgs;
  // test images of another size than the training images
  const std::string small = idx({4, 14, 14}, std::string(4 * 196, '\x10'));
  const std::string TI = "/t10k-images-idx3-ubyte", TL = "/t10k-labels-idx1-ubyte";
  f["sizes" + I] = imgs;
  f["sizes" + L] = lbls;
  f["sizes" + TI] = small;
  f["sizes" + TL] = lbls;
  f["smalltest" + TI] = small;
  f["smalltest" + TL] = lbls;
  // a directory holding something a run does not write, given as a run directory
  f["foreign/notes.txt"] = "mine";
  // a run directory whose checkpoints are both damaged
  f["resumebad/checkpoint.pt"] = "damaged";
  f["resumebad/checkpoint.prev.pt"] = "damaged too";
  // a config that gives a section a value instead of keys
  f["section_array.toml"] = "[[model]]\nd_model = 3\n";
  f["section_value.toml"] = "model = 5\n";
  f["key_table.toml"] = "[model.dropout]\nrate = 0.1\n";
  // language-model checkpoints whose tokenizer.json is damaged
  auto family = [&](const std::string& name) {
    spikessm::Config fc;
    fc.set("model.family=" + name);
    spikessm::CheckpointMeta fm;
    fm.config_toml = fc.to_toml();
    return spikessm::encode_checkpoint({{"meta", spikessm::checkpoint_meta_json(fm)}});
  };
  f["lm/checkpoint.pt"] = family("spiking_ssm_lm");
  f["lm/tokenizer.json"] = std::string("\x89garbage\n\x00\xff{", 12);
  f["lmkind/checkpoint.pt"] = family("neuronspark_lm");
  f["lmkind/tokenizer.json"] = "{\"kind\": 5}";
  // a Latin-1 corpus ("caf\xe9" ...)
  std::string latin1;
  for (int i = 0; i < 200; ++i)
    latin1 +=
        "caf\xe9 au lait, cr\xe8me br\xfbl\xe9"
        "e\n";
  f["latin1.txt"] = latin1;
  // your own sequences (data.dataset = "arrays")
  f["arrays/junk.h5"] = "this text is not HDF5, whatever its name says";
  f["arrays/label_only.ts"] = "@univariate true\n@classLabel true a b\n@data\n1,2:a\nb\n";
  f["arrays/long/x.npy"] = npy("<f4", "(3, 4)", std::string(48, '\0'));
  f["arrays/long/y.npy"] = npy("<i8", "(3,)", int64s({0, 1, 0}));
  f["arrays/long/lengths.npy"] = npy("<i8", "(3,)", int64s({4, 5, 1}));
  return f;
}

// A classifier trained for two steps, for the cases that need real weights.
const std::string kTinyRun =
    " --set data.pool=4 --set data.train_limit=64 --set data.test_limit=20"
    " --set model.d_model=8 --set model.d_state=4 --set train.max_steps=2"
    " --set train.out_dir={dir}/cls";

std::vector<BadCase> bad_cases() {
  const std::string out = " --set train.out_dir={dir}/run";
  const std::string eval = " --set data.test_limit=10";
  const std::string cls = " --checkpoint {dir}/cls/checkpoint.pt";
  return {
      // config files
      {"config file missing", "train --config {dir}/missing.toml" + out, "cannot open config file"},
      {"config is a directory", "train --config {dir}" + out,
       "is a directory (expected a TOML config file)"},
      {"TOML syntax error", "train --config {dir}/bad.toml" + out, "bad.toml:2"},
      {"unterminated string", "train --config {dir}/unterminated.toml" + out,
       "unterminated.toml:2"},
      {"binary garbage as config", "train --config {dir}/binary.toml" + out, "binary.toml:1"},
      {"duplicate key", "train --config {dir}/dupkey.toml" + out, "dupkey.toml:3"},
      {"unknown key", "train --config {dir}/unknown.toml" + out, "unknown key 'model.width'"},
      {"unknown section", "train --config {dir}/section.toml" + out,
       "unknown key 'optimizer.name'"},
      {"value out of range", "train --config {dir}/range.toml" + out,
       "model.dropout = 2 is out of range"},
      {"string where an integer is expected", "train --config {dir}/type.toml" + out,
       "train.epochs"},
      {"array where a number is expected", "train --config {dir}/array.toml" + out, "train.lr"},
      {"value not among the choices", "train --config {dir}/choice.toml" + out,
       "is not one of layer, batch, none"},
      // --set values
      {"negative size", "train --set model.d_model=-4" + out, "out of range"},
      {"odd state size", "train --set model.d_state=7" + out, "must be even"},
      {"unknown neuron mode", "train --set model.neuron=magic" + out, "is not one of bptt, sltt"},
      {"unknown surrogate", "train --set model.surrogate=relu" + out,
       "is not one of triangle, sigmoid, atan"},
      {"word for a number", "train --set train.lr=fast" + out, "is not a number"},
      {"fraction for an integer", "train --set train.batch_size=2.5" + out, "train.batch_size"},
      {"zero batch", "train --set train.batch_size=0" + out,
       "train.batch_size = 0 is out of range"},
      {"word for a boolean", "train --set model.prenorm=maybe" + out, "model.prenorm"},
      {"assignment without '='", "train --set model.d_model" + out, "expected key=value"},
      {"unknown --set key", "train --set nosuch.key=1" + out, "unknown key 'nosuch.key'"},
      {"guard limit 0", "train --set train.max_bad_steps=0" + out,
       "train.max_bad_steps = 0 is out of range"},
      {"timeout 0", "train --set train.dist_timeout_s=0" + out,
       "train.dist_timeout_s = 0 is out of range"},
      {"bad fault-injection spec", "train --set train.inject_nonfinite=nan:3" + out,
       "must be loss:STEPS or grad:STEPS"},
      {"reversed fault-injection range", "train --set train.inject_nonfinite=loss:5-3" + out,
       "ends before it starts"},
      {"batch larger than the data",
       "train --set data.train_limit=10 --set train.batch_size=32" + out,
       "exceeds the 10 training samples"},
      {"batch not divisible by ranks",
       "train --set data.train_limit=100 --set train.batch_size=33 --nproc 2" + out,
       "not divisible by the 2 ranks"},
      // flags
      {"unknown flag", "train --bogus-flag" + out, "bogus-flag"},
      {"unknown command", "frobnicate",
       "unknown command 'frobnicate' (expected one of train, eval"},
      {"no command", "", "A subcommand is required"},
      {"flag without its value", "train --config", "--config"},
      {"non-numeric --threads", "train --threads many" + out, "--threads"},
      {"--nproc 0", "train --nproc 0" + out, "--nproc: 0 is out of range [1, 256]"},
      {"--nproc with --world-size", "train --nproc 2 --world-size 2 --master 127.0.0.1:1234" + out,
       "cannot be combined"},
      {"rank outside the world", "train --rank 2 --world-size 2 --master 127.0.0.1:1234" + out,
       "--rank: 2 is not in 0..1"},
      {"--world-size without --master", "train --world-size 2 --rank 1" + out,
       "--master: required"},
      {"--master without a port", "train --world-size 2 --master localhost" + out,
       "expected ADDR:PORT"},
      {"--master port out of range", "train --world-size 2 --master 127.0.0.1:99999" + out,
       "port '99999' is not a number in 1..65535"},
      // numeric flags: the range of their config key (train.threads, model.tau, ...) or their own
      {"--threads beyond any machine", "train --threads 99999999999" + out,
       "--threads: 99999999999 is out of range [0, 256] (the range of train.threads)"},
      {"--threads above train.threads' range", "eval --checkpoint {dir}/none.pt --threads 2000",
       "--threads: 2000 is out of range [0, 256] (the range of train.threads)"},
      {"--threads far above the cores", "train --threads 1000" + out,
       "--threads: 1000 is out of range [0, 256] (the range of train.threads)"},
      {"train.threads far above the cores", "train --set train.threads=1000" + out,
       "train.threads = 1000 is out of range"},
      {"--world-size 0", "train --world-size 0" + out,
       "--world-size: 0 is out of range [1, 65536]"},
      {"--rank beyond int", "train --rank 99999999999" + out,
       "--rank: 99999999999 is out of range"},
      {"negative --samples", "report --checkpoint {dir}/none.pt --out {dir}/rep --samples -5",
       "--samples: -5 is out of range [0, 1000000000] (the range of data.test_limit)"},
      {"--top-p 0", "generate --checkpoint {dir}/none.pt --prompt x --top-p 0",
       "--top-p: 0 is out of range (0, 1]"},
      {"--max-tokens beyond the cap",
       "generate --checkpoint {dir}/none.pt --prompt x --max-tokens 100000001",
       "--max-tokens: 100000001 is out of range [0, 100000000]"},
      {"--dt 0", "export --checkpoint {dir}/none.pt --out {dir}/x.nir --dt 0",
       "--dt: 0 is out of range (0, 1e+06]"},
      {"--contour-length 0", "data generate pathfinder --out {dir}/pf --seed 1 --contour-length 0",
       "--contour-length: 0 is not one of 6, 9, 14"},
      {"--size off the LRA sets", "data stats pathfinder -n 10 --seed 1 --size 48",
       "--size: 48 is not one of 32, 64"},
      {"negative --seed", "data stats listops -n 10 --seed -1",
       "--seed: -1 is out of range [0, 1e+15]"},
      {"--tau beyond 1", "sdn generate --out {dir}/sdn.bin --tau 2",
       "--tau: 2 is out of range [1e-06, 1] (the range of model.tau)"},
      {"SDN data beyond memory", "sdn generate --out {dir}/sdn.bin --n 100000000 --length 10000000",
       "--n x --length: 100000000 x 10000000 = 1000000000000000 steps is more than one data set"},
      {"SDN training set beyond memory", "sdn train --out {dir}/w.json --n-train 100000000",
       "--n-train x --length: 100000000 x 1024 = 102400000000 steps is more than"},
      {"--epochs 0", "sdn train --out {dir}/w.json --epochs 0",
       "--epochs: 0 is out of range [1, 100000]"},
      {"negative --budget-minutes", "bench lra --budget-minutes -1 --out {dir}/t.md",
       "--budget-minutes: -1 is out of range [0, 1e+07] (the range of train.max_minutes)"},
      {"fraction for an integer flag", "train --threads 2.5" + out,
       "--threads: '2.5' is not an integer"},
      // files to write
      {"export into a directory", "export --format nir" + cls + " --out {dir}",
       "is a directory (expected the name of a file to write)"},
      {"import into a directory", "import --format nir --in {dir}/none.nir --out {dir}/cls",
       "is a directory"},
      {"eval --json into a directory", "eval" + cls + " --json {dir}", "is a directory"},
      {"eval --json in a missing directory", "eval" + cls + " --json {dir}/nodir/stats.json",
       "nodir does not exist"},
      // data files
      {"data directory missing", "train --set data.dir={dir}/nodata" + out,
       "nodata: directory not found"},
      {"IDX file of junk", "train --set data.dir={dir}/emptydata" + out, "emptydata"},
      {"IDX bad magic", "train --set data.dir={dir}/magic" + out,
       "does not start with two zero bytes"},
      {"IDX truncated payload", "train --set data.dir={dir}/trunc" + out, "IDX payload truncated"},
      {"IDX trailing bytes", "train --set data.dir={dir}/trail" + out, "5 trailing bytes"},
      {"IDX unsupported type", "train --set data.dir={dir}/type" + out, "unsupported type 0x0d"},
      {"IDX corrupt gzip", "train --set data.dir={dir}/gz" + out, "corrupt gzip stream"},
      {"images not N x H x W", "train --set data.dir={dir}/dims" + out, "expected 3 dimensions"},
      {"label count mismatch", "train --set data.dir={dir}/count" + out, "3 labels for 4 images"},
      {"label out of range", "train --set data.dir={dir}/label" + out, "label 12 out of range"},
      {"labels file missing", "train --set data.dir={dir}/nolabels" + out,
       "train-labels-idx1-ubyte.gz found"},
      {"MNIST without a directory", "train --set data.dataset=mnist" + out, "data.dir"},
      {"training and test images of two sizes", "train --set data.dir={dir}/sizes" + out,
       "sizes/t10k-images-idx3-ubyte: 14x14 images, but the training images "},
      {"eval on test images of another size", "eval" + cls + " --set data.dir={dir}/smalltest",
       "smalltest/t10k-images-idx3-ubyte: 14x14 images, but the training images of the "
       "checkpoint are 28x28"},
      // checkpoints
      {"checkpoint missing", "eval --checkpoint {dir}/none.pt", "checkpoint file not found"},
      {"checkpoint is a directory", "eval --checkpoint {dir}",
       "is a directory, not a regular file (expected a checkpoint file)"},
      {"checkpoint is a device", "eval --checkpoint /dev/zero",
       "/dev/zero: is a character device, not a regular file (expected a checkpoint file)"},
      {"resume from a device", "train --resume --set train.out_dir={dir}/devzero",
       "devzero/checkpoint.pt: is a character device, not a regular file (expected a checkpoint "
       "file); no previous checkpoint"},
      {"text file as checkpoint", "eval --checkpoint {dir}/notckpt.pt", "wrong magic bytes"},
      {"foreign/old LibTorch archive", "eval --checkpoint {dir}/zip.pt",
       "neither this version's format nor format 1"},
      {"truncated checkpoint", "eval --checkpoint {dir}/trunc.pt", "truncated"},
      {"flipped bit in checkpoint", "eval --checkpoint {dir}/flipped.pt",
       "payload checksum mismatch"},
      {"checkpoint weights unreadable", "eval --checkpoint {dir}/garbage_model.pt" + eval,
       "section 'model' is unreadable"},
      {"checkpoint metadata not JSON", "eval --checkpoint {dir}/badjson.pt",
       "metadata is malformed"},
      {"checkpoint with an invalid config", "eval --checkpoint {dir}/badcfg.pt",
       "unknown key 'model.width'"},
      {"checkpoint without metadata", "eval --checkpoint {dir}/nometa.pt", "no 'meta' section"},
      {"eval without --checkpoint", "eval", "--checkpoint is required"},
      {"run directory holding other files", "train --set train.out_dir={dir}/foreign",
       "foreign: holds 'notes.txt', which is not a file of a training run; a new run replaces the "
       "whole directory"},
      {"resume with every checkpoint damaged", "train --resume --set train.out_dir={dir}/resumebad",
       "previous checkpoint is unusable too"},
      {"resume with another state size", "train --resume" + kTinyRun + " --set model.d_state=8",
       "in the checkpoint but"},
      {"resume with another width", "train --resume" + kTinyRun + " --set model.d_model=16",
       "in the checkpoint but"},
      {"resume with more layers", "train --resume" + kTinyRun + " --set model.n_layers=3",
       "of the model is missing from the checkpoint"},
      {"eval with another width", "eval" + cls + " --set model.d_model=16",
       "differs from the one the checkpoint was"},
      // other families and tokenizers
      {"tokenizer.json of binary garbage", "eval --checkpoint {dir}/lm/checkpoint.pt",
       "tokenizer.json: not valid JSON"},
      {"tokenizer.json with a numeric kind", "eval --checkpoint {dir}/lmkind/checkpoint.pt",
       "expected a JSON object with a string \"kind\""},
      {"Latin-1 corpus, word tokenizer",
       "train --set model.family=spiking_ssm_lm --set lm.tokenizer=word --set "
       "lm.data_dir={dir}/latin1.txt" +
           out,
       "latin1.txt: not UTF-8 text (byte 0xE9 at offset 3)"},
      // sections
      {"array of tables for a section", "train --config {dir}/section_array.toml" + out,
       "'model' must be a table ([model] holding keys such as model.n_layers), not an array"},
      {"value for a section", "train --config {dir}/section_value.toml" + out,
       "'model' must be a table"},
      {"table for a key", "train --config {dir}/key_table.toml" + out,
       "model.dropout should be a number, not a table"},
      {"--set on a section", "train --set model=5" + out, "'model' is a section, not a key"},
      // your own sequences
      {"HDF5 file that is not one", "data inspect {dir}/arrays/junk.h5",
       "junk.h5: not an HDF5 file"},
      {"arrays from a text file named .h5",
       "train --set data.dataset=arrays --set data.train={dir}/arrays/junk.h5" + out,
       "junk.h5: not an HDF5 file"},
      {".ts row of only a label",
       "train --set data.dataset=arrays --set data.train={dir}/arrays/label_only.ts" + out,
       "label_only.ts:5: a label and no values"},
      {"lengths beyond the steps of x",
       "train --set data.dataset=arrays --set data.train={dir}/arrays/long" + out,
       "lengths range 1..5, expected 1..4 (the steps of x)"},
      {"per-step labels of another length than x",
       "train --set data.dataset=arrays --set data.train=" +
           spikessm::testing::fixture("arrays/steps_bad_length.npz") + out,
       "steps_bad_length.npz: y has shape (20, 11), expected (N, L = 12) per-step targets"},
      {"a per-step test label the training set lacks",
       "train --set data.dataset=arrays --set data.train=" +
           spikessm::testing::fixture("arrays/steps_train.npz") +
           " --set data.test=" + spikessm::testing::fixture("arrays/steps_unknown_label.npz") + out,
       "steps_unknown_label.npz: y holds label 3 at row 2, step 5, which is not among the "
       "training set's 2 classes"},
  };
}

// Every file under dir with its size and time (the run lock, which a failed start may leave,
// aside): a failed command leaves this unchanged.
std::map<std::string, std::string> listing(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename() == ".lock") continue;
    const bool file = e.is_regular_file();
    files[e.path().string()] =
        file ? std::to_string(e.file_size()) + "@" +
                   std::to_string(e.last_write_time().time_since_epoch().count())
             : "dir";
  }
  return files;
}

}  // namespace

TEST(CliErrors, EachBadInputGivesOneLineAndExitCode2) {
  // Unique per process: other checkouts on this machine may run this test at the same time.
  const auto dir = spikessm::testing::scratch_dir("cli_errors_" + std::to_string(getpid()));
  for (const auto& [name, bytes] : bad_files()) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name, std::ios::binary) << bytes;
  }
  fs::create_directories(dir / "nolabels");
  fs::create_directories(dir / "devzero");
  fs::create_symlink("/dev/zero", dir / "devzero" / "checkpoint.pt");
  auto tiny = run_cli(fill("train" + kTinyRun, dir.string()));
  ASSERT_EQ(tiny.code, 0) << tiny.out;
  const auto cases = bad_cases();
  EXPECT_GE(cases.size(), 40u);
  std::string table =
      "# Malformed input and the error it produces\n\n"
      "Generated by `SPIKESSM_ERRORS_MD=docs/errors.md build/tests/spikessm_tests "
      "--gtest_filter=CliErrors.EachBad*` (tests/test_cli_errors.cpp checks every row: exit code "
      "2, "
      "exactly one line, the expected fragment, nothing written). `$DIR` is the test's scratch "
      "directory holding the malformed files.\n\n| # | input | command | exit | message "
      "|\n|---|---|---|---|---|\n";
  int row = 0;
  auto before = listing(dir);
  for (const auto& c : cases) {
    auto r = run_cli(fill(c.args, dir.string()));
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << c.args << "\n" << r.out;
    EXPECT_FALSE(fs::exists(dir / "run")) << c.args << ": left files behind";
    const auto now = listing(dir);
    EXPECT_EQ(now, before) << c.args << ": changed the files under " << dir;
    before = now;
    auto md = [&](std::string s) {
      for (size_t p; (p = s.find(dir.string())) != std::string::npos;)
        s.replace(p, dir.string().size(), "$DIR");
      for (size_t p = 0; (p = s.find('|', p)) != std::string::npos; p += 2) s.replace(p, 1, "\\|");
      while (!s.empty() && s.back() == '\n') s.pop_back();
      return s;
    };
    table += "| " + std::to_string(++row) + " | " + c.what + " | `spikessm " +
             md(fill(c.args, dir.string())) + "` | " + std::to_string(r.code) + " | `" + md(r.out) +
             "` |\n";
  }
  // The damaged run directory is left exactly as it was.
  EXPECT_EQ(spikessm::read_file_bytes((dir / "resumebad" / "checkpoint.pt").string()), "damaged");
  EXPECT_EQ(fs::directory_iterator(dir / "resumebad") != fs::directory_iterator(), true);
  EXPECT_FALSE(fs::exists(dir / "resumebad" / "config.toml"));
  table +=
      "\n## Helper programs\n\n"
      "spikessm starts gnuplot (the figures of `report`), sentencepiece's `spm_train`, "
      "`spm_encode` and "
      "`spm_export_vocab` (`lm.tokenizer = bpe`) and `bible` (the default language-model corpus) "
      "directly, "
      "with their arguments as they are: no shell reads the paths, whatever characters they hold. "
      "When one is missing or fails (tests/test_gnuplot.cpp, tests/test_tokenizers.cpp):\n\n"
      "| situation | exit | message |\n|---|---|---|\n"
      "| gnuplot not installed | 1 | `error: gnuplot not found: install Debian's gnuplot-nox "
      "(scripts/setup.sh)` |\n"
      "| gnuplot refuses a figure script | 1 | `error: gnuplot failed on DIR/NAME.gp: "
      "<the last line gnuplot printed>` |\n"
      "| sentencepiece not installed | 2 | `error: spm_train: not found; the BPE tokenizer needs "
      "Debian's "
      "sentencepiece (apt-get install sentencepiece, or scripts/setup.sh)` |\n"
      "| spm_encode fails (tests/test_tokenizers.cpp) | 2 | `error: RUN/tokenizer.model: "
      "spm_encode failed to encode N lines of text with this sentencepiece model (<the last line "
      "spm_encode printed>)` |\n"
      "| spm_encode answers something else than ids | 2 | `error: RUN/tokenizer.model: spm_encode "
      "answered '12 x7 5' on line 1 (expected one line of ids below V per input line)` |\n"
      "| bible-kjv not installed, no `lm.data_dir` | 2 | `error: lm.data_dir: is empty, and the "
      "default corpus "
      "needs the King James Bible from Debian (apt-get install bible-kjv bible-kjv-text, or "
      "scripts/setup.sh), "
      "or set lm.data_dir` |\n";
  table +=
      "\n## Run directories\n\n"
      "A new run is written beside `train.out_dir` (in `OUT.staging-XXXXXX`) and takes its place "
      "in one rename once its first checkpoint is on disk, so it replaces the whole directory "
      "(tests/test_run_dir.cpp). Directories it will not replace:\n\n"
      "| situation | exit | message |\n|---|---|---|\n"
      "| the directory holds other files | 2 | `error: OUT: holds 'NAME', which is not a file of "
      "a training run; a new run replaces the whole directory, so move it away or set "
      "train.out_dir to a new directory` |\n"
      "| the current directory, or one holding it | 2 | `error: train.out_dir: '.' is or holds the "
      "current directory; a new run replaces its directory, so train into a directory of its own "
      "(e.g. runs/NAME)` |\n"
      "| a mount point | 2 | `error: OUT: is a mount point; a new run replaces its directory by a "
      "rename, so set train.out_dir to a directory inside it` |\n";
  if (const char* path = std::getenv("SPIKESSM_ERRORS_MD")) std::ofstream(path) << table;
  fs::remove_all(dir);
}

TEST(CliErrors, HelpExitsZero) {
  for (const char* args : {"--help", "train --help", "eval --help"}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.code, 0) << args;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args;
  }
  auto r = run_cli("train --help-config");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("model.d_state"), std::string::npos);
  EXPECT_NE(r.out.find("(one of: triangle, sigmoid, atan, rectangle, fast_sigmoid)"),
            std::string::npos)
      << r.out;
}
