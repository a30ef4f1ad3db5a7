#pragma once
// What `spikessm report` shows of a trained model of any family: its scores and operation
// counts on the first test samples, the spike statistics every population reported to the
// model's recorder (per-neuron counts included), and the rasters of one test sample.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "spikessm/export/report.h"
#include "spikessm/metrics/recorder.h"
#include "spikessm/train/trained_model.h"

namespace spikessm {

struct ReportObservation {
  std::string data;  // what the samples are, for the page
  std::vector<std::pair<std::string, double>>
      scores;           // ("accuracy", 0.81) / ("bits per byte", 2.3)
  double headline = 0;  // accuracy (classifiers) or bits per byte (language models)
  int64_t samples = 0;  // sequences evaluated
  OpsReport ops;
  StatsRecorder over_samples;  // counts and per-neuron counts over the samples
  StatsRecorder one_sample;    // the rasters (and LIF currents) of the chosen sample
  torch::Tensor input;         // (steps) the chosen sample's input (channel 0 or ids); may be empty
  std::string sample_title;    // "test sample 3 (label 2, predicted 2)"
};

// InputError for a bad sample index; reads only the test split of the model's data.
ReportObservation observe_for_report(TrainedModel& m, const ReportOptions& opt);

}  // namespace spikessm
