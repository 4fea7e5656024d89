// ml-study: the main job. Every learning rule on one data set, the same seed
// and data order for all; each run trained, recorded on the same probe set,
// then compared (accuracy, alignment to backprop, RDMs, CKA, PCA) in
// results/study/report.html and results/study/summary.csv (--out).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include <cxxopts.hpp>

#include "apps/cli.h"
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/child_process.h"
#include "base/stop_signal.h"
#include "engine/device.h"
#include "study/collect.h"
#include "study/plan.h"
#include "study/job_scheduler.h"
#include "study/tuning.h"

namespace {


std::string own_directory(const char* argv0) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0);
  return exe.parent_path().string();
}

// A comma-separated list given on the command line: an empty list or an empty item is an error (not the
// default, which leaving the flag out gives).
std::vector<std::string> list_flag(const std::string& flag, const std::string& text) {
  const char* const blank = " \t\r\n";
  if (text.find_first_not_of(blank) == std::string::npos)
    throw std::invalid_argument("--" + flag + " '" + text + "': empty (leave the flag out for the default)");
  std::vector<std::string> items;
  for (size_t begin = 0;;) {
    const size_t comma = text.find(',', begin);
    const std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (item.find_first_not_of(blank) == std::string::npos)
      throw std::invalid_argument("--" + flag + " '" + text + "': an empty item");
    items.push_back(item);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return items;
}

void write_study_json(const ml::StudyConfig& c, const std::vector<ml::StudyJob>& jobs) {
  nlohmann::json j;
  j["preset"] = c.preset;
  j["data"] = c.data;
  j["data_dir"] = c.data_dir;
  j["epochs"] = c.epochs;
  j["limit"] = c.limit;
  j["probe"] = c.probe;
  j["seeds"] = c.seeds;
  j["bp_seeds"] = std::max(c.seeds, c.bp_seeds);
  j["val"] = c.val;
  j["over_training"] = c.training_snapshots;
  j["device"] = c.device;
  j["rules"] = c.rules;
  j["embeddings"] = c.embeddings;
  j["human"] = c.human.empty() ? std::string() : std::filesystem::absolute(c.human).string();
  j["human_counts"] = c.human_counts.empty() ? std::string() : std::filesystem::absolute(c.human_counts).string();
  j["runs"] = nlohmann::json::array();
  for (const auto& job : jobs)
    j["runs"].push_back({{"name", job.name}, {"rule", job.rule}, {"conv1", job.conv1}, {"seed", job.seed}});
  ml::write_text_atomically(c.out + "/study.json", j.dump(2) + "\n");
}

// Exit status 128 + the signal, after the line that says how to go on.
int interrupted(const ml::JobsResult& r) {
  std::string runs;
  for (const auto& name : r.interrupted) runs += (runs.empty() ? "" : ", ") + name;
  const std::string run = runs.empty() ? "" : (r.interrupted.size() == 1 ? " during run " : " during runs ") + runs;
  std::fprintf(stderr, "ml-study: interrupted (%s)%s; run the same ml-study command again to resume (finished runs "
               "are kept, an interrupted one continues from its training state)\n", ml::signal_name(r.signal),
               run.c_str());
  return 128 + r.signal;
}

void say_wall_time(const ml::JobsResult& r, int parallel) {
  if (r.ran == 0) return;
  std::fprintf(stderr, "ml-study: %d run(s) in %s wall, %d at a time\n", r.ran, ml::clock_text(r.wall_seconds).c_str(),
               parallel);
}

// --jobs: how many runs at once (0: the default for the device), and the CPU threads each run gets when
// several share the cores (OMP_NUM_THREADS for the children, unless the user set it).
int parallel_jobs(int asked, bool gpu) {
  if (asked < 0 || asked > ml::kMaxRunningChildren)
    throw std::invalid_argument("--jobs " + std::to_string(asked) + ": must be in [1, " +
                                std::to_string(ml::kMaxRunningChildren) + "] (or 0: the default)");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int parallel = asked > 0 ? asked : ml::default_parallel_jobs(gpu, cores);
  if (parallel > 1) {
    // OpenMP threads that spin while the other runs want the cores cut throughput many times (README).
    setenv("OMP_NUM_THREADS", std::to_string(ml::threads_per_job(parallel, cores)).c_str(), 0);
    setenv("OMP_WAIT_POLICY", "passive", 0);
  }
  return parallel;
}

// ml-study --tune: the grid's runs (or, with --plan, their commands), then tuning.csv and tuned.json.
int tune(const ml::StudyConfig& c, const std::string& plan_file, int parallel) {
  const auto jobs = ml::plan_tuning(c);
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec) throw std::runtime_error("--out '" + c.out + "': cannot create directory: " + ec.message());
  if (!plan_file.empty()) {
    ml::write_text_atomically(plan_file, ml::plan_text(jobs));
    std::fprintf(stderr, "ml-study: %zu tuning jobs written to %s; then ml-study --tune with the same flags collects "
                 "them\n", jobs.size(), plan_file.c_str());
    return 0;
  }
  std::fprintf(stderr, "ml-study: tuning %zu rules, %zu grid points (%d epochs on %s training images, %d held out "
               "for validation) -> %s\n", c.rules.size(), jobs.size(), c.tune_epochs,
               c.tune_limit > 0 ? std::to_string(c.tune_limit).c_str() : "all", c.val, c.out.c_str());
  const ml::JobsResult ran = ml::run_jobs(jobs, parallel);
  if (ran.signal) return interrupted(ran);
  say_wall_time(ran, parallel);
  const int failed = ran.failed;
  const auto picks = ml::collect_tuning(c, jobs);
  for (const auto& [rule, s] : picks)
    std::fprintf(stderr, "ml-study: %s: --lr %s --lr-schedule %s\n", rule.c_str(), s.lr.c_str(), s.lr_schedule.c_str());
  std::fprintf(stderr, "ml-study: %s/tuning.csv, %s/tuned.json; train with them: ml-study --settings %s/tuned.json\n",
               c.out.c_str(), c.out.c_str(), c.out.c_str());
  if (failed) std::fprintf(stderr, "ml-study: %d grid point(s) failed (diverged ones count: see their train.log)\n", failed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ml::StudyConfig c;
  std::string rules, embeddings, plan_file, collect_dir, settings_file;
  int jobs_asked = 0;
  cxxopts::Options options(
      "ml-study",
      "The main job: train the seed LeNet with every learning rule on one data set (same seed and data order),\n"
      "record every run's activations on the same probe images, and compare what they learned. Writes\n"
      "OUT/report.html (one self-contained page), OUT/summary.csv, OUT/analysis/*.csv and OUT/plots/.\n"
      "An interrupted study resumes: finished runs are not redone.\n\n"
      "  ml-study                          quick preset on a CPU, full on a GPU, Fashion-MNIST\n"
      "  ml-study --plan jobs.txt          write the independent run commands (Slurm array, GNU parallel)\n"
      "  ml-study --collect study          analyses and report from the finished runs in study/\n");
  // clang-format off
  options.add_options()
    ("preset", "quick (3 epochs on 10000 images, 1000 more held out for validation, 500 probe images, one seed "
               "(bp: 3); minutes on a CPU), full (15 epochs, all data less 5000 for validation, 1000 probe images, "
               "3 seeds; for a GPU) or auto (full when a GPU is present)",
       cxxopts::value(c.preset)->default_value(c.preset))
    ("rules", "comma-separated rules (default: every rule but those kept only to reproduce earlier figures, "
              "dtp-linear and ldrl-linear)", cxxopts::value(rules))
    ("embeddings", "conv1 embeddings, each trained with bp above the frozen filters: comma-separated from gabor, "
                   "dog, random, pca, nmf, hebbian; 'all' or 'none'", cxxopts::value(embeddings)->default_value("all"))
    ("data", "data set: fashion-mnist, mnist, cifar10 or image-folder", cxxopts::value(c.data)->default_value(c.data))
    ("data-dir", "directory with the data set's files (Fashion-MNIST default: Debian's location)", cxxopts::value(c.data_dir))
    ("epochs", "training epochs (default: the preset's)", cxxopts::value(c.epochs)->default_value("0"))
    ("limit", "training images (default: the preset's; 0: all)", cxxopts::value(c.limit)->default_value("-1"))
    ("probe", "recorded probe images (default: the preset's)", cxxopts::value(c.probe)->default_value("0"))
    ("human", "human soft labels for the test set, N x classes .npy (CIFAR-10H's cifar10h-probs.npy with "
              "--data cifar10): the report compares every run's probabilities with people's",
       cxxopts::value(c.human))
    ("human-counts", "with --human: the people's counts per class, the same shape (CIFAR-10H's cifar10h-counts.npy); "
                     "gives error consistency its ceiling (two people) and the RDM's split-half ceiling",
       cxxopts::value(c.human_counts))
    ("seeds", "train every run with seeds 1..N (default: the preset's, quick 1, full 3); bp runs at least 3 seeds "
              "whatever N (the bp-vs-bp noise ceiling); tables give mean, sd and the paired difference to bp",
       cxxopts::value(c.seeds)->default_value("0"))
    ("val", "training images held out as the validation split, class-balanced and the same for every run; each run "
            "is reported and recorded at the epoch of its best validation accuracy (default: quick a tenth of "
            "--limit, full 5000)",
       cxxopts::value(c.val)->default_value("-1"))
    ("over-training", "every rule's seed-1 run also saves and records its network at these epochs, and the report "
                      "follows its similarity to final bp over training: auto (0.1, 1, 4, 16, ... and the last "
                      "epoch), none, or a comma-separated list of epochs; each point costs the disk of the run's "
                      "acts/ (the LeNet: ~60 MB quick, ~120 MB full)",
       cxxopts::value(c.over_training)->default_value(c.over_training))
    ("device", "cpu, cuda or auto", cxxopts::value(c.device)->default_value(c.device))
    ("jobs", "runs at once, each with its share of the CPU threads (OMP_NUM_THREADS = cores / jobs unless set); "
             "0: 1 on a CPU, one per two cores up to 12 on a GPU. A run's numbers depend on its thread count "
             "(README, What is guaranteed: Determinism), not on the order the runs finish in",
       cxxopts::value(jobs_asked)->default_value("0"))
    ("out", "study directory", cxxopts::value(c.out)->default_value(c.out))
    ("tune", "instead of the study: per rule, the learning rate (its default x 0.1, 0.3, 1, 3, 10) x schedule "
             "(constant, cosine) grid with the same short budget for every rule, picked by validation accuracy; "
             "writes OUT/tuning.csv and OUT/tuned.json (with --plan: the grid's commands)")
    ("tune-epochs", "--tune: epochs per grid point (default: quick 1, full 3)",
       cxxopts::value(c.tune_epochs)->default_value("0"))
    ("tune-limit", "--tune: training images per grid point (default: quick 5000, full all; 0: all)",
       cxxopts::value(c.tune_limit)->default_value("-1"))
    ("settings", "train each rule with the learning rate and schedule in this tuned.json (ml-study --tune); "
                 "rules it does not name keep their defaults", cxxopts::value(settings_file))
    ("plan", "write the run commands to this file, one per line, and stop", cxxopts::value(plan_file))
    ("collect", "build the analyses and the report from the finished runs in this study directory",
       cxxopts::value(collect_dir))
    ("h,help", "print this help");
  // clang-format on
  return ml::cli::run("ml-study", [&] {
    const auto args = ml::cli::parse(options, argc, argv);
    if (!args) return 0;
    if (!collect_dir.empty()) {
      ml::collect_study(collect_dir);
      std::fprintf(stderr, "ml-study: report in %s/report.html\n", collect_dir.c_str());
      return 0;
    }
    if (args->count("rules")) c.rules = list_flag("rules", rules);
    c.embeddings = list_flag("embeddings", embeddings);
    if (!c.human.empty() && !std::filesystem::is_regular_file(c.human))
      throw std::invalid_argument("--human '" + c.human + "': no such file");
    if (!c.human_counts.empty() && c.human.empty())
      throw std::invalid_argument("--human-counts: needs --human (the people's probabilities)");
    if (!c.human_counts.empty() && !std::filesystem::is_regular_file(c.human_counts))
      throw std::invalid_argument("--human-counts '" + c.human_counts + "': no such file");
    c.bin_dir = own_directory(argv[0]);
    if (!settings_file.empty()) c.settings = ml::read_settings(settings_file);
    const bool gpu = ml::parse_device(c.device) == ml::Device::CUDA;
    c = ml::resolve_study(c, gpu);
    const int parallel = parallel_jobs(jobs_asked, gpu);
    if (args->count("tune")) return tune(c, plan_file, parallel);
    const auto jobs = ml::plan_study(c);
    std::error_code ec;
    std::filesystem::create_directories(c.out, ec);
    if (ec) throw std::runtime_error("--out '" + c.out + "': cannot create directory: " + ec.message());
    write_study_json(c, jobs);
    if (!plan_file.empty()) {
      ml::write_text_atomically(plan_file, ml::plan_text(jobs));
      std::fprintf(stderr, "ml-study: %zu jobs written to %s; then: ml-study --collect %s\n", jobs.size(),
                   plan_file.c_str(), c.out.c_str());
      return 0;
    }
    std::fprintf(stderr, "ml-study: %s preset, %s, %zu runs (%d epochs, %s training images, %d held out for "
                 "validation, %d probe images; %d at a time) -> %s\n",
                 c.preset.c_str(), c.data.c_str(), jobs.size(), c.epochs,
                 c.limit > 0 ? std::to_string(c.limit).c_str() : "all", c.val, c.probe, parallel, c.out.c_str());
    const ml::JobsResult ran = ml::run_jobs(jobs, parallel);
    if (ran.signal) return interrupted(ran);
    say_wall_time(ran, parallel);
    const int failed = ran.failed;
    ml::collect_study(c.out);
    std::fprintf(stderr, "ml-study: report in %s/report.html\n", c.out.c_str());
    if (failed) {
      std::fprintf(stderr, "ml-study: error: %d run(s) failed; the report shows the others\n", failed);
      return 1;
    }
    return 0;
  });
}
