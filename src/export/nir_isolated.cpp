// read_nir_image: the HDF5 parse in a forked child (common/isolated_call.h); the graph comes
// back serialised through its pipe. A child that crashes, is killed by a sanitizer or runs past
// the time limit becomes an InputError naming the file. The parent never calls libhdf5's
// reader, so no undefined behaviour inside libhdf5 can reach it.
#include "nir_isolated.h"

#include <cstring>
#include <stdexcept>

#include "spikessm/common/error.h"
#include "spikessm/common/isolated_call.h"

namespace spikessm {

namespace {

constexpr int kChildSeconds = 60;  // no valid NIR file takes near this long

struct Writer {
  std::string out;
  void u64(uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    out += s;
  }
  void value(const NirValue& v) {
    u64(uint64_t(v.kind));
    u64(v.shape.size());
    for (auto s : v.shape) u64(uint64_t(s));
    u64(v.data.size());
    if (!v.data.empty())
      out.append(reinterpret_cast<const char*>(v.data.data()), v.data.size() * sizeof(double));
    str(v.text);
  }
  void values(const std::map<std::string, NirValue>& m) {
    u64(m.size());
    for (const auto& [k, v] : m) str(k), value(v);
  }
  void graph(const NirGraph& g) {
    u64(g.nodes.size());
    for (const auto& [name, n] : g.nodes) {
      str(name), str(n.type), values(n.params), values(n.metadata);
      u64(n.graph ? 1 : 0);
      if (n.graph) graph(*n.graph);
    }
    u64(g.edges.size());
    for (const auto& [a, b] : g.edges) str(a), str(b);
    values(g.metadata);
  }
};

// Reads what Writer wrote (our own child's output; a short read is still checked).
struct Reader {
  const std::string& in;
  size_t pos = 0;
  void need(uint64_t n) {
    if (n > in.size() - pos) throw std::runtime_error("NIR child: truncated graph message");
  }
  uint64_t u64() {
    need(8);
    uint64_t v;
    std::memcpy(&v, in.data() + pos, 8);
    pos += 8;
    return v;
  }
  std::string str() {
    const auto n = u64();
    need(n);
    pos += n;
    return in.substr(pos - n, n);
  }
  NirValue value() {
    NirValue v;
    v.kind = NirValue::Kind(u64());
    v.shape.resize(u64());
    for (auto& s : v.shape) s = int64_t(u64());
    const auto n = u64();
    need(n * sizeof(double));
    v.data.resize(n);
    if (n > 0) std::memcpy(v.data.data(), in.data() + pos, n * sizeof(double));
    pos += n * sizeof(double);
    v.text = str();
    return v;
  }
  std::map<std::string, NirValue> values() {
    std::map<std::string, NirValue> m;
    for (auto n = u64(); n > 0; --n) {
      auto k = str();
      m[k] = value();
    }
    return m;
  }
  NirGraph graph() {
    NirGraph g;
    for (auto n = u64(); n > 0; --n) {
      auto& node = g.nodes[str()];
      node.type = str();
      node.params = values();
      node.metadata = values();
      if (u64()) node.graph = std::make_shared<NirGraph>(graph());
    }
    for (auto n = u64(); n > 0; --n) {
      auto a = str();
      g.edges.emplace_back(a, str());
    }
    g.metadata = values();
    return g;
  }
};

}  // namespace

std::string serialize_nir(const NirGraph& graph) {
  Writer w;
  w.graph(graph);
  return std::move(w.out);
}

NirGraph deserialize_nir(const std::string& bytes) {
  Reader r{bytes};
  auto g = r.graph();
  if (r.pos != bytes.size()) throw std::runtime_error("NIR child: trailing bytes in graph message");
  return g;
}

NirGraph read_nir_image(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) throw InputError(name + ": empty (a NIR file is HDF5)");
  return deserialize_nir(
      run_isolated([&] { return serialize_nir(read_nir_image_in_process(bytes, name)); }, name,
                   "HDF5 (NIR)", kChildSeconds));
}

}  // namespace spikessm
