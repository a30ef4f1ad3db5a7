// `spikessm report`: figures via gnuplot and one self-contained HTML page, for a checkpoint of
// any family. Everything drawn comes from the model's statistics recorder (report_observe.h):
// nothing here re-runs a layer.
#include "spikessm/export/report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gnuplot.h"
#include "report_observe.h"
#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"

namespace spikessm {
namespace fs = std::filesystem;

namespace {

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else
      o += c;
  }
  return o;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

struct Curves {
  std::string train, eval;  // gnuplot data: "step loss acc" / "step value"
  int64_t train_rows = 0, eval_rows = 0;
  bool accuracy = false;  // classifiers log accuracy; language models nats per token
};

Curves read_metrics(const std::string& path) {
  Curves c;
  std::ifstream in(path);
  if (!in) return c;
  std::ostringstream tr, ev;
  std::string line;
  for (int64_t lineno = 1; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception&) {
      throw InputError(path + ":" + std::to_string(lineno) + ": not a JSON line");
    }
    const std::string kind = j.value("kind", "");
    if (kind == "train" && j.contains("step") && j.contains("loss")) {
      c.accuracy = c.accuracy || j.contains("accuracy");
      tr << j["step"].get<double>() << " " << j["loss"].get<double>() << " "
         << j.value("accuracy", 0.0) << "\n";
      ++c.train_rows;
    } else if (kind == "eval" && j.contains("step") &&
               (j.contains("accuracy") || j.contains("nll_per_token"))) {
      ev << j["step"].get<double>() << " " << j.value("accuracy", j.value("nll_per_token", 0.0))
         << "\n";
      ++c.eval_rows;
    }
  }
  c.train = tr.str();
  c.eval = ev.str();
  return c;
}

// The output directory, checked before anything is computed or written.
fs::path checked_out_dir(const std::string& dir) {
  fs::path out = fs::path(dir).lexically_normal();
  if (!out.empty() && !out.has_filename()) out = out.parent_path();  // "dir/" -> "dir"
  if (out.empty() || out == ".")
    throw InputError("--out: name a new or report directory, got '" + dir + "'");
  if (fs::exists(out) &&
      !(fs::is_directory(out) && (fs::is_empty(out) || fs::exists(out / "index.html"))))
    throw InputError(out.string() +
                     ": exists and is not a spikessm report directory (choose another --out)");
  return out;
}

// A staging directory beside the report, swapped in when complete: no half-written report.
class Stage {
 public:
  Stage(const fs::path& out, bool svg)
      : out_(out), dir_(out.string() + ".partial-" + std::to_string(getpid())), svg_(svg) {
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
  }
  ~Stage() {
    std::error_code ec;
    if (!done_) fs::remove_all(dir_, ec);
  }
  void data(const std::string& name, const std::string& text) {
    write_file_atomic((dir_ / "data" / name).string(), text);
  }
  void page(const std::string& html) { write_file_atomic((dir_ / "index.html").string(), html); }
  // A figure name.png (and name.svg) drawn by the gnuplot commands in body, run in data/.
  void plot(const std::string& name, int w, int h, const std::string& body) {
    for (bool svg : svg_ ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
      const std::string file = name + (svg ? ".svg" : ".png");
      run_gnuplot(
          (dir_ / "data").string(), name + (svg ? "_svg" : ""),
          gnuplot_terminal(svg, w, h) + "set output '../" + file + "'\n" + body + "unset output\n",
          {"../" + file});
      figures_.push_back(file);
    }
  }
  std::vector<std::string> commit() {
    if (fs::exists(out_)) fs::remove_all(out_);
    fs::rename(dir_, out_);
    done_ = true;
    std::vector<std::string> paths;
    for (const auto& f : figures_) paths.push_back((out_ / f).string());
    return paths;
  }

 private:
  fs::path out_, dir_;
  bool svg_, done_ = false;
  std::vector<std::string> figures_;
};

// At most this many populations get a raster panel and a per-neuron curve.
constexpr size_t kMaxPanels = 6;

void plot_training(Stage& st, const Curves& c) {
  st.data("train.dat", c.train);
  st.data("eval.dat", c.eval.empty() ? "\n" : c.eval);
  const std::string what = c.accuracy ? "accuracy" : "nats per token";
  std::string second =
      c.accuracy
          ? "plot 'train.dat' using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'train (window)'"
          : "plot ";
  if (c.eval_rows > 0)
    second += std::string(c.accuracy ? ", " : "") +
              "'eval.dat' using 1:2 with linespoints pt 7 ps 1.2 lw 2 lc rgb '#d62728' title "
              "'evaluation'";
  else if (!c.accuracy)
    second += "'train.dat' using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'train loss'";
  st.plot("training", 1000, 420,
          "set multiplot layout 1,2\nset grid\nset xlabel 'step'\n"
          "set title 'training loss (mean over each logging window)'\nset ylabel 'loss'\n"
          "plot 'train.dat' using 1:2 with lines lw 2 lc rgb '#1f77b4' notitle\n"
          "set title '" +
              what + "'\nset ylabel '" + what + "'\nset key bottom right\n" + second +
              "\nunset multiplot\n");
}

void plot_rates(Stage& st, const StatsRecorder& rec, int64_t samples) {
  std::ostringstream bars, curves;
  const auto& names = rec.populations();
  for (size_t i = 0; i < names.size(); ++i)
    bars << i << " \"" << names[i] << "\" " << rec.find(names[i])->rate() << "\n";
  std::string lines;
  for (size_t i = 0; i < names.size() && i < kMaxPanels; ++i) {
    const SpikeStats& p = *rec.find(names[i]);
    if (!p.per_neuron.defined()) continue;
    const int64_t D = p.per_neuron.size(0);
    auto rates = std::get<0>((p.per_neuron / (p.elements / double(D))).sort(0, true));
    std::ostringstream d;
    for (int64_t c = 0; c < D; ++c)
      d << double(c) / double(std::max<int64_t>(D - 1, 1)) << " " << rates[c].item<double>()
        << "\n";
    st.data("neurons" + std::to_string(i) + ".dat", d.str());
    lines += std::string(lines.empty() ? "" : ", ") + "'neurons" + std::to_string(i) +
             ".dat' using 1:2 with lines lw 2 title '" + names[i] + "'";
  }
  st.data("rates.dat", bars.str());
  st.plot(
      "rates", 1100, 460,
      "set multiplot layout 1,2\nset grid ytics\nset title 'mean rate per population (" +
          std::to_string(samples) +
          " samples)'\nset style fill solid 0.8 border -1\nset boxwidth 0.6\nset yrange [0:*]\n"
          "set ylabel 'non-zeros / (neuron x step)'\nset xtics rotate by -45 font ',8' noenhanced\n"
          "plot 'rates.dat' using 1:3:xtic(2) with boxes lc rgb '#2ca02c' notitle\n"
          "set xtics norotate font ''\nset title 'per-neuron rate, sorted'\nset xlabel 'neuron "
          "rank (0 = most active)'\n"
          "set ylabel 'rate'\nset key top right noenhanced\nplot " +
          (lines.empty() ? "0 notitle" : lines) + "\nunset multiplot\n");
}

void plot_raster(Stage& st, const ReportObservation& ob) {
  const auto& rec = ob.one_sample;
  std::string panels;
  int64_t rows = 0;
  if (ob.input.defined()) {
    std::ostringstream in;
    for (int64_t t = 0; t < ob.input.size(0); ++t)
      in << t << " " << ob.input[t].item<float>() << "\n";
    st.data("input.dat", in.str());
    panels += "set title 'input: " + ob.sample_title +
              "'\nset ylabel 'value'\nset grid\nset xrange [0:" + std::to_string(ob.input.size(0)) +
              "]\nplot 'input.dat' using 1:2 with lines lc rgb '#1f77b4' notitle\nunset grid\n";
    ++rows;
  }
  for (size_t i = 0; i < rec.populations().size() && i < kMaxPanels; ++i) {
    const auto& name = rec.populations()[i];
    const SpikeStats& p = *rec.find(name);
    if (!p.raster.defined()) continue;
    const int64_t shown = std::min<int64_t>(p.raster.size(1), 512);  // neurons drawn
    auto hits = p.raster.narrow(1, 0, shown).nonzero();              // (count, 2): step, neuron
    auto acc = hits.accessor<int64_t, 2>();
    std::ostringstream r;
    for (int64_t k = 0; k < hits.size(0); ++k) r << acc[k][0] << " " << acc[k][1] << "\n";
    if (hits.size(0) == 0) r << "-10 -10\n";
    st.data("raster" + std::to_string(i) + ".dat", r.str());
    panels += "set xrange [0:" + std::to_string(p.raster.size(0)) + "]\nset title '" + name + ": " +
              std::to_string(shown) + " of " + std::to_string(p.raster.size(1)) +
              " neurons (rate " + fmt("%.3f", p.raster.mean().item<double>()) +
              ")' noenhanced\nset ylabel 'neuron'\n"
              "set yrange [-1:" +
              std::to_string(shown) + "]\nplot 'raster" + std::to_string(i) +
              ".dat' using 1:2 with points pt 5 ps 0.25 lc rgb 'black' notitle\nset autoscale y\n";
    ++rows;
  }
  st.plot("raster", 1100, 150 + 250 * int(rows),
          "set multiplot layout " + std::to_string(std::max<int64_t>(rows, 1)) +
              ",1\nset xlabel 'step'\n" + (rows > 0 ? panels : "plot 0 notitle\n") +
              "unset multiplot\n");
}

// The LIF membrane before reset, u'_t = tau u_{t-1} + x_t, replayed from the recorded input
// current: (steps, neurons).
torch::Tensor membrane(const torch::Tensor& current, const LifTrace& o) {
  auto x = current.contiguous();
  const int64_t L = x.size(0), H = x.size(1);
  auto u_pre = torch::empty_like(x);
  const float* xp = x.data_ptr<float>();
  float* up = u_pre.data_ptr<float>();
  const float tau = float(o.tau), v_th = float(o.v_th);
  std::vector<float> u(size_t(H), 0.0f);
  for (int64_t t = 0; t < L; ++t)
    for (int64_t c = 0; c < H; ++c) {
      const float v = tau * u[size_t(c)] + xp[t * H + c];
      up[t * H + c] = v;
      const bool s = v >= v_th;
      u[size_t(c)] = o.hard_reset ? (s ? 0.0f : v) : (s ? v - v_th : v);
    }
  return u_pre;
}

// Three neurons of the first LIF population: the most active, a median and the least active.
// Returns the population's name, or "" when the model has no LIF population to replay.
std::string plot_membrane(Stage& st, const StatsRecorder& rec) {
  const SpikeStats* p = nullptr;
  std::string name;
  for (const auto& n : rec.populations())
    if (!p && rec.find(n)->current.defined()) p = rec.find(name = n);
  if (!p) return "";
  auto u = membrane(p->current, p->lif);
  const auto& s = p->raster;
  if (p->lif.hard_reset && !torch::equal((u >= float(p->lif.v_th)).to(torch::kFloat), s))
    throw std::runtime_error(
        "report: the replayed membrane does not reproduce the spikes (internal error)");
  const int64_t L = s.size(0), H = s.size(1);
  auto order = std::get<1>(s.sum(0).sort(0, true));
  std::vector<int64_t> chosen;
  for (int64_t k : {int64_t(0), H / 2, H - 1})
    chosen.push_back(order[std::min(k, H - 1)].item<int64_t>());
  std::ostringstream d;
  for (int64_t t = 0; t < L; ++t) {
    d << t;
    for (auto c : chosen) d << " " << u[t][c].item<float>() << " " << s[t][c].item<float>();
    d << "\n";
  }
  st.data("membrane.dat", d.str());
  std::string body = "set multiplot layout 3,1\nset grid\nset xrange [0:" + std::to_string(L) +
                     "]\nset y2range [0:1]\nunset y2tics\nset key outside right top vertical\n";
  for (size_t k = 0; k < chosen.size(); ++k) {
    const int col = 2 + 2 * int(k);
    body +=
        "set title '" + name + ", neuron " + std::to_string(chosen[k]) + " (" +
        fmt("%.0f", s.select(1, chosen[k]).sum().item<double>()) +
        " spikes)' noenhanced\n"
        "set ylabel 'potential / threshold' noenhanced\n" +
        (k + 1 == chosen.size() ? "set xlabel 'step'\n" : "") +
        "plot 'membrane.dat' using 1:" + std::to_string(col) +
        " with lines lc rgb '#1f77b4' title 'membrane before reset', " + fmt("%g", p->lif.v_th) +
        " with lines dt 2 lc rgb '#d62728' title 'threshold', 'membrane.dat' using 1:($" +
        std::to_string(col + 1) +
        " > 0 ? 0.95 : 1/0) axes x1y2 with points pt 7 ps 0.35 lc rgb '#2ca02c' title 'spike'\n";
  }
  st.plot("membrane", 1100, 780, body + "unset multiplot\n");
  return name;
}

void plot_energy(Stage& st, const OpsReport& ops) {
  std::ostringstream d;
  int k = 0;
  double lo = 1e30, hi = 0;
  for (const auto& l : ops.layers) {
    const double e = l.energy_pj() * 1e-6, ann = l.dense_macs * kEnergyMacPj * 1e-6;
    d << k++ << " \"" << l.name << "\" " << e << " " << ann << "\n";
    if (e > 0) lo = std::min(lo, e);
    hi = std::max(hi, ann);
  }
  if (hi <= 0) lo = 1e-9, hi = 1e-6;
  st.data("energy.dat", d.str());
  st.plot("energy", 1100, 460,
          "set title 'energy per sample by layer (45 nm: 4.6 pJ/MAC, 0.9 pJ/AC; operation counts, "
          "not measurements)'\n"
          "set style data histograms\nset style histogram clustered gap 1\nset style fill solid "
          "0.8 border -1\n"
          "set logscale y\nset yrange [" +
              fmt("%g", std::min(lo, hi) / 3) + ":" + fmt("%g", hi * 3) +
              "]\n"
              "set ylabel 'uJ per sample'\nset grid ytics\nset key below\nset xtics rotate by -45 "
              "font ',8' noenhanced\n"
              "plot 'energy.dat' using 3:xtic(2) lc rgb '#2ca02c' title 'this SNN (AC for "
              "spike-driven layers)', "
              "'' using 4 lc rgb '#7f7f7f' title 'same layers as MACs (ANN)'\n");
}

std::string ops_table(const OpsReport& ops) {
  std::ostringstream h;
  h << "<table><tr><th>layer</th><th>op</th><th>input rate</th><th>dense "
       "MACs</th><th>ops</th><th>energy (nJ)</th>"
       "<th>in the paper's count</th></tr>\n";
  for (const auto& l : ops.layers)
    h << "<tr><td>" << html_escape(l.name) << "</td><td>" << l.kind << "</td><td>"
      << (l.firing_rate >= 0 ? fmt("%.4f", l.firing_rate) : "-") << "</td><td>"
      << fmt("%.4g", l.dense_macs) << "</td><td>" << fmt("%.4g", l.ops) << "</td><td>"
      << fmt("%.4g", l.energy_pj() * 1e-3) << "</td><td>" << (l.counted_by_paper ? "yes" : "no")
      << "</td></tr>\n";
  h << "</table>\n<p>Energy per sample, paper convention: <b>" << fmt("%.3f", ops.energy_uj(true))
    << " uJ</b> (as an ANN: " << fmt("%.3f", ops.ann_energy_uj(true)) << " uJ). Every layer: <b>"
    << fmt("%.3f", ops.energy_uj(false))
    << " uJ</b> (ANN: " << fmt("%.3f", ops.ann_energy_uj(false)) << " uJ).</p>\n";
  return h.str();
}

std::string page(const TrainedModel& m, const ReportObservation& ob, const std::string& metrics,
                 bool curves, const std::string& lif_population) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>spikessm report</title>\n"
       "<style>body{font-family:sans-serif;max-width:1150px;margin:2em auto;color:#222}"
       "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:3px "
       "8px;text-align:right}"
       "th{background:#eee}td:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}"
       "pre{background:#f6f6f6;padding:8px;overflow-x:auto}</style></head><body>\n";
  h << "<h1>spikessm report</h1>\n<p>Checkpoint <code>" << html_escape(m.path) << "</code> (step "
    << m.meta.step << "): " << html_escape(m.cfg.get_string("model.family"))
    << ". Data: " << html_escape(ob.data) << ".</p>\n<p>On the first " << ob.samples
    << " test samples:";
  for (const auto& [what, v] : ob.scores) h << " " << what << " <b>" << fmt("%.4f", v) << "</b>;";
  h << " mean spiking rate <b>" << fmt("%.4f", ob.ops.mean_rate)
    << "</b>.</p>\n<h2>Training curves</h2>\n";
  if (curves)
    h << "<p>From <code>" << html_escape(metrics)
      << "</code>.</p><img src=\"training.png\" alt=\"training curves\">\n";
  else
    h << "<p>No training metrics found at <code>" << html_escape(metrics)
      << "</code> (pass <code>--metrics FILE</code>).</p>\n";
  h << "<h2>Spiking rates</h2>\n<p>Every population the model reported, in forward order.</p>\n"
       "<img src=\"rates.png\" alt=\"spiking rates\">\n<h2>One sample: spike raster</h2>\n"
       "<img src=\"raster.png\" alt=\"spike raster\">\n<h2>Membrane potentials</h2>\n";
  if (lif_population.empty())
    h << "<p>This model has no LIF population whose membrane can be replayed from its input "
         "current.</p>\n";
  else
    h << "<p>" << html_escape(lif_population)
      << ": the most active, a median and the least active neuron of this "
      << "sample; the potential is shown before the reset, in units of the threshold.</p>\n"
         "<img src=\"membrane.png\" alt=\"membrane traces\">\n";
  h << "<h2>Operations and energy per sample</h2>\n<p>Theoretical operation counts with 45 nm "
       "energies "
       "(4.6 pJ per MAC, 0.9 pJ per AC; the convention of the SpikingSSM paper), not hardware "
       "measurements.</p>\n"
    << ops_table(ob.ops) << "<img src=\"energy.png\" alt=\"energy per layer\">\n";
  h << "<h2>Configuration</h2>\n<pre>" << html_escape(m.meta.config_toml)
    << "</pre>\n</body></html>\n";
  return h.str();
}

}  // namespace

ReportResult write_report(const ReportOptions& opt) {
  // Everything that can fail on bad input happens before anything is written.
  const fs::path out = checked_out_dir(opt.out_dir);
  TrainedModel m = load_trained_model(opt.checkpoint, opt.sets);
  const std::string metrics =
      opt.metrics.empty() ? (fs::path(opt.checkpoint).parent_path() / "metrics.jsonl").string()
                          : opt.metrics;
  const Curves curves = read_metrics(metrics);
  const ReportObservation ob = observe_for_report(m, opt);

  Stage st(out, opt.svg);
  if (curves.train_rows > 0) plot_training(st, curves);
  plot_rates(st, ob.over_samples, ob.samples);
  plot_raster(st, ob);
  const std::string lif = plot_membrane(st, ob.one_sample);
  plot_energy(st, ob.ops);
  st.page(page(m, ob, metrics, curves.train_rows > 0, lif));
  ReportResult r;
  r.figures = st.commit();
  r.html = (out / "index.html").string();
  r.headline = ob.scores.front();
  r.mean_rate = ob.ops.mean_rate;
  return r;
}

}  // namespace spikessm
