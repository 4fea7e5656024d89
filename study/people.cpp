#include "study/people.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "analysis/matrix_io.h"
#include "base/atomic_file.h"
#include "study/svg_plot.h"

namespace ml {
namespace {

// The rows of all (N_all x C) that the probe images are, in the probe's order.
Eigen::MatrixXd rows_of(const Eigen::MatrixXd& all, const std::vector<int64_t>& indices, const std::string& path) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(indices.size()), all.cols());
  for (size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0 || indices[i] >= all.rows())
      throw std::runtime_error(path + ": has " + std::to_string(all.rows()) + " rows, the probe uses test image " +
                               std::to_string(indices[i]));
    out.row(static_cast<Eigen::Index>(i)) = all.row(indices[i]);
  }
  return out;
}

const HumanMeasure* find(const PeopleRun& r, const std::string& metric) {
  for (const auto& m : r.measures.measures)
    if (m.metric == metric) return &m;
  return nullptr;
}

std::string cell(const HumanMeasure* m, int digits) {
  if (!m || !std::isfinite(m->value)) return "-";
  char buf[96];
  if (m->ci && std::isfinite(m->ci->low))
    std::snprintf(buf, sizeof buf, "%.*f [%.*f, %.*f]", digits, m->value, digits, m->ci->low, digits, m->ci->high);
  else
    std::snprintf(buf, sizeof buf, "%.*f", digits, m->value);
  return buf;
}

// "X is closest by M (v [lo, hi]); its interval [does not] overlap(s) the next one's (Y ...)".
std::string closest_sentence(const PeopleResults& p, const std::string& metric, bool lower_is_closer,
                             const std::string& name) {
  std::vector<const PeopleRun*> order;
  for (const auto& r : p.runs)
    if (find(r, metric) && std::isfinite(find(r, metric)->value)) order.push_back(&r);
  if (order.size() < 2) return "";
  std::stable_sort(order.begin(), order.end(), [&](const PeopleRun* a, const PeopleRun* b) {
    const double x = find(*a, metric)->value, y = find(*b, metric)->value;
    return lower_is_closer ? x < y : x > y;
  });
  const HumanMeasure* first = find(*order[0], metric);
  const HumanMeasure* second = find(*order[1], metric);
  std::string text = "By " + name + ", closest: " + order[0]->run + " " + cell(first, 3) + ", then " + order[1]->run +
                     " " + cell(second, 3) + ": ";
  if (!first->ci || !second->ci) return text + "no intervals to tell them apart.";
  const bool separate = lower_is_closer ? first->ci->high < second->ci->low : first->ci->low > second->ci->high;
  return text + (separate ? "their intervals do not overlap." : "their intervals overlap: not shown to differ.");
}

}  // namespace

PeopleResults compare_runs_with_people(const std::vector<RunData>& runs, const std::string& human_path,
                                       const std::string& counts_path, const std::string& dir, int draws,
                                       bool whole_test_set) {
  const Eigen::MatrixXd human_all = load_matrix_npy(human_path);
  Eigen::MatrixXd counts_all;
  if (!counts_path.empty()) {
    counts_all = load_matrix_npy(counts_path);
    if (counts_all.rows() != human_all.rows() || counts_all.cols() != human_all.cols())
      throw std::runtime_error(counts_path + ": " + std::to_string(counts_all.rows()) + " x " +
                               std::to_string(counts_all.cols()) + ", " + human_path + " is " +
                               std::to_string(human_all.rows()) + " x " + std::to_string(human_all.cols()));
  }
  PeopleResults out;
  out.whole_test_set = whole_test_set;
  out.with_counts = counts_all.size() > 0;
  out.draws = draws;
  std::ostringstream csv;
  csv.precision(8);
  csv << "model,variant,seed,metric,value,ci_low,ci_high\n";
  for (const auto& r : runs) {
    const ActsDir acts = whole_test_set ? RunDir(r.dir).test_set_acts() : r.acts();
    if (whole_test_set && !std::filesystem::exists(acts.probs())) continue;  // recorded by an older ml-study
    HumanInputs in;
    in.model = load_matrix_npy(acts.probs());
    const std::vector<int64_t> indices = load_labels_npy(acts.indices());
    in.labels = load_labels_npy(acts.labels());
    if (human_all.cols() != in.model.cols())
      throw std::runtime_error(human_path + ": " + std::to_string(human_all.cols()) + " classes, the models have " +
                               std::to_string(in.model.cols()));
    in.human = rows_of(human_all, indices, human_path);
    if (out.with_counts) in.counts = rows_of(counts_all, indices, counts_path);
    check_human_inputs(in, {acts.probs(), human_path, counts_path, acts.labels()});
    HumanOptions options;
    options.bootstrap = draws;
    PeopleRun pr{r.name, r.variant(), r.seed, measure_against_people(in, options)};
    for (const auto& m : pr.measures.measures) {
      csv << r.name << ',' << pr.variant << ',' << r.seed << ',' << m.metric << ',' << m.value << ','
          << (m.ci ? m.ci->low : NAN) << ',' << (m.ci ? m.ci->high : NAN) << '\n';
    }
    out.probe_images = pr.measures.images;
    out.runs.push_back(std::move(pr));
  }
  if (whole_test_set && out.runs.empty()) return out;  // no run recorded every test image
  write_text_atomically(dir + (whole_test_set ? "/analysis/human_test_set.csv" : "/analysis/human.csv"), csv.str());
  return out;
}

namespace {

// Every run's measures with the ceilings, then which runs are closest.
void people_table(HtmlReport& report, const PeopleResults& people) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : people.runs) {
    rows.push_back({r.run, cell(find(r, "cross_entropy"), 3), cell(find(r, "human_majority_agreement"), 3),
                    cell(find(r, "error_consistency"), 3), cell(find(r, "confusion_correlation"), 3),
                    cell(find(r, "human_rdm_spearman"), 3)});
  }
  if (people.with_counts && !people.runs.empty()) {
    const PeopleRun& any = people.runs.front();
    rows.push_back({"two people (ceiling)", "", "", cell(find(any, "error_consistency_ceiling"), 3), "",
                    cell(find(any, "human_rdm_ceiling"), 3)});
  }
  report.table({"run", "cross-entropy", "majority agreement", "error consistency", "confusion correlation",
                "RDM Spearman"},
               rows);
  std::string list;
  for (const auto& [metric, lower, name] :
       {std::tuple{"cross_entropy", true, "cross-entropy"}, std::tuple{"error_consistency", false, "error consistency"},
        std::tuple{"human_rdm_spearman", false, "RDM Spearman"}}) {
    const std::string s = closest_sentence(people, metric, lower, name);
    if (!s.empty()) list += "<li>" + html_escape(s) + "</li>\n";
  }
  if (!list.empty()) report.paragraph("<ul>\n" + list + "</ul>");
}

}  // namespace

void render_people(HtmlReport& report, const std::optional<PeopleResults>& people,
                   const std::optional<PeopleResults>& test_set) {
  report.heading("Closest to human judgements");
  if (!people) {
    report.paragraph("No human data given. With CIFAR-10, <code>ml-study --data cifar10 --human cifar10h-probs.npy "
                     "--human-counts cifar10h-counts.npy</code> (CIFAR-10H, Peterson et al. 2019: about 50 people's "
                     "labels for each of the 10,000 test images) compares every run's class probabilities with "
                     "people's on the probe images and on every test image.");
    return;
  }
  report.paragraph(
      "On the " + std::to_string(people->probe_images) + " probe images (test images), each with its 95% bootstrap "
      "interval over the images (" + std::to_string(people->draws) + " resamples): <b>cross-entropy</b> from people's "
      "distribution to the model's (lower is closer; Peterson et al. 2019); <b>agreement</b> with the people's "
      "majority label; <b>error consistency</b> (Geirhos et al. 2020: Cohen's kappa of the model's and a random "
      "person's right/wrong per image, against chance from their accuracies); <b>confusion correlation</b> of the "
      "off-diagonal soft confusion matrices; <b>RDM Spearman</b> between the model's and people's probability "
      "vectors' RDMs (correlation distance)." +
      std::string(people->with_counts
                      ? " The ceilings are the same measures between two people: error consistency between two "
                        "different people of each image, and the RDM correlation of two random halves of the people, "
                        "Spearman-Brown corrected."
                      : " Without <code>--human-counts</code> there are no ceilings (they need each image's counts)."));
  people_table(report, *people);
  if (test_set && !test_set->runs.empty()) {
    report.heading("On every test image", 3);
    report.paragraph("The same measures on all " + std::to_string(test_set->probe_images) +
                     " test images (the RDM measures on the first 1,000 of them: an RDM of 10,000 images holds 50 "
                     "million pairs); analysis/human_test_set.csv.");
    people_table(report, *test_set);
  }
}

}  // namespace ml
