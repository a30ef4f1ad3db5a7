#include "spikessm/data/array_task.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "spikessm/common/error.h"
#include "spikessm/data/hdf5_arrays.h"
#include "spikessm/data/npy.h"
#include "spikessm/data/ts_format.h"

namespace spikessm {
namespace fs = std::filesystem;
namespace {

// Whether y holds regression targets: floats of shape (N, K), or (N,) with a fraction.
bool is_regression(const torch::Tensor& y) {
  return y.is_floating_point() &&
         (y.dim() == 2 || (y.dim() == 1 && !y.eq(y.round()).all().item<bool>()));
}

// Regression targets -> (N, K) float32; every value finite.
torch::Tensor target_values(const torch::Tensor& y, const std::string& where) {
  require(torch::isfinite(y).all().item<bool>(), where, "y holds NaN or Inf target values");
  require(y.dim() == 1 || y.size(1) > 0, where, "y has shape (N, 0): no target values");
  return (y.dim() == 1 ? y.unsqueeze(1) : y).to(torch::kFloat32).contiguous();
}

std::vector<std::string> label_texts(const torch::Tensor& y, const std::string& where) {
  require(y.dim() == 1, where,
          "y has " + std::to_string(y.dim()) +
              " dimensions, expected (N,) class labels, (N, K) float regression targets, (N, L) "
              "per-step labels or (N, L, K) float per-step targets");
  auto ids = y.to(torch::kInt64);
  std::vector<std::string> out;
  out.reserve(size_t(ids.size(0)));
  const int64_t* p = ids.data_ptr<int64_t>();
  for (int64_t i = 0; i < ids.size(0); ++i) out.push_back(std::to_string(p[i]));
  return out;
}

std::string shape_text(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + (t.dim() == 1 ? ",)" : ")");
}

// (N, L) true at the steps after each row's length; undefined when every row is full.
torch::Tensor padding_steps(const torch::Tensor& lengths, int64_t N, int64_t L,
                            const std::string& where) {
  require(lengths.dim() == 1 && lengths.size(0) == N, where,
          "lengths has shape " + shape_text(lengths) + ", expected (" + std::to_string(N) +
              ",): one length per row of x");
  require(lengths.scalar_type() != torch::kBool &&
              (!lengths.is_floating_point() || (torch::isfinite(lengths).all().item<bool>() &&
                                                lengths.eq(lengths.round()).all().item<bool>())),
          where, "lengths holds non-integer values, expected whole step counts");
  const auto len = lengths.to(torch::kInt64);
  const int64_t lo = len.min().item<int64_t>(), hi = len.max().item<int64_t>();
  require(lo >= 1 && hi <= L, where,
          "lengths range " + std::to_string(lo) + ".." + std::to_string(hi) + ", expected 1.." +
              std::to_string(L) + " (the steps of x)");
  if (lo == L) return {};
  return torch::arange(L).view({1, L}).ge(len.view({N, 1}));
}

// x as the model reads it: (N, L, C) float32 signals, or (N, L) int64 ids; `pad` (N, L) or
// undefined: the padding steps, whose values are not looked at.
torch::Tensor model_layout(torch::Tensor x, const torch::Tensor& pad, const std::string& where) {
  if (!x.is_floating_point() && x.scalar_type() != torch::kBool && x.dim() == 2) {
    x = x.to(torch::kInt64);
    if (pad.defined()) x = x.masked_fill(pad, 0);
    require(x.min().item<int64_t>() >= 0, where, "x holds negative token ids");
    x = x + 1;  // token ids, shifted: 0 is the padding id
    return pad.defined() ? x.masked_fill(pad, 0) : x;
  }
  if (x.dim() == 2) x = x.unsqueeze(2);
  if (x.scalar_type() != torch::kFloat32) x = x.to(torch::kFloat32);
  if (x.numel() < (int64_t(1) << 28)) {  // memory-mapped giants: trusted
    auto bad = ~torch::isfinite(x);
    if (pad.defined()) bad = bad.logical_and(pad.logical_not().unsqueeze(2));
    require(
        !bad.any().item<bool>(), where,
        std::string("x holds NaN or Inf values") + (pad.defined() ? " within the lengths" : ""));
  }
  return pad.defined() ? x.masked_fill(pad.unsqueeze(2), NAN) : x;  // NaN marks padding
}

// Per-step targets: y (N, L) integer labels or (N, L, K) float values, one entry a step of x;
// `pad` (N, L) or undefined. Values at padding steps are not looked at.
void per_step_targets(ArraySplit& s, const torch::Tensor& y, int64_t L, const torch::Tensor& pad,
                      const std::string& where) {
  const bool labels = y.dim() == 2;
  require(labels || y.is_floating_point(), where,
          "y has shape " + shape_text(y) + " of integers, expected (N, L) per-step labels or " +
              "(N, L, K) float per-step targets");
  require(y.size(1) == L, where,
          "y has shape " + shape_text(y) + ", expected " + (labels ? "(N," : "(N, L, K) with") +
              " L = " + std::to_string(L) + (labels ? ")" : "") +
              " per-step targets (one a step of x) or (N,) labels");
  if (labels) {
    s.step_labels = y.to(torch::kInt64).contiguous();  // (N, L)
    return;
  }
  require(y.size(2) > 0, where, "y has shape (N, L, 0): no target values");
  auto bad = ~torch::isfinite(y);
  if (pad.defined()) bad = bad.logical_and(pad.logical_not().unsqueeze(2));
  require(!bad.any().item<bool>(), where,
          std::string("y holds NaN or Inf target values") +
              (pad.defined() ? " within the lengths" : ""));
  s.targets = y.to(torch::kFloat32).contiguous();  // (N, L, K), NaN marks padding
  if (pad.defined()) s.targets.masked_fill_(pad.unsqueeze(2), NAN);
}

ArraySplit from_arrays(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& lengths,
                       const std::string& where) {
  require(x.dim() == 2 || x.dim() == 3, where,
          "x has " + std::to_string(x.dim()) + " dimensions, expected (N, L) or (N, L, C)");
  require(x.size(0) > 0 && x.size(1) > 0, where, "x is empty");
  ArraySplit s;
  s.source = where;
  require(y.dim() >= 1 && y.size(0) == x.size(0), where,
          "x has " + std::to_string(x.size(0)) + " rows but y has " +
              (y.dim() == 0 ? std::string("none (a scalar)") : std::to_string(y.size(0))));
  const auto pad =
      lengths.defined() ? padding_steps(lengths, x.size(0), x.size(1), where) : torch::Tensor();
  if (y.dim() == 3 || (y.dim() == 2 && !y.is_floating_point()))
    per_step_targets(s, y, x.size(1), pad, where);
  else if (is_regression(y))
    s.targets = target_values(y, where);
  else
    s.labels = label_texts(y, where);
  s.x = model_layout(x, pad, where);
  if (pad.defined()) s.lengths = x.size(1) - pad.sum(1);
  return s;
}

}  // namespace

ArrayFile array_file_kind(const std::string& path) {
  auto ends_with = [&](const std::string& end) {
    return path.size() >= end.size() &&
           path.compare(path.size() - end.size(), end.size(), end) == 0;
  };
  if (fs::is_directory(path)) return ArrayFile::Folder;
  if (ends_with(".ts")) return ArrayFile::Ts;
  if (ends_with(".npz")) return ArrayFile::Npz;
  if (ends_with(".npy")) return ArrayFile::Npy;
  if (ends_with(".h5") || ends_with(".hdf5")) return ArrayFile::Hdf5;
  return ArrayFile::Unknown;
}

ArraySplit read_array_split(const std::string& path) {
  require(fs::exists(path), path,
          "does not exist (expected an .npz, an .h5, a folder of .npy files or a .ts file)");
  const ArrayFile kind = array_file_kind(path);
  if (kind == ArrayFile::Folder) {
    for (const char* f : {"/x.npy", "/y.npy"})
      require(fs::exists(path + f), path, std::string("has no ") + (f + 1));
    const std::string lengths = path + "/lengths.npy";
    return from_arrays(read_npy(path + "/x.npy"), read_npy(path + "/y.npy"),
                       fs::exists(lengths) ? read_npy(lengths) : torch::Tensor(), path);
  }
  if (kind == ArrayFile::Ts) {
    TsData d = read_ts(path);
    require(d.missing == 0, path,
            std::to_string(d.missing) + " missing values ('?'), expected none");
    require(!d.labels.empty() || !d.targets.empty(), path,
            "has neither class labels nor targets (@classLabel or @targetLabel true expected)");
    ArraySplit s;
    s.source = path;
    if (!d.targets.empty())
      s.targets = target_values(torch::tensor(d.targets, torch::kFloat64), path);
    const auto pad = padding_steps(d.lengths, d.x.size(0), d.x.size(1), path);
    s.x = pad.defined() ? d.x.masked_fill(pad.unsqueeze(2), NAN) : d.x;  // NaN marks padding
    if (pad.defined()) s.lengths = d.lengths;
    s.labels = std::move(d.labels);
    return s;
  }
  require(kind == ArrayFile::Npz || kind == ArrayFile::Hdf5, path,
          "unknown format (expected .npz, .h5, .ts, or a folder with x.npy and y.npy)");
  auto arrays = kind == ArrayFile::Npz ? read_npz(path) : read_hdf5_arrays(path);
  for (const char* k : {"x", "y"})
    require(arrays.count(k), path, std::string("has no array '") + k + "'");
  return from_arrays(arrays["x"], arrays["y"],
                     arrays.count("lengths") ? arrays["lengths"] : torch::Tensor(), path);
}

namespace {

// Inputs of more elements than this (a memory-mapped .npy of 1 GiB or more) are not copied:
// statistics are taken in chunks and the trainer standardises a batch at a time.
constexpr int64_t kCopyLimit = int64_t(1) << 28;

// Labels -> ids 0..K-1: integers in numeric order, other text in byte order.
std::vector<std::string> class_order(const std::vector<std::string>& labels) {
  std::set<std::string> uniq(labels.begin(), labels.end());
  std::vector<std::string> names(uniq.begin(), uniq.end());
  const bool numeric = std::all_of(names.begin(), names.end(), [](const std::string& s) {
    const size_t digits = s.size() - (s[0] == '-');  // an integer that std::stoll takes
    return !s.empty() && digits >= 1 && digits <= 18 &&
           s.find_first_not_of("0123456789", s[0] == '-') == std::string::npos;
  });
  if (numeric)
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return std::stoll(a) < std::stoll(b);
    });
  return names;
}

// (N, L) true at the valid steps of s (every step when no row is short).
torch::Tensor valid_steps(const ArraySplit& s) {
  const int64_t N = s.x.size(0), L = s.x.size(1);
  if (!s.lengths.defined()) return torch::ones({N, L}, torch::kBool);
  return torch::arange(L).view({1, L}).lt(s.lengths.view({N, 1}));
}

// The classes of per-step labels: the distinct values at valid steps, in numeric order.
std::vector<std::string> step_class_order(const ArraySplit& s) {
  const auto values = std::get<0>(torch::_unique(s.step_labels.masked_select(valid_steps(s))));
  std::vector<std::string> names;
  for (int64_t i = 0; i < values.size(0); ++i)
    names.push_back(std::to_string(values[i].item<int64_t>()));
  return names;
}

// Per-step labels -> (N, L) class ids, -1 at the padding steps.
torch::Tensor step_class_ids(const ArraySplit& s, const std::vector<std::string>& names) {
  std::vector<int64_t> v;
  for (const auto& n : names) v.push_back(std::stoll(n));  // numeric: step_class_order's text
  const auto values = torch::tensor(v, torch::kInt64);     // (K) ascending
  const auto valid = valid_steps(s);
  const auto pos = torch::searchsorted(values, s.step_labels).clamp_max(values.size(0) - 1);
  const auto unknown = values.index({pos}).ne(s.step_labels).logical_and(valid);  // (N, L)
  if (unknown.any().item<bool>()) {
    const auto at = unknown.nonzero()[0];
    const int64_t r = at[0].item<int64_t>(), t = at[1].item<int64_t>();
    throw InputError(
        s.source + ": y holds label " + std::to_string(s.step_labels[r][t].item<int64_t>()) +
        " at row " + std::to_string(r) + ", step " + std::to_string(t) +
        ", which is not among the training set's " + std::to_string(names.size()) + " classes");
  }
  return pos.masked_fill(valid.logical_not(), -1);
}

torch::Tensor class_ids(const ArraySplit& s, const std::vector<std::string>& names) {
  if (s.step_labels.defined()) return step_class_ids(s, names);
  std::vector<int64_t> ids;
  for (const auto& l : s.labels) {
    const auto it = std::find(names.begin(), names.end(), l);
    require(it != names.end(), s.source, "class '" + l + "' does not occur in the training set");
    ids.push_back(int64_t(it - names.begin()));
  }
  return torch::tensor(ids, torch::kInt64);
}

std::vector<double> as_vector(const torch::Tensor& v) {
  auto d = v.to(torch::kFloat64).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

// Mean and standard deviation of each channel of x (N, L, C) over its valid steps (padding
// is NaN): (1, 1, C) float32 each. Rows are read a chunk at a time, merged in float64 (Chan,
// Golub and LeVeque's pairwise update of counts, means and squared deviations), so that a
// memory-mapped x is never copied whole; its pages are let go after each chunk.
std::pair<torch::Tensor, torch::Tensor> channel_statistics(const torch::Tensor& x) {
  const int64_t N = x.size(0), C = x.size(2);
  const int64_t rows = std::max<int64_t>(1, (int64_t(1) << 22) / (x.size(1) * C));
  const std::vector<int64_t> rows_steps = {0, 1};
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto n = torch::zeros({C}, f64), mean = torch::zeros({C}, f64), m2 = torch::zeros({C}, f64);
  const auto zero = torch::zeros({}, f64);
  for (int64_t i = 0; i < N; i += rows) {
    const auto part = x.narrow(0, i, std::min(rows, N - i));
    const auto c = part.to(torch::kFloat64);  // (r, L, C)
    const auto valid = c.isnan().logical_not();
    const auto nc = valid.sum(rows_steps).to(torch::kFloat64);  // (C)
    const auto mc = torch::where(valid, c, zero).sum(rows_steps) / nc.clamp_min(1);
    const auto m2c = torch::where(valid, (c - mc).square(), zero).sum(rows_steps);
    const auto total = n + nc, delta = mc - mean;
    mean = mean + delta * nc / total.clamp_min(1);
    m2 = m2 + m2c + delta.square() * n * nc / total.clamp_min(1);
    n = total;
    release_mapped_pages(part);
  }
  const auto sd = (m2 / (n - 1).clamp_min(1)).sqrt().clamp_min(1e-8);
  return {mean.to(torch::kFloat32).view({1, 1, C}), sd.to(torch::kFloat32).view({1, 1, C})};
}

// What a split must share with the training set.
struct SplitKind {
  std::vector<std::string> names;  // classes (empty for regression)
  int64_t targets = 0;             // regression values per row or step (0: classes)
  bool per_step = false;
  bool padded = false;  // some training rows are shorter: other splits may pad to another L
};

// A split read from `file` with the training set's classes (or regression values), target
// kind and row shape; `like` the training inputs (undefined: not known).
void read_split(const std::string& file, const SplitKind& k, const torch::Tensor& like,
                torch::Tensor& x, torch::Tensor& y) {
  ArraySplit s = read_array_split(file);
  require(s.per_step() == k.per_step, file,
          std::string("holds per-") + (k.per_step ? "sequence" : "step") +
              " targets, the training set per-" + (k.per_step ? "step" : "sequence") + " ones");
  require(k.targets == 0 || (s.targets.defined() && s.targets.size(-1) == k.targets), file,
          "expected " + std::to_string(k.targets) + " regression target values per " +
              (k.per_step ? "step" : "row") + ", as in the training set");
  require(k.targets > 0 || !s.targets.defined(), file,
          "holds regression targets, the training set class labels");
  // Padded splits (some rows shorter) may be padded to another length than training's.
  const bool padded = s.lengths.defined() || k.padded;
  require(!like.defined() || (s.x.dim() == like.dim() && (padded || s.x.size(1) == like.size(1)) &&
                              (s.x.dim() == 2 || s.x.size(2) == like.size(2))),
          file, "has rows of another shape than data.train's");
  x = s.x;
  y = k.targets > 0 ? s.targets : class_ids(s, k.names);
}

// Every split from the files (or the seeded split of data.train); t.stats records what the
// test split takes from training.
Task arrays_with_train(const DataOptions& o) {
  require(!o.train_file.empty(), "data.train",
          "dataset 'arrays' needs data.train (an .npz, a folder of .npy files or a .ts file)");
  ArraySplit train = read_array_split(o.train_file);
  SplitKind k;
  k.targets = train.targets.defined() ? train.targets.size(-1) : 0;
  k.per_step = train.per_step();
  k.padded = train.lengths.defined();
  if (k.targets == 0) k.names = k.per_step ? step_class_order(train) : class_order(train.labels);
  require(k.targets > 0 || k.names.size() >= 2, o.train_file,
          "has " + std::to_string(k.names.size()) + " class, expected at least 2");
  Task t;
  t.input = train.x.is_floating_point() ? TaskInput::Signal : TaskInput::Tokens;
  t.train_x = train.x;
  t.train_y = k.targets > 0 ? train.targets : class_ids(train, k.names);
  if (!o.val_file.empty()) read_split(o.val_file, k, t.train_x, t.val_x, t.val_y);
  if (!o.test_file.empty()) {
    read_split(o.test_file, k, t.train_x, t.test_x, t.test_y);
  } else {  // a seeded 80/10/10 split of the training file
    auto perm = seeded_permutation(t.train_x.size(0), o.split_seed);
    const int64_t n = perm.size(0), n_test = std::max<int64_t>(1, n / 10),
                  n_val = o.val_file.empty() ? n / 10 : 0;
    auto pick = [&](int64_t a, int64_t len, torch::Tensor& x, torch::Tensor& y) {
      auto idx = perm.narrow(0, a, len);
      x = t.train_x.index_select(0, idx);
      y = t.train_y.index_select(0, idx);
    };
    pick(n - n_test, n_test, t.test_x, t.test_y);
    if (n_val > 0) pick(n - n_test - n_val, n_val, t.val_x, t.val_y);
    pick(0, n - n_test - n_val, t.train_x, t.train_y);
  }
  t.stats.classes = k.names;
  t.stats.targets = k.targets;
  t.stats.per_step = k.per_step;
  if (o.standardize && t.input == TaskInput::Signal) {    // per channel, training statistics
    const auto [mu, sd] = channel_statistics(t.train_x);  // (1, 1, C) each
    for (auto* x : {&t.train_x, &t.val_x, &t.test_x}) {
      if (!x->defined()) continue;
      if (x == &t.train_x && x->numel() >= kCopyLimit) {  // a batch at a time (trainer)
        t.batch_shift = mu;
        t.batch_scale = sd;
      } else {
        *x = (*x - mu) / sd;
      }
    }
    t.stats.mean = as_vector(mu);
    t.stats.std = as_vector(sd);
  }
  if (t.input == TaskInput::Tokens) {
    t.stats.vocab = 1;
    for (const auto* x : {&t.train_x, &t.val_x, &t.test_x})
      if (x->defined()) t.stats.vocab = std::max(t.stats.vocab, x->max().item<int64_t>() + 1);
  }
  return t;
}

// Only data.test, with the classes, standardisation and vocabulary saved at training.
Task arrays_test_only(const DataOptions& o, const TrainSplitStats& saved) {
  Task t;
  SplitKind k;
  k.names = saved.classes;
  k.targets = saved.targets;
  k.per_step = saved.per_step;
  read_split(o.test_file, k, torch::Tensor(), t.test_x, t.test_y);
  t.input = t.test_x.is_floating_point() ? TaskInput::Signal : TaskInput::Tokens;
  t.stats = saved;
  if (!saved.mean.empty()) {
    require(
        t.input == TaskInput::Signal && int64_t(saved.mean.size()) == t.test_x.size(2), o.test_file,
        "has " + std::to_string(t.test_x.dim() == 3 ? t.test_x.size(2) : 0) +
            " signal channels, the checkpoint's training set " + std::to_string(saved.mean.size()));
    auto channel = [](const std::vector<double>& v) {
      return torch::tensor(v, torch::kFloat64).to(torch::kFloat).view({1, 1, -1});
    };
    t.test_x = (t.test_x - channel(saved.mean)) / channel(saved.std);
  }
  if (t.input == TaskInput::Tokens) {
    require(saved.vocab > 0, o.test_file, "holds token ids, the checkpoint's training set signals");
    const int64_t top = t.test_x.max().item<int64_t>();
    require(top < saved.vocab, o.test_file,
            "token id " + std::to_string(top - 1) + " is beyond the checkpoint's vocabulary of " +
                std::to_string(saved.vocab - 1) + " ids");
  }
  return t;
}

}  // namespace

Task load_array_task(const DataOptions& o, TaskSplits splits, const TrainSplitStats& saved) {
  // A seeded split needs the training file; so does a checkpoint saved without class names.
  const bool test_only = splits == TaskSplits::TestOnly && !o.test_file.empty() &&
                         (!saved.classes.empty() || saved.targets > 0);
  Task t = test_only ? arrays_test_only(o, saved) : arrays_with_train(o);
  const auto& x = test_only ? t.test_x : t.train_x;
  const int64_t channels = t.input == TaskInput::Signal ? x.size(2) : 1;
  t.L = x.size(1);
  t.d_input = t.input == TaskInput::Signal ? channels : t.stats.vocab;
  // regression: the decoder's outputs are the target values
  t.n_classes = t.stats.targets > 0 ? t.stats.targets : int64_t(t.stats.classes.size());
  t.description = "arrays (" + (test_only ? o.test_file : o.train_file) +
                  "), L = " + std::to_string(t.L) + ", " + std::to_string(channels) +
                  (t.input == TaskInput::Signal ? " channels, " : " token stream, ") +
                  std::to_string(t.n_classes) +
                  (t.stats.targets > 0 ? " regression targets" : " classes") +
                  (t.stats.per_step ? " a step, " : ", ") +
                  (t.train_x.defined() ? std::to_string(t.train_x.size(0)) + " train / " : "") +
                  (t.val_x.defined() ? std::to_string(t.val_x.size(0)) + " val / " : "") +
                  std::to_string(t.test_x.size(0)) + " test";
  return t;
}

}  // namespace spikessm
