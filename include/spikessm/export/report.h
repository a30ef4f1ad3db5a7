#pragma once
// `spikessm report`: an HTML page with figures (gnuplot, PNG and optionally SVG) for one
// trained checkpoint of any family (classifiers, language models, the spiking transformer):
// training curves from its metrics.jsonl, per-population and per-neuron spiking rates, a spike
// raster of one test sample, membrane traces of its first LIF population, and the
// operation/energy table (papers.md section 5).
#include <string>
#include <utility>
#include <vector>

namespace spikessm {

struct ReportOptions {
  std::string checkpoint;
  std::string out_dir;
  std::string metrics;            // metrics.jsonl; empty: next to the checkpoint
  std::vector<std::string> sets;  // config overrides, e.g. data.dir=...
  int64_t samples = 2000;         // test samples for rates and the energy table (0: all)
  int64_t sample_index = 0;       // the test sample (language models: window) drawn as raster
  bool svg = false;               // also write SVG figures
};

struct ReportResult {
  std::string html;  // path of index.html
  std::vector<std::string> figures;
  std::pair<std::string, double> headline;  // ("accuracy", ...) or ("nats per token", ...)
  double mean_rate = 0;
};

// InputError for a bad checkpoint, data or output directory (nothing is written then);
// std::runtime_error when gnuplot is missing or fails.
ReportResult write_report(const ReportOptions& options);

}  // namespace spikessm
