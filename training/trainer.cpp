#include "training/trainer.h"

#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "datasets/dataset.h"
#include "base/atomic_file.h"
#include "engine/checkpoint.h"
#include "base/cpu_flags.h"
#include "base/cuda_memory.h"
#include "training/device_data.h"
#include "engine/lr_schedule.h"
#include "engine/network.h"
#include "base/stop_signal.h"
#include "training/train_state.h"
#include "training/estimator_stats.h"
#include "rules/learning_rule.h"

namespace ml {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string format_duration(double s) {
  const long t = std::lround(std::max(0.0, s));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  return buf;
}

std::string metrics_csv(const std::vector<EpochMetrics>& rows) {
  std::ostringstream out;
  out.precision(9);
  out << "epoch,train_loss,train_acc,test_loss,test_acc,seconds,samples_per_s\n";
  for (const auto& m : rows) {
    out << m.epoch << ',' << m.train_loss << ',' << m.train_acc << ',' << m.test_loss << ',' << m.test_acc << ','
        << m.seconds << ',' << m.samples_per_s << '\n';
  }
  return out.str();
}

// A float flag as the user typed it (0.9, not 0.8999999761581421): float's 7 digits, read back as double.
double as_typed(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", f);
  return std::strtod(buf, nullptr);
}

nlohmann::json config_json(const TrainConfig& c, Network& net, LearningRule& rule, const Normalization& norm,
                           const DatasetPair& data, Device device) {
  nlohmann::json j;
  j["rule"] = c.rule;
  j["rule_config"] = rule.config();
  j["data"] = c.data;
  j["data_dir"] = c.data_dir;
  j["arch"] = c.arch;
  j["spec"] = net.spec();
  j["epochs"] = c.epochs;
  j["batch"] = c.batch;
  j["test_batch"] = c.test_batch;
  j["limit"] = c.limit;
  j["seed"] = c.seed;
  j["device"] = c.device;
  j["device_used"] = device_name(device);
  j["device_description"] = device == Device::CUDA ? cuda_device_description() : "cpu";
  j["cpu_threads"] = omp_get_max_threads();
  j["cpu_denormals"] = "flushed to zero";
  j["out"] = c.out;
  const OptimizerConfig& o = c.optimizer;
  j["align_every"] = c.align_every;
  j["checkpoint_every"] = c.checkpoint_every;
  j["max_loss"] = c.max_loss;
  j["command_line"] = c.command_line;
  j["estimator_stats"] = c.estimator_stats;
  j["optimizer"] = {{"name", o.name},
                    {"lr", as_typed(o.lr)},
                    {"lr_schedule", o.lr_schedule},
                    {"momentum", as_typed(o.momentum)},
                    {"weight_decay", as_typed(o.weight_decay)},
                    {"clip_grad_norm", as_typed(o.clip_grad_norm)},
                    {"beta1", as_typed(o.beta1)},
                    {"beta2", as_typed(o.beta2)},
                    {"eps", as_typed(o.eps)}};
  j["normalization"] = {{"mean", norm.mean}, {"std", norm.stddev}};
  j["train_samples"] = data.train.size();
  j["test_samples"] = data.test.size();
  j["input_shape"] = net.input_shape();
  j["parameters"] = net.num_parameters();
  j["class_names"] = data.train.class_names;
  return j;
}

void save_checkpoint(const std::string& path, Network& net, LearningRule& rule, const TrainConfig& c, int epoch) {
  std::vector<NamedTensor> tensors;
  for (Param* p : net.params()) tensors.push_back({p->name, p->value});
  for (auto& t : rule.state()) tensors.push_back(t);
  save_safetensors(path, tensors,
                   {{"format", "microlearning"}, {"spec", net.spec()}, {"rule", c.rule}, {"data", c.data},
                    {"conv1", c.conv1.kind + (c.conv1.freeze ? " frozen" : "")},
                    {"epoch", std::to_string(epoch)}, {"seed", std::to_string(c.seed)}});
}

// --resume continues only the run that config.json describes: the config
// rebuilt now must agree with it on every setting that changes the numbers.
void check_same_run(const std::string& path, const nlohmann::json& now) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--resume: cannot read " + path + ": " + std::strerror(errno));
  nlohmann::json saved;
  try {
    saved = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  // runs started before --lr-schedule and --clip-grad-norm existed ran at a constant rate, unclipped
  if (saved.contains("optimizer") && saved["optimizer"].is_object()) {
    if (!saved["optimizer"].contains("lr_schedule")) saved["optimizer"]["lr_schedule"] = "constant";
    if (!saved["optimizer"].contains("clip_grad_norm")) saved["optimizer"]["clip_grad_norm"] = 0;
  }
  // where the run lives, how often it saves, the GPU's description: free to differ
  for (const auto& [key, value] : now.items()) {
    if (key == "out" || key == "checkpoint_every" || key == "max_loss" || key == "device_description" ||
        key == "cpu_threads")
      continue;
    if (!saved.contains(key) || saved[key] != value) {
      throw std::runtime_error(path + ": \"" + key + "\" is " + (saved.contains(key) ? saved[key].dump() : "missing") +
                               " there, " + value.dump() + " for the resumed run; --resume continues only the same run");
    }
  }
  if (saved.value("cpu_threads", 0) != now.value("cpu_threads", 0)) {
    std::fprintf(stderr, "ml-train: warning: the run used %d CPU threads, this one %d: it goes on, but not bit for bit "
                 "as an uninterrupted run (OMP_NUM_THREADS=%d would)\n", saved.value("cpu_threads", 0),
                 now.value("cpu_threads", 0), saved.value("cpu_threads", 0));
  }
}

void validate(const TrainConfig& c) {
  if (c.epochs < 1) throw std::invalid_argument("--epochs " + std::to_string(c.epochs) + ": must be >= 1");
  if (c.batch < 1) throw std::invalid_argument("--batch " + std::to_string(c.batch) + ": must be >= 1");
  if (c.test_batch < 1) throw std::invalid_argument("--test-batch " + std::to_string(c.test_batch) + ": must be >= 1");
  if (c.limit < 0) throw std::invalid_argument("--limit " + std::to_string(c.limit) + ": must be >= 0");
  if (c.out.empty()) throw std::invalid_argument("--out: empty output directory");
  if (c.align_every < 0) throw std::invalid_argument("--align-every " + std::to_string(c.align_every) + ": must be >= 0");
  if (c.checkpoint_every < 0)
    throw std::invalid_argument("--checkpoint-every " + std::to_string(c.checkpoint_every) + ": must be >= 0");
  if (!(c.max_loss >= 0)) throw std::invalid_argument("--max-loss " + std::to_string(c.max_loss) + ": must be >= 0");
  if (c.estimator_stats < 0) {
    throw std::invalid_argument("--estimator-stats " + std::to_string(c.estimator_stats) + ": must be >= 0");
  }
  validate_conv1(c.conv1);
}

}  // namespace

std::vector<EpochMetrics> train(const TrainConfig& c) {
  validate(c);
  flush_denormals_to_zero();
  const Device device = parse_device(c.device);
  auto rule = make_rule(c.rule, c.rule_options);
  auto optimizer = make_optimizer(c.optimizer);
  const LrSchedule schedule = parse_lr_schedule(c.optimizer.lr_schedule);

  DatasetPair data = load_dataset(c.data, c.data_dir);
  const Normalization norm = channel_stats(data.train);  // from the whole training set, before --limit
  normalize(data.train, norm);
  normalize(data.test, norm);
  if (c.limit > 0 && c.limit < data.train.size()) truncate(data.train, c.limit);  // more than there are: all

  Network net(c.arch, {data.train.C, data.train.H, data.train.W}, c.seed, device);
  if (net.output_shape()[0] != data.train.num_classes) {
    throw std::invalid_argument("--arch '" + net.spec() + "': the last layer has " +
                                std::to_string(net.output_shape()[0]) + " outputs, " + c.data + " has " +
                                std::to_string(data.train.num_classes) + " classes");
  }
  // The first layer's embedding: before the rule attaches, so its state sees the final conv1.
  const nlohmann::json conv1_info = apply_conv1_embedding(net, c.conv1, data.train, norm, c.seed);
  const bool show_progress = c.progress && isatty(STDERR_FILENO);
  // Some rules work before the first batch (weight mirror's mirror phase: minutes on a CPU).
  if (show_progress) std::fprintf(stderr, "\rsetting up --rule %s ...", c.rule.c_str());
  rule->attach(net, c.seed);
  if (show_progress) std::fprintf(stderr, "\r%*s\r", static_cast<int>(c.rule.size()) + 24, "");

  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec) throw std::runtime_error("--out '" + c.out + "': cannot create directory: " + ec.message());
  const std::filesystem::path out(c.out);
  const std::string state_path = (out / kTrainStateFile).string();
  remove_stale_temp_files(c.out);  // a killed run's half-written files
  nlohmann::json config = config_json(c, net, *rule, norm, data, device);
  config["conv1"] = conv1_info;
  TrainProgress progress;
  if (c.resume) {
    check_same_run((out / "config.json").string(), config);
    if (!std::filesystem::exists(state_path)) {
      throw std::runtime_error("--resume '" + c.out + "': no " + kTrainStateFile +
                               " (the run never reached a checkpoint); start it again without --resume");
    }
    progress = load_train_state(state_path, net, *rule, *optimizer);
    if (progress.epoch > c.epochs) {
      std::fprintf(stderr, "%s: all %d epochs are done; nothing to resume\n", c.out.c_str(), c.epochs);
      return progress.history;
    }
    std::fprintf(stderr, "resuming %s at epoch %d, batch %d\n", c.out.c_str(), progress.epoch, progress.batch + 1);
  } else {
    std::filesystem::remove(state_path, ec);  // a previous run's state must not be resumed into this one
    write_text_atomically((out / "config.json").string(), config.dump(2) + "\n");
  }

  DeviceData train_data(data.train, device), test_data(data.test, device);
  std::vector<int32_t> test_order(test_data.size());
  std::iota(test_order.begin(), test_order.end(), 0);
  const int n_train = train_data.size();
  const int batches = (n_train + c.batch - 1) / c.batch;
  // Feedback pre-training (target propagation): feedback-only passes before epoch 1, with
  // their own data orders (negative epoch numbers), so the training epochs see the usual ones.
  // A resumed run has it in its state already.
  for (int p = 1; p <= rule->pretrain_epochs() && !c.resume; ++p) {
    const std::vector<int32_t> order = epoch_order(n_train, c.seed, -p);
    Batch pretrain_batch;
    for (int b = 0; b < batches; ++b) {
      const int begin = b * c.batch;
      train_data.gather(pretrain_batch, order, begin, std::min(c.batch, n_train - begin));
      rule->pretrain_step(net, pretrain_batch);
    }
    if (show_progress) std::fprintf(stderr, "\rfeedback pre-training %d/%d done   ", p, rule->pretrain_epochs());
  }

  // Where the last good state lies, for the divergence message.
  int saved_epoch = static_cast<int>(progress.history.size()), saved_state_epoch = 0, saved_state_batch = 0;
  if (c.resume) {
    saved_state_epoch = progress.epoch;
    saved_state_batch = progress.batch;
  }
  auto diverged = [&](const std::string& what, int epoch, int b) {
    if (show_progress) std::fprintf(stderr, "\n");
    std::string kept;
    if (saved_epoch > 0) {
      kept = "the last good checkpoint (epoch " + std::to_string(saved_epoch) + ") is kept in " +
             (out / "model.safetensors").string();
    }
    if (saved_state_batch > 0) {  // a state saved within an epoch
      kept += (kept.empty() ? "" : ", ") + std::string("the last good training state (epoch ") +
              std::to_string(saved_state_epoch) + ", batch " + std::to_string(saved_state_batch) + ") in " + state_path;
    }
    if (kept.empty()) kept = "no checkpoint was written";
    return std::runtime_error(what + " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(b) +
                              " (try a smaller --lr); " + kept);
  };
  // The weights are checked whenever they are saved: cheap next to writing them.
  auto save_state = [&](int epoch, int b) {
    const std::string bad = first_non_finite(net, *rule);
    if (!bad.empty()) throw diverged("weights became non-finite (" + bad + ")", epoch, b);
    save_train_state(state_path, net, *rule, *optimizer, progress);
    saved_state_epoch = progress.epoch;
    saved_state_batch = progress.batch;
  };
  auto interrupted = [&](int epoch, int b) {
    if (show_progress) std::fprintf(stderr, "\n");
    return TrainingInterrupted(stop_requested(), std::string(signal_name(stop_requested())) + " after epoch " +
                                                     std::to_string(epoch) + ", batch " + std::to_string(b) +
                                                     "; training state saved in " + state_path);
  };

  std::vector<EpochMetrics>& history = progress.history;
  AlignmentLog& alignment = progress.alignment;
  EstimatorLog estimator;
  if (c.resume && c.estimator_stats > 0) {  // the finished epochs' rows
    std::ifstream in(out / "estimator.csv");
    estimator.load_csv(std::string(std::istreambuf_iterator<char>(in), {}), progress.epoch);
  }
  Batch batch;
  while (progress.epoch <= c.epochs) {
    const int epoch = progress.epoch;
    const std::vector<int32_t> order = epoch_order(n_train, c.seed, epoch);
    const auto start = Clock::now();
    auto last_print = start;
    const double seconds_before = progress.seconds;  // of this epoch before a resume
    const long seen_before = progress.seen;
    double align_seconds = 0;
    for (int b = progress.batch; b < batches; ++b) {
      const int begin = b * c.batch, count = std::min(c.batch, n_train - begin);
      train_data.gather(batch, order, begin, count);
      // Alignment to backprop on this batch, before the rule learns from it; its
      // cost is kept out of the epoch's time and throughput.
      if ((c.align_every > 0 && b % c.align_every == 0) || b + 1 == batches) {
        const auto align_start = Clock::now();
        rule->log_alignment(net, batch, alignment, epoch, b + 1);
        align_seconds += seconds_since(align_start);
      }
      optimizer->set_lr(scheduled_lr(schedule, c.optimizer.lr, epoch, b, c.epochs, batches));
      const LossResult r = rule->train_step(net, batch, *optimizer);
      char blown_up[96] = "";
      if (!r.finite) {
        std::snprintf(blown_up, sizeof blown_up, "loss became %s", std::isnan(r.loss_sum) ? "NaN" : "infinite");
      } else if (c.max_loss > 0 && r.loss_sum / r.count > c.max_loss) {
        std::snprintf(blown_up, sizeof blown_up, "batch loss %.4g above --max-loss %g", r.loss_sum / r.count,
                      c.max_loss);
      }
      if (blown_up[0]) {
        // what led up to it is worth reading
        write_text_atomically((out / "alignment.csv").string(), alignment.csv());
        throw diverged(blown_up, epoch, b + 1);
      }
      progress.loss_sum += r.loss_sum;
      progress.correct += r.correct;
      progress.seen += r.count;
      progress.batch = b + 1;
      progress.seconds = seconds_before + seconds_since(start) - align_seconds;
      if (stop_requested()) {
        save_state(epoch, b + 1);
        throw interrupted(epoch, b + 1);
      }
      if (c.checkpoint_every > 0 && (b + 1) % c.checkpoint_every == 0 && b + 1 < batches) save_state(epoch, b + 1);
      if (show_progress && (seconds_since(last_print) > 0.25 || b + 1 == batches)) {
        last_print = Clock::now();
        const double elapsed = seconds_since(start) - align_seconds;
        const double rate = (progress.seen - seen_before) / std::max(elapsed, 1e-9);
        std::fprintf(stderr, "\repoch %d/%d  batch %d/%d  loss %.4f  %.0f samples/s  ETA %s   ", epoch, c.epochs,
                     b + 1, batches, progress.loss_sum / progress.seen, rate,
                     format_duration((n_train - progress.seen) / rate + (c.epochs - epoch) * n_train / rate).c_str());
        std::fflush(stderr);
      }
    }
    if (device == Device::CUDA) cuda_synchronize();
    const double train_seconds = seconds_before + seconds_since(start) - align_seconds;
    // The rule's update as an estimate of bp's gradient, on the same first batch (data order) every epoch.
    if (c.estimator_stats > 0) {
      std::vector<int32_t> first(std::min(c.batch, n_train));
      std::iota(first.begin(), first.end(), 0);
      Batch stats_batch;
      train_data.gather(stats_batch, first, 0, static_cast<int>(first.size()));
      log_estimator_stats(*rule, net, stats_batch, c.estimator_stats, epoch, estimator);
      write_text_atomically((out / "estimator.csv").string(), estimator.csv());
    }

    double test_loss = 0;
    long test_correct = 0;
    for (int begin = 0; begin < test_data.size(); begin += c.test_batch) {
      test_data.gather(batch, test_order, begin, std::min(c.test_batch, test_data.size() - begin));
      const LossResult r = rule->evaluate(net, batch);
      test_loss += r.loss_sum;
      test_correct += r.correct;
    }

    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = progress.loss_sum / progress.seen;
    m.train_acc = static_cast<double>(progress.correct) / progress.seen;
    m.test_loss = test_loss / test_data.size();
    m.test_acc = static_cast<double>(test_correct) / test_data.size();
    m.seconds = train_seconds;
    m.samples_per_s = progress.seen / train_seconds;

    if (!std::isfinite(m.test_loss)) {
      throw std::runtime_error("test loss became non-finite after epoch " + std::to_string(epoch) +
                               " (try a smaller --lr)");
    }
    const std::string bad = first_non_finite(net, *rule);
    if (!bad.empty()) throw diverged("weights became non-finite (" + bad + ")", epoch, batches);
    history.push_back(m);
    save_checkpoint((out / "model.safetensors").string(), net, *rule, c, epoch);
    saved_epoch = epoch;
    write_text_atomically((out / "metrics.csv").string(), metrics_csv(history));
    write_text_atomically((out / "alignment.csv").string(), alignment.csv());
    for (const auto& [file, csv] : rule->epoch_tables(epoch)) write_text_atomically((out / file).string(), csv);
    // The state last: a kill before it resumes this epoch's end again, rewriting the same files.
    progress.epoch = epoch + 1;
    progress.batch = 0;
    progress.loss_sum = progress.seconds = 0;
    progress.correct = progress.seen = 0;
    save_state(epoch, batches);
    if (show_progress) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "epoch %d/%d  train loss %.4f acc %.4f  test loss %.4f acc %.4f  %.1f s  %.0f samples/s\n",
                 epoch, c.epochs, m.train_loss, m.train_acc, m.test_loss, m.test_acc, m.seconds, m.samples_per_s);
    if (stop_requested() && epoch < c.epochs) throw interrupted(epoch, batches);
  }
  return history;
}

}  // namespace ml
