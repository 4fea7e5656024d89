#include "study/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <stdexcept>

#include "embeddings/conv1_embedding.h"
#include "rules/registry.h"
#include "study/done_marker.h"
#include "training/run_dir.h"

namespace ml {

namespace {

// One word for POSIX sh: as it is when every character is plain, else single-quoted (every character
// literal, ' written as '\'').
std::string shell_word(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,@%") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

std::string shell_words(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + shell_word(a);
  return line;
}

std::string fnv1a_hex(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

// A batch loss 40x chance (ln 10): a run that far gone does not come back at the study's rates (ldrl
// and weight mirror at 0.003 climbed to 1e6-1e30 and trained on for hours); it stops and counts as diverged.
const char* const kStudyMaxLoss = "100";

std::string rule_flags(const std::string& rule, bool quick, const RuleSettings* settings) {
  // Each rule's own settings (rules/registry.h: its file says why): the optimizer's, then its own flags for the
  // seed LeNet, the architecture (bptt trains the PCN), and what the quick preset makes cheaper.
  const RuleSpec& spec = rule_spec(rule);
  std::vector<std::pair<std::string, std::string>> optimizer = spec.training_defaults;
  auto set = [&](const std::string& flag, const std::string& value) {
    if (value.empty()) return;
    for (auto& [f, v] : optimizer)
      if (f == flag) return void(v = value);
    optimizer.emplace_back(flag, value);
  };
  if (settings) set("lr", settings->lr), set("lr-schedule", settings->lr_schedule);
  std::string flags;
  for (const auto& [flag, value] : optimizer) flags += (flags.empty() ? "--" : " --") + flag + " " + value;
  if (!spec.study_flags.empty()) flags += " " + spec.study_flags;
  flags += " --arch " + spec.study_arch;
  if (quick && !spec.quick_flags.empty()) flags += " " + spec.quick_flags;
  return flags;
}

std::vector<std::pair<std::string, std::string>> quick_rule_settings() {
  std::vector<std::pair<std::string, std::string>> settings;
  for (const auto& name : rule_names()) {
    const RuleSpec& spec = rule_spec(name);
    if (!spec.quick_flags.empty()) settings.emplace_back(name, spec.quick_flags);
  }
  return settings;
}

StudyConfig resolve_study(StudyConfig c, bool have_gpu) {
  if (c.preset == "auto") c.preset = have_gpu ? "full" : "quick";
  if (c.preset != "quick" && c.preset != "full")
    throw std::invalid_argument("--preset '" + c.preset + "': expected quick, full or auto");
  const bool quick = c.preset == "quick";
  if (c.epochs == 0) c.epochs = quick ? 3 : 15;
  if (c.limit < 0) c.limit = quick ? 10000 : 0;  // 17 runs in about 16 minutes on 2 idle cores
  if (c.probe == 0) c.probe = quick ? 500 : 1000;
  if (c.seeds == 0) c.seeds = quick ? 1 : 3;
  // Held out of the training images, on top of --limit: a tenth of the quick preset's budget, 5,000 otherwise.
  if (c.val < 0) c.val = quick && c.limit > 0 ? std::max(c.limit / 10, 100) : 5000;
  if (c.val < 1) throw std::invalid_argument("--val " + std::to_string(c.val) + ": the study always holds out a "
                                             "validation split (at least 1 image per class)");
  c.bp_snapshots.clear();
  for (double e : {0.05, 0.1, 0.2, 0.35, 0.5, 0.75}) {
    char label[32];
    std::snprintf(label, sizeof label, "%g", e);
    c.bp_snapshots.push_back(label);
  }
  for (int e = 1; e <= c.epochs; ++e) c.bp_snapshots.push_back(std::to_string(e));
  c.training_snapshots.clear();
  if (c.over_training == "auto") {
    // Each recording costs the disk of the run's acts/ (the LeNet: ~60 MB quick, ~120 MB full), so few points:
    // early, one epoch, every fourfold, the last.
    c.training_snapshots = {"0.1"};
    for (int e = 1; e < c.epochs; e *= 4) c.training_snapshots.push_back(std::to_string(e));
    c.training_snapshots.push_back(std::to_string(c.epochs));
  } else if (c.over_training != "none") {
    for (size_t begin = 0, end = 0; end != std::string::npos; begin = end + 1) {
      end = c.over_training.find(',', begin);
      const std::string item = c.over_training.substr(begin, end == std::string::npos ? end : end - begin);
      size_t used = 0;
      double e = NAN;
      try {
        e = std::stod(item, &used);
      } catch (const std::exception&) {
      }
      const bool plain = item.find_first_not_of("0123456789.") == std::string::npos;  // the label is a file name
      if (item.empty() || !plain || used != item.size() || !(e > 0 && e <= c.epochs))
        throw std::invalid_argument("--over-training '" + c.over_training + "': '" + item +
                                    "' is not an epoch in (0, " + std::to_string(c.epochs) + "] (or use auto, none)");
      if (std::find(c.training_snapshots.begin(), c.training_snapshots.end(), item) != c.training_snapshots.end())
        throw std::invalid_argument("--over-training: '" + item + "' named twice");
      c.training_snapshots.push_back(item);
    }
  }
  if (c.tune_epochs == 0) c.tune_epochs = quick ? 1 : 3;
  if (c.tune_limit < 0) c.tune_limit = quick ? 5000 : 0;
  if (c.tune_epochs < 1)
    throw std::invalid_argument("--tune-epochs " + std::to_string(c.tune_epochs) + ": must be >= 1");
  for (const auto& [rule, s] : c.settings) {
    const std::vector<std::string> known = rule_names();
    if (std::find(known.begin(), known.end(), rule) == known.end())
      throw std::invalid_argument("--settings: unknown rule '" + rule + "'");
  }
  if (c.epochs < 1) throw std::invalid_argument("--epochs " + std::to_string(c.epochs) + ": must be >= 1");
  if (c.probe < 10) throw std::invalid_argument("--probe " + std::to_string(c.probe) + ": must be >= 10");
  if (c.seeds < 1) throw std::invalid_argument("--seeds " + std::to_string(c.seeds) + ": must be >= 1");
  if (c.out.empty()) throw std::invalid_argument("--out: empty output directory");
  const std::vector<std::string> known = rule_names();
  if (c.rules.empty()) c.rules = default_study_rules();
  for (const auto& r : c.rules) {
    if (std::find(known.begin(), known.end(), r) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw std::invalid_argument("--rules: unknown rule '" + r + "' (known: " + list + ")");
    }
    if (std::count(c.rules.begin(), c.rules.end(), r) > 1)
      throw std::invalid_argument("--rules: '" + r + "' named twice");
  }
  if (c.embeddings.size() == 1 && c.embeddings[0] == "none") c.embeddings.clear();
  if (c.embeddings.size() == 1 && c.embeddings[0] == "all") {
    c.embeddings.clear();
    for (const auto& k : conv1_kinds()) {
      if (k != "learned") c.embeddings.push_back(k);
    }
  }
  const std::vector<std::string> kinds = conv1_kinds();
  for (const auto& e : c.embeddings) {
    if (e == "learned" || std::find(kinds.begin(), kinds.end(), e) == kinds.end())
      throw std::invalid_argument("--embeddings: unknown conv1 embedding '" + e +
                                  "' (gabor, dog, random, pca, nmf, hebbian, all or none)");
    if (std::count(c.embeddings.begin(), c.embeddings.end(), e) > 1)
      throw std::invalid_argument("--embeddings: '" + e + "' named twice");
  }
  return c;
}

void finish_job(const StudyConfig& c, StudyJob& j, const std::string& flags, int epochs, int limit, bool record,
                const std::vector<std::string>& snapshots) {
  const std::string bin = c.bin_dir.empty() ? std::string() : c.bin_dir + "/";
  const int align_every = std::max(1, limit > 0 ? limit / 64 / 10 : 938 / 5);  // ~10 points per epoch (quick)
  const RunDir run(j.dir);
  j.cost = rule_spec(j.rule).study_cost;
  std::vector<std::string> train = {bin + "ml-train", "--rule", j.rule};
  std::istringstream flag_words(flags);
  for (std::string w; flag_words >> w;) train.push_back(w);
  auto add = [&](std::initializer_list<std::string> words) { train.insert(train.end(), words); };
  if (!j.conv1.empty()) add({"--conv1", j.conv1, "--freeze-conv1"});
  add({"--optimizer", "sgd", "--momentum", "0.9", "--batch", "64", "--data", c.data});
  if (!c.data_dir.empty()) add({"--data-dir", c.data_dir});
  add({"--epochs", std::to_string(epochs), "--limit", std::to_string(limit), "--val", std::to_string(c.val), "--seed",
       std::to_string(j.seed), "--align-every", std::to_string(align_every), "--device", c.device, "--max-loss",
       kStudyMaxLoss, "--no-progress", "--overwrite", "--out", j.dir});
  if (!snapshots.empty()) {
    std::string list;
    for (const auto& s : snapshots) list += (list.empty() ? "" : ",") + s;
    add({"--snapshots", list});
  }
  // A run stopped part-way (Ctrl-C, a job scheduler's time limit) left its training state: it
  // continues from there, bit for bit. ml-train refuses a state written with other settings, and
  // then the run starts again from scratch.
  j.state = run.train_state();
  j.resume = {{bin + "ml-train", "--resume", j.dir, "--no-progress"}, run.train_log(), true, ""};
  j.train = {train, run.train_log(), false, ""};
  j.trained = run.model_best();
  // Recorded at its val-selected epoch (model_best); a run that diverged keeps its best good epoch
  // and still gets recorded.
  auto record_program = [&](const std::string& model, const std::string& out, bool append, const std::string& only_if) {
    std::vector<std::string> argv = {bin + "ml-record", model};
    if (!c.data_dir.empty()) argv.insert(argv.end(), {"--data-dir", c.data_dir});
    argv.insert(argv.end(), {"--probe", std::to_string(c.probe), "--layers", "stages", "--probs", "--seed", "1",
                             "--device", c.device, "--out", out});
    return JobProgram{argv, run.record_log(), append, only_if};
  };
  j.record.clear();
  if (record) {
    j.record.push_back(record_program(run.model_best(), run.acts().dir(), false, ""));
    // The PCN's cycles and pc's inference steps, for the report's similarity over recurrent time.
    if (j.rule == "bptt" || j.rule == "pc") j.record.back().argv.push_back("--cycles");
    if (!c.human.empty()) {  // the people measures on every test image, beside the probe images'
      std::vector<std::string> argv = {bin + "ml-record", run.model_best()};
      if (!c.data_dir.empty()) argv.insert(argv.end(), {"--data-dir", c.data_dir});
      argv.insert(argv.end(), {"--probe", "0", "--layers", "logits", "--probs", "--device", c.device, "--out",
                               run.test_set_acts().dir()});
      j.record.push_back({argv, run.record_log(), true, run.model_best()});
    }
    for (const auto& s : snapshots)  // a run that diverged early has fewer
      j.record.push_back(record_program(run.snapshot(s), run.snapshot_acts(s).dir(), true, run.snapshot(s)));
  }

  // The same as one shell line (--plan), the record programs sharing one redirection of record.log.
  const std::string d = shell_word(j.dir), log = shell_word(run.train_log());
  std::string work = "mkdir -p " + d + " && { { test -f " + shell_word(j.state) + " && " + shell_words(j.resume.argv) +
                     " >> " + log + " 2>&1; } || " + shell_words(j.train.argv) + " > " + log + " 2>&1; test -f " +
                     shell_word(j.trained) + "; }";
  if (record) {
    std::string rec = shell_words(j.record[0].argv);
    for (size_t i = 1; i < j.record.size(); ++i)
      rec += " && { test ! -f " + shell_word(j.record[i].only_if) + " || " + shell_words(j.record[i].argv) + "; }";
    work += " && { " + rec + "; } > " + shell_word(run.record_log()) + " 2>&1";
  }
  j.key = fnv1a_hex(work);
  j.command = work + " && echo " + j.key + " > " + shell_word(run.done());
}

std::vector<StudyJob> plan_study(const StudyConfig& c) {
  std::vector<StudyJob> jobs;
  struct Variant {
    std::string rule, conv1;
  };
  std::vector<Variant> variants;
  for (const auto& rule : c.rules) variants.push_back({rule, ""});
  for (const auto& kind : c.embeddings) variants.push_back({"bp", kind});
  const int max_seeds = std::max(c.seeds, c.bp_seeds);
  for (int s = 1; s <= max_seeds; ++s) {
    for (const auto& v : variants) {
      const bool bp_reference = v.rule == "bp" && v.conv1.empty();
      if (s > (bp_reference ? max_seeds : c.seeds)) continue;
      StudyJob j;
      j.rule = v.rule;
      j.conv1 = v.conv1;
      j.seed = static_cast<uint64_t>(s);
      const std::string base = v.conv1.empty() ? v.rule : v.rule + "-conv1-" + v.conv1;
      j.name = s == 1 ? base : base + "-s" + std::to_string(s);
      j.dir = (std::filesystem::path(c.out) / "runs" / j.name).string();
      const auto tuned = c.settings.find(v.rule);
      const bool matched_reference = bp_reference && j.seed == kMatchedAccuracyBpSeed;
      const bool tracked = v.conv1.empty() && j.seed == 1;  // --over-training
      finish_job(c, j, rule_flags(v.rule, c.preset == "quick", tuned == c.settings.end() ? nullptr : &tuned->second),
                 c.epochs, c.limit, true,
                 matched_reference ? c.bp_snapshots
                 : tracked         ? c.training_snapshots
                                   : std::vector<std::string>{});
      jobs.push_back(j);
    }
  }
  return jobs;
}

bool job_done(const StudyJob& job) {
  return check_done_marker(RunDir(job.dir), job.key).state == DoneState::Done;
}

std::string plan_text(const std::vector<StudyJob>& jobs) {
  std::string t = "# ml-study plan: " + std::to_string(jobs.size()) +
                  " independent jobs, one per line (sh syntax). Run them in any order or in parallel\n"
                  "# Slurm array (--array=1-" + std::to_string(jobs.size()) +
                  "): grep -v '^#' jobs.txt | sed -n \"${SLURM_ARRAY_TASK_ID}p\" | sh\n"
                  "# GNU parallel, one OpenMP thread per job (spinning threads of several jobs starve each other):\n"
                  "#   grep -v '^#' jobs.txt | OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive parallel -j 4\n"
                  "# Then: ml-study --collect <study dir>\n";
  for (const auto& j : jobs) t += j.command + "\n";
  return t;
}

}  // namespace ml
