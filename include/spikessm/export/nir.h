#pragma once
// NIR (Neuromorphic Intermediate Representation) graphs and their HDF5 file layout, as the
// reference implementation (PyPI `nir`, nir/serialization.py) writes and reads it:
//   /version                      UTF-8 string
//   /node                         the top graph: type = "NIRGraph", nodes/<name>/..., edges
//   <graph>/edges                 (E, 2) UTF-8 strings: (source, target) node names
//   <node>/type                   UTF-8 string: "Affine", "LIF", "I", ...
//   <node>/<param>                one dataset per parameter (gzip-compressed arrays)
//   <node>/metadata/<key>         optional; consumers must not depend on it
// Here only the in-memory graph and the file format; io/nir_model.h maps models to graphs.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spikessm {

// A numeric array (stored as float32 or int64) or a string.
struct NirValue {
  enum Kind { Float, Int, String } kind = Float;
  std::vector<int64_t> shape;  // {} = scalar
  std::vector<double> data;    // Float and Int values, row-major
  std::string text;            // String
  static NirValue floats(std::vector<int64_t> shape, std::vector<double> data);
  static NirValue ints(std::vector<int64_t> shape, std::vector<double> data);
  static NirValue scalar(double v);
  static NirValue str(std::string s);
  int64_t numel() const;
};

struct NirGraph;

struct NirNode {
  std::string type;                        // NIR primitive name
  std::map<std::string, NirValue> params;  // datasets of the node
  std::map<std::string, NirValue> metadata;
  std::shared_ptr<NirGraph> graph;  // set when type == "NIRGraph"
};

struct NirGraph {
  std::map<std::string, NirNode> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
  std::map<std::string, NirValue> metadata;
  NirNode& add(const std::string& name, const std::string& type);
  void connect(const std::string& from, const std::string& to) { edges.emplace_back(from, to); }
};

// The NIR version string we write (the file layout of nir 1.0.x).
constexpr const char* kNirVersion = "1.0.8";

// Writes atomically (temp file + rename). InputError when the file cannot be written.
void write_nir(const std::string& path, const NirGraph& graph);
// InputError naming the file and the offending group when it is not a NIR graph file.
NirGraph read_nir(const std::string& path);
// The same from the bytes of a file held in memory (HDF5's core driver); `name` is for messages.
NirGraph read_nir_image(const std::string& bytes, const std::string& name);

}  // namespace spikessm
