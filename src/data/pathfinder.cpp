#include "spikessm/data/pathfinder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <tuple>

#include <ATen/Parallel.h>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/data/png_io.h"
#include "spikessm/data/text_io.h"
#include "pathfinder_morphology.h"

namespace spikessm {
namespace fs = std::filesystem;

PathfinderParams pathfinder_params(int size, int contour_length) {
  PathfinderParams p;
  p.size = size;
  p.contour_length = contour_length;
  p.distractor_length = contour_length / 3;  // Python 2 integer division
  if (size == 32) {
    p.num_distractor_snakes = 20 / p.distractor_length;
    return p;  // the defaults above are LRA's 32x32 column
  }
  p.padding = 1;
  p.paddle_length = 5;
  p.paddle_contrast_list = {1.0};
  p.continuity = 1.8;
  if (size == 64) {
    p.paddle_margin_list = {1};
    p.paddle_thickness = 1;
    p.marker_radius = 2.5;
    p.seed_distance = 12;
    p.num_distractor_snakes = 22 / p.distractor_length;
    p.snake_contrast_list = {0.8};
  } else if (size == 128) {
    p.paddle_margin_list = {2, 3};
    p.paddle_thickness = 1.5;
    p.marker_radius = 3;
    p.seed_distance = 20;
    p.num_distractor_snakes = 35 / p.distractor_length;
    p.snake_contrast_list = {0.9};
  } else if (size == 256) {
    p.padding = 22;
    p.paddle_margin_list = {3};
    p.paddle_thickness = 2;
    p.marker_radius = 5;
    p.seed_distance = 27;
    p.num_distractor_snakes = 30 / p.distractor_length;
    p.snake_contrast_list = {1.0};
  } else {
    throw InputError("pathfinder: image size " + std::to_string(size) +
                     " has no LRA parameter set (expected 32, 64, 128 or 256)");
  }
  return p;
}

namespace {

using namespace pathfinder_detail;

Img maximum(const Img& a, const Img& b) {
  Img o = a;
  for (size_t i = 0; i < o.v.size(); ++i) o.v[i] = std::max(a.v[i], b.v[i]);
  return o;
}

struct Rng {
  std::mt19937_64 g;
  int randint(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi - 1)(g);
  }  // [lo, hi)
  double rand() { return double(g() >> 11) * (1.0 / 9007199254740992.0); }
};

// translate_coord: rounds up, as the original does.
Pt translate(Pt c, double o, double dist) {
  return {int(std::ceil(c.y + dist * std::sin(o))), int(std::ceil(c.x + dist * std::cos(o)))};
}

double flip_by_pi(double o) { return o < 0 ? o + M_PI : o - M_PI; }

double lanczos3(double x) {
  if (x == 0) return 1.0;
  if (x <= -3 || x >= 3) return 0.0;
  const double px = M_PI * x;
  return 3.0 * std::sin(px) * std::sin(px / 3.0) / (px * px);
}

// Pillow's separable Lanczos taps for resizing in_n -> out_n samples: for output i, the
// normalised weights of inputs lo..lo+w.size()-1. Cached per thread: a generator resizes the
// same few sizes for every paddle, and the sines were an eighth of its time.
struct Taps {
  std::vector<int> lo;
  std::vector<std::vector<double>> w;
};

const Taps& lanczos_taps(int in_n, int out_n) {
  thread_local std::map<std::pair<int, int>, Taps> cache;
  auto [it, fresh] = cache.try_emplace({in_n, out_n});
  if (!fresh) return it->second;
  Taps& t = it->second;
  const double scale = double(in_n) / out_n, fs_ = std::max(scale, 1.0);
  const double support = 3.0 * fs_;
  for (int i = 0; i < out_n; ++i) {
    const double center = (i + 0.5) * scale;
    const int lo = std::max(int(center - support + 0.5), 0);
    const int hi = std::min(int(center + support + 0.5), in_n);
    std::vector<double> wts;
    double total = 0;
    for (int j = lo; j < hi; ++j) {
      wts.push_back(lanczos3((j - center + 0.5) / fs_));
      total += wts.back();
    }
    for (auto& wv : wts) wv /= total;
    t.lo.push_back(lo);
    t.w.push_back(std::move(wts));
  }
  return t;
}

// Pillow's separable Lanczos resampling of an 8-bit image (values 0..255 as floats);
// each pass rounds and clips to 8 bits like Pillow's 'L' mode.
Img resample_axis(const Img& in, int out_n, bool horizontal) {
  const int in_n = horizontal ? in.w : in.h;
  const Taps& taps = lanczos_taps(in_n, out_n);
  Img out = horizontal ? Img(in.h, out_n) : Img(out_n, in.w);
  const int other = horizontal ? in.h : in.w;
  for (int i = 0; i < out_n; ++i) {
    const int lo = taps.lo[size_t(i)];
    const std::vector<double>& wts = taps.w[size_t(i)];
    for (int r = 0; r < other; ++r) {
      double acc = 0;
      for (size_t j = 0; j < wts.size(); ++j)
        acc += wts[j] * (horizontal ? in.at(r, lo + int(j)) : in.at(lo + int(j), r));
      const float v = float(std::min(255.0, std::max(0.0, std::round(acc))));
      if (horizontal)
        out.at(r, i) = v;
      else
        out.at(i, r) = v;
    }
  }
  return out;
}

// scipy.misc.imresize(x, (n, n), 'lanczos'): byte-scale float input to 0..255 first.
Img imresize(const Img& in, int n, bool already_u8) {
  Img b = in;
  if (!already_u8) {
    float lo = *std::min_element(in.v.begin(), in.v.end()), hi = in.max();
    float span = hi - lo;
    if (span == 0) span = 1;
    for (auto& v : b.v)
      v = std::floor(std::min(255.f, std::max(0.f, (v - lo) * 255.f / span)) + 0.5f);
  }
  return resample_axis(resample_axis(b, n, true), n, false);
}

// Pillow's ImageDraw.line: width 1 is a Bresenham line with both ends; a wider line is the
// filled rectangle around the segment.
void draw_line(Img& im, double x0, double y0, double x1, double y1, int width, float value) {
  if (width <= 1) {
    int ax = int(x0), ay = int(y0), bx = int(x1), by = int(y1);
    int dx = std::abs(bx - ax), dy = -std::abs(by - ay), sx = ax < bx ? 1 : -1,
        sy = ay < by ? 1 : -1;
    int err = dx + dy;
    while (true) {
      if (ay >= 0 && ay < im.h && ax >= 0 && ax < im.w) im.at(ay, ax) = value;
      if (ax == bx && ay == by) break;
      const int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        ax += sx;
      }
      if (e2 <= dx) {
        err += dx;
        ay += sy;
      }
    }
    return;
  }
  const double vx = x1 - x0, vy = y1 - y0, len = std::hypot(vx, vy);
  const double ux = len > 0 ? vx / len : 1, uy = len > 0 ? vy / len : 0, half = width / 2.0;
  for (int y = 0; y < im.h; ++y)
    for (int x = 0; x < im.w; ++x) {
      const double px = x - x0, py = y - y0;
      const double along = px * ux + py * uy, across = -px * uy + py * ux;
      if (along >= -0.5 && along <= len + 0.5 && std::fabs(across) <= half) im.at(y, x) = value;
    }
}

struct Paddle {
  Img line, mask;  // full-image line (times contrast) and its dilated mask, both in [0, 1]
};

// draw_line_n_mask: a paddle of `length` px from `start` along orientation o.
Paddle draw_line_n_mask(int H, int W, Pt start, double o, int length, double thickness, int margin,
                        const Kernel& large, int aa, double contrast) {
  const int R = length + int(std::ceil(thickness)) + margin;
  const int ms = 2 * R + 1;
  // The resized paddle depends only on its shape and orientation, not on where it goes:
  // cached per thread (orientations repeat: whole degrees for seeds, the few angles of the
  // integer circle points for extensions), since resizing was most of the generator's time.
  using Key = std::tuple<double, int, double, int, int, int>;
  thread_local std::map<Key, std::pair<Img, Img>> cache;
  auto [it, fresh] = cache.try_emplace(Key{o, length, thickness, margin, aa, large.size});
  if (fresh) {
    const int bs = R * 2 * aa + 1, bc = R * aa;
    const int bt = int(std::round(thickness * aa));
    const Pt head = translate({bc, bc}, o, double(length * aa));
    Img blown(bs, bs);
    draw_line(blown, bc, bc, head.x, head.y, bt, 255.f);
    it->second.first = imresize(blown, ms, false);
    Img mask_blown = dilate(blown, large);  // values 0 / 255 as uint8
    it->second.second = imresize(mask_blown, ms, true);
  }
  const Img& mini = it->second.first;
  const Img& mini_mask = it->second.second;
  Paddle p{Img(H, W), Img(H, W)};
  for (int i = 0; i < ms; ++i) {
    const int y = start.y - R + i;
    if (y < 0 || y >= H) continue;
    for (int j = 0; j < ms; ++j) {
      const int x = start.x - R + j;
      if (x < 0 || x >= W) continue;
      p.line.at(y, x) = float(mini.at(i, j) / 255.0 * contrast);
      p.mask.at(y, x) = mini_mask.at(i, j) / 255.f;
    }
  }
  return p;
}

// The oriented segment kernel used to dilate occupancy before seeding: the pixels where the
// paddle's mask, drawn head-centric in a (2(L+m)+1)^2 window, is exactly 1 (astype(uint8)).
Kernel segment_kernel(double o, const PathfinderParams& p, int margin, const Kernel& large) {
  const int n = (p.paddle_length + margin) * 2 + 1;
  const int c = p.paddle_length + margin + 1;
  Paddle s = draw_line_n_mask(n, n, {c, c}, o, p.paddle_length, p.paddle_thickness, margin, large,
                              p.antialias_scale, 1.0);
  Kernel k;
  k.size = n;
  k.k.resize(size_t(n) * n);
  for (size_t i = 0; i < k.k.size(); ++i) k.k[i] = s.mask.v[i] >= 1.f;
  return k;
}

bool in_bounds(Pt a, int H, int W) { return a.y >= 0 && a.y < H && a.x >= 0 && a.x < W; }

struct Gen {
  const PathfinderParams& p;
  Rng& rng;
  int margin;
  Kernel small, large;
  int H, W;

  double random_orientation() { return rng.randint(-180, 180) * M_PI / 180.0; }

  int contrast_index(size_t n) { return n > 0 ? rng.randint(0, int(n)) : 0; }

  // extend_snake: returns false on a dead end or a self-crossing.
  bool extend(Pt& pivot, double& orient, Img& seg_mask, Img& image, Img& mask, double contrast,
              Pt& tip) {
    const Pt np = translate(pivot, orient, p.paddle_length + 2 * margin);
    // get_coords_cmf: integer pixels on the circle of radius L + m at 1-pixel arc spacing
    const double r = p.paddle_length + margin;
    const double step = 360.0 / (2 * r * M_PI);
    std::vector<Pt> coords;
    for (double deg = 0; deg < 360.0; deg += step) {
      const double a = deg * M_PI / 180, yy = np.y + r * std::sin(a), xx = np.x + r * std::cos(a);
      if (yy >= H || yy < 0 || xx >= W || xx < 0) continue;
      coords.push_back({int(yy), int(xx)});
    }
    if (coords.empty()) return false;
    std::sort(coords.begin(), coords.end(),
              [](Pt a, Pt b) { return a.y != b.y ? a.y < b.y : a.x < b.x; });
    coords.erase(std::unique(coords.begin(), coords.end(),
                             [](Pt a, Pt b) { return a.y == b.y && a.x == b.x; }),
                 coords.end());
    std::vector<double> pmf(coords.size()), ori(coords.size());
    double total = 0;
    for (size_t i = 0; i < coords.size(); ++i) {
      ori[i] = std::atan2(double(coords[i].y - np.y), double(coords[i].x - np.x));
      double d = std::fabs(ori[i] - orient);
      d = std::min(d, 2 * M_PI - d);
      d = std::min(d * p.continuity, 0.5 * M_PI);
      const double c = std::max(std::cos(d), 0.0);
      pmf[i] = (1.0 - dilate_at(mask, small, coords[i].y, coords[i].x)) * c * c;
      total += pmf[i];
    }
    if (total < 1e-4) return false;
    std::vector<double> cmf(pmf.size());
    double acc = 0;
    for (size_t i = 0; i < pmf.size(); ++i) cmf[i] = (acc += pmf[i] / total);
    for (int trial = 0; trial <= p.max_paddle_retrial; ++trial) {
      const double u = rng.rand();
      size_t idx = 0;  // np.argmax(cmf - u > 0): first index above u (0 if none)
      while (idx < cmf.size() && !(cmf[idx] - u > 0)) ++idx;
      if (idx == cmf.size()) idx = 0;
      const Pt head = coords[idx];
      Paddle pd = draw_line_n_mask(H, W, head, flip_by_pi(ori[idx]), p.paddle_length,
                                   p.paddle_thickness, margin, large, p.antialias_scale, contrast);
      float over = 0;
      for (size_t i = 0; i < mask.v.size(); ++i) over = std::max(over, mask.v[i] + pd.mask.v[i]);
      if (over < 1.8f) {
        image = maximum(image, pd.line);
        mask = maximum(mask, seg_mask);
        seg_mask = pd.mask;
        pivot = np;
        orient = ori[idx];
        tip = head;
        return true;
      }
    }
    return false;
  }

  // Seeds the first paddle of a snake at a free pixel (seed_snake / initialize_two_seeds).
  // border: rows/columns treated as occupied. Returns false when nothing fits.
  bool seed(Img& mask_for_dilation, int border, Pt& tail, Pt& pivot, double& o,
            double stop_availability) {
    for (int trial = 0; trial <= p.max_paddle_retrial; ++trial) {
      o = random_orientation();
      const double rev = o + M_PI < M_PI ? o + M_PI : o - M_PI;
      const Kernel k = segment_kernel(o, p, margin, large);
      Img lined = mask_for_dilation;
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
          if (y < border || y >= H - border || x < border || x >= W - border) lined.at(y, x) = 1;
      if (stop_availability > 0 &&
          double(available(mask_for_dilation).size()) / (H * W) < stop_availability)
        return false;
      const auto avail = available_after_dilation(lined, k);
      if (avail.empty()) return false;
      tail = avail[size_t(rng.randint(0, int(avail.size())))];
      const Pt head = translate(tail, o, p.paddle_length);
      pivot = translate(head, rev, p.paddle_length + margin);
      if (in_bounds(head, H, W) && in_bounds(pivot, H, W)) return true;
    }
    return false;
  }

  // two_snakes: the two target snakes. Returns false to make the caller start over.
  bool two_snakes(Img& image, Img& mask, Pt origin[2], Pt terminal[2]) {
    std::vector<double> mu = p.snake_contrast_list;
    mu.insert(mu.end(), p.snake_contrast_list.begin(), p.snake_contrast_list.end());
    std::shuffle(mu.begin(), mu.end(), rng.g);
    mask = Img(H, W);
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        if (y < p.padding || y >= H - p.padding || x < p.padding || x >= W - p.padding)
          mask.at(y, x) = 1;
    Img img[2] = {Img(H, W), Img(H, W)}, seg[2];
    Pt pivot[2];
    double orient[2];
    // First seed: a free pixel away from the border by 2 * seed_distance.
    double contrast =
        p.paddle_contrast_list[size_t(p.paddle_contrast_list.size() > 1
                                          ? contrast_index(p.paddle_contrast_list.size())
                                          : 0)] *
        mu[0];
    if (!seed(mask, std::max(p.padding, 2 * p.seed_distance), origin[0], pivot[0], orient[0], 0))
      return false;
    Paddle first = draw_line_n_mask(H, W, origin[0], orient[0], p.paddle_length, p.paddle_thickness,
                                    margin, large, p.antialias_scale, contrast);
    img[0] = maximum(img[0], first.line);
    seg[0] = first.mask;
    // Second seed: its tail exactly seed_distance from the first tail.
    contrast = p.paddle_contrast_list[size_t(p.paddle_contrast_list.size() > 1
                                                 ? contrast_index(p.paddle_contrast_list.size())
                                                 : 0)] *
               mu[1];
    bool ok = false;
    for (int trial = 0; trial <= p.max_paddle_retrial && !ok; ++trial) {
      orient[1] = random_orientation();
      const double rev = orient[1] + M_PI < M_PI ? orient[1] + M_PI : orient[1] - M_PI;
      const double a = rng.randint(0, 360) * M_PI / 180.0;
      origin[1] = {int(std::nearbyint(origin[0].y + p.seed_distance * std::sin(a))),
                   int(std::nearbyint(origin[0].x + p.seed_distance * std::cos(a)))};
      const Pt head = translate(origin[1], orient[1], p.paddle_length);
      pivot[1] = translate(head, rev, p.paddle_length + margin);
      ok = in_bounds(head, H, W) && in_bounds(pivot[1], H, W);
    }
    if (!ok) return false;
    Paddle second =
        draw_line_n_mask(H, W, origin[1], orient[1], p.paddle_length, p.paddle_thickness, margin,
                         large, p.antialias_scale, contrast);
    img[1] = maximum(img[1], second.line);
    seg[1] = second.mask;
    for (int s = 0; s < p.contour_length - 1; ++s) {
      const double c =
          p.paddle_contrast_list[size_t(contrast_index(p.paddle_contrast_list.size()))];
      for (int k = 0; k < 2; ++k)
        if (!extend(pivot[k], orient[k], seg[k], img[k], mask, c * mu[size_t(k)], terminal[k]))
          return false;
    }
    mask = maximum(mask, seg[1]);  // as the original: only the last snake's last paddle
    image = maximum(img[0], img[1]);
    return true;
  }

  // make_snake: one distractor snake of n paddles; image/mask unchanged on failure.
  bool make_snake(Img& image, Img& mask, int n) {
    const auto& cl = p.snake_contrast_list;
    double contrast = cl[size_t(contrast_index(cl.size()))];
    Pt tail, pivot;
    double o;
    if (!seed(mask, 1, tail, pivot, o, 0.01)) return false;
    Img img = image, m = mask;
    Paddle first = draw_line_n_mask(H, W, tail, o, p.paddle_length, p.paddle_thickness, margin,
                                    large, p.antialias_scale, contrast);
    img = maximum(img, first.line);
    Img seg = first.mask;
    Pt tip;
    for (int s = 0; s < n - 1; ++s) {
      contrast = cl[size_t(contrast_index(cl.size()))];
      if (!extend(pivot, o, seg, img, m, contrast, tip)) return false;
    }
    image = img;
    mask = maximum(m, seg);
    return true;
  }

  void make_many_snakes(Img& image, Img& mask, int count, int max_trial, int n) {
    for (int s = 0; s < count; ++s)
      for (int t = 0; t <= max_trial; ++t)
        if (make_snake(image, mask, n)) break;  // allow_incomplete: move on after max_trial
  }

  // draw_circle: a disk at aa scale, Lanczos-resized (byte-scaled first).
  Img circle(Pt c) {
    const int aa = p.antialias_scale;
    Img big(H * aa, W * aa);
    const double r = p.marker_radius * aa;
    for (int y = 0; y < H * aa; ++y)
      for (int x = 0; x < W * aa; ++x) {
        const double dy = y - c.y * aa, dx = x - c.x * aa;
        if (dx * dx + dy * dy <= r * r) big.at(y, x) = 1.f;
      }
    return imresize(big, H, false);
  }
};

}  // namespace

PathfinderSample generate_pathfinder(const PathfinderParams& p, uint64_t seed, int64_t index) {
  Rng rng;
  std::seed_seq ss{uint32_t(seed), uint32_t(seed >> 32), uint32_t(index),
                   uint32_t(uint64_t(index) >> 32), 0x50465u};
  rng.g.seed(ss);
  PathfinderSample out;
  out.label = rng.randint(0, 2);
  const int margin = p.paddle_margin_list[size_t(rng.randint(0, int(p.paddle_margin_list.size())))];
  out.margin = margin;
  Gen g{p, rng, margin, disk(margin), disk(margin * p.antialias_scale), p.size, p.size};
  Img image, mask;
  Pt origin[2], terminal[2];
  while (!g.two_snakes(image, mask, origin, terminal)) {
  }
  if (p.num_distractor_snakes > 0)
    g.make_many_snakes(image, mask, p.num_distractor_snakes, p.max_distractor_contour_retrial,
                       p.distractor_length);
  if (p.use_single_paddles) {
    const int total = int(150.0 / ((7.5 + 13 * margin + 4 * margin * margin) / 123.5));
    const int singles =
        total - 2 * p.contour_length - p.num_distractor_snakes * p.distractor_length;
    g.make_many_snakes(image, mask, singles, p.max_paddle_retrial, 1);
  }
  const int o = rng.randint(0, 2);
  const int t = out.label == 0 ? 1 - o : o;
  Img markers = maximum(g.circle(origin[o]), g.circle(terminal[t]));
  for (auto& v : markers.v) v /= 255.f;
  Img marked = maximum(image, markers);
  // scipy.misc.imsave: min-max scale to 0..255
  const float lo = *std::min_element(marked.v.begin(), marked.v.end()), hi = marked.max();
  const float span = hi > lo ? hi - lo : 1.f;
  out.image = torch::empty({p.size, p.size}, torch::kUInt8);
  auto* d = out.image.data_ptr<uint8_t>();
  for (size_t i = 0; i < marked.v.size(); ++i)
    d[i] = uint8_t(std::min(255.f, std::max(0.f, (marked.v[i] - lo) * 255.f / span)) + 0.5f);
  return out;
}

int64_t write_pathfinder_dir(const std::string& out_dir, const PathfinderParams& p, uint64_t seed,
                             int64_t n, int64_t per_batch, bool progress) {
  require(n > 0 && per_batch > 0, "pathfinder", "image count and batch size must be positive");
  const std::string root = out_dir + "/curv_contour_length_" + std::to_string(p.contour_length);
  fs::create_directories(root + "/metadata");
  int64_t positives = 0;
  for (int64_t b = 0; b * per_batch < n; ++b) {
    const std::string sub = "imgs/" + std::to_string(b);
    fs::create_directories(root + "/" + sub);
    std::ostringstream meta;
    const int64_t count = std::min(per_batch, n - b * per_batch);
    // Images are independent (each seeded by its index): generate a batch in parallel.
    std::vector<PathfinderSample> batch(static_cast<size_t>(count));
    at::parallel_for(0, count, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        batch[size_t(i)] = generate_pathfinder(p, seed, b * per_batch + i);
    });
    for (int64_t i = 0; i < count; ++i) {
      const auto& s = batch[size_t(i)];
      positives += s.label;
      const std::string fn = "sample_" + std::to_string(i) + ".png";
      write_png_gray(root + "/" + sub + "/" + fn, s.image);
      meta << sub << ' ' << fn << ' ' << i << ' ' << s.label << ' ' << p.continuity << ' '
           << p.contour_length << ' ' << p.distractor_length << ' ' << p.paddle_length << ' '
           << p.paddle_thickness << ' ' << s.margin << ' ' << p.paddle_contrast_list.size() << '\n';
    }
    write_file_atomic(root + "/metadata/" + std::to_string(b) + ".npy", meta.str());
    if (progress)
      std::fprintf(stderr, "\rpathfinder: %lld / %lld images",
                   (long long)std::min(n, (b + 1) * per_batch), (long long)n);
  }
  if (progress) std::fprintf(stderr, "\n");
  return positives;
}

std::vector<PathfinderRow> list_pathfinder_dir(const std::string& dir_, int64_t limit) {
  std::string dir = dir_;
  if (!fs::is_directory(dir + "/metadata") && fs::is_directory(dir + "/curv_contour_length_14"))
    dir += "/curv_contour_length_14";
  require(fs::is_directory(dir + "/metadata"), dir_,
          "no metadata/ folder (expected the LRA layout curv_contour_length_14/{metadata,imgs}; "
          "make one with `spikessm data generate pathfinder --out DIR`)");
  std::vector<std::pair<int64_t, std::string>> files;
  for (const auto& e : fs::directory_iterator(dir + "/metadata")) {
    const std::string stem = e.path().stem().string();
    char* end = nullptr;
    const long long id = std::strtoll(stem.c_str(), &end, 10);
    files.push_back({end && *end == 0 ? id : -1, e.path().string()});
  }
  std::sort(files.begin(), files.end());
  std::vector<PathfinderRow> rows;
  for (const auto& [id, path] : files) {
    std::ifstream in(path);
    std::string line;
    int64_t lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      std::istringstream ls(line);
      std::string sub, fn, idx, label;
      if (!(ls >> sub >> fn >> idx >> label)) continue;
      const std::string at = path + ":" + std::to_string(lineno);
      require(label == "0" || label == "1", at, "label '" + label + "' is not 0 or 1");
      const std::string img = dir + "/" + sub + "/" + fn;
      std::error_code ec;
      require(fs::is_regular_file(img, ec), at, "image " + img + " is not a file");
      if (fs::file_size(img, ec) == 0) continue;  // the empty file S4 blacklists
      rows.push_back({img, label == "1", at});
      if (limit > 0 && int64_t(rows.size()) >= limit) break;
    }
    if (limit > 0 && int64_t(rows.size()) >= limit) break;
  }
  require(!rows.empty(), dir, "no images listed in metadata/");
  return rows;
}

PathfinderSet read_pathfinder_rows(const std::vector<PathfinderRow>& rows,
                                   const std::vector<int64_t>& which) {
  std::vector<torch::Tensor> imgs;
  std::vector<int64_t> labels;
  imgs.reserve(which.size());
  for (const int64_t i : which) {
    TORCH_CHECK(i >= 0 && i < int64_t(rows.size()), "[read_pathfinder_rows] row ", i,
                " out of range");
    const auto& r = rows[size_t(i)];
    imgs.push_back(read_png_gray(r.image));
    require(imgs.back().sizes() == imgs.front().sizes(), r.at,
            "image " + r.image + " is " + std::to_string(imgs.back().size(0)) + "x" +
                std::to_string(imgs.back().size(1)) + ", the first one " +
                std::to_string(imgs.front().size(0)) + "x" + std::to_string(imgs.front().size(1)));
    labels.push_back(r.label);
  }
  TORCH_CHECK(!imgs.empty(), "[read_pathfinder_rows] no rows asked for");
  return {torch::stack(imgs), torch::tensor(labels, torch::kInt64)};
}

PathfinderSet read_pathfinder_dir(const std::string& dir, int64_t limit) {
  const auto rows = list_pathfinder_dir(dir, limit);
  std::vector<int64_t> all(rows.size());
  std::iota(all.begin(), all.end(), int64_t(0));
  return read_pathfinder_rows(rows, all);
}

}  // namespace spikessm
