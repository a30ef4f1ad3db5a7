#include "spikessm/data/cifar_gray.h"

#include <jpeglib.h>

#include <csetjmp>

#include "spikessm/common/error.h"
#include "spikessm/data/tar_members.h"
#include "spikessm/data/text_io.h"

namespace spikessm {

const char* const kCifarClasses[10] = {"airplane", "automobile", "bird",  "cat",  "deer",
                                       "dog",      "frog",       "horse", "ship", "truck"};

namespace {

struct JpegError {
  jpeg_error_mgr mgr;
  jmp_buf jump;
};

void on_jpeg_error(j_common_ptr cinfo) {
  longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1);
}

}  // namespace

// JPEG bytes -> 32x32x3 RGB, row-major (H, W, C).
static std::vector<unsigned char> decode_rgb32(const std::string& bytes, const std::string& what) {
  // libjpeg reports errors by longjmp back to setjmp: everything it can jump over is a C object
  // or made before setjmp, so no C++ destructor is skipped (that would leak, and is UB).
  std::vector<unsigned char> rgb(32 * 32 * 3);
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw InputError(what + ": not a decodable JPEG");
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  // Refuse other sizes from the header, before libjpeg allocates for them.
  if (cinfo.image_width == 32 && cinfo.image_height == 32) jpeg_start_decompress(&cinfo);
  if (cinfo.image_width != 32 || cinfo.image_height != 32 || cinfo.output_width != 32 ||
      cinfo.output_height != 32 || cinfo.output_components != 3) {
    const std::string got =
        std::to_string(cinfo.image_width) + "x" + std::to_string(cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    throw InputError(what + ": expected a 32x32 RGB JPEG, got " + got);
  }
  const int w = 32;
  while (cinfo.output_scanline < cinfo.output_height) {
    unsigned char* row = rgb.data() + size_t(cinfo.output_scanline) * w * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return rgb;
}

torch::Tensor decode_jpeg_gray(const std::string& bytes, const std::string& what) {
  const auto rgb = decode_rgb32(bytes, what);
  const int w = 32, h = 32;
  auto out = torch::empty({h, w}, torch::kUInt8);
  auto* o = out.data_ptr<uint8_t>();
  for (int i = 0; i < w * h; ++i) {
    const float g = 0.2989f * rgb[3 * i] + 0.5870f * rgb[3 * i + 1] + 0.1140f * rgb[3 * i + 2];
    o[i] = uint8_t(std::min(255.f, std::max(0.f, std::nearbyint(g))));
  }
  return out;
}

torch::Tensor decode_jpeg_rgb(const std::string& bytes, const std::string& what) {
  const auto rgb = decode_rgb32(bytes, what);
  auto hwc = torch::from_blob(const_cast<unsigned char*>(rgb.data()), {32, 32, 3}, torch::kUInt8);
  return hwc.permute({2, 0, 1}).contiguous();  // (3, 32, 32)
}

CifarGray load_cifar_gray_tar(const std::string& tar_path, bool check_md5, bool with_train) {
  return load_cifar_tar(tar_path, check_md5, false, with_train);
}

CifarGray load_cifar_tar(const std::string& tar_path, bool check_md5, bool color, bool with_train) {
  const std::string tar = read_file_bytes(tar_path);
  if (check_md5) {
    const std::string got = md5_hex(tar);
    require(got == kCifarJpegMd5, tar_path,
            "md5 " + got + " differs from the expected " + kCifarJpegMd5);
  }
  std::vector<torch::Tensor> img[2];
  std::vector<int64_t> lab[2];
  for (const auto& m : tar_members(tar, tar_path)) {
    const std::string& name = m.name;
    if (name.size() < 4 || name.substr(name.size() - 4) != ".jpg") continue;
    // .../{train,test}/<class>/NNNN.jpg
    const auto s2 = name.rfind('/');
    const auto s1 = s2 == std::string::npos ? s2 : name.rfind('/', s2 - 1);
    if (s1 == std::string::npos) continue;
    const auto s0 = name.rfind('/', s1 - 1);
    const std::string split = name.substr(s0 == std::string::npos ? 0 : s0 + 1,
                                          s1 - (s0 == std::string::npos ? 0 : s0 + 1));
    const std::string cls = name.substr(s1 + 1, s2 - s1 - 1);
    int c = -1;
    for (int k = 0; k < 10; ++k)
      if (cls == kCifarClasses[k]) c = k;
    const int which = split == "train" ? 0 : split == "test" ? 1 : -1;
    require(c >= 0 && which >= 0, tar_path, "unexpected member " + name);
    if (which == 0 && !with_train) continue;  // decoding is the cost: skip what is not asked for
    const std::string member = tar.substr(m.offset, m.size), where = tar_path + ":" + name;
    img[which].push_back(color ? decode_jpeg_rgb(member, where) : decode_jpeg_gray(member, where));
    lab[which].push_back(c);
  }
  require((!with_train || !img[0].empty()) && !img[1].empty(), tar_path,
          "no train/test JPEG files found");
  CifarGray out;
  if (with_train) {
    out.train_images = torch::stack(img[0]);
    out.train_labels = torch::tensor(lab[0], torch::kInt64);
  }
  out.test_images = torch::stack(img[1]);
  out.test_labels = torch::tensor(lab[1], torch::kInt64);
  return out;
}

}  // namespace spikessm
