// NIR HDF5 files through the HDF5 C API (Debian libhdf5-dev), laid out as nir.write does.
#include "spikessm/export/nir.h"

#include <hdf5.h>

#include <cstdio>
#include <filesystem>
#include <functional>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "nir_isolated.h"

namespace spikessm {

NirValue NirValue::floats(std::vector<int64_t> shape, std::vector<double> data) {
  NirValue v;
  v.kind = Float;
  v.shape = std::move(shape);
  v.data = std::move(data);
  return v;
}
NirValue NirValue::ints(std::vector<int64_t> shape, std::vector<double> data) {
  auto v = floats(std::move(shape), std::move(data));
  v.kind = Int;
  return v;
}
NirValue NirValue::scalar(double x) { return floats({}, {x}); }
NirValue NirValue::str(std::string s) {
  NirValue v;
  v.kind = String;
  v.text = std::move(s);
  return v;
}
int64_t NirValue::numel() const {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

NirNode& NirGraph::add(const std::string& name, const std::string& type) {
  auto& n = nodes[name];
  n.type = type;
  if (type == "NIRGraph" && !n.graph) n.graph = std::make_shared<NirGraph>();
  return n;
}

namespace {

// Owns one HDF5 handle; closes it with the matching function.
struct Handle {
  hid_t id = -1;
  herr_t (*close)(hid_t) = nullptr;
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  Handle(const Handle&) = delete;
  ~Handle() {
    if (id >= 0 && close) close(id);
  }
  operator hid_t() const { return id; }
};

// Limits on what a file may claim: values in one dataset, graph nesting depth.
constexpr int64_t kMaxValues = int64_t(1) << 26;
constexpr int kMaxDepth = 64;
constexpr int64_t kMaxNodes = 100000;

struct Ctx {
  std::string file;
  const std::string* bytes = nullptr;  // the whole file
  mutable int64_t nodes = 0;           // nodes read so far (links can repeat a subtree)
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw InputError(file + ": " + where + ": " + what);
  }
  hid_t check(hid_t id, const std::string& where, const std::string& what) const {
    if (id < 0) fail(where, what);
    return id;
  }
};

hid_t utf8_vlen_string() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

// ---- writing ----

void write_string(const Ctx& c, hid_t g, const std::string& name, const std::string& s) {
  Handle type(utf8_vlen_string(), H5Tclose);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle ds(c.check(H5Dcreate2(g, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    name, "cannot create"),
            H5Dclose);
  const char* p = s.c_str();
  if (H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) < 0) c.fail(name, "write failed");
}

void write_edges(const Ctx& c, hid_t g,
                 const std::vector<std::pair<std::string, std::string>>& edges) {
  Handle type(utf8_vlen_string(), H5Tclose);
  hsize_t dims[2] = {hsize_t(edges.size()), 2};
  Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
  Handle ds(c.check(H5Dcreate2(g, "edges", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    "edges", "cannot create"),
            H5Dclose);
  std::vector<const char*> p;
  for (const auto& e : edges) {
    p.push_back(e.first.c_str());
    p.push_back(e.second.c_str());
  }
  if (!p.empty() && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) < 0)
    c.fail("edges", "write failed");
}

void write_value(const Ctx& c, hid_t g, const std::string& name, const NirValue& v, bool compress) {
  if (v.kind == NirValue::String) return write_string(c, g, name, v.text);
  std::vector<hsize_t> dims(v.shape.begin(), v.shape.end());
  Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(int(dims.size()), dims.data(), nullptr),
               H5Sclose);
  Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (compress && !dims.empty() && v.numel() > 0) {  // nir.write gzips every array
    H5Pset_chunk(plist, int(dims.size()), dims.data());
    H5Pset_deflate(plist, 4);
  }
  const bool is_int = v.kind == NirValue::Int;
  // Scalars in metadata are float64 (as numpy writes Python floats); arrays float32 / int64.
  hid_t file_type = is_int ? H5T_STD_I64LE : (dims.empty() ? H5T_IEEE_F64LE : H5T_IEEE_F32LE);
  Handle ds(c.check(H5Dcreate2(g, name.c_str(), file_type, space, H5P_DEFAULT, plist, H5P_DEFAULT),
                    name, "cannot create"),
            H5Dclose);
  herr_t rc;
  if (is_int) {
    std::vector<int64_t> buf(v.data.begin(), v.data.end());
    rc = H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  } else {
    rc = H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data.data());
  }
  if (rc < 0) c.fail(name, "write failed");
}

void write_metadata(const Ctx& c, hid_t g, const std::map<std::string, NirValue>& meta) {
  if (meta.empty()) return;  // nir.write skips an empty metadata group
  Handle m(c.check(H5Gcreate2(g, "metadata", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "metadata",
                   "cannot create"),
           H5Gclose);
  for (const auto& [k, v] : meta) write_value(c, m, k, v, true);
}

void write_node(const Ctx& c, hid_t g, const NirNode& n);

void write_graph(const Ctx& c, hid_t g, const NirGraph& graph) {
  write_string(c, g, "type", "NIRGraph");
  Handle nodes(c.check(H5Gcreate2(g, "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "nodes",
                       "cannot create"),
               H5Gclose);
  for (const auto& [name, node] : graph.nodes) {
    Handle ng(c.check(H5Gcreate2(nodes, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name,
                      "cannot create group"),
              H5Gclose);
    write_node(c, ng, node);
  }
  write_edges(c, g, graph.edges);
  write_metadata(c, g, graph.metadata);
}

void write_node(const Ctx& c, hid_t g, const NirNode& n) {
  if (n.type == "NIRGraph") {
    if (!n.graph) c.fail("node", "NIRGraph node without a graph");
    NirGraph copy = *n.graph;
    for (const auto& [k, v] : n.metadata) copy.metadata[k] = v;
    return write_graph(c, g, copy);
  }
  write_string(c, g, "type", n.type);
  for (const auto& [k, v] : n.params) write_value(c, g, k, v, true);
  write_metadata(c, g, n.metadata);
}

// ---- reading ----

uint64_t le(const std::string& f, uint64_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | uint8_t(f[size_t(at) + i]);
  return v;
}

// HDF5 1.10 trusts what the file says about a variable-length string: it allocates the length
// the reference claims (4 GB for a corrupt one) and copies as many bytes as the global heap
// object claims into that buffer (both found by fuzz_nir). So each reference is checked here
// against the file's bytes first: reference = length (4 bytes), heap collection address (8),
// object index (4); the collection ("GCOL", version, 3 reserved, size (8), then objects:
// index (2), refcount (2), reserved (4), size (8), data padded to 8) must lie in the file, be
// well formed throughout, and hold the object with exactly the claimed length. Only
// contiguous storage can be checked (our writer and h5py store strings so); other layouts,
// and 4-byte file addresses, are refused.
void check_vlen_strings(const Ctx& c, hid_t ds, hsize_t count, const std::string& where) {
  Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
  const haddr_t off = H5Dget_offset(ds);
  const hsize_t stored = H5Dget_storage_size(ds);
  if (count == 0 || (H5Pget_layout(dcpl) == H5D_CONTIGUOUS && (off == HADDR_UNDEF || stored == 0)))
    return;  // nothing stored: empty strings
  if (H5Pget_layout(dcpl) != H5D_CONTIGUOUS)
    c.fail(where, "variable-length strings not stored contiguously");
  const std::string& f = *c.bytes;
  const uint64_t size = f.size();
  if (stored != count * 16 || off > size || stored > size - off)
    c.fail(where, "string references outside the file or not 16 bytes each");
  for (hsize_t i = 0; i < count; ++i) {
    const uint64_t ref = off + 16 * i, len = le(f, ref, 4), addr = le(f, ref + 4, 8),
                   idx = le(f, ref + 12, 4);
    if (len == 0) continue;  // HDF5 does not look up an empty string
    if (len > size)
      c.fail(where, "a string claims " + std::to_string(len) + " bytes, more than the whole file");
    if (addr > size || size - addr < 16 || f.compare(size_t(addr), 4, "GCOL") != 0)
      c.fail(where, "a string points outside the file's global heap");
    const uint64_t coll = le(f, addr + 8, 8);
    if (coll < 16 || coll > size - addr)
      c.fail(where, "a global heap collection runs past the end of the file");
    bool found = false;
    for (uint64_t at = addr + 16, end = addr + coll; at + 16 <= end;) {
      const uint64_t oidx = le(f, at, 2), osize = le(f, at + 8, 8);
      if (oidx == 0) break;  // free space to the end of the collection
      if (osize > end - at - 16) c.fail(where, "a global heap object runs past its collection");
      if (oidx == idx) {
        if (osize != len) c.fail(where, "a string's length and its heap object's size differ");
        found = true;
      }
      at += 16 + (osize + 7) / 8 * 8;
    }
    if (!found) c.fail(where, "a string points to a missing global heap object");
  }
}

std::vector<std::string> members(const Ctx& c, hid_t g, const std::string& where) {
  std::vector<std::string> out;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &out) < 0)
    c.fail(where, "cannot list members");
  return out;
}

bool is_group(hid_t g, const std::string& name) {
  if (H5Lexists(g, name.c_str(), H5P_DEFAULT) <= 0) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(g, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

NirValue read_value(const Ctx& c, hid_t g, const std::string& name, const std::string& where) {
  Handle ds(
      c.check(H5Dopen2(g, name.c_str(), H5P_DEFAULT), where + "/" + name, "cannot open dataset"),
      H5Dclose);
  Handle type(H5Dget_type(ds), H5Tclose);
  Handle space(H5Dget_space(ds), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(size_t(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  NirValue v;
  v.shape.assign(dims.begin(), dims.end());
  // The element count comes from the file: bound it before any product can overflow or any
  // buffer is sized by it (a tiny gzip-compressed or unwritten dataset can claim 2^60 values).
  int64_t n = 1;
  for (hsize_t d : dims) {
    if (d > hsize_t(kMaxValues) || (d > 0 && n > kMaxValues / int64_t(d)))
      c.fail(where + "/" + name, "more than " + std::to_string(kMaxValues) + " values");
    n *= int64_t(d);
  }
  const H5T_class_t cls = H5Tget_class(type);
  if (cls == H5T_STRING) {
    if (rank != 0) c.fail(where + "/" + name, "expected a scalar string");
    v.kind = NirValue::String;
    if (H5Tis_variable_str(type) > 0) {
      check_vlen_strings(c, ds, 1, where + "/" + name);
      Handle mem(utf8_vlen_string(), H5Tclose);
      char* p = nullptr;
      if (H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) < 0)
        c.fail(where + "/" + name, "read failed");
      v.text = p ? p : "";
      H5free_memory(p);
    } else {
      const size_t len = H5Tget_size(type);
      if (len == 0 || len > size_t(kMaxValues)) c.fail(where + "/" + name, "bad string length");
      std::string buf(len, '\0');
      Handle mem(H5Tcopy(type), H5Tclose);
      if (H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
        c.fail(where + "/" + name, "read failed");
      v.text = buf.c_str();
    }
    return v;
  }
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    c.fail(where + "/" + name, "expected a numeric array or a string");
  v.kind = cls == H5T_INTEGER ? NirValue::Int : NirValue::Float;
  v.data.resize(size_t(n));
  if (!v.data.empty() &&
      H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data.data()) < 0)
    c.fail(where + "/" + name, "read failed");
  return v;
}

std::vector<std::pair<std::string, std::string>> read_edges(const Ctx& c, hid_t g,
                                                            const std::string& where) {
  std::vector<std::pair<std::string, std::string>> edges;
  Handle ds(c.check(H5Dopen2(g, "edges", H5P_DEFAULT), where, "graph has no edges dataset"),
            H5Dclose);
  Handle space(H5Dget_space(ds), H5Sclose);
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_ndims(space) != 2 ||
      (H5Sget_simple_extent_dims(space, dims, nullptr), dims[1] != 2))
    c.fail(where + "/edges", "expected an (E, 2) array of node names");
  if (dims[0] > hsize_t(kMaxValues) / 2)
    c.fail(where + "/edges", "more than " + std::to_string(kMaxValues / 2) + " edges");
  Handle type(H5Dget_type(ds), H5Tclose);
  if (H5Tis_variable_str(type) > 0) check_vlen_strings(c, ds, dims[0] * 2, where + "/edges");
  Handle mem(utf8_vlen_string(), H5Tclose);
  std::vector<char*> p(size_t(dims[0] * 2), nullptr);
  if (dims[0] > 0 && H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) < 0)
    c.fail(where + "/edges", "cannot read as strings");
  for (hsize_t i = 0; i < dims[0]; ++i)
    edges.emplace_back(p[2 * i] ? p[2 * i] : "", p[2 * i + 1] ? p[2 * i + 1] : "");
  for (char* s : p) H5free_memory(s);
  return edges;
}

std::map<std::string, NirValue> read_metadata(const Ctx& c, hid_t g, const std::string& where) {
  std::map<std::string, NirValue> meta;
  if (!is_group(g, "metadata")) return meta;
  Handle m(H5Gopen2(g, "metadata", H5P_DEFAULT), H5Gclose);
  for (const auto& k : members(c, m, where + "/metadata"))
    if (!is_group(m, k)) meta[k] = read_value(c, m, k, where + "/metadata");
  return meta;
}

NirNode read_node(const Ctx& c, hid_t g, const std::string& where, int depth) {
  // HDF5 hard links can make a group its own descendant: bound the nesting, never recurse forever.
  if (depth > kMaxDepth)
    c.fail(where, "graphs nested more than " + std::to_string(kMaxDepth) + " deep (a link cycle?)");
  // Two links to one ancestor double the work at every level: bound the total as well.
  if (++c.nodes > kMaxNodes)
    c.fail(where, "more than " + std::to_string(kMaxNodes) + " nodes (links repeating a graph?)");
  NirNode n;
  auto type = read_value(c, g, "type", where);
  if (type.kind != NirValue::String) c.fail(where + "/type", "expected a string");
  n.type = type.text;
  n.metadata = read_metadata(c, g, where);
  if (n.type == "NIRGraph") {
    n.graph = std::make_shared<NirGraph>();
    if (!is_group(g, "nodes")) c.fail(where, "graph has no nodes group");
    Handle nodes(H5Gopen2(g, "nodes", H5P_DEFAULT), H5Gclose);
    for (const auto& name : members(c, nodes, where + "/nodes")) {
      Handle ng(c.check(H5Gopen2(nodes, name.c_str(), H5P_DEFAULT), where + "/nodes/" + name,
                        "not a group"),
                H5Gclose);
      n.graph->nodes[name] = read_node(c, ng, where + "/nodes/" + name, depth + 1);
    }
    n.graph->edges = read_edges(c, g, where);
    n.graph->metadata = n.metadata;
    return n;
  }
  for (const auto& k : members(c, g, where))
    if (k != "type" && k != "metadata" && !is_group(g, k)) n.params[k] = read_value(c, g, k, where);
  return n;
}

}  // namespace

void write_nir(const std::string& path, const NirGraph& graph) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become InputErrors, not stderr dumps
  Ctx c{path};
  write_file_atomic_with(path, [&](const std::string& tmp) {
    Handle f(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (f.id < 0) throw InputError(path + ": cannot create the file");
    write_string(c, f, "version", kNirVersion);
    Handle node(c.check(H5Gcreate2(f, "node", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "node",
                        "cannot create"),
                H5Gclose);
    write_graph(c, node, graph);
  });
}

namespace {

NirGraph read_open_nir(const Ctx& c, hid_t f) {
  if (!is_group(f, "node")) throw InputError(c.file + ": no /node group (not a NIR graph file)");
  Handle node(H5Gopen2(f, "node", H5P_DEFAULT), H5Gclose);
  NirNode top = read_node(c, node, "/node", 0);
  if (top.type != "NIRGraph")
    throw InputError(c.file + ": /node/type is '" + top.type + "' (expected NIRGraph)");
  return *top.graph;
}

}  // namespace

NirGraph read_nir(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw InputError(path + ": NIR file not found");
  return read_nir_image(read_file_bytes(path), path);
}

NirGraph read_nir_image_in_process(const std::string& bytes, const std::string& name) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  // The core driver without a backing store reads the image from memory only.
  if (bytes.empty()) throw InputError(name + ": empty (a NIR file is HDF5)");
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
      H5Pset_file_image(fapl, const_cast<char*>(bytes.data()), bytes.size()) < 0)
    throw InputError(name + ": cannot hold the file image in memory");
  Ctx c{name, &bytes};
  // HDF5 opens an image under a file name, and fails when a real file has it: use one no file
  // can have (/dev/null is not a folder).
  Handle f(H5Fopen("/dev/null/spikessm-nir-image", H5F_ACC_RDONLY, fapl), H5Fclose);
  if (f.id < 0) throw InputError(name + ": not an HDF5 file (a NIR file is HDF5)");
  return read_open_nir(c, f);
}

}  // namespace spikessm
