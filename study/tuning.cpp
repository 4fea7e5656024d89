#include "study/tuning.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "rules/registry.h"
#include "study/run_data.h"

namespace ml {

std::vector<std::string> tuning_learning_rates(const std::string& rule) {
  double base = 0.01;  // bp's, for a rule that names none
  for (const auto& [flag, value] : rule_spec(rule).training_defaults)
    if (flag == "lr") base = std::stod(value);
  std::vector<std::string> lrs;
  for (double factor : {0.1, 0.3, 1.0, 3.0, 10.0}) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", base * factor);
    lrs.push_back(buf);
  }
  return lrs;
}

std::vector<StudyJob> plan_tuning(const StudyConfig& c) {
  std::vector<StudyJob> jobs;
  for (const auto& rule : c.rules) {
    for (const auto& lr : tuning_learning_rates(rule)) {
      for (const char* schedule : kTuningSchedules) {
        StudyJob j;
        j.rule = rule;
        j.seed = 1;
        j.settings = {lr, schedule};
        j.name = rule + "-lr" + lr + "-" + schedule;
        j.dir = (std::filesystem::path(c.out) / "tune" / j.name).string();
        finish_job(c, j, rule_flags(rule, c.preset == "quick", &j.settings), c.tune_epochs, c.tune_limit, false);
        jobs.push_back(j);
      }
    }
  }
  return jobs;
}

std::map<std::string, RuleSettings> collect_tuning(const StudyConfig& c, const std::vector<StudyJob>& jobs) {
  struct Pick {
    double val = -1;
    RuleSettings settings;
  };
  std::map<std::string, Pick> picks;
  std::ostringstream csv;
  csv.precision(6);
  csv << "rule,lr,lr_schedule,epochs_done,epochs_planned,diverged,selected_epoch,val_acc,test_acc\n";
  for (const auto& j : jobs) {
    if (!job_done(j)) continue;
    const RunData r = load_run(j.dir, j.name);
    if (r.epochs.empty()) continue;
    const EpochRow& s = r.selected();
    csv << j.rule << ',' << j.settings.lr << ',' << j.settings.lr_schedule << ',' << r.epochs.size() << ','
        << r.epochs_planned << ',' << (r.diverged() ? 1 : 0) << ',' << s.epoch << ',' << s.val_acc << ','
        << s.test_acc << '\n';
    Pick& p = picks[j.rule];
    if (s.val_acc > p.val) p = {s.val_acc, j.settings};  // ties: the first in grid order
  }
  nlohmann::json tuned = nlohmann::json::object();
  std::map<std::string, RuleSettings> out;
  for (const auto& [rule, p] : picks) {
    tuned[rule] = {{"lr", p.settings.lr}, {"lr_schedule", p.settings.lr_schedule}, {"val_acc", p.val}};
    out[rule] = p.settings;
  }
  write_text_atomically(c.out + "/tuning.csv", csv.str());
  write_text_atomically(c.out + "/tuned.json", tuned.dump(2) + "\n");
  return out;
}

std::map<std::string, RuleSettings> read_settings(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--settings '" + path + "': cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error("--settings '" + path + "': not valid JSON");
  }
  if (!j.is_object()) throw std::runtime_error("--settings '" + path + "': expected an object of rules");
  std::map<std::string, RuleSettings> out;
  for (const auto& [rule, s] : j.items()) {
    if (!s.is_object() || !s.contains("lr") || !s["lr"].is_string() ||
        (s.contains("lr_schedule") && !s["lr_schedule"].is_string()))
      throw std::runtime_error("--settings '" + path + "': \"" + rule + "\" needs \"lr\" (and \"lr_schedule\") as text");
    RuleSettings r{s["lr"].get<std::string>(), s.value("lr_schedule", std::string())};
    char* end = nullptr;
    const double lr = std::strtod(r.lr.c_str(), &end);
    if (r.lr.empty() || *end != '\0' || !(lr > 0) || !std::isfinite(lr))
      throw std::runtime_error("--settings '" + path + "': \"" + rule + "\": lr '" + r.lr + "' is not a positive number");
    if (!r.lr_schedule.empty() && r.lr_schedule != "constant" && r.lr_schedule != "cosine")
      throw std::runtime_error("--settings '" + path + "': \"" + rule + "\": lr_schedule '" + r.lr_schedule +
                               "' (expected constant or cosine)");
    out[rule] = r;
  }
  return out;
}

}  // namespace ml
