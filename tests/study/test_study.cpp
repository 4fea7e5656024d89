// ml-study end to end on a tiny synthetic data set: the plan, the runs, the
// report and CSVs, and resuming an interrupted study (finished runs kept, a run
// with a training state continued through ml-train --resume).
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "datasets/npy.h"
#include "study/plan.h"
#include "synthetic_idx.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using ml_test::TempDir;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::pair<int, std::string> run_study(const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "study_stderr.txt";
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string cmd = std::string(bin ? bin : "..") + "/ml-study " + args + " 2> " + err.string() + " > /dev/null";
  const int status = std::system(cmd.c_str());
  return {WEXITSTATUS(status), slurp(err)};
}

std::vector<std::vector<std::string>> csv(const fs::path& p) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream f(p);
  for (std::string line; std::getline(f, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

// Every non-void element closed in order; returns the first problem or "".
std::string html_problem(const std::string& html) {
  static const std::set<std::string> void_tags = {"meta", "img", "br", "hr", "input", "link", "rect", "line",
                                                  "circle", "polyline", "path"};
  std::vector<std::string> stack;
  // Scanned by hand, not with std::regex: libstdc++'s matcher recurses once per
  // character, and over the inlined images (hundreds of KB) it overflowed the
  // stack under AddressSanitizer.
  for (size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    size_t begin = at + 1;
    const bool closing = begin < html.size() && html[begin] == '/';
    if (closing) ++begin;
    if (begin >= html.size() || !std::isalpha(static_cast<unsigned char>(html[begin]))) continue;
    size_t end = begin;
    while (end < html.size() && std::isalnum(static_cast<unsigned char>(html[end]))) ++end;
    const size_t close = html.find('>', end);
    if (close == std::string::npos) break;
    const std::string name = html.substr(begin, end - begin);
    const bool self_closing = html[close - 1] == '/' && close > end;
    at = close;
    if (closing) {
      if (stack.empty() || stack.back() != name) return "unexpected </" + name + ">";
      stack.pop_back();
    } else if (!self_closing && !void_tags.count(name)) {
      stack.push_back(name);
    } else if (!self_closing && void_tags.count(name) && (name == "rect" || name == "line")) {
      stack.push_back(name);  // SVG elements written with a child (<rect><title>) close explicitly
    }
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

std::vector<std::string> summary_without_speed(const fs::path& p) {
  std::vector<std::string> out;
  for (auto row : csv(p)) {
    row.pop_back();  // samples_per_s: a timing
    std::string joined;
    for (const auto& c : row) joined += c + ",";
    out.push_back(joined);
  }
  return out;
}

}  // namespace

TEST_CASE("plan: one independent line per run, keyed by what it does", "[study]") {
  ml::StudyConfig c;
  c.rules = {"bp", "fa"};
  c.embeddings = {"none"};
  c.seeds = 2;
  c.out = "/tmp/some study";
  c = ml::resolve_study(c, false);
  CHECK(c.preset == "quick");
  CHECK(c.epochs == 3);
  const auto jobs = ml::plan_study(c);
  REQUIRE(jobs.size() == 5);  // bp runs 3 seeds whatever --seeds (the noise ceiling needs pairs)
  CHECK(jobs[0].name == "bp");
  CHECK(jobs[3].name == "fa-s2");
  CHECK(jobs[4].name == "bp-s3");
  CHECK_THAT(jobs[0].command, Contains(" --val 1000 "));  // the quick preset: a tenth of its 10000 images
  CHECK_THAT(jobs[0].command, Contains("model_best.safetensors"));  // recorded at the val-selected epoch
  CHECK_THAT(jobs[1].command, Contains("--rule fa --lr 0.001"));
  CHECK_THAT(jobs[1].command, Contains(" --max-loss 100 "));  // a blown-up run stops instead of training on
  CHECK_THAT(jobs[2].command, Contains("'/tmp/some study/runs/bp-s2'"));
  CHECK(jobs[0].key != jobs[2].key);
  // --over-training auto on 3 epochs: 0.1, then the powers of 4 below 3, then 3; every seed-1 run,
  // bp's included; bp-s2 keeps its matched-accuracy snapshots (every 0.05 .. 0.75 and each epoch).
  CHECK(c.training_snapshots == std::vector<std::string>{"0.1", "1", "3"});
  CHECK_THAT(jobs[0].command, Contains(" --snapshots 0.1,1,3 "));
  CHECK_THAT(jobs[1].command, Contains(" --snapshots 0.1,1,3 "));
  CHECK_THAT(jobs[2].command, Contains(" --snapshots 0.05,0.1,0.2,0.35,0.5,0.75,1,2,3 "));
  CHECK_THAT(jobs[3].command, !Contains("--snapshots"));  // fa-s2
  CHECK_THAT(jobs[1].command, Contains("snapshot_acts/epoch-0.1"));  // and recorded
  for (const auto& [value, expected] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"none", {}}, {"0.5,2", {"0.5", "2"}}, {"3", {"3"}}}) {
    ml::StudyConfig o = c;
    o.over_training = value;
    CHECK(ml::resolve_study(o, false).training_snapshots == expected);
  }
  ml::StudyConfig one_epoch = c;
  one_epoch.epochs = 1;
  CHECK(ml::resolve_study(one_epoch, false).training_snapshots == std::vector<std::string>{"0.1", "1"});
  ml::StudyConfig full_length = c;
  full_length.epochs = 15;
  CHECK(ml::resolve_study(full_length, false).training_snapshots == std::vector<std::string>{"0.1", "1", "4", "15"});
  for (const std::string bad : {"0", "4", "-1", "x", "1,,2", "1,1", "2e", "", "1,", " 1", "1e0"}) {
    INFO(bad);
    ml::StudyConfig o = c;
    o.over_training = bad;
    CHECK_THROWS_WITH(ml::resolve_study(o, false), Contains("--over-training"));
  }
  const std::string text = ml::plan_text(jobs);
  CHECK(std::count(text.begin(), text.end(), '\n') == 5 + 5);  // 5 comment lines, 5 jobs
  CHECK(ml::resolve_study(ml::StudyConfig{}, true).preset == "full");
  {  // the variants kept to reproduce earlier figures run only when named
    const auto defaults = ml::resolve_study(ml::StudyConfig{}, false).rules;
    CHECK(std::count(defaults.begin(), defaults.end(), "dtp") == 1);
    CHECK(std::count(defaults.begin(), defaults.end(), "dtp-linear") == 0);
    CHECK(std::count(defaults.begin(), defaults.end(), "ldrl-linear") == 0);
    ml::StudyConfig named;
    named.rules = {"dtp-linear"};
    CHECK(ml::resolve_study(named, false).rules == std::vector<std::string>{"dtp-linear"});
  }
  ml::StudyConfig emb;
  emb.rules = {"fa"};
  emb = ml::resolve_study(emb, false);
  const auto emb_jobs = ml::plan_study(emb);
  REQUIRE(emb_jobs.size() == 7);  // fa + bp above each of the 6 designed conv1 banks
  CHECK(emb_jobs[1].name == "bp-conv1-gabor");
  CHECK_THAT(emb_jobs[1].command, Contains("--rule bp --lr 0.01 --arch lenet --conv1 gabor --freeze-conv1"));
  ml::StudyConfig pcn;  // bptt trains the predictive coding network, not the LeNet
  pcn.rules = {"bptt"};
  pcn.embeddings = {"none"};
  const auto pcn_jobs = ml::plan_study(ml::resolve_study(pcn, false));
  REQUIRE(pcn_jobs.size() == 1);
  CHECK_THAT(pcn_jobs[0].command, Contains("--rule bptt --lr 0.01 --lr-schedule cosine --weight-decay 0.0005 --arch pcn --cycles 2 "));
  CHECK(pcn_jobs[0].record[0].argv.back() == "--cycles");  // recorded per cycle too
  CHECK_THAT(jobs[1].command, !Contains("--cycles"));                  // fa: nothing recurrent
  pcn.preset = "full";  // the full preset trains every rule with its defaults
  const auto pcn_full = ml::plan_study(ml::resolve_study(pcn, false));
  CHECK_THAT(pcn_full[0].command, Contains("--rule bptt --lr 0.01 --lr-schedule cosine --weight-decay 0.0005 --arch pcn --optimizer"));
  ml::StudyConfig bad;
  bad.rules = {"bp", "nope"};
  CHECK_THROWS_WITH(ml::resolve_study(bad, false), Contains("--rules: unknown rule 'nope'"));
  bad.rules = {};
  bad.preset = "huge";
  CHECK_THROWS_WITH(ml::resolve_study(bad, false), Contains("--preset 'huge'"));
}

TEST_CASE("a tiny study runs end to end, and an interrupted one resumes to the same summary", "[study]") {
  TempDir dir("study");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 300, 100, 28);
  const std::string base = "--data mnist --data-dir " + data +
                           " --rules bp,sign-symmetry,fa --embeddings dog --epochs 1 --probe 50 --limit 0 --val 30 --device cpu --out ";
  const fs::path a = dir.path / "a";
  auto [code, err] = run_study(base + a.string(), dir.path);
  INFO(err);
  REQUIRE(code == 0);

  const auto summary = csv(a / "summary.csv");
  REQUIRE(summary.size() == 7);
  CHECK(summary[0] == std::vector<std::string>{"run", "rule", "seed", "epochs_done", "epochs_planned", "diverged",
                                               "selected_epoch", "val_acc", "test_acc", "final_test_acc",
                                               "final_train_loss", "samples_per_s"});
  CHECK(summary[1][0] == "bp");
  CHECK(summary[3][0] == "fa");
  CHECK(summary[4][0] == "bp-conv1-dog");
  CHECK(summary[5][0] == "bp-s2");
  CHECK(summary[6][0] == "bp-s3");
  CHECK(std::stod(summary[1][8]) > 0.5);  // bp learns the bars in one epoch
  CHECK(std::stod(summary[1][7]) > 0.5);  // on the validation images too

  // The noise ceiling: bp's 3 seeds paired (3 pairs) at 4 layers (input left out) x 8 measures (3 with
  // bootstrap intervals, 5 with the range over pairs); every other variant has one seed, so bp's is the
  // only ceiling, and each is compared with bp's other 2 seeds.
  const auto ceiling = csv(a / "analysis" / "noise_ceiling.csv");
  REQUIRE(ceiling.size() == 1 + 4 * 8);
  CHECK(ceiling[0] ==
        std::vector<std::string>{"layer", "measure", "model", "value", "ci_low", "ci_high", "n_pairs", "interval"});
  for (size_t i = 1; i < ceiling.size(); ++i) {
    INFO(ceiling[i][0] + " " + ceiling[i][1]);
    CHECK(ceiling[i][2] == "bp");
    CHECK(ceiling[i][6] == "3");
    CHECK(ceiling[i][7] == (i % 8 >= 1 && i % 8 <= 3 ? "bootstrap95" : "pair_range"));
    CHECK(std::stod(ceiling[i][4]) <= std::stod(ceiling[i][3]) + 1e-12);
    CHECK(std::stod(ceiling[i][3]) <= std::stod(ceiling[i][5]) + 1e-12);
  }
  const auto to_bp = csv(a / "analysis" / "similarity_to_bp.csv");
  REQUIRE(to_bp.size() == 1 + 3 * 4 * 8);
  for (size_t i = 1; i < to_bp.size(); ++i) CHECK(to_bp[i][6] == "2");

  // Over training: bp, sign-symmetry and fa (seed 1, learned conv1) at snapshots 0.1 and 1, 4 layers,
  // each against bp's final seeds 2 and 3. After one epoch the snapshot "1" is the network the run was
  // recorded at, so its value must be similarity_to_bp's debiased CKA for the same pairs, reached by the
  // other path (acts/ against snapshot_acts/).
  const auto over = csv(a / "analysis" / "over_training.csv");
  REQUIRE(over.size() == 1 + 4 * 3 * 2);
  CHECK(over[0] == std::vector<std::string>{"layer", "measure", "model", "snapshot", "epoch", "value", "ci_low",
                                            "ci_high", "n_pairs"});
  int matched_final = 0;
  for (size_t i = 1; i < over.size(); ++i) {
    INFO(over[i][0] + " " + over[i][2] + " " + over[i][3]);
    CHECK(over[i][8] == "2");
    CHECK(std::stod(over[i][6]) <= std::stod(over[i][5]) + 1e-12);
    CHECK(std::stod(over[i][5]) <= std::stod(over[i][7]) + 1e-12);
    if (over[i][3] != "1" || over[i][2] == "bp") continue;
    for (const auto& r : to_bp)
      if (r[0] == over[i][0] && r[1] == "debiased_cka" && r[2] == over[i][2]) {
        CHECK(std::stod(over[i][5]) == Approx(std::stod(r[3])).epsilon(1e-6));
        ++matched_final;
      }
  }
  CHECK(matched_final == 4 * 2);

  // 4 runs x 5 recorded layers (input, relu1, pool1, relu3, fc2) x 4 partners.
  const auto cka = csv(a / "analysis" / "cka.csv");
  REQUIRE(cka.size() == 1 + 5 * 4 * 4 * 2);  // debiased and biased
  CHECK(cka[0] == std::vector<std::string>{"layer", "model", "other_model", "metric", "value"});
  for (size_t i = 1; i < cka.size(); ++i) {
    const double v = std::stod(cka[i][4]);
    CHECK(v >= (cka[i][3] == "debiased_cka" ? -0.2 : -1e-9));  // the unbiased HSIC can dip below 0
    CHECK(v <= 1 + 1e-9);
    if (cka[i][1] == cka[i][2] || cka[i][0] == "input") CHECK(v == Approx(1.0).margin(1e-9));
  }
  CHECK(csv(a / "analysis" / "pca.csv").size() == 1 + 4 * 5);
  CHECK(csv(a / "analysis" / "cka_layers_vs_bp.csv").size() == 1 + 3 * 5 * 5);
  CHECK(csv(a / "analysis" / "rdm_similarity.csv").size() == 1 + 5 * 4 * 4);

  const std::string html = slurp(a / "report.html");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html_problem(html) == "");
  CHECK_THAT(html, Contains("Quick preset"));  // no GPU: the quick preset, with its banner on top
  CHECK_THAT(html, Contains("fa: every measure against bp, per layer"));
  CHECK_THAT(html, Contains("<td>Procrustes distance</td>"));
  CHECK_THAT(html, Contains("Where the measures disagree"));
  CHECK_THAT(html, Contains("relu3: debiased CKA to final bp"));
  int images = 0;  // (by hand, not std::regex: see html_problem)
  for (size_t at = html.find("<img"); at != std::string::npos; at = html.find("<img", at + 1)) {
    const size_t src = html.find("src=\"", at);
    if (src == std::string::npos || src > html.find('>', at)) continue;
    CHECK(html.compare(src + 5, 22, "data:image/png;base64,") == 0);
    ++images;
  }
  CHECK(images == 4 * 5 + 4);  // an RDM per run and layer, a filter grid per run
  CHECK(html.find("src=\"http") == std::string::npos);
  for (const char* s : {"bp", "sign-symmetry", "fa", "Alignment with backprop", "debiased CKA with bp",
                        "Q1, first-layer embedding</b> (backprop above a frozen conv1): learned"})
    CHECK_THAT(html, Contains(s));

  // Human soft labels that are one-hot true labels: agreement with the human
  // majority is then the run's accuracy on the probe images.
  {
    const std::vector<uint8_t> labels = [&] {
      std::ifstream f(data + "/t10k-labels-idx1-ubyte", std::ios::binary);
      std::vector<uint8_t> b((std::istreambuf_iterator<char>(f)), {});
      return std::vector<uint8_t>(b.begin() + 8, b.end());
    }();
    std::vector<double> onehot(labels.size() * 10, 0.0);
    for (size_t i = 0; i < labels.size(); ++i) onehot[i * 10 + labels[i]] = 1.0;
    const fs::path human = dir.path / "human.npy";
    ml::write_npy(human.string(), onehot.data(), {static_cast<int64_t>(labels.size()), 10});
    // Counts of 50 people per image: 40 on the true class, 10 on the next one. The ceiling of error
    // consistency by hand: c_obs = (40 x 39 + 10 x 9) / (50 x 49) = 0.673469, acc_h = 0.8,
    // c_exp = 0.8^2 + 0.2^2 = 0.68, kappa = (0.673469 - 0.68) / 0.32 = -0.020408.
    std::vector<double> counts(labels.size() * 10, 0.0);
    for (size_t i = 0; i < labels.size(); ++i) {
      counts[i * 10 + labels[i]] = 40;
      counts[i * 10 + (labels[i] + 1) % 10] = 10;
    }
    const fs::path counts_file = dir.path / "counts.npy";
    ml::write_npy(counts_file.string(), counts.data(), {static_cast<int64_t>(labels.size()), 10});
    auto [hcode, herr] = run_study(base + a.string() + " --human " + human.string() + " --human-counts " +
                                       counts_file.string(), dir.path);
    INFO(herr);
    REQUIRE(hcode == 0);
    const auto rows = csv(a / "analysis" / "human.csv");
    REQUIRE(rows[0] == std::vector<std::string>{"model", "variant", "seed", "metric", "value", "ci_low", "ci_high"});
    // Per run: cross_entropy, human_majority_agreement, error_consistency, its ceiling, confusion_correlation,
    // human_rdm_spearman, its ceiling.
    REQUIRE(rows.size() == 1 + 6 * 7);
    int ceilings = 0;
    for (size_t i = 1; i < rows.size(); ++i) {
      if (rows[i][3] == "error_consistency_ceiling") {
        CHECK(std::stod(rows[i][4]) == Approx(-0.020408).margin(1e-6));
        ++ceilings;
      }
      if (rows[i][3] != "human_majority_agreement") continue;
      const fs::path acts = a / "runs" / rows[i][0] / "acts";
      const ml::NpyArray p = ml::read_npy((acts / "probs.npy").string());
      const ml::NpyArray y = ml::read_npy((acts / "labels.npy").string());
      int correct = 0;
      for (int64_t n = 0; n < p.rows(); ++n) {
        const auto* row = &p.data[static_cast<size_t>(n * 10)];
        correct += std::max_element(row, row + 10) - row == static_cast<long>(y.data[n]);
      }
      CHECK(std::stod(rows[i][4]) == Approx(static_cast<double>(correct) / p.rows()).margin(1e-9));
      CHECK(std::stod(rows[i][5]) <= std::stod(rows[i][4]) + 1e-12);
      CHECK(std::stod(rows[i][4]) <= std::stod(rows[i][6]) + 1e-12);
    }
    CHECK(ceilings == 6);
    CHECK_THAT(slurp(a / "report.html"), Contains("two people (ceiling)"));

    // On every test image too: agreement with the one-hot people is the accuracy over the whole test set,
    // against the labels read straight from the data set's file.
    const auto all = csv(a / "analysis" / "human_test_set.csv");
    REQUIRE(all.size() == 1 + 6 * 7);
    int checked = 0;
    for (size_t i = 1; i < all.size(); ++i) {
      if (all[i][3] != "human_majority_agreement") continue;
      const ml::NpyArray p = ml::read_npy((a / "runs" / all[i][0] / "test_set_acts" / "probs.npy").string());
      REQUIRE(p.rows() == static_cast<int64_t>(labels.size()));
      int correct = 0;
      for (int64_t n = 0; n < p.rows(); ++n) {
        const auto* row = &p.data[static_cast<size_t>(n * 10)];
        correct += std::max_element(row, row + 10) - row == static_cast<long>(labels[n]);
      }
      CHECK(std::stod(all[i][4]) == Approx(static_cast<double>(correct) / p.rows()).margin(1e-9));
      ++checked;
    }
    CHECK(checked == 6);
    CHECK_THAT(slurp(a / "report.html"), Contains("On every test image"));
  }

  // The interrupted study: fa never finished, and bp must not be redone.
  const fs::path b = dir.path / "b";
  REQUIRE(run_study(base + b.string(), dir.path).first == 0);
  const auto bp_time = fs::last_write_time(b / "runs" / "bp" / "model.safetensors");
  fs::remove_all(b / "runs" / "fa");
  fs::remove(b / "report.html");
  // sign-symmetry stopped after training, before recording: its training state is there, so it is
  // resumed (nothing is left to train) instead of trained again.
  const fs::path ss = b / "runs" / "sign-symmetry";
  const auto ss_time = fs::last_write_time(ss / "model.safetensors");
  fs::remove(ss / "done");
  fs::remove_all(ss / "acts");
  auto [code2, err2] = run_study(base + b.string(), dir.path);
  INFO(err2);
  CHECK(code2 == 0);
  CHECK_THAT(err2, Contains("4 of 6 runs already finished"));
  CHECK(fs::last_write_time(b / "runs" / "bp" / "model.safetensors") == bp_time);
  CHECK(fs::last_write_time(ss / "model.safetensors") == ss_time);
  CHECK_THAT(slurp(ss / "train.log"), Contains("nothing to resume"));
  CHECK(summary_without_speed(b / "summary.csv") == summary_without_speed(a / "summary.csv"));
  CHECK(fs::exists(b / "report.html"));
}

TEST_CASE("ml-study: --plan writes runnable lines; bad input gives one line", "[study][cli]") {
  TempDir dir("study-cli");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 100, 50, 28);
  const fs::path plan = dir.path / "jobs.txt";
  auto [code, err] = run_study("--data mnist --data-dir " + data + " --rules bp --embeddings none --epochs 1 --probe 20 --val 20 "
                               "--device cpu --out " +
                                   (dir.path / "s").string() + " --plan " + plan.string(),
                               dir.path);
  INFO(err);
  REQUIRE(code == 0);
  std::ifstream f(plan);
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);) {
    if (!l.empty() && l[0] != '#') lines.push_back(l);
  }
  REQUIRE(lines.size() == 3);  // bp's 3 seeds
  REQUIRE(std::system(("sh -c " + std::string("\"$(sed -n '$p' ") + plan.string() + ")\"").c_str()) == 0);
  CHECK(fs::exists(dir.path / "s" / "runs" / "bp-s3" / "done"));
  REQUIRE(run_study("--collect " + (dir.path / "s").string(), dir.path).first == 0);
  CHECK(fs::exists(dir.path / "s" / "report.html"));

  struct Case { std::string args, expect; };
  const std::vector<Case> cases = {
      {"--rules bp,nosuch", "unknown rule 'nosuch'"},
      {"--preset huge", "--preset 'huge'"},
      {"--collect " + (dir.path / "nowhere").string(), "nowhere"},
      {"--seeds -1", "--seeds -1"},
      {"--val 0", "--val 0"},
      {"--embeddings gabor,fourier", "unknown conv1 embedding 'fourier'"},
  };
  for (const auto& k : cases) {
    auto [c, e] = run_study(k.args + " --out " + (dir.path / "x").string(), dir.path);
    INFO("ml-study " << k.args << "\nstderr: " << e);
    CHECK(c == 1);
    CHECK_THAT(e, Contains(k.expect));
    CHECK(std::count(e.begin(), e.end(), '\n') == 1);
  }
  CHECK(run_study("--help", dir.path).first == 0);
}

TEST_CASE("ml-study --tune: the same grid for every rule, picked by val_acc; --settings trains with the pick",
          "[study][tune]") {
  TempDir dir("study-tune");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 300, 50, 28);
  const fs::path out = dir.path / "t";
  const std::string base = "--data mnist --data-dir " + data + " --rules bp,fa --embeddings none --val 30 --device cpu";
  auto [code, err] = run_study(base + " --tune --tune-limit 0 --out " + out.string(), dir.path);
  INFO(err);
  REQUIRE(code == 0);
  const auto rows = csv(out / "tuning.csv");
  REQUIRE(rows.size() == 1 + 2 * 5 * 2);  // 2 rules x 5 learning rates x 2 schedules
  CHECK(rows[0] == std::vector<std::string>{"rule", "lr", "lr_schedule", "epochs_done", "epochs_planned", "diverged",
                                            "selected_epoch", "val_acc", "test_acc"});
  std::map<std::string, std::pair<double, std::string>> best;  // rule -> (val_acc, lr/schedule), first of a tie
  std::map<std::string, std::set<std::string>> lrs;
  for (size_t i = 1; i < rows.size(); ++i) {
    lrs[rows[i][0]].insert(rows[i][1]);
    const double v = std::stod(rows[i][7]);
    if (!best.count(rows[i][0]) || v > best[rows[i][0]].first) best[rows[i][0]] = {v, rows[i][1] + "/" + rows[i][2]};
  }
  CHECK(lrs["bp"] == std::set<std::string>{"0.001", "0.003", "0.01", "0.03", "0.1"});
  CHECK(lrs["fa"].size() == 5);
  const auto tuned = nlohmann::json::parse(slurp(out / "tuned.json"));
  for (const char* rule : {"bp", "fa"}) {
    INFO(rule);
    CHECK(tuned[rule]["lr"].get<std::string>() + "/" + tuned[rule]["lr_schedule"].get<std::string>() == best[rule].second);
  }
  const fs::path plan = dir.path / "jobs.txt";
  REQUIRE(run_study(base + " --settings " + (out / "tuned.json").string() + " --out " + (dir.path / "s").string() +
                        " --plan " + plan.string(), dir.path).first == 0);
  CHECK_THAT(slurp(plan), Contains("--rule fa --lr " + tuned["fa"]["lr"].get<std::string>() + " --lr-schedule " +
                                   tuned["fa"]["lr_schedule"].get<std::string>()));

  std::ofstream(dir.path / "bad.json") << "{\"bp\": {\"lr\": \"0.01; rm -rf /\"}}";
  auto [bad_code, bad_err] = run_study(base + " --settings " + (dir.path / "bad.json").string() + " --out " +
                                           (dir.path / "x").string(), dir.path);
  CHECK(bad_code == 1);
  CHECK_THAT(bad_err, Contains("not a positive number"));
  CHECK(std::count(bad_err.begin(), bad_err.end(), '\n') == 1);
}
