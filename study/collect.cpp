#include "study/collect.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "analysis/matrix_io.h"
#include "base/atomic_file.h"
#include "study/json_config.h"
#include "study/people.h"
#include "study/plan.h"
#include "study/report_html.h"
#include "study/report_similarity.h"
#include "study/representations.h"
#include "study/run_data.h"
#include "study/seed_stats.h"
#include "study/svg_plot.h"

namespace ml {

namespace {

namespace fs = std::filesystem;

// Bootstrap resamples of the probe images for the similarity intervals: the quick preset keeps its minutes.
constexpr int kQuickBootstrapDraws = 200;
constexpr int kFullBootstrapDraws = 1000;

std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The variants in the order of their first run, with their runs.
std::vector<std::pair<std::string, std::vector<const RunData*>>> by_variant(const std::vector<RunData>& runs) {
  std::vector<std::pair<std::string, std::vector<const RunData*>>> out;
  for (const auto& r : runs) {
    const std::string v = r.variant();
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == v; });
    if (it == out.end()) out.push_back({v, {&r}});
    else it->second.push_back(&r);
  }
  return out;
}

std::string plus_minus(const MeanInterval& m, double scale, int digits) {
  return fixed(scale * m.mean, digits) + (std::isnan(m.sd) ? "" : " ± " + fixed(scale * m.sd, digits));
}

std::string interval_text(const MeanInterval& m, double scale, int digits) {
  const std::string mean = (m.mean >= 0 ? "+" : "") + fixed(scale * m.mean, digits);
  if (std::isnan(m.low)) return mean;
  return mean + " [" + fixed(scale * m.low, digits) + ", " + fixed(scale * m.high, digits) + "]";
}

// Per variant: its test accuracies at the val-selected epoch over seeds, and the paired differences to bp's
// seed of the same number (the same initial weights and data order).
void accuracy_over_seeds(HtmlReport& report, const std::vector<RunData>& runs, const std::string& dir) {
  const auto variants = by_variant(runs);
  std::map<uint64_t, double> bp_by_seed;
  for (const auto& r : runs)
    if (r.variant() == "bp") bp_by_seed[r.seed] = r.selected_test_acc();
  std::ostringstream csv;
  csv.precision(6);
  csv << "model,n_seeds,test_acc_mean,test_acc_sd,diff_to_bp_mean,diff_to_bp_ci_low,diff_to_bp_ci_high,n_pairs\n";
  std::vector<std::vector<std::string>> rows;
  std::string single;
  for (const auto& [variant, members] : variants) {
    std::vector<double> acc, diff;
    for (const RunData* r : members) {
      acc.push_back(r->selected_test_acc());
      if (variant != "bp" && bp_by_seed.count(r->seed)) diff.push_back(r->selected_test_acc() - bp_by_seed[r->seed]);
    }
    const MeanInterval a = mean_interval(acc), d = mean_interval(diff);
    if (members.size() == 1) single += (single.empty() ? "" : ", ") + variant;
    rows.push_back({variant, std::to_string(members.size()), plus_minus(a, 100, 2),
                    variant == "bp" ? "" : interval_text(d, 100, 2), variant == "bp" ? "" : std::to_string(d.n)});
    csv << variant << ',' << a.n << ',' << a.mean << ',' << a.sd << ',' << d.mean << ',' << d.low << ',' << d.high
        << ',' << d.n << '\n';
  }
  report.paragraph("Test accuracy at each run's val-selected epoch over its seeds (mean &plusmn; sample sd), and the "
                   "paired difference to bp (seed s against bp's seed s: the same initial weights and data order) "
                   "with its 95% t interval over the pairs; a difference whose interval contains 0 is not one."
                   + (single.empty() ? std::string() : " One seed only (no interval): " + html_escape(single) + "."));
  report.table({"run", "seeds", "test acc %", "difference to bp, points [95% CI]", "pairs"}, rows);
  write_text_atomically(dir + "/analysis/accuracy_over_seeds.csv", csv.str());
}

double median_speed(const RunData& r) {
  std::vector<double> s;
  for (const auto& e : r.epochs) s.push_back(e.samples_per_s);
  if (s.empty()) return NAN;
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

void write_summary(const std::string& path, const std::vector<RunData>& runs) {
  std::ostringstream o;
  o.precision(6);
  o << "run,rule,seed,epochs_done,epochs_planned,diverged,selected_epoch,val_acc,test_acc,final_test_acc,"
       "final_train_loss,samples_per_s\n";
  for (const auto& r : runs) {
    const EpochRow* s = r.epochs.empty() ? nullptr : &r.selected();
    o << r.name << ',' << r.rule << ',' << r.seed << ',' << r.epochs.size() << ',' << r.epochs_planned << ','
      << (r.diverged() ? 1 : 0) << ',' << (s ? s->epoch : 0) << ',' << (s ? s->val_acc : NAN) << ','
      << (s ? s->test_acc : NAN) << ',' << r.final_test_acc() << ','
      << (r.epochs.empty() ? NAN : r.epochs.back().train_loss) << ',' << median_speed(r) << '\n';
  }
  write_text_atomically(path, o.str());
}

// End-of-training alignment (the last logged batch) per run, layer, metric.
std::map<std::string, double> final_alignment(const RunData& r) {
  std::map<std::string, double> last;  // "layer/metric" -> value
  for (const auto& a : r.alignment) last[a.layer + "/" + a.metric] = a.value;
  return last;
}

// The last epoch's logged batches per run, layer and metric ("layer/metric" -> values).
std::map<std::string, std::vector<double>> last_epoch_alignment(const RunData& r) {
  std::map<std::string, std::vector<double>> values;
  int last = 0;
  for (const auto& a : r.alignment) last = std::max(last, a.epoch);
  for (const auto& a : r.alignment)
    if (a.epoch == last) values[a.layer + "/" + a.metric].push_back(a.value);
  return values;
}

// Layers with an update angle (pc also logs network-wide rows such as its energy).
std::vector<std::string> alignment_layers(const std::vector<RunData>& runs) {
  std::vector<std::string> layers;
  for (const auto& r : runs) {
    for (const auto& a : r.alignment) {
      if (a.metric == "update_angle_deg" && std::find(layers.begin(), layers.end(), a.layer) == layers.end()) layers.push_back(a.layer);
    }
  }
  return layers;
}

void write_alignment_final(const std::string& path, const std::vector<RunData>& runs) {
  std::ostringstream o;
  o.precision(6);
  o << "run,rule,seed,layer,metric,value\n";
  for (const auto& r : runs) {
    for (const auto& [k, v] : final_alignment(r)) {
      const size_t slash = k.find('/');
      o << r.name << ',' << r.rule << ',' << r.seed << ',' << k.substr(0, slash) << ',' << k.substr(slash + 1) << ','
        << v << '\n';
    }
  }
  write_text_atomically(path, o.str());
}

// One line per variant: the mean over its seeds per epoch, their range as a band.
PlotSeries over_seeds(const std::string& name, const std::vector<const RunData*>& members,
                      double (*value)(const EpochRow&)) {
  PlotSeries s;
  s.label = name;
  int epochs = 0;
  for (const RunData* r : members) epochs = std::max(epochs, static_cast<int>(r->epochs.size()));
  for (int e = 0; e < epochs; ++e) {
    std::vector<double> v;
    for (const RunData* r : members)
      if (e < static_cast<int>(r->epochs.size())) v.push_back(value(r->epochs[e]));
    s.x.push_back(e + 1);
    s.y.push_back(mean_interval(v).mean);
    if (members.size() > 1) {
      s.low.push_back(*std::min_element(v.begin(), v.end()));
      s.high.push_back(*std::max_element(v.begin(), v.end()));
    }
  }
  return s;
}

void learning_curves(HtmlReport& report, const std::vector<RunData>& runs) {
  LinePlot acc{"Validation accuracy (band: range over seeds)", "epoch", "val accuracy", {}, 520, 340};
  LinePlot loss{"Training loss (band: range over seeds)", "epoch", "train loss (log10)", {}, 520, 340};
  for (const auto& [variant, members] : by_variant(runs)) {
    acc.series.push_back(over_seeds(variant, members, [](const EpochRow& e) {
      return std::isnan(e.val_acc) ? e.test_acc : e.val_acc;
    }));
    loss.series.push_back(over_seeds(variant, members, [](const EpochRow& e) {
      return e.train_loss > 0 ? std::log10(e.train_loss) : NAN;
    }));
  }
  report.begin_row();
  report.svg(svg_line_plot(acc));
  report.svg(svg_line_plot(loss));
  report.end_row();
}

// One small panel per run (first seed), a line per layer it has: a dozen rules in one plot hide each other.
void alignment_curves(HtmlReport& report, const std::vector<RunData>& runs) {
  std::string exact;  // runs whose updates are bp's to rounding: a panel would plot float noise
  for (const auto& r : runs) {
    if (r.rule == "bp" || r.seed != runs.front().seed) continue;
    double largest = 0;
    for (const auto& a : r.alignment)
      if (a.metric == "update_angle_deg" && std::isfinite(a.value)) largest = std::max(largest, std::fabs(a.value));
    if (largest < 0.01) exact += (exact.empty() ? "" : ", ") + html_escape(r.name);
  }
  if (!exact.empty())
    report.paragraph("Update angle below 0.01&deg; at every logged batch (backprop's update to rounding), not plotted: " +
                     exact + ".");
  report.begin_row();
  for (const auto& r : runs) {
    if (r.rule == "bp" || r.seed != runs.front().seed) continue;
    if (exact.find(html_escape(r.name)) != std::string::npos &&
        std::all_of(r.alignment.begin(), r.alignment.end(), [](const AlignmentRow& a) {
          return a.metric != "update_angle_deg" || !(std::fabs(a.value) >= 0.01);
        }))
      continue;
    LinePlot p{r.name + ": update angle to bp", "epoch", "degrees", {}, 300, 220};
    for (const auto& layer : alignment_layers({r})) {
      std::vector<double> x, y;
      for (const auto& a : r.alignment) {
        if (a.layer != layer || a.metric != "update_angle_deg") continue;
        x.push_back(a.epoch - 1 + static_cast<double>(a.batch) / std::max(1, r.batches_per_epoch));
        y.push_back(a.value);
      }
      // One batch's angle is noisy: a centred moving mean over 5 logged points, +- their sd as the band.
      PlotSeries s;
      s.label = layer;
      s.x = x;
      for (size_t i = 0; i < y.size(); ++i) {
        const size_t from = i < 2 ? 0 : i - 2, to = std::min(y.size(), i + 3);
        const MeanInterval m = mean_interval(std::vector<double>(y.begin() + from, y.begin() + to));
        s.y.push_back(m.mean);
        s.low.push_back(std::isnan(m.sd) ? m.mean : m.mean - m.sd);
        s.high.push_back(std::isnan(m.sd) ? m.mean : m.mean + m.sd);
      }
      p.series.push_back(s);
    }
    if (!p.series.empty()) report.svg(svg_line_plot(p));
  }
  report.end_row();
}

std::string note_html(const std::string& html) { return "<div class=\"note\">" + html + "</div>\n"; }

// The three questions answered in a few lines, on top of the report.
std::string at_a_glance(const std::vector<RunData>& runs, const RepresentationSummary& rep,
                        const SimilarityToBp& similarity) {
  std::vector<const RunData*> by_acc;
  for (const auto& r : runs) by_acc.push_back(&r);
  std::stable_sort(by_acc.begin(), by_acc.end(),
                   [](const RunData* a, const RunData* b) { return a->selected_test_acc() > b->selected_test_acc(); });
  std::string html = "<h2>At a glance</h2>\n<ul>\n<li><b>Accuracy</b> (test, at each run's val-selected epoch), "
                     "best first: ";
  for (size_t i = 0; i < by_acc.size(); ++i)
    html += (i ? ", " : "") + html_escape(by_acc[i]->name) + " " + fixed(100 * by_acc[i]->selected_test_acc(), 1) + "%";
  html += ".</li>\n";
  auto conv1 = [](const RunData& r) { return r.conv1.empty() || r.conv1 == "learned"; };
  if (std::any_of(runs.begin(), runs.end(), [&](const RunData& r) { return !conv1(r); })) {
    html += "<li><b>Q1, first-layer embedding</b> (backprop above a frozen conv1): ";
    bool first = true;
    for (const auto& r : runs) {
      if (r.rule != "bp") continue;
      html += (first ? "" : ", ") + html_escape(r.conv1.empty() ? "learned" : r.conv1) + " " +
              fixed(100 * r.selected_test_acc(), 1) + "%";
      first = false;
    }
    html += ".</li>\n";
  } else {
    html += "<li><b>Q1, first-layer embedding</b>: no designed conv1 embeddings in this study.</li>\n";
  }
  if (!rep.mean_cka_to_bp.empty()) {
    auto order = rep.mean_cka_to_bp;
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    html += "<li><b>Q2, features like backprop's?</b> Debiased linear CKA with the bp network (seed 1 against seed 1), mean over " +
            html_escape(rep.hidden_layers) + ", most alike first: ";
    bool first = true;
    for (const auto& [name, v] : order) {
      if (name == "bp") continue;
      html += (first ? "" : ", ") + html_escape(name) + " " + fixed(v, 2);
      first = false;
    }
    html += ".</li>\n";
  }
  if (!similarity.layers.empty()) {
    html += "<li><b>Q2 with the noise ceiling</b>: layers where debiased CKA to bp lies below the bp-seed ceiling "
            "(95% intervals over probe images; the section below): ";
    std::string per_variant;
    std::vector<std::string> seen;
    for (const auto& r : similarity.to_bp) {
      if (r.measure != "debiased_cka" || std::find(seen.begin(), seen.end(), r.model) != seen.end()) continue;
      seen.push_back(r.model);
      std::string layers;
      for (const auto& q : similarity.to_bp)
        if (q.measure == r.measure && q.model == r.model && similarity.differs(q))
          layers += (layers.empty() ? "" : ", ") + q.layer;
      per_variant += (per_variant.empty() ? "" : "; ") + html_escape(r.model) + ": " +
                     (layers.empty() ? std::string("none") : html_escape(layers));
    }
    html += per_variant + ".</li>\n";
  }
  html += "<li><b>Q3, closest to human judgements</b>: see the last section.</li>\n</ul>\n";
  return html;
}

}  // namespace

void collect_study(const std::string& dir) {
  const std::string study_path = dir + "/study.json";
  std::ifstream sf(study_path, std::ios::binary);
  if (!sf) throw std::runtime_error(study_path + ": cannot open (not a study directory?)");
  const StudyIndex study = parse_study_index(std::string(std::istreambuf_iterator<char>(sf), {}), study_path);
  std::vector<RunData> runs;
  std::vector<std::string> missing;
  for (const std::string& name : study.runs) {
    const std::string run_dir = dir + "/runs/" + name;
    if (!fs::exists(RunDir(run_dir).done())) {
      missing.push_back(name);
      continue;
    }
    runs.push_back(load_run(run_dir, name));
  }
  if (runs.empty()) throw std::runtime_error(dir + ": no finished run to collect (runs/*/done missing)");
  fs::create_directories(dir + "/analysis");
  fs::create_directories(dir + "/plots");
  write_summary(dir + "/summary.csv", runs);
  write_alignment_final(dir + "/analysis/alignment_final.csv", runs);

  const std::string preset = study.preset;
  HtmlReport report("microlearning study: " + study.data);
  std::string notes;
  if (preset == "quick") {
    notes += note_html("<b>Quick preset</b>: " + std::to_string(study.epochs) + " epochs on " +
                (study.limit > 0 ? std::to_string(study.limit) : std::string("all")) +
                " training images, " +
                std::to_string(study.probe) +
                " probe images. The numbers show the pipeline and the first trends, not the paper-scale results "
                "(<code>ml-study --preset full</code>, meant for a GPU). Runs of the same seed start from the same "
                "initial weights, so after little training they are still alike; the comparisons with bp pair "
                "different seeds only.");
  }
  {
    std::string single;
    for (const auto& [variant, members] : by_variant(runs))
      if (members.size() == 1) single += (single.empty() ? "" : ", ") + html_escape(variant);
    if (!single.empty())
      notes += note_html("<b>One seed only</b> (no interval over seeds; their similarity intervals cover the probe "
                         "images only): " + single + ". bp runs " + std::to_string(std::count_if(runs.begin(), runs.end(),
                         [](const RunData& r) { return r.variant() == "bp"; })) + " seeds.");
  }
  if (preset == "quick") {
    std::string cheaper;
    const auto& rules = study.rules;
    for (const auto& [rule, flags] : quick_rule_settings()) {
      if (std::find(rules.begin(), rules.end(), rule) != rules.end())
        cheaper += std::string(cheaper.empty() ? "" : "; ") + html_escape(rule) + " <code>" + html_escape(flags) +
                   "</code>";
    }
    if (!cheaper.empty())
      notes += note_html("To fit the quick budget, the costliest rules train with cheaper settings than their "
                         "defaults (which the full preset uses): " + cheaper + ".");
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    notes += note_html("Runs not finished and left out: " + html_escape(list) + ".");
  }

  // --- accuracy ---------------------------------------------------------------
  report.heading("Accuracy");
  std::vector<std::vector<std::string>> rows;
  report.paragraph("Every run is reported at its <b>val-selected epoch</b>: the epoch of its best accuracy on the "
                   "validation images held out of the training set (the same images for every run). The test set "
                   "chooses nothing; the final epoch's test accuracy is shown beside it.");
  for (const auto& r : runs) {
    const EpochRow* s = r.epochs.empty() ? nullptr : &r.selected();
    rows.push_back({r.name, r.rule, std::to_string(r.seed),
                    std::to_string(r.epochs.size()) + "/" + std::to_string(r.epochs_planned),
                    s ? std::to_string(s->epoch) : "-", fixed(s ? 100 * s->val_acc : NAN, 2),
                    fixed(s ? 100 * s->test_acc : NAN, 2), fixed(100 * r.final_test_acc(), 2),
                    fixed(r.epochs.empty() ? NAN : r.epochs.back().train_loss, 4), fixed(median_speed(r), 0),
                    r.diverged() ? "diverged" : ""});
  }
  report.table({"run", "rule", "seed", "epochs", "selected epoch", "val acc %", "test acc %", "final test acc %",
                "train loss", "samples/s", ""}, rows);
  accuracy_over_seeds(report, runs, dir);
  learning_curves(report, runs);

  // --- alignment ----------------------------------------------------------------
  report.heading("Alignment with backprop");
  report.paragraph(
      "The angle between each rule's weight update and the true backprop gradient on the same batch, per layer "
      "(0: backprop's direction; 90: orthogonal, no descent). The output layer gets the true error under every "
      "rule. The table gives each metric's mean &plusmn; sd over the last epoch's logged batches; the last batch's "
      "values for every metric are in <code>analysis/alignment_final.csv</code>.");
  alignment_curves(report, runs);
  {
    std::vector<std::vector<std::string>> arows;
    for (const auto& r : runs) {
      if (r.rule == "bp" || r.seed != runs.front().seed) continue;
      const auto last = last_epoch_alignment(r);
      for (const auto& layer : alignment_layers({r})) {  // the run's own layers only
        auto get = [&](const std::string& m) {
          auto it = last.find(layer + "/" + m);
          if (it == last.end()) return std::string("-");
          return plus_minus(mean_interval(it->second), 1, m == "feedback_norm_ratio" ? 2 : 1);
        };
        arows.push_back({r.name, layer, get("update_angle_deg"), get("delta_angle_deg"), get("feedback_angle_deg"),
                         get("feedback_norm_ratio")});
      }
    }
    report.table({"run", "layer", "update angle", "delta angle", "feedback angle (B vs W)", "||B|| / ||W||"}, arows);
  }

  // --- representations ---------------------------------------------------------------
  const RepresentationComparison rep = compare_representations(runs, dir);
  std::vector<std::string> compared_layers;  // the input is the same for every run: nothing to compare there
  for (const auto& l : rep.layers)
    if (l != "input") compared_layers.push_back(l);
  const SimilarityToBp similarity =
      similarity_to_bp(runs, compared_layers, dir, preset == "quick" ? kQuickBootstrapDraws : kFullBootstrapDraws);
  const MatchedAccuracy matched =
      matched_accuracy(runs, compared_layers, dir, preset == "quick" ? kQuickBootstrapDraws : kFullBootstrapDraws);
  render_similarity_to_bp(report, similarity, matched);
  // A fifth of the draws: a point per snapshot, run and layer; the curves' bands need no finer percentiles.
  render_over_training(report,
                       similarity_over_training(runs, compared_layers, dir,
                                                (preset == "quick" ? kQuickBootstrapDraws : kFullBootstrapDraws) / 5),
                       similarity);
  render_over_cycles(report,
                     similarity_over_cycles(runs, compared_layers, dir,
                                            (preset == "quick" ? kQuickBootstrapDraws : kFullBootstrapDraws) / 5));
  render_representations(report, rep);
  std::optional<PeopleResults> people, people_test_set;
  if (!study.human.empty()) {
    const int draws = preset == "quick" ? kQuickBootstrapDraws : kFullBootstrapDraws;
    people = compare_runs_with_people(runs, study.human, study.human_counts, dir, draws);
    people_test_set = compare_runs_with_people(runs, study.human, study.human_counts, dir, draws, true);
  }
  render_people(report, people, people_test_set);
  report.prepend(notes + at_a_glance(runs, rep.summary, similarity));

  write_text_atomically(dir + "/report.html", report.html());
}

}  // namespace ml
