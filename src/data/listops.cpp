#include "spikessm/data/listops.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <unordered_set>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/data/text_io.h"

namespace spikessm {

namespace {

const char* kOps[] = {"[MIN", "[MAX", "[MED", "[SM"};

// Python's random.random / randint / choice on a seeded Mersenne twister.
struct PyRandom {
  std::mt19937_64 gen;
  explicit PyRandom(uint64_t seed) : gen(seed) {}
  double random() { return double(gen() >> 11) * (1.0 / 9007199254740992.0); }
  int randint(int a, int b) { return std::uniform_int_distribution<int>(a, b)(gen); }
};

// A generated tree: leaves are digits, nodes hold an operator and their children.
struct Node {
  int op = -1;  // -1: leaf
  int value = 0;
  std::vector<int> children;
};

struct Tree {
  std::vector<Node> nodes;
  int length = 0, depth = 0;
};

// generate_tree(depth, max_depth, max_args): returns the node index, adds its length.
int grow(Tree& t, PyRandom& rng, int depth, const ListOpsOptions& o, int& length) {
  const double r = depth < o.max_depth ? rng.random() : 1.0;
  const int id = int(t.nodes.size());
  t.nodes.emplace_back();
  t.depth = std::max(t.depth, depth);
  if (r > 0.25) {  // VALUE_P
    t.nodes[id].value = rng.randint(0, 9);
    length += 1;
    return id;
  }
  const int n = rng.randint(2, o.max_args);
  std::vector<int> kids;
  kids.reserve(n);
  for (int i = 0; i < n; ++i) kids.push_back(grow(t, rng, depth + 1, o, length));
  t.nodes[id].op = rng.randint(0, 3);  // random.choice(OPERATORS), drawn after the children
  t.nodes[id].children = std::move(kids);
  length += 2;  // operator and ']'
  return id;
}

int value_of(const Tree& t, int id) {
  const Node& n = t.nodes[id];
  if (n.op < 0) return n.value;
  std::vector<int> v;
  for (int c : n.children) v.push_back(value_of(t, c));
  switch (n.op) {
    case 0:
      return *std::min_element(v.begin(), v.end());
    case 1:
      return *std::max_element(v.begin(), v.end());
    case 2: {  // int(np.median): mean of the two middle values, truncated
      std::sort(v.begin(), v.end());
      const size_t k = v.size();
      return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
    }
    default: {
      int s = 0;
      for (int x : v) s += x;
      return s % 10;
    }
  }
}

// to_string of the left-nested tuple: ( ( ( [OP c0 ) c1 ) ... ] )
void render(const Tree& t, int id, std::string& out) {
  const Node& n = t.nodes[id];
  if (n.op < 0) {
    out += char('0' + n.value);
    return;
  }
  for (size_t i = 0; i <= n.children.size(); ++i) out += "( ";
  out += kOps[n.op];
  for (int c : n.children) {
    out += ' ';
    render(t, c, out);
    out += " )";
  }
  out += " ] )";
}

}  // namespace

std::vector<ListOpsSample> generate_listops(const ListOpsOptions& o, uint64_t seed) {
  const int64_t want = o.n_train + o.n_val + o.n_test;
  PyRandom rng(seed);
  std::unordered_set<std::string> seen;
  std::vector<ListOpsSample> out;
  out.reserve(size_t(want));
  while (int64_t(out.size()) < want) {
    Tree t;
    int length = 0;
    const int root = grow(t, rng, 1, o, length);
    if (!(o.min_length < length && length < o.max_length)) continue;
    ListOpsSample s;
    render(t, root, s.source);
    if (!seen.insert(s.source).second) continue;
    s.target = value_of(t, root);
    s.length = length;
    s.depth = t.depth;
    out.push_back(std::move(s));
  }
  return out;
}

int evaluate_listops(const std::string& source) {
  // A stack machine over the tokens: parentheses are only grouping.
  std::vector<std::pair<int, std::vector<int>>> stack;
  int result = -1;
  std::istringstream in(source);
  std::string tok;
  auto push_value = [&](int v) {
    if (stack.empty())
      result = v;
    else
      stack.back().second.push_back(v);
  };
  while (in >> tok) {
    if (tok == "(" || tok == ")") continue;
    if (tok[0] == '[') {
      int op = -1;
      for (int i = 0; i < 4; ++i)
        if (tok == kOps[i]) op = i;
      require(op >= 0, "listops", "unknown operator '" + tok + "'");
      stack.push_back({op, {}});
    } else if (tok == "]") {
      require(!stack.empty(), "listops", "unbalanced ']'");
      auto [op, v] = stack.back();
      stack.pop_back();
      require(!v.empty(), "listops", "operator without arguments");
      int r;
      if (op == 0)
        r = *std::min_element(v.begin(), v.end());
      else if (op == 1)
        r = *std::max_element(v.begin(), v.end());
      else if (op == 2) {
        std::sort(v.begin(), v.end());
        r = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
      } else {
        r = 0;
        for (int x : v) r += x;
        r %= 10;
      }
      push_value(r);
    } else {
      require(tok.size() == 1 && tok[0] >= '0' && tok[0] <= '9', "listops",
              "unexpected token '" + tok + "'");
      push_value(tok[0] - '0');
    }
  }
  require(stack.empty() && result >= 0, "listops", "incomplete expression");
  return result;
}

void write_listops_tsv_dir(const std::string& dir, const std::vector<ListOpsSample>& all,
                           const ListOpsOptions& o) {
  require(int64_t(all.size()) == o.n_train + o.n_val + o.n_test, dir,
          "sample count does not match the split sizes");
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, int64_t begin, int64_t n) {
    std::string text = "Source\tTarget\n";
    for (int64_t i = begin; i < begin + n; ++i)
      text += all[size_t(i)].source + "\t" + std::to_string(all[size_t(i)].target) + "\n";
    write_file_atomic(dir + "/" + name, text);
  };
  write("basic_train.tsv", 0, o.n_train);
  write("basic_val.tsv", o.n_train, o.n_val);
  write("basic_test.tsv", o.n_train + o.n_val, o.n_test);
}

ListOpsRows read_listops_tsv(const std::string& path) {
  std::ifstream in(path);
  require(bool(in), path, "cannot open (expected an LRA ListOps TSV with header Source\\tTarget)");
  ListOpsRows rows;
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto tab = line.rfind('\t');
    require(tab != std::string::npos, path + ":" + std::to_string(lineno),
            "expected 'Source<TAB>Target'");
    const std::string target = line.substr(tab + 1);
    if (lineno == 1 && target == "Target") continue;  // header
    require(target.size() == 1 && target[0] >= '0' && target[0] <= '9',
            path + ":" + std::to_string(lineno), "target '" + target + "' is not a digit 0-9");
    rows.source.push_back(line.substr(0, tab));
    rows.target.push_back(target[0] - '0');
  }
  require(!rows.source.empty(), path, "no samples");
  return rows;
}

std::vector<int64_t> tokenize_listops(const std::string& source, int64_t l_max) {
  std::vector<int64_t> ids;
  std::istringstream in(source);
  std::string tok;
  while (in >> tok && int64_t(ids.size()) < l_max) {
    std::string t;
    for (char c : tok) {
      if (c == '(' || c == ')') continue;
      t += c == ']' ? 'X' : c;
    }
    if (t.empty()) continue;
    int64_t id = 1;  // <unk>
    for (int i = 0; i < 4; ++i)
      if (t == kOps[i]) id = 3 + i;
    if (t == "X") id = 7;
    if (t.size() == 1 && t[0] >= '0' && t[0] <= '9') id = 8 + (t[0] - '0');
    ids.push_back(id);
  }
  ids.push_back(2);  // <eos>
  return ids;
}

void encode_listops(const ListOpsRows& rows, int64_t l_max, torch::Tensor& x, torch::Tensor& y) {
  const int64_t n = int64_t(rows.source.size());
  x = torch::zeros({n, l_max + 1}, torch::kInt64);
  auto xa = x.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    auto ids = tokenize_listops(rows.source[size_t(i)], l_max);
    for (size_t j = 0; j < ids.size(); ++j) xa[i][int64_t(j)] = ids[j];
  }
  y = torch::tensor(rows.target, torch::kInt64);
}

}  // namespace spikessm
