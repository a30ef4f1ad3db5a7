#pragma once
// Binary morphology of the Pathfinder generator (src/data/pathfinder.cpp), apart so that
// tests can hold the fast row-span dilation against a naive per-pixel loop.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace spikessm::pathfinder_detail {

// A grayscale image (h, w), row-major floats.
struct Img {
  int h = 0, w = 0;
  std::vector<float> v;
  Img() = default;
  Img(int h_, int w_) : h(h_), w(w_), v(size_t(h_) * w_, 0.f) {}
  float& at(int y, int x) { return v[size_t(y) * w + x]; }
  float at(int y, int x) const { return v[size_t(y) * w + x]; }
  float max() const { return *std::max_element(v.begin(), v.end()); }
};

// A binary structuring element (size, size), anchor at the centre.
struct Kernel {
  int size = 1;
  std::vector<uint8_t> k;  // size x size
};

struct Pt {
  int y = 0, x = 0;
};

// The kernel's footprint as (dy, dx) offsets from its anchor.
std::vector<std::pair<int, int>> footprint(const Kernel& k);

// cv2.dilate: out (h, w) = max of im over the footprint around each pixel; outside pixels are
// ignored. Images hold values >= 0.
Img dilate(const Img& im, const Kernel& k);

// dilate(im, k) read at one pixel only.
float dilate_at(const Img& im, const Kernel& k, int y, int x);

// The pixels with m <= 0.3 in row-major order (np.nonzero(1 - ceil(m - 0.3))).
std::vector<Pt> available(const Img& m);

// available(dilate(im, k)), computed on bytes.
std::vector<Pt> available_after_dilation(const Img& im, const Kernel& k);

// A disk of radius m: (2m+1, 2m+1), x^2 + y^2 <= m^2.
Kernel disk(int m);

}  // namespace spikessm::pathfinder_detail
