// ml-study's plan: which runs a study makes (rule x seed, later embeddings),
// with which flags, as independent shell commands, one per line. The same
// plan drives the single-machine path (run the missing jobs one after the
// other) and the cluster path (--plan jobs.txt for a Slurm array or GNU
// parallel, then --collect).
#pragma once
#include <cstdint>
#include <map>
#include <utility>
#include <string>
#include <vector>

namespace ml {

// A rule's learning rate and schedule as tuning chose them (ml-study --tune writes them to tuned.json,
// --settings reads them back); empty: the rule's default.
struct RuleSettings {
  std::string lr, lr_schedule;
};

struct StudyConfig {
  std::string preset = "auto";   // quick | full | auto (full with a GPU, quick without)
  std::vector<std::string> rules;  // empty: every rule of the preset
  // conv1 embeddings trained with bp above a frozen conv1 (research question 1: does the first layer matter?);
  // {"all"}: every designed kind, {"none"} or empty after resolving: none
  std::vector<std::string> embeddings = {"all"};
  std::string data = "fashion-mnist";
  std::string data_dir;
  int epochs = 0;   // 0: the preset's
  int limit = -1;   // training images; -1: the preset's, 0: all
  int probe = 0;    // recorded probe images; 0: the preset's
  int val = -1;     // validation images held out of the training set; -1: the preset's
  int seeds = 0;    // seeds 1..seeds of every rule; 0: the preset's (quick 1, full 3)
  int bp_seeds = 3;  // bp (learned conv1) runs at least this many: the bp-vs-bp noise ceiling needs pairs
  std::string device = "auto";
  std::string out = "results/study";  // outside the sources; .gitignore has results/
  std::string human;     // soft labels .npy for the human comparison (optional)
  std::string human_counts;  // the people's counts per class, the same shape (optional; the ceilings need them)
  std::string bin_dir;  // where ml-train and ml-record are (default: next to ml-study)
  std::map<std::string, RuleSettings> settings;  // --settings tuned.json: per rule (bp's also for the embeddings)
  int tune_epochs = 0;  // --tune: each grid point's budget; 0: the preset's (quick 1, full 3)
  // bp's seed-2 run saves and records snapshots at these epochs: "bp at matched accuracy" for every rule
  // (seed 2: a rule's seed-1 run shares its initial weights with bp's seed 1, and an early snapshot is near them).
  std::vector<std::string> bp_snapshots;  // filled by resolve_study: 0.05 .. 0.75, then every epoch
  // --over-training: every rule's seed-1 run (learned conv1) saves and records snapshots at these epochs, for
  // the report's similarity to final bp over training. "auto": 0.1, then 1, 4, 16, ... and the last epoch;
  // "none"; or a comma-separated list of epochs in (0, --epochs].
  std::string over_training = "auto";
  std::vector<std::string> training_snapshots;  // filled by resolve_study
  int tune_limit = -1;  // --tune: training images per grid point; -1: the preset's (quick 5000, full all)
};

// The preset's numbers filled in; throws std::invalid_argument naming the flag
// for an unknown preset or rule, or a value out of range.
StudyConfig resolve_study(StudyConfig c, bool have_gpu);

// The architecture, learning rate and rule flags each rule trains with in a
// study (the settings docs/RESULTS.md reports; each rule declares its own in
// rules/), on top of the shared SGD settings.
// settings, when given, replace the rule's default learning rate and schedule.
std::string rule_flags(const std::string& rule, bool quick, const RuleSettings* settings = nullptr);
// The quick preset's cheaper settings per rule (rule, ml-train flags), in rule order.
std::vector<std::pair<std::string, std::string>> quick_rule_settings();

// One program a job runs: its arguments (the first: the program's path) and where its output goes.
struct JobProgram {
  std::vector<std::string> argv;
  std::string log;      // stdout and stderr
  bool append = false;  // added to the log (else the log starts afresh)
  std::string only_if;  // runs only when this file exists (empty: always)
};

struct StudyJob {
  std::string name;     // "fa", "bp-conv1-gabor", or "fa-s2" with several seeds
  std::string rule;
  std::string conv1;    // empty: learned by the rule
  uint64_t seed = 1;
  std::string dir;      // <out>/runs/<name>
  std::string command;  // one POSIX shell line: train, record, then mark done
  std::string key;      // hash of what the job does; <dir>/done holds it when finished
  RuleSettings settings;  // a tuning job's grid point (study/tuning.h)
  double cost = 1;        // rough wall time against a bp run's (RuleSpec::study_cost): --jobs starts costly ones first
  // What `command` does, for ml-study to run the programs itself (study/run_job.h): when `state` exists,
  // `resume`, and `train` only if that fails; otherwise `train`. Training succeeded when `trained` exists;
  // then `record`, in order.
  std::string state, trained;
  JobProgram resume, train;
  std::vector<JobProgram> record;
};

std::vector<StudyJob> plan_study(const StudyConfig& c);

// One study run's shell line: train (or resume) with `flags` (rule_flags), then, with record, record the
// val-selected model on the probe images, then mark the job done. Fills job.command, job.key and the programs.
// snapshots: epochs where the run also saves and records its model (RunDir::snapshot, snapshot_acts).
void finish_job(const StudyConfig& c, StudyJob& job, const std::string& flags, int epochs, int limit, bool record,
                const std::vector<std::string>& snapshots = {});

// The bp run whose snapshots stand for "bp at matched accuracy".
inline constexpr uint64_t kMatchedAccuracyBpSeed = 2;

// True when the job's directory holds a finished run of exactly this job, its files as its done marker
// vouches (study/done_marker.h).
bool job_done(const StudyJob& job);

// The plan as text: a comment header, then one command per line.
std::string plan_text(const std::vector<StudyJob>& jobs);

}  // namespace ml
