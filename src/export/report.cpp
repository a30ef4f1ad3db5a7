// `spikessm report`: figures via gnuplot and one self-contained HTML page.
#include "spikessm/export/report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gnuplot.h"
#include "spikessm/common/error.h"
#include "spikessm/data/seq_image_task.h"
#include "spikessm/common/config.h"
#include "spikessm/train/trained_model.h"
#include "spikessm/train/trainer.h"

namespace spikessm {
namespace fs = std::filesystem;

namespace {

// What one forward pass looks like inside each block, recomputed from the public modules.
struct BlockTrace {
  torch::Tensor current;  // (B, L, H) LIF input y / v_th_h
  torch::Tensor spikes;   // (B, L, H)
};

torch::Tensor normalise(SpikingSSMBlockImpl& blk, const torch::Tensor& x) {
  if (blk.layer_norm) return blk.layer_norm(x);
  if (blk.batch_norm) return blk.batch_norm(x.reshape({-1, x.size(2)})).view(x.sizes());
  return x;
}

// x: (B, L, 1) -> logits (B, classes); fills one BlockTrace per block.
torch::Tensor trace_forward(SequenceClassifierImpl& m, const torch::Tensor& x, std::vector<BlockTrace>& out) {
  out.clear();
  auto h = m.encoder(x);
  for (auto& blk : m.layers()) {
    const bool pre = blk->options.prenorm();
    auto z = pre ? normalise(*blk, h) : h;
    z = blk->s4d(z) * torch::exp(-blk->ln_vth);
    auto s = lif_multistep(z, blk->options.lif());
    out.push_back({z, s});
    const int64_t H = s.size(2);
    auto mm = torch::addmm(blk->mix->bias, s.reshape({-1, H}), blk->mix->weight.t()).view({s.size(0), s.size(1), 2 * H});
    auto halves = mm.chunk(2, -1);
    auto y = h + halves[0] * torch::sigmoid(halves[1]);
    h = pre ? y : normalise(*blk, y);
  }
  return m.decoder(h.mean(1));
}

// The LIF membrane before reset, u'_t = tau u_{t-1} + x_t, for one sample: (L, H).
torch::Tensor membrane(const torch::Tensor& current, const LifOptions& o) {
  auto x = current.contiguous();
  const int64_t L = x.size(0), H = x.size(1);
  auto u_pre = torch::empty_like(x);
  const float* xp = x.data_ptr<float>();
  float* up = u_pre.data_ptr<float>();
  std::vector<float> u(size_t(H), 0.0f);
  for (int64_t t = 0; t < L; ++t)
    for (int64_t c = 0; c < H; ++c) {
      const float v = o.tau * u[size_t(c)] + xp[t * H + c];
      up[t * H + c] = v;
      const bool s = v >= o.v_th;
      u[size_t(c)] = o.reset == ResetMode::Hard ? (s ? 0.0f : v) : (s ? v - o.v_th : v);
    }
  return u_pre;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  if (!f) throw std::runtime_error(p.string() + ": cannot write");
}

struct Curves {
  std::string train, test;  // gnuplot data: "step loss acc" / "step acc"
  int64_t train_rows = 0, test_rows = 0;
};

Curves read_metrics(const std::string& path) {
  Curves c;
  std::ifstream in(path);
  if (!in) return c;
  std::ostringstream tr, te;
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception&) {
      throw InputError(path + ":" + std::to_string(lineno) + ": not a JSON line");
    }
    const std::string kind = j.value("kind", "");
    if (kind == "train" && j.contains("step") && j.contains("loss")) {
      tr << j["step"].get<double>() << " " << j["loss"].get<double>() << " " << j.value("accuracy", 0.0) << "\n";
      ++c.train_rows;
    } else if (kind == "eval" && j.contains("step") && j.contains("accuracy")) {
      te << j["step"].get<double>() << " " << j["accuracy"].get<double>() << "\n";
      ++c.test_rows;
    }
  }
  c.train = tr.str();
  c.test = te.str();
  return c;
}

}  // namespace

ReportResult write_report(const ReportOptions& opt) {
  // Everything that can fail on bad input happens before anything is written.
  TrainedModel trained = load_trained_model(opt.checkpoint, opt.sets);
  const Config& cfg = trained.cfg;
  const CheckpointMeta& meta = trained.meta;
  auto* seq = dynamic_cast<SequenceClassifierImpl*>(trained.classifier.get());
  if (seq == nullptr || seq->layers().empty())
    throw InputError(opt.checkpoint + ": report draws SpikingSSM classifiers (model.family = \"classifier\", "
                     "model.block = \"spiking_ssm\"); this checkpoint is a " + cfg.get_string("model.family") +
                     (seq ? " with " + cfg.get_string("model.block") + " blocks" : ""));
  SequenceClassifier model(std::dynamic_pointer_cast<SequenceClassifierImpl>(trained.classifier));
  const std::string metrics = opt.metrics.empty()
      ? (fs::path(opt.checkpoint).parent_path() / "metrics.jsonl").string() : opt.metrics;
  const Curves curves = read_metrics(metrics);
  fs::path out = fs::path(opt.out_dir).lexically_normal();
  if (!out.empty() && !out.has_filename()) out = out.parent_path();  // "dir/" -> "dir"
  if (out.empty() || out == ".") throw InputError("--out: name a new or report directory, got '" + opt.out_dir + "'");
  if (fs::exists(out) && !(fs::is_directory(out) && (fs::is_empty(out) || fs::exists(out / "index.html"))))
    throw InputError(out.string() + ": exists and is not a spikessm report directory (choose another --out)");
  auto task = load_seq_image_task(cfg);
  const int64_t n_test = task.test_x.size(0);
  if (opt.sample_index < 0 || opt.sample_index >= n_test)
    throw InputError("--sample: index " + std::to_string(opt.sample_index) + " is outside the " +
                     std::to_string(n_test) + " test samples");
  torch::NoGradGuard no_grad;

  const int64_t n = opt.samples > 0 ? std::min(opt.samples, n_test) : n_test;
  auto xs = task.test_x.narrow(0, 0, n), ys = task.test_y.narrow(0, 0, n);
  auto eval = evaluate(model, xs, ys, cfg.get_int("train.eval_batch_size"), true, false);

  // Per-neuron rates over the same samples, and one sample's internals.
  const auto blocks = model->layers();
  const int64_t nb = int64_t(blocks.size()), H = model->options.block().s4d().d_model();
  auto neuron_spikes = torch::zeros({nb, H}, torch::kDouble);
  std::vector<BlockTrace> tr;
  for (int64_t i = 0; i < n; i += 200) {
    auto xb = xs.narrow(0, i, std::min<int64_t>(200, n - i));
    trace_forward(*model, xb, tr);
    for (int64_t b = 0; b < nb; ++b) neuron_spikes[b].add_(tr[size_t(b)].spikes.sum(at::IntArrayRef{0, 1}).to(torch::kDouble));
  }
  auto neuron_rates = neuron_spikes / double(n * task.L);
  auto x1 = task.test_x.narrow(0, opt.sample_index, 1);
  auto logits = trace_forward(*model, x1, tr);
  auto reference = model->forward(x1);
  if (!torch::allclose(logits, reference, 1e-4, 1e-4))
    throw std::runtime_error("report: the traced forward disagrees with the model (internal error)");
  const int64_t label = task.test_y[opt.sample_index].item<int64_t>(), pred = logits.argmax(1).item<int64_t>();

  // Stage everything in a sibling directory, then swap it in: no half-written report.
  const fs::path stage = out.string() + ".partial-" + std::to_string(getpid());
  fs::remove_all(stage);
  fs::create_directories(stage / "data");
  struct Cleanup {  // removes the staging directory unless the report was completed
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup{stage};
  const std::string data = (stage / "data").string();
  std::vector<std::string> figures;
  auto plot = [&](const std::string& name, int w, int h, const std::string& body) {
    std::vector<bool> kinds{false};
    if (opt.svg) kinds.push_back(true);
    for (bool svg : kinds) {
      const std::string file = name + (svg ? ".svg" : ".png");
      std::string script = gnuplot_terminal(svg, w, h) + "set output '../" + file + "'\n" + body + "unset output\n";
      run_gnuplot(data, name + (svg ? "_svg" : ""), script, {"../" + file});
      figures.push_back((stage / file).string());
    }
  };

  // 1. Training curves.
  const bool have_curves = curves.train_rows > 0;
  if (have_curves) {
    write_text(stage / "data/train.dat", curves.train);
    write_text(stage / "data/test.dat", curves.test.empty() ? "\n" : curves.test);
    std::string test_plot = curves.test_rows > 0
        ? ", 'test.dat' using 1:2 with linespoints pt 7 ps 1.2 lw 2 lc rgb '#d62728' title 'test (full test set)'" : "";
    plot("training", 1000, 420,
         "set multiplot layout 1,2\nset grid\nset xlabel 'step'\n"
         "set title 'training loss (mean over each logging window)'\nset ylabel 'cross-entropy'\n"
         "plot 'train.dat' using 1:2 with lines lw 2 lc rgb '#1f77b4' notitle\n"
         "set title 'accuracy'\nset ylabel 'accuracy'\nset key bottom right\n"
         "plot 'train.dat' using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'train (window)'" + test_plot + "\n"
         "unset multiplot\n");
  }

  // 2. Spiking rates: per layer, and every neuron sorted.
  {
    std::ostringstream sorted, lr;
    for (int64_t b = 0; b < nb; ++b) lr << b << " \"block " << b << "\" " << neuron_rates[b].mean().item<double>() << "\n";
    auto sorted_rates = std::get<0>(neuron_rates.sort(1, true));
    for (int64_t c = 0; c < H; ++c) {
      sorted << c;
      for (int64_t b = 0; b < nb; ++b) sorted << " " << sorted_rates[b][c].item<double>();
      sorted << "\n";
    }
    write_text(stage / "data/layer_rates.dat", lr.str());
    write_text(stage / "data/neuron_rates.dat", sorted.str());
    std::string lines;
    for (int64_t b = 0; b < nb; ++b)
      lines += std::string(b ? ", " : "") + "'neuron_rates.dat' using 1:" + std::to_string(b + 2) +
               " with lines lw 2 title 'block " + std::to_string(b) + "'";
    plot("rates", 1000, 400,
         "set multiplot layout 1,2\nset grid ytics\n"
         "set title 'mean spiking rate per layer (" + std::to_string(n) + " test samples)'\n"
         "set style fill solid 0.8 border -1\nset boxwidth 0.6\nset yrange [0:*]\nset ylabel 'spikes / (neuron x step)'\n"
         "plot 'layer_rates.dat' using 1:3:xtic(2) with boxes lc rgb '#2ca02c' notitle, "
         "'' using 1:3:(sprintf('%.3f', $3)) with labels offset 0,1 notitle\n"
         "set title 'per-neuron rate, sorted'\nset xlabel 'neuron (sorted by rate)'\nset ylabel 'rate'\nset key top right\n"
         "plot " + lines + "\nunset multiplot\n");
  }

  // 3. Spike raster of one sample, with its input.
  {
    const int64_t L = task.L;
    std::ostringstream in, ras;
    auto xin = x1[0].select(1, 0);
    for (int64_t t = 0; t < L; ++t) in << t << " " << xin[t].item<float>() << "\n";
    write_text(stage / "data/input.dat", in.str());
    std::string panels;
    for (int64_t b = 0; b < nb; ++b) {
      std::ostringstream r;
      auto s = tr[size_t(b)].spikes[0].nonzero();  // (count, 2): t, neuron
      auto acc = s.accessor<int64_t, 2>();
      for (int64_t k = 0; k < s.size(0); ++k) r << acc[k][0] << " " << acc[k][1] << "\n";
      if (s.size(0) == 0) r << "-10 -10\n";
      write_text(stage / ("data/raster" + std::to_string(b) + ".dat"), r.str());
      const double rate = tr[size_t(b)].spikes[0].mean().item<double>();
      panels += "set title 'block " + std::to_string(b) + ": spikes of " + std::to_string(H) + " LIF neurons (rate " +
                fmt("%.3f", rate) + ")'\nset ylabel 'neuron'\nset yrange [-1:" + std::to_string(H) + "]\n" +
                (b + 1 == nb ? "set xlabel 'time step'\n" : "") +
                "plot 'raster" + std::to_string(b) + ".dat' using 1:2 with points pt 5 ps 0.25 lc rgb 'black' notitle\n";
    }
    plot("raster", 1100, 250 + 260 * int(nb),
         "set multiplot layout " + std::to_string(nb + 1) + ",1\nset xrange [0:" + std::to_string(L) + "]\n"
         "set title 'input: test sample " + std::to_string(opt.sample_index) + " (label " + std::to_string(label) +
         ", predicted " + std::to_string(pred) + "), one pixel per step, standardised'\nset ylabel 'pixel'\nset grid\n"
         "plot 'input.dat' using 1:2 with lines lc rgb '#1f77b4' notitle\nunset grid\n" + panels + "unset multiplot\n");
  }

  // 4. Membrane traces (before reset, in units of each neuron's threshold) of three neurons
  // of block 0: the most active, a median and a rarely firing one of this sample.
  std::vector<int64_t> chosen;
  {
    auto u = membrane(tr[0].current[0], blocks[0]->options.lif());
    auto s = tr[0].spikes[0];
    auto check = (u >= blocks[0]->options.lif().v_th).to(torch::kFloat);
    if (blocks[0]->options.lif().reset == ResetMode::Hard && !torch::equal(check, s))
      throw std::runtime_error("report: the recomputed membrane does not reproduce the spikes (internal error)");
    auto order = std::get<1>(s.sum(0).sort(0, true));
    for (int64_t k : {int64_t(0), H / 2, H - 1}) chosen.push_back(order[std::min(k, H - 1)].item<int64_t>());
    const int64_t L = task.L;
    std::ostringstream d;
    for (int64_t t = 0; t < L; ++t) {
      d << t;
      for (auto c : chosen) d << " " << u[t][c].item<float>() << " " << s[t][c].item<float>();
      d << "\n";
    }
    write_text(stage / "data/membrane.dat", d.str());
    // Spikes as a rug along the top edge of each panel (second y axis fixed to [0, 1]).
    std::string body = "set multiplot layout 3,1\nset grid\nset xrange [0:" + std::to_string(L) + "]\n"
                       "set y2range [0:1]\nunset y2tics\nset key outside right top vertical\n";
    for (size_t k = 0; k < chosen.size(); ++k) {
      const int col = 2 + 2 * int(k);
      const double vt = blocks[0]->options.lif().v_th;
      body += "set title 'block 0, neuron " + std::to_string(chosen[k]) + " (" +
              fmt("%.0f", s.select(1, chosen[k]).sum().item<double>()) + " spikes)'\nset ylabel 'potential / threshold' noenhanced\n" +
              (k + 1 == chosen.size() ? "set xlabel 'time step'\n" : "") +
              "plot 'membrane.dat' using 1:" + std::to_string(col) + " with lines lc rgb '#1f77b4' title 'membrane before reset', " +
              fmt("%g", vt) + " with lines dt 2 lc rgb '#d62728' title 'threshold', 'membrane.dat' using 1:($" +
              std::to_string(col + 1) + " > 0 ? 0.95 : 1/0) axes x1y2 with points pt 7 ps 0.35 lc rgb '#2ca02c' title 'spike'\n";
    }
    plot("membrane", 1100, 780, body + "unset multiplot\n");
  }

  // 5. Energy per layer.
  {
    std::ostringstream d;
    int k = 0;
    double lo = 1e30, hi = 0;
    for (const auto& l : eval.ops.layers) {
      const double e = l.energy_pj() * 1e-6, ann = l.dense_macs * kEnergyMacPj * 1e-6;
      d << k++ << " \"" << l.name << "\" " << e << " " << ann << "\n";
      if (e > 0) lo = std::min(lo, e);
      hi = std::max(hi, ann);
    }
    write_text(stage / "data/energy.dat", d.str());
    plot("energy", 1000, 420,
         "set title 'energy per sample by layer (45 nm: 4.6 pJ/MAC, 0.9 pJ/AC; operation counts, not measurements)'\n"
         "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
         "set logscale y\nset yrange [" + fmt("%g", lo / 3) + ":" + fmt("%g", hi * 3) + "]\n"
         "set ylabel 'uJ per sample'\nset grid ytics\nset key below\nset xtics rotate by -30\n"
         "plot 'energy.dat' using 3:xtic(2) lc rgb '#2ca02c' title 'this SNN (AC for spike-driven layers)', "
         "'' using 4 lc rgb '#7f7f7f' title 'same layers as MACs (ANN)'\n");
  }

  // The page.
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>spikessm report</title>\n"
       "<style>body{font-family:sans-serif;max-width:1150px;margin:2em auto;color:#222}"
       "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}"
       "th{background:#eee}td:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}"
       "pre{background:#f6f6f6;padding:8px;overflow-x:auto}</style></head><body>\n";
  h << "<h1>spikessm report</h1>\n<p>Checkpoint <code>" << html_escape(opt.checkpoint) << "</code> (step " << meta.step
    << "). Data: " << html_escape(task.description) << ".</p>\n";
  h << "<p>Test accuracy on the first " << n << " test samples: <b>" << fmt("%.2f", 100 * eval.accuracy)
    << " %</b> (loss " << fmt("%.4f", eval.loss) << "). Mean spiking rate <b>" << fmt("%.4f", eval.ops.mean_rate)
    << "</b> (sparsity " << fmt("%.1f", 100 * (1 - eval.ops.mean_rate)) << " %).</p>\n";
  h << "<h2>Training curves</h2>\n";
  if (have_curves) h << "<p>From <code>" << html_escape(metrics) << "</code>.</p><img src=\"training.png\" alt=\"training curves\">\n";
  else h << "<p>No training metrics found at <code>" << html_escape(metrics) << "</code> (pass <code>--metrics FILE</code>).</p>\n";
  h << "<h2>Spiking rates</h2>\n<img src=\"rates.png\" alt=\"spiking rates\">\n";
  h << "<h2>One test sample: spike raster</h2>\n<img src=\"raster.png\" alt=\"spike raster\">\n";
  h << "<h2>Membrane potentials</h2>\n<p>Block 0, the most active, a median and the least active neuron of this sample; "
       "the potential is shown before the reset, in units of the neuron's learned threshold.</p>\n"
       "<img src=\"membrane.png\" alt=\"membrane traces\">\n";
  h << "<h2>Operations and energy per sample</h2>\n<p>Theoretical operation counts with 45 nm energies "
       "(4.6 pJ per MAC, 0.9 pJ per AC; papers.md section 5), not hardware measurements. Spike-driven layers "
       "(the mixing layers, fed by binary spikes) cost one AC per active input per output.</p>\n"
       "<table><tr><th>layer</th><th>op</th><th>input rate</th><th>dense MACs</th><th>ops</th><th>energy (nJ)</th>"
       "<th>in the paper's count</th></tr>\n";
  for (const auto& l : eval.ops.layers)
    h << "<tr><td>" << html_escape(l.name) << "</td><td>" << l.kind << "</td><td>"
      << (l.firing_rate >= 0 ? fmt("%.4f", l.firing_rate) : "-") << "</td><td>" << fmt("%.4g", l.dense_macs)
      << "</td><td>" << fmt("%.4g", l.ops) << "</td><td>" << fmt("%.4g", l.energy_pj() * 1e-3) << "</td><td>"
      << (l.counted_by_paper ? "yes" : "no") << "</td></tr>\n";
  h << "</table>\n<p>Energy per sample, paper convention (mixing layers only): <b>" << fmt("%.3f", eval.ops.energy_uj(true))
    << " uJ</b> (as an ANN: " << fmt("%.3f", eval.ops.ann_energy_uj(true)) << " uJ). Every layer: <b>"
    << fmt("%.3f", eval.ops.energy_uj(false)) << " uJ</b> (ANN: " << fmt("%.3f", eval.ops.ann_energy_uj(false)) << " uJ).</p>\n"
    << "<img src=\"energy.png\" alt=\"energy per layer\">\n";
  h << "<h2>Configuration</h2>\n<pre>" << html_escape(meta.config_toml) << "</pre>\n</body></html>\n";
  write_text(stage / "index.html", h.str());

  if (fs::exists(out)) fs::remove_all(out);
  fs::rename(stage, out);
  cleanup.dir.clear();
  ReportResult r;
  r.html = (out / "index.html").string();
  for (auto& f : figures) r.figures.push_back((out / fs::path(f).filename()).string());
  r.accuracy = eval.accuracy;
  r.mean_rate = eval.ops.mean_rate;
  return r;
}

}  // namespace spikessm
