// Writes the seed corpora of the harnesses added for the data, SDN and NIR readers: small
// valid files made by the project's own writers (and libjpeg for the CIFAR JPEGs), each
// prefixed with the harness's mode byte. Run from the source root:
//   build-fuzz/fuzz_make_seeds fuzz/corpus
#include <cstdio>  // before jpeglib.h, which uses FILE

#include <hdf5.h>
#include <jpeglib.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/data/listops.h"
#include "spikessm/data/png_io.h"
#include "spikessm/data/text_io.h"
#include "spikessm/export/nir.h"
#include "spikessm/neurons/sdn.h"
#include "spikessm/neurons/sdn_train.h"

namespace fs = std::filesystem;
using namespace spikessm;

namespace {

std::string root, tmp;

void seed(const std::string& name, const std::string& file, const std::string& bytes) {
  fs::create_directories(root + "/" + name);
  write_file_atomic(root + "/" + name + "/" + file, bytes);
}

std::string via_file(const std::function<void(const std::string&)>& write) {
  const std::string p = tmp + "/f";
  write(p);
  return read_file_bytes(p);
}

// A NIR file as write_nir makes it, then changed through the HDF5 API.
std::string nir_edited(const NirGraph& g, const std::function<void(hid_t)>& edit) {
  return via_file([&](const std::string& p) {
    write_nir(p, g);
    const hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    edit(f);
    H5Fclose(f);
  });
}

// 32x32 RGB gradient as a baseline or progressive JPEG.
std::string jpeg(int w, int h, bool progressive) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long n = 0;
  jpeg_mem_dest(&c, &out, &n);
  c.image_width = w;
  c.image_height = h;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 75, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  std::vector<unsigned char> row(size_t(w) * 3);
  while (c.next_scanline < c.image_height) {
    for (int x = 0; x < w; ++x) {
      row[3 * x] = uint8_t(8 * x);
      row[3 * x + 1] = uint8_t(8 * c.next_scanline);
      row[3 * x + 2] = uint8_t(x * c.next_scanline);
    }
    unsigned char* p = row.data();
    jpeg_write_scanlines(&c, &p, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string s(reinterpret_cast<char*>(out), n);
  free(out);
  return s;
}

// One ustar member: header (name, octal size, checksum) + data padded to 512 bytes.
std::string tar_member(const std::string& name, const std::string& data) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  std::snprintf(&h[100], 8, "%07o", 0644);
  std::snprintf(&h[124], 12, "%011o", unsigned(data.size()));
  h[156] = '0';
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (char ch : h) sum += uint8_t(ch);
  std::snprintf(&h[148], 8, "%06o", sum);
  std::string padded = data;
  padded.resize((data.size() + 511) / 512 * 512, '\0');
  return h + padded;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
    return 2;
  }
  root = argv[1];
  tmp = (fs::temp_directory_path() / "spikessm_fuzz_seeds").string();
  fs::create_directories(tmp);

  // SDN: the committed weights file (mode 0) and a generated 2 x 6 data file (mode 1).
  seed("sdn", "seed_weights", std::string(1, '\0') + read_file_bytes("weights/sdn_tau0.125.json"));
  const auto d = generate_sdn_data(2, 6, 0.5f, 1);
  seed("sdn", "seed_data", "\x01" + via_file([&](const std::string& p) { save_sdn_data(d, p); }));

  // NIR: input -> affine -> LIF -> a nested graph (integrator) -> output, with metadata.
  NirGraph g;
  g.add("input", "Input").params["shape"] = NirValue::ints({1}, {3});
  auto& aff = g.add("affine", "Affine");
  aff.params["weight"] = NirValue::floats({2, 3}, {0.5, -1, 2, 0.25, 0, 1});
  aff.params["bias"] = NirValue::floats({2}, {0.1, -0.1});
  auto& lif = g.add("lif", "LIF");
  for (const char* k : {"tau", "r", "v_leak", "v_threshold"})
    lif.params[k] = NirValue::floats({2}, {1, 2});
  lif.metadata["note"] = NirValue::str("spikessm seed");
  auto& sub = g.add("sub", "NIRGraph");
  sub.graph->add("i", "I").params["r"] = NirValue::floats({2}, {1, 1});
  sub.graph->connect("i", "i");
  sub.metadata["dt"] = NirValue::scalar(0.5);
  g.add("output", "Output").params["shape"] = NirValue::ints({1}, {2});
  g.connect("input", "affine");
  g.connect("affine", "lif");
  g.connect("lif", "sub");
  g.connect("sub", "output");
  g.metadata["source"] = NirValue::str("fuzz seed");
  seed("nir", "seed_graph", via_file([&](const std::string& p) { write_nir(p, g); }));
  NirGraph tiny;
  tiny.add("input", "Input").params["shape"] = NirValue::ints({1}, {1});
  seed("nir", "seed_tiny", via_file([&](const std::string& p) { write_nir(p, tiny); }));

  // ListOps: a few short generated trees (mode byte = l_max - 1).
  ListOpsOptions o;
  o.max_depth = 3;
  o.max_args = 3;
  o.min_length = 2;
  o.max_length = 24;
  o.n_train = 4;
  o.n_val = o.n_test = 1;
  write_listops_tsv_dir(tmp + "/listops", generate_listops(o, 7), o);
  seed("listops", "seed_train", "\x0f" + read_file_bytes(tmp + "/listops/basic_train.tsv"));
  seed("listops", "seed_val", "\x3f" + read_file_bytes(tmp + "/listops/basic_val.tsv"));

  // CIFAR: JPEGs (mode 0) and a tar with a train and a test member (mode 1).
  const std::string j = jpeg(32, 32, false);
  seed("cifar", "seed_jpeg", std::string(1, '\0') + j);
  seed("cifar", "seed_jpeg_progressive", std::string(1, '\0') + jpeg(32, 32, true));
  seed("cifar", "seed_jpeg_16x16", std::string(1, '\0') + jpeg(16, 16, false));
  seed("cifar", "seed_tar",
       "\x01" + tar_member("cifar10/train/airplane/0000.jpg", j) +
           tar_member("cifar10/test/truck/0001.jpg", jpeg(32, 32, true)) + std::string(1024, '\0'));

  // PNG: gray images the Pathfinder writer makes (mode byte odd: the harness repairs CRCs).
  const std::string png8 = via_file([](const std::string& p) {
    write_png_gray(p, torch::arange(64, torch::kUInt8).view({8, 8}));
  });
  seed("png", "seed_8x8", std::string(1, '\0') + png8);
  seed("png", "seed_8x8_crc", "\x01" + png8);
  seed("png", "seed_1x3",
       "\x01" + via_file([](const std::string& p) {
         write_png_gray(p, torch::tensor({0, 128, 255}, torch::kUInt8).view({1, 3}));
       }));
  // Regression input: an IHDR claiming 1000000 x 1000000 pixels (CRC repaired by the harness).
  std::string big = png8;
  for (size_t at : {16, 20}) big.replace(at, 4, std::string("\x00\x0f\x42\x40", 4));
  seed("png", "regress_huge_size", "\x01" + big);

  // NIR regression inputs: a hard link that makes /node its own descendant (endless nesting),
  // and a dataset that claims 2^40 values without storing any.
  seed("nir", "regress_link_cycle", nir_edited(tiny, [](hid_t f) {
         H5Lcreate_hard(f, "/node", f, "/node/nodes/loop", H5P_DEFAULT, H5P_DEFAULT);
       }));
  seed("nir", "regress_huge_dataset", nir_edited(tiny, [](hid_t f) {
         hsize_t dims[1] = {hsize_t(1) << 40}, chunk[1] = {1024};
         hid_t space = H5Screate_simple(1, dims, nullptr);
         hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
         H5Pset_chunk(plist, 1, chunk);
         H5Dclose(H5Dcreate2(f, "/node/nodes/input/huge", H5T_IEEE_F32LE, space, H5P_DEFAULT, plist,
                             H5P_DEFAULT));
         H5Pclose(plist);
         H5Sclose(space);
       }));

  // Text: an AAN TSV with a header (mode even) and an IMDB review (mode odd).
  seed("text", "seed_aan",
       std::string(1, '\x10') +
           "label\tid1\tid2\ttext1\ttext2\n1\tp1\tp2\tWe study spikes.\tSpikes, studied.\r\n"
           "0.0\tp3\tp4\tA\t\n");
  seed("text", "seed_imdb", "\x21This film <br /><br />was caf\xc3\xa9-grade.\n");

  // Pathfinder: metadata rows as the generator writes them.
  seed("pathfinder", "seed_metadata",
       "imgs/0 sample_0.png 0 1 1.8 14 5 5 2 1 1\n"
       "imgs/0 sample_2.png 2 0 1.8 14 5 5 2 1 1\n"
       "imgs/0 sample_0.png 1 0 1.8 14 5 5 2 1 1\n");
  fs::remove_all(tmp);
  return 0;
}
