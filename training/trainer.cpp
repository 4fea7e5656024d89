#include "training/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/cpu_flags.h"
#include "base/cuda_memory.h"
#include "base/folder_lock.h"
#include "base/stop_signal.h"
#include "datasets/dataset.h"
#include "datasets/npy.h"
#include "engine/lr_schedule.h"
#include "engine/network.h"
#include "training/checkpoints.h"
#include "training/device_data.h"
#include "training/estimator_stats.h"
#include "training/progress_line.h"
#include "training/run_config.h"
#include "training/run_dir.h"
#include "training/snapshots.h"

namespace ml {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Everything a run trains with, built from its config: data (normalised with the whole training set's
// statistics, then the validation split held out, then --limit), network (conv1 embedding applied), rule
// (attached), optimizer.
struct Session {
  DatasetPair data;
  Dataset val;                       // the held-out training images (empty without --val)
  std::vector<int64_t> val_indices;  // their places in the training set, sorted
  Normalization norm;
  std::unique_ptr<Network> net;
  std::unique_ptr<LearningRule> rule;
  std::unique_ptr<Optimizer> optimizer;
  nlohmann::json conv1_info;
};

Session build_session(const TrainConfig& c, Device device, ProgressLine& line) {
  Session s;
  s.rule = make_rule(c.rule, c.rule_flags);
  s.optimizer = make_optimizer(c.optimizer);
  s.data = load_dataset(c.data, c.data_dir);
  s.norm = channel_stats(s.data.train);  // from the whole training set, before --limit
  normalize(s.data.train, s.norm);
  normalize(s.data.test, s.norm);
  if (c.val > 0) {
    s.val_indices = validation_indices(s.data.train, c.val, c.val_seed);
    s.val = split_off(s.data.train, s.val_indices);
  }
  if (c.limit > 0 && c.limit < s.data.train.size()) truncate(s.data.train, c.limit);  // more than there are: all
  const Dataset& train = s.data.train;
  s.net = std::make_unique<Network>(c.arch, Shape{train.C, train.H, train.W}, c.seed, device);
  if (s.net->output_shape()[0] != train.num_classes) {
    throw std::invalid_argument("--arch '" + s.net->spec() + "': the last layer has " +
                                std::to_string(s.net->output_shape()[0]) + " outputs, " + c.data + " has " +
                                std::to_string(train.num_classes) + " classes");
  }
  // The first layer's embedding: before the rule attaches, so its state sees the final conv1.
  s.conv1_info = apply_conv1_embedding(*s.net, c.conv1, train, s.norm, c.seed);
  line.setting_up(c.rule);  // some rules work before the first batch (weight mirror's mirror phase: minutes)
  s.rule->attach(*s.net, c.seed);
  line.set_up(c.rule);
  return s;
}

// The run folder for a new run (config.json written, any earlier state removed so that it is never resumed
// into this run) or for --resume (its config checked, its state loaded).
// The folder is locked first (a second ml-train into it stops here) and stays locked while `lock` lives.
TrainProgress open_run(const RunDir& run, const TrainConfig& c, Session& s, Device device,
                       std::optional<FolderLock>& lock) {
  run.create();
  lock.emplace(run.dir(), RunDir::kLockName, "--out '" + c.out + "'");
  remove_stale_temp_files(run.dir());  // a killed run's half-written files
  nlohmann::json config = config_json(c, *s.net, *s.rule, s.norm, s.data, device);
  config["conv1"] = s.conv1_info;
  if (!c.resume) {
    if (const auto earlier = run.outputs(); !earlier.empty()) {
      if (!c.overwrite) {
        std::string names;
        for (size_t i = 0; i < earlier.size() && i < 4; ++i) names += (i ? ", " : "") + earlier[i];
        if (earlier.size() > 4) names += ", ...";
        throw std::runtime_error("--out '" + c.out + "': holds an earlier run (" + names +
                                 "); continue it with --resume, or replace it with --overwrite");
      }
      run.remove_outputs();
    }
    write_text_atomically(run.config(), config.dump(2) + "\n");
    if (c.val > 0) write_npy(run.val_indices(), s.val_indices.data(), {static_cast<int64_t>(s.val_indices.size())});
    return {};
  }
  check_same_run(run.config(), config);
  if (!std::filesystem::exists(run.train_state())) {
    throw std::runtime_error("--resume '" + c.out + "': no " + std::filesystem::path(run.train_state()).filename().string() +
                             " (the run never reached a checkpoint); start it again without --resume");
  }
  const long n = s.data.train.size();
  const RunExtent extent{.epochs = c.epochs, .batches_per_epoch = static_cast<int>((n + c.batch - 1) / c.batch),
                         .batch = c.batch, .train_images = n};
  return load_train_state(run.train_state(), extent, *s.net, *s.rule, *s.optimizer);
}

// Feedback pre-training (target propagation): feedback-only passes before epoch 1, with their own data
// orders (negative epoch numbers), so the training epochs see the usual ones.
void pretrain_feedback(const TrainConfig& c, Session& s, DeviceData& train_data, ProgressLine& line) {
  const int n = train_data.size(), batches = (n + c.batch - 1) / c.batch;
  Batch batch;
  for (int p = 1; p <= s.rule->pretrain_epochs(); ++p) {
    const std::vector<int32_t> order = epoch_order(n, c.seed, -p);
    for (int b = 0; b < batches; ++b) {
      const int begin = b * c.batch;
      train_data.gather(batch, order, begin, std::min(c.batch, n - begin));
      s.rule->pretrain_step(*s.net, batch);
    }
    line.pretrained(p, s.rule->pretrain_epochs());
  }
}

// A held-out set (test or validation) in order, without learning: {mean loss, accuracy}.
std::pair<double, double> evaluation_pass(const TrainConfig& c, Session& s, DeviceData& data);

// The --snapshots points not yet taken (a resumed run took the earlier ones), saved as training passes them.
class SnapshotTaker {
 public:
  SnapshotTaker(const TrainConfig& c, int batches, const TrainProgress& progress) {
    for (SnapshotRow& p : snapshot_points(c.snapshots, c.epochs, batches)) {
      const bool taken = std::any_of(progress.snapshots.begin(), progress.snapshots.end(),
                                     [&](const SnapshotRow& s) { return s.label == p.label; });
      if (!taken) pending_.push_back(std::move(p));
    }
  }

  // After batch b (1-based) of epoch: saves the point due there, with the validation figures `val` when
  // given (the epoch's end has them already), else from a validation pass (none without --val).
  void after_batch(const TrainConfig& c, Session& s, DeviceData* val_data, int epoch, int b, TrainProgress& progress,
                   Checkpoints& checkpoints, const RunDir& run, const EpochMetrics* val = nullptr) {
    if (pending_.empty() || pending_.front().epoch != epoch || pending_.front().batch != b) return;
    SnapshotRow at = pending_.front();
    pending_.erase(pending_.begin());
    if (val) {
      at.val_loss = val->val_loss, at.val_acc = val->val_acc;
    } else if (val_data) {
      std::tie(at.val_loss, at.val_acc) = evaluation_pass(c, s, *val_data);
    }
    checkpoints.save_snapshot(at);
    progress.snapshots.push_back(at);
    write_text_atomically(run.snapshots(), snapshots_csv(progress.snapshots));
  }

 private:
  std::vector<SnapshotRow> pending_;
};

// "" or why the run must stop after this batch's loss.
std::string blown_up(const LossResult& r, double max_loss) {
  char what[96] = "";
  if (!r.finite) {
    std::snprintf(what, sizeof what, "loss became %s", std::isnan(r.loss_sum) ? "NaN" : "infinite");
  } else if (max_loss > 0 && r.loss_sum / r.count > max_loss) {
    std::snprintf(what, sizeof what, "batch loss %.4g above --max-loss %g", r.loss_sum / r.count, max_loss);
  }
  return what;
}

// One epoch's training batches from where `progress` stands, alignment logged on the way (before the rule
// learns from the batch, its time kept out of the epoch's). Returns the epoch's training seconds.
double train_epoch(const TrainConfig& c, Session& s, DeviceData& train_data, DeviceData* val_data, LrSchedule schedule,
                   TrainProgress& progress, Checkpoints& checkpoints, SnapshotTaker& snapshots, const RunDir& run,
                   ProgressLine& line) {
  const int epoch = progress.epoch, n = train_data.size(), batches = (n + c.batch - 1) / c.batch;
  const std::vector<int32_t> order = epoch_order(n, c.seed, epoch);
  const auto start = Clock::now();
  const double seconds_before = progress.seconds;  // of this epoch before a resume
  const long seen_before = progress.seen;
  double align_seconds = 0;
  line.epoch_started();
  Batch batch;
  for (int b = progress.batch; b < batches; ++b) {
    const int begin = b * c.batch;
    train_data.gather(batch, order, begin, std::min(c.batch, n - begin));
    if ((c.align_every > 0 && b % c.align_every == 0) || b + 1 == batches) {
      const auto align_start = Clock::now();
      s.rule->log_alignment(*s.net, batch, progress.alignment, epoch, b + 1);
      align_seconds += seconds_since(align_start);
    }
    s.optimizer->set_lr(scheduled_lr(schedule, c.optimizer.lr, epoch, b, c.epochs, batches));
    const LossResult r = s.rule->train_step(*s.net, batch, *s.optimizer);
    if (const std::string why = blown_up(r, c.max_loss); !why.empty()) {
      write_text_atomically(run.alignment(), progress.alignment.csv());  // what led up to it is worth reading
      throw checkpoints.diverged(why, epoch, b + 1);
    }
    progress.loss_sum += r.loss_sum;
    progress.correct += r.correct;
    progress.seen += r.count;
    progress.batch = b + 1;
    progress.seconds = seconds_before + seconds_since(start) - align_seconds;
    if (stop_requested()) {
      checkpoints.save_state(epoch, b + 1);
      throw checkpoints.interrupted(epoch, b + 1);
    }
    if (b + 1 < batches) {  // the epoch's last batch: at its end, with the epoch's validation pass
      const auto snapshot_start = Clock::now();
      snapshots.after_batch(c, s, val_data, epoch, b + 1, progress, checkpoints, run);
      align_seconds += seconds_since(snapshot_start);
    }
    if (c.checkpoint_every > 0 && (b + 1) % c.checkpoint_every == 0 && b + 1 < batches)
      checkpoints.save_state(epoch, b + 1);
    if (line.shown()) {
      const double rate = (progress.seen - seen_before) / std::max(seconds_since(start) - align_seconds, 1e-9);
      line.batch(epoch, c.epochs, b + 1, batches, progress.loss_sum / progress.seen, rate,
                 (n - progress.seen) / rate + (c.epochs - epoch) * n / rate);
    }
  }
  if (s.net->device() == Device::CUDA) cuda_synchronize();
  return seconds_before + seconds_since(start) - align_seconds;
}

// The rule's update as an estimate of bp's gradient, on the same first batch (data order) every epoch.
void log_estimator(const TrainConfig& c, Session& s, DeviceData& train_data, int epoch, EstimatorLog& log,
                   const RunDir& run) {
  std::vector<int32_t> first(std::min(c.batch, train_data.size()));
  std::iota(first.begin(), first.end(), 0);
  Batch batch;
  train_data.gather(batch, first, 0, static_cast<int>(first.size()));
  log_estimator_stats(*s.rule, *s.net, batch, c.estimator_stats, epoch, log);
  write_text_atomically(run.estimator(), log.csv());
}

std::pair<double, double> evaluation_pass(const TrainConfig& c, Session& s, DeviceData& data) {
  std::vector<int32_t> order(data.size());
  std::iota(order.begin(), order.end(), 0);
  double loss = 0;
  long correct = 0;
  Batch batch;
  for (int begin = 0; begin < data.size(); begin += c.test_batch) {
    data.gather(batch, order, begin, std::min(c.test_batch, data.size() - begin));
    const LossResult r = s.rule->evaluate(*s.net, batch);
    loss += r.loss_sum;
    correct += r.correct;
  }
  return {loss / data.size(), static_cast<double>(correct) / data.size()};
}

}  // namespace

std::vector<EpochMetrics> train(const TrainConfig& c) {
  validate_train_config(c);
  flush_denormals_to_zero();
  const Device device = parse_device(c.device);
  const LrSchedule schedule = parse_lr_schedule(c.optimizer.lr_schedule);
  ProgressLine line(c.progress);
  Session s = build_session(c, device, line);
  snapshot_points(c.snapshots, c.epochs, (s.data.train.size() + c.batch - 1) / c.batch);  // bad points: before any file
  const RunDir run(c.out);
  std::optional<FolderLock> lock;
  TrainProgress progress = open_run(run, c, s, device, lock);
  if (c.resume && progress.epoch > c.epochs) {
    std::fprintf(stderr, "%s: all %d epochs are done; nothing to resume\n", c.out.c_str(), c.epochs);
    return progress.history;
  }
  if (c.resume) std::fprintf(stderr, "resuming %s at epoch %d, batch %d\n", c.out.c_str(), progress.epoch, progress.batch + 1);

  DeviceData train_data(s.data.train, device), test_data(s.data.test, device);
  std::unique_ptr<DeviceData> val_data = c.val > 0 ? std::make_unique<DeviceData>(s.val, device) : nullptr;
  if (!c.resume) pretrain_feedback(c, s, train_data, line);  // a resumed run has it in its state already
  Checkpoints checkpoints(run, c, *s.net, *s.rule, *s.optimizer, progress, line);
  EstimatorLog estimator;
  if (c.resume && c.estimator_stats > 0) {  // the finished epochs' rows
    std::ifstream in(run.estimator());
    estimator.load_csv(std::string(std::istreambuf_iterator<char>(in), {}), progress.epoch);
  }
  const int batches = (train_data.size() + c.batch - 1) / c.batch;
  SnapshotTaker snapshots(c, batches, progress);
  while (progress.epoch <= c.epochs) {
    const int epoch = progress.epoch;
    const double train_seconds =
        train_epoch(c, s, train_data, val_data.get(), schedule, progress, checkpoints, snapshots, run, line);
    if (c.estimator_stats > 0) log_estimator(c, s, train_data, epoch, estimator, run);
    const auto [test_loss, test_acc] = evaluation_pass(c, s, test_data);
    EpochMetrics m{.epoch = epoch,
                         .train_loss = progress.loss_sum / progress.seen,
                         .train_acc = static_cast<double>(progress.correct) / progress.seen,
                         .test_loss = test_loss,
                         .test_acc = test_acc,
                         .seconds = train_seconds,
                         .samples_per_s = progress.seen / train_seconds};
    if (val_data) std::tie(m.val_loss, m.val_acc) = evaluation_pass(c, s, *val_data);
    if (!std::isfinite(m.test_loss)) {
      throw std::runtime_error("test loss became non-finite after epoch " + std::to_string(epoch) +
                               " (try a smaller --lr)");
    }
    if (const std::string bad = first_non_finite(*s.net, *s.rule); !bad.empty())
      throw checkpoints.diverged("weights became non-finite (" + bad + ")", epoch, batches);
    progress.history.push_back(m);
    checkpoints.save_model(epoch);
    if (val_data && val_selected(progress.history).epoch == epoch) checkpoints.save_best(epoch);
    snapshots.after_batch(c, s, val_data.get(), epoch, batches, progress, checkpoints, run, &m);
    write_text_atomically(run.metrics(), metrics_csv(progress.history));
    write_text_atomically(run.alignment(), progress.alignment.csv());
    for (const auto& [file, csv] : s.rule->epoch_tables(epoch)) write_text_atomically(run.table(file), csv);
    // The state last: a kill before it resumes this epoch's end again, rewriting the same files.
    progress.epoch = epoch + 1;
    progress.batch = 0;
    progress.loss_sum = progress.seconds = 0;
    progress.correct = progress.seen = 0;
    checkpoints.save_state(epoch, batches);
    line.epoch_done(m, c.epochs);
    if (stop_requested() && epoch < c.epochs) throw checkpoints.interrupted(epoch, batches);
  }
  if (val_data) line.selected(val_selected(progress.history), progress.history.back());
  return progress.history;
}

}  // namespace ml
