#include "spikessm/data/inspect.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "spikessm/common/error.h"
#include "spikessm/data/array_task.h"
#include "spikessm/data/hdf5_arrays.h"
#include "spikessm/data/npy.h"
#include "spikessm/data/ts_format.h"

namespace spikessm {
namespace fs = std::filesystem;
namespace {

std::string shape_text(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + (t.dim() == 1 ? ",)" : ")");
}

// NumPy's names of the dtypes as read (uint16 arrives widened to int32).
const char* dtype_name(torch::ScalarType s) {
  switch (s) {
    case torch::kBool:
      return "bool";
    case torch::kUInt8:
      return "uint8";
    case torch::kInt8:
      return "int8";
    case torch::kInt16:
      return "int16";
    case torch::kInt32:
      return "int32";
    case torch::kInt64:
      return "int64";
    case torch::kFloat64:
      return "float64";
    default:
      return "float32";
  }
}

// Shape, dtype, NaN/Inf count and range of t, read a chunk at a time so that a memory-mapped
// array larger than memory is never copied (its pages are let go after each chunk).
void describe_array(std::ostream& os, const std::string& name, const torch::Tensor& t) {
  os << name << ": shape " << shape_text(t) << ", " << dtype_name(t.scalar_type());
  const auto flat = t.contiguous().view(-1);
  const int64_t n = flat.numel(), chunk = int64_t(1) << 24;
  if (t.is_floating_point() && n > 0) {
    int64_t bad = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i += chunk) {
      const auto part = flat.narrow(0, i, std::min(chunk, n - i));
      const auto finite = part.masked_select(torch::isfinite(part));
      bad += part.numel() - finite.numel();
      if (finite.numel() > 0) {
        lo = std::min(lo, finite.min().item<double>());
        hi = std::max(hi, finite.max().item<double>());
      }
      release_mapped_pages(part);
    }
    os << ", " << bad << " NaN/Inf";
    if (bad < n) os << ", range [" << lo << ", " << hi << "]";
  } else if (n > 0 && t.scalar_type() != torch::kBool) {
    os << ", range [" << t.min().item<int64_t>() << ", " << t.max().item<int64_t>() << "]";
  }
  os << "\n";
}

void describe_classes(std::ostream& os, const std::vector<std::string>& labels) {
  std::map<std::string, int64_t> counts;
  for (const auto& l : labels) ++counts[l];
  os << "classes: " << counts.size() << " (";
  bool first = true;
  for (const auto& [name, n] : counts) {
    os << (first ? "" : ", ") << name << ": " << n;
    first = false;
  }
  os << ")\n";
}

}  // namespace

std::string inspect_data_file(const std::string& path) {
  std::ostringstream os;
  os << path << "\n";
  const ArrayFile kind = array_file_kind(path);
  const bool ts = kind == ArrayFile::Ts;
  if (ts) {
    const TsData d = read_ts(path);
    os << "problem: " << (d.problem.empty() ? "(unnamed)" : d.problem) << "\n"
       << "rows: " << d.x.size(0) << ", dimensions: " << d.x.size(2) << ", length "
       << d.lengths.min().item<int64_t>() << ".." << d.lengths.max().item<int64_t>()
       << ", missing values: " << d.missing << "\n";
    if (!d.labels.empty()) describe_classes(os, d.labels);
    if (!d.targets.empty()) os << "regression targets: " << d.targets.size() << "\n";
  } else if (kind == ArrayFile::Folder) {
    for (const auto& e : fs::directory_iterator(path))
      if (e.path().extension() == ".npy")
        describe_array(os, e.path().filename().string(), read_npy(e.path().string()));
  } else if (kind == ArrayFile::Npy) {
    describe_array(os, fs::path(path).filename().string(), read_npy(path));
  } else if (kind == ArrayFile::Hdf5) {
    for (const auto& [name, t] : read_hdf5_arrays(path)) describe_array(os, name, t);
  } else {
    for (const auto& [name, t] : read_npz(path)) describe_array(os, name, t);
  }
  try {
    const ArraySplit s = read_array_split(path);
    if (s.targets.defined()) {
      const auto valid = s.targets.masked_select(s.targets.isnan().logical_not());
      os << "target: " << (s.per_step() ? "per-step " : "") << "regression\n"
         << "regression: " << s.targets.size(-1) << " target value(s) per "
         << (s.per_step() ? "step" : "row") << ", range [" << valid.min().item<double>() << ", "
         << valid.max().item<double>() << "]\n";
    } else if (s.step_labels.defined()) {
      os << "target: per-step classes (a label a step)\n";
      const auto steps = s.lengths.defined()
                             ? torch::arange(s.x.size(1)).view({1, -1}).lt(s.lengths.view({-1, 1}))
                             : torch::ones_like(s.step_labels, torch::kBool);
      const auto [values, counts] = [&] {
        auto u = torch::_unique2(s.step_labels.masked_select(steps), true, false, true);
        return std::make_pair(std::get<0>(u), std::get<2>(u));
      }();
      os << "classes: " << values.size(0) << " (steps: ";
      for (int64_t i = 0; i < values.size(0); ++i)
        os << (i ? ", " : "") << values[i].item<int64_t>() << ": " << counts[i].item<int64_t>();
      os << ")\n";
    } else {
      os << "target: classes (a label a row)\n";
      if (!ts) describe_classes(os, s.labels);
    }
    os << "data.dataset = \"arrays\" reads it as x " << shape_text(s.x)
       << (s.x.is_floating_point() ? " signals" : " token ids");
    if (s.lengths.defined())
      os << ", rows of " << s.lengths.min().item<int64_t>() << ".."
         << s.lengths.max().item<int64_t>() << " steps (padded to " << s.x.size(1) << ")";
    os << "\n";
  } catch (const InputError& e) {
    os << "data.dataset = \"arrays\" does not accept it: " << e.what() << "\n";
  }
  return os.str();
}

}  // namespace spikessm
