#include "spikessm/data/text_tasks.h"

#include <filesystem>
#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/data/text_io.h"

namespace spikessm {

std::vector<int64_t> byte_tokens(const std::string& text, int64_t l_max) {
  std::vector<int64_t> ids;
  const size_t n = std::min(text.size(), size_t(l_max));
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i) ids.push_back(int64_t(uint8_t(text[i])) + 3);
  return ids;
}

static void fill_row(torch::TensorAccessor<int64_t, 1> row, const std::vector<int64_t>& ids) {
  for (size_t j = 0; j < ids.size(); ++j) row[int64_t(j)] = ids[j];
}

void read_imdb_split(const std::string& dir, const std::string& split, int64_t l_max,
                     torch::Tensor& x, torch::Tensor& y) {
  std::vector<std::string> files;
  std::vector<int64_t> labels;
  for (const auto& [sub, label] : {std::pair<std::string, int64_t>{"neg", 0}, {"pos", 1}}) {
    const std::string d = dir + "/" + split + "/" + sub;
    require(std::filesystem::is_directory(d), d,
            "not found (expected the aclImdb layout DIR/{train,test}/{pos,neg}/*.txt)");
    for (auto& f : list_files_sorted(d))
      if (f.size() > 4 && f.compare(f.size() - 4, 4, ".txt") == 0) {
        files.push_back(f);
        labels.push_back(label);
      }
  }
  require(!files.empty(), dir + "/" + split, "no .txt reviews");
  x = torch::zeros({int64_t(files.size()), l_max}, torch::kInt64);
  auto xa = x.accessor<int64_t, 2>();
  for (size_t i = 0; i < files.size(); ++i)
    fill_row(xa[int64_t(i)], byte_tokens(read_file_bytes(files[i]), l_max));
  y = torch::tensor(labels, torch::kInt64);
}

void read_aan_tsv(const std::string& path, int64_t l_max, torch::Tensor& x, torch::Tensor& y) {
  std::ifstream in(path, std::ios::binary);
  require(bool(in), path, "cannot open (expected an LRA AAN pair TSV)");
  std::vector<std::pair<std::string, std::string>> texts;
  std::vector<int64_t> labels;
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> col;
    size_t start = 0;
    for (int k = 0; k < 4; ++k) {
      const size_t tab = line.find('\t', start);
      if (tab == std::string::npos) break;
      col.push_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    const std::string where = path + ":" + std::to_string(lineno);
    require(col.size() == 4, where,
            "expected 5 tab-separated columns label, id1, id2, text1, text2");
    col.push_back(line.substr(start));
    const std::string& l = col[0];
    int64_t label;
    if (l == "0" || l == "0.0")
      label = 0;
    else if (l == "1" || l == "1.0")
      label = 1;
    else if (lineno == 1)
      continue;  // a header row
    else
      throw InputError(where + ": label '" + l + "' is not 0 or 1");
    labels.push_back(label);
    texts.emplace_back(col[3], col[4]);
  }
  require(!labels.empty(), path, "no pairs");
  x = torch::zeros({int64_t(labels.size()), 2, l_max}, torch::kInt64);
  auto xa = x.accessor<int64_t, 3>();
  for (size_t i = 0; i < texts.size(); ++i) {
    fill_row(xa[int64_t(i)][0], byte_tokens(texts[i].first, l_max));
    fill_row(xa[int64_t(i)][1], byte_tokens(texts[i].second, l_max));
  }
  y = torch::tensor(labels, torch::kInt64);
}

}  // namespace spikessm
