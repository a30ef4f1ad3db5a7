#include "spikessm/data/lra_stats.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <unordered_set>

namespace spikessm {

ListOpsStats listops_stats(const std::vector<ListOpsSample>& s, int max_depth) {
  ListOpsStats st;
  st.n = int64_t(s.size());
  st.length_hist.assign(6, 0);
  st.depth_hist.assign(size_t(max_depth + 1), 0);
  st.label_hist.assign(10, 0);
  st.op_hist.assign(4, 0);
  if (s.empty()) return st;
  std::vector<int> lengths;
  std::unordered_set<std::string> uniq;
  double sum = 0;
  for (const auto& x : s) {
    lengths.push_back(x.length);
    sum += x.length;
    st.length_hist[size_t(std::min(5, std::max(0, (x.length - 500) / 250)))]++;
    st.depth_hist[size_t(std::min(max_depth, x.depth))]++;
    st.label_hist[size_t(x.target)]++;
    // the root operator is the token after the leading parentheses
    const auto pos = x.source.find('[');
    const std::string op = x.source.substr(pos, x.source.find(' ', pos) - pos);
    st.op_hist[op == "[MIN" ? 0 : op == "[MAX" ? 1 : op == "[MED" ? 2 : 3]++;
    uniq.insert(x.source);
  }
  std::sort(lengths.begin(), lengths.end());
  st.min_length = lengths.front();
  st.max_length = lengths.back();
  st.mean_length = sum / double(s.size());
  st.median_length = lengths[lengths.size() / 2];
  st.unique = int64_t(uniq.size());
  return st;
}

std::string ListOpsStats::markdown() const {
  std::ostringstream os;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "samples %lld, unique %lld; length (operators, ']' and digits) min %d, median "
                "%.0f, mean %.1f, max %d\n\n",
                (long long)n, (long long)unique, min_length, median_length, mean_length,
                max_length);
  os << buf;
  os << "| length | 501-749 | 750-999 | 1000-1249 | 1250-1499 | 1500-1749 | 1750-1999 "
        "|\n|---|---|---|---|---|---|---|\n| share |";
  for (auto c : length_hist) {
    std::snprintf(buf, sizeof buf, " %.3f |", double(c) / double(std::max<int64_t>(n, 1)));
    os << buf;
  }
  os << "\n\n| depth |";
  for (size_t d = 1; d < depth_hist.size(); ++d) os << " " << d << " |";
  os << "\n|---|";
  for (size_t d = 1; d < depth_hist.size(); ++d) os << "---|";
  os << "\n| share |";
  for (size_t d = 1; d < depth_hist.size(); ++d) {
    std::snprintf(buf, sizeof buf, " %.3f |",
                  double(depth_hist[d]) / double(std::max<int64_t>(n, 1)));
    os << buf;
  }
  os << "\n\n| label | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 "
        "|\n|---|---|---|---|---|---|---|---|---|---|---|\n| share |";
  for (auto c : label_hist) {
    std::snprintf(buf, sizeof buf, " %.3f |", double(c) / double(std::max<int64_t>(n, 1)));
    os << buf;
  }
  os << "\n\n| root operator | MIN | MAX | MED | SM |\n|---|---|---|---|---|\n| share |";
  for (auto c : op_hist) {
    std::snprintf(buf, sizeof buf, " %.3f |", double(c) / double(std::max<int64_t>(n, 1)));
    os << buf;
  }
  os << "\n";
  return os.str();
}

PathfinderStats pathfinder_stats(const std::vector<PathfinderSample>& s) {
  PathfinderStats st;
  st.n = int64_t(s.size());
  for (const auto& x : s) {
    st.positives += x.label;
    auto f = x.image.to(torch::kDouble);
    st.mean_intensity += f.mean().item<double>() / 255.0;
    st.mean_bright_fraction += x.image.gt(0).to(torch::kDouble).mean().item<double>();
  }
  if (st.n > 0) {
    st.mean_intensity /= double(st.n);
    st.mean_bright_fraction /= double(st.n);
  }
  return st;
}

std::string PathfinderStats::markdown() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "images %lld; label 1 (connected) %lld = %.4f; mean intensity %.4f; "
                "non-zero pixels %.4f\n",
                (long long)n, (long long)positives,
                double(positives) / double(std::max<int64_t>(n, 1)), mean_intensity,
                mean_bright_fraction);
  return buf;
}

torch::Tensor image_grid(const std::vector<PathfinderSample>& s, int cols, int zoom) {
  const int S = int(s.at(0).image.size(0)) * zoom, pad = 4;
  const int rows = int((s.size() + size_t(cols) - 1) / size_t(cols));
  auto grid = torch::full({rows * (S + pad) + pad, cols * (S + pad) + pad}, 40, torch::kUInt8);
  for (size_t i = 0; i < s.size(); ++i) {
    const int r = int(i) / cols, c = int(i) % cols;
    const int y0 = pad + r * (S + pad), x0 = pad + c * (S + pad);
    // frame: bright for connected (label 1), dark grey for not connected
    grid.narrow(0, y0 - 2, S + 4).narrow(1, x0 - 2, S + 4).fill_(s[i].label ? 200 : 90);
    auto big = s[i].image.repeat_interleave(zoom, 0).repeat_interleave(zoom, 1);
    grid.narrow(0, y0, S).narrow(1, x0, S).copy_(big);
  }
  return grid;
}

}  // namespace spikessm
