#include "spikessm/data/ts_format.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"

namespace spikessm {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(uint8_t(c)));
  return s;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t a = 0;
  for (size_t b; (b = s.find(sep, a)) != std::string::npos; a = b + 1)
    out.push_back(s.substr(a, b - a));
  out.push_back(s.substr(a));
  return out;
}

double number(const std::string& t, const std::string& where, int64_t& missing) {
  const std::string v = trim(t);
  if (v == "?" || lower(v) == "nan") {
    ++missing;
    return std::nan("");
  }
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(d))
    throw InputError(where + ": '" + v + "' is not a number");
  return d;
}

struct Header {
  bool class_label = false, target_label = false, timestamps = false;
  int64_t dimensions = 0;  // 0: not stated
};

void read_header_line(const std::string& line, Header& h, TsData& d, const std::string& where) {
  std::istringstream in(line);
  std::string tag, value;
  in >> tag >> value;
  tag = lower(tag);
  if (tag == "@problemname")
    d.problem = value;
  else if (tag == "@timestamps")
    h.timestamps = lower(value) == "true";
  else if (tag == "@dimensions")
    h.dimensions = std::max<int64_t>(0, std::atoll(value.c_str()));
  else if (tag == "@univariate" && lower(value) == "true")
    h.dimensions = 1;
  else if (tag == "@targetlabel")
    h.target_label = lower(value) == "true";
  else if (tag == "@classlabel") {
    h.class_label = lower(value) == "true";
    for (std::string c; in >> c;) d.class_names.push_back(c);
    if (h.class_label && d.class_names.empty())
      throw InputError(where + ": @classLabel true lists no classes");
  }
  if (h.timestamps)
    throw InputError(where + ": @timeStamps true is not supported (expected plain values)");
}

}  // namespace

TsData read_ts(const std::string& path) {
  const std::string text = read_file_bytes(path);
  TsData d;
  Header h;
  bool in_data = false;
  std::vector<std::vector<std::vector<float>>> rows;  // row, dimension, step
  int64_t line_no = 0, longest = 0;
  std::istringstream in(text);
  for (std::string raw; std::getline(in, raw);) {
    ++line_no;
    const std::string line = trim(raw), where = path + ":" + std::to_string(line_no);
    if (line.empty() || line[0] == '#') continue;
    if (!in_data) {
      if (line[0] != '@') throw InputError(where + ": expected a @-header line before @data");
      if (lower(line) == "@data")
        in_data = true;
      else
        read_header_line(line, h, d, where);
      continue;
    }
    std::vector<std::string> parts = split(line, ':');
    const bool labelled = h.class_label || h.target_label;
    const std::string label = labelled ? trim(parts.back()) : "";
    if (labelled) parts.pop_back();
    if (parts.empty())
      throw InputError(where + ": a label and no values, expected values then ':' and a label");
    const int64_t dims = h.dimensions > 0
                             ? h.dimensions
                             : (rows.empty() ? int64_t(parts.size()) : int64_t(rows[0].size()));
    if (int64_t(parts.size()) != dims)
      throw InputError(where + ": " + std::to_string(parts.size()) + " dimensions, expected " +
                       std::to_string(dims) + (labelled ? " and a label" : ""));
    std::vector<std::vector<float>> row;
    for (const auto& p : parts) {
      std::vector<float> series;
      for (const auto& v : split(p, ',')) series.push_back(float(number(v, where, d.missing)));
      row.push_back(std::move(series));
    }
    const int64_t len = int64_t(row[0].size());
    for (const auto& s : row)
      if (int64_t(s.size()) != len)
        throw InputError(where + ": the dimensions have different lengths (" + std::to_string(len) +
                         " and " + std::to_string(s.size()) + ")");
    longest = std::max(longest, len);
    if (h.class_label) {
      if (std::find(d.class_names.begin(), d.class_names.end(), label) == d.class_names.end())
        throw InputError(where + ": class label '" + label +
                         "' is not among the header's @classLabel list");
      d.labels.push_back(label);
    } else if (h.target_label) {
      int64_t unused = 0;
      d.targets.push_back(number(label, where + " (target)", unused));
    }
    rows.push_back(std::move(row));
  }
  if (!in_data) throw InputError(path + ": no @data line (not a .ts file?)");
  if (rows.empty()) throw InputError(path + ": no data rows after @data");
  const int64_t N = int64_t(rows.size()), C = int64_t(rows[0].size());
  d.x = torch::zeros({N, longest, C}, torch::kFloat32);
  d.lengths = torch::empty({N}, torch::kInt64);
  auto x = d.x.accessor<float, 3>();
  auto lengths = d.lengths.accessor<int64_t, 1>();
  for (int64_t n = 0; n < N; ++n) {
    lengths[n] = int64_t(rows[size_t(n)][0].size());
    for (int64_t c = 0; c < C; ++c) {
      const auto& s = rows[size_t(n)][size_t(c)];
      for (size_t t = 0; t < s.size(); ++t) x[n][int64_t(t)][c] = s[t];
    }
  }
  return d;
}

}  // namespace spikessm
