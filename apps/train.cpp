// ml-train: train one network with one learning rule on one data set.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <vector>

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>

#include "apps/cli.h"
#include "base/stop_signal.h"
#include "embeddings/conv1_embedding.h"
#include "engine/layers/pcn_block.h"
#include "engine/spec_limits.h"
#include "rules/registry.h"
#include "training/run_dir.h"
#include "training/snapshots.h"
#include "training/trainer.h"

namespace {

// The optimizer flags whose default is the rule's own (rules/registry.h), with bp's value where a rule names none.
const std::vector<std::pair<std::string, std::string>> kRuleDefaultedFlags = {
    {"lr", "0.01"}, {"lr-schedule", "constant"}, {"clip-grad-norm", "0"}, {"weight-decay", "0"}};

std::string rule_default(const std::string& rule, const std::string& flag) {
  for (const auto& [name, value] : ml::rule_spec(rule).training_defaults)
    if (name == flag) return value;
  for (const auto& [name, value] : kRuleDefaultedFlags)
    if (name == flag) return value;
  return "";
}

// "0.01; fa, dfa 0.001; ...": bp's default of flag, then the rules whose own differs, for --help.
std::string defaults_by_rule(const std::string& flag) {
  const std::string base = rule_default("bp", flag);
  std::vector<std::pair<std::string, std::string>> others;  // value, rules
  for (const auto& r : ml::rule_names()) {
    const std::string v = rule_default(r, flag);
    if (v == base) continue;
    auto it = std::find_if(others.begin(), others.end(), [&](const auto& o) { return o.first == v; });
    if (it == others.end()) others.emplace_back(v, r);
    else it->second += ", " + r;
  }
  std::string text = "default: the rule's own: " + base;
  for (const auto& [value, rules] : others) text += "; " + rules + " " + value;
  return text;
}

// One parse of a command line: the config, and each flag's value as text, for
// comparing a resumed run's flags with those of the run it continues.
struct Parsed {
  ml::TrainConfig config;
  std::map<std::string, std::string> given;   // the flags on the command line
  std::map<std::string, std::string> values;  // every flag: given or its default
  std::string help;                           // set when --help was asked for
};

// The rule's own flags (one given for another rule is an error), and the optimizer flags the rule sets
// the defaults of; `values` then holds what the run uses.
void set_rule_options(const cxxopts::ParseResult& args, Parsed& parsed) {
  ml::TrainConfig& c = parsed.config;
  const ml::RuleSpec& spec = ml::rule_spec(c.rule);
  for (const auto& group : ml::rule_flag_groups()) {
    for (const auto& flag : group.flags) {
      if (!args.count(flag.name)) continue;
      const bool own = std::any_of(spec.flags.begin(), spec.flags.end(),
                                   [&](const ml::FlagSpec& f) { return f.name == flag.name; });
      if (!own) throw std::invalid_argument("--" + flag.name + ": an option of " + group.rules + ", not of --rule " + c.rule);
    }
  }
  c.rule_flags = ml::cli::given_flags(args, spec.flags);
  // --help shows a flag's first declaration; a rule may declare its own default (ldrl's --feedback-steps)
  for (const auto& f : spec.flags) {
    if (f.type != ml::FlagType::Switch && !args.count(f.name)) parsed.values[f.name] = f.default_value;
  }
  for (const auto& flag_and_bp_value : kRuleDefaultedFlags) {
    const std::string& flag = flag_and_bp_value.first;
    if (args.count(flag)) continue;
    const std::string value = rule_default(c.rule, flag);
    parsed.values[flag] = value;
    ml::FlagValues text{{flag, value}};
    if (flag == "lr") c.optimizer.lr = text.get_float(flag);
    if (flag == "lr-schedule") c.optimizer.lr_schedule = value;
    if (flag == "clip-grad-norm") c.optimizer.clip_grad_norm = text.get_float(flag);
    if (flag == "weight-decay") c.optimizer.weight_decay = text.get_float(flag);
  }
}

Parsed parse(const std::vector<std::string>& arguments) {
  Parsed parsed;
  ml::TrainConfig& c = parsed.config;
  int pcn_cycles = ml::kPcnDefaultCycles;
  std::string pcn_size = "small";
  std::string rules, resume, snapshots;
  for (const auto& n : ml::rule_names()) rules += (rules.empty() ? "" : ", ") + n;

  cxxopts::Options options("ml-train",
                           "Train one network with one learning rule; writes metrics.csv, config.json and\n"
                           "model.safetensors into --out.");
  // clang-format off
  options.add_options()
    ("rule", "learning rule: " + rules, cxxopts::value(c.rule)->default_value(c.rule))
    ("data", "data set: fashion-mnist, mnist, cifar10 or image-folder", cxxopts::value(c.data)->default_value(c.data))
    ("data-dir", "directory with the IDX files (default: where Debian's dataset package puts them)",
       cxxopts::value(c.data_dir))
    ("arch", "network: 'lenet', 'pcn' (see --pcn-size, --cycles), 'pcn-wen' (= pcn --pcn-size wen) or a spec such as conv32k3-relu-maxpool2-flatten-fc10 "
             "(tokens conv<K>k<R>[s<S>][p<P>], fc<N>, relu, maxpool<k>[s<S>], flatten; channels and widths at most " +
             std::to_string(ml::kMaxSpecChannels) + ", kernel, stride, padding and window at most " +
             std::to_string(ml::kMaxSpecWindow) + ")",
       cxxopts::value(c.arch)->default_value(c.arch))
    ("cycles", "--arch pcn or pcn-wen: recurrent cycles K of the predictive coding network (0: feedforward only)",
       cxxopts::value(pcn_cycles)->default_value(std::to_string(pcn_cycles)))
    ("pcn-size", "--arch pcn: small (fits 28x28 grey and 32x32 colour), paper (8 levels, 64..512) or wen (the "
                 "authors' released code: 8 levels, 64..256); README says how each departs from Wen et al.",
       cxxopts::value(pcn_size)->default_value(pcn_size))
    ("epochs", "training epochs", cxxopts::value(c.epochs)->default_value(std::to_string(c.epochs)))
    ("batch", "minibatch size", cxxopts::value(c.batch)->default_value(std::to_string(c.batch)))
    ("test-batch", "batch size for evaluating the test set", cxxopts::value(c.test_batch)->default_value("1000"))
    ("limit", "train on the first N training samples only, counted after --val holds its images out (0 or more than "
              "the set holds: all; the test set stays whole)",
       cxxopts::value(c.limit)->default_value("0"))
    ("val", "hold out N training images as the validation split, class-balanced (N / classes of each), and train on "
            "the rest; each epoch's val_loss, val_acc go to metrics.csv, the held-out indices to val_indices.npy, the "
            "epoch of the best val_acc to model_best.safetensors (0: none)",
       cxxopts::value(c.val)->default_value("0"))
    ("val-seed", "which images --val holds out: fixed by default and independent of --seed, so every rule and seed "
                 "holds out the same ones",
       cxxopts::value(c.val_seed)->default_value(std::to_string(ml::kDefaultValSeed)))
    ("snapshots", "also save the model at these epochs, fractions allowed (e.g. 0.1,0.25,0.5,1,2), with that "
                  "moment's val accuracy: snapshots/epoch-<E>.safetensors and snapshots.csv (a point on the same batch as the "
                  "one before is skipped)",
       cxxopts::value(snapshots), "LIST")
    ("optimizer", "sgd or adam", cxxopts::value(c.optimizer.name)->default_value("sgd"))
    ("lr", "learning rate (" + defaults_by_rule("lr") + ")",
       cxxopts::value(c.optimizer.lr))
    ("lr-schedule", "constant, or cosine: --lr * (1 + cos(pi t / T)) / 2 at batch t of the run's T batches "
                    "(" + defaults_by_rule("lr-schedule") + ")",
       cxxopts::value(c.optimizer.lr_schedule))
    ("momentum", "SGD momentum", cxxopts::value(c.optimizer.momentum)->default_value("0.9"))
    ("weight-decay", "L2 weight decay (added to the gradient, as PyTorch; " + defaults_by_rule("weight-decay") + ")",
       cxxopts::value(c.optimizer.weight_decay))
    ("clip-grad-norm", "scale the gradients down to this global L2 norm when they exceed it, before the update "
                       "(PyTorch's clip_grad_norm_; 0: off; " + defaults_by_rule("clip-grad-norm") + ")",
       cxxopts::value(c.optimizer.clip_grad_norm))
    ("beta1", "Adam beta1", cxxopts::value(c.optimizer.beta1)->default_value("0.9"))
    ("beta2", "Adam beta2", cxxopts::value(c.optimizer.beta2)->default_value("0.999"))
    ("eps", "Adam epsilon", cxxopts::value(c.optimizer.eps)->default_value("1e-8"))
    ("align-every", "log alignment to backprop every K batches (0: only at the end of each epoch)",
       cxxopts::value(c.align_every)->default_value("0"))
    ("estimator-stats", "every epoch, draw the rule's update N times on the first training batch and write "
                        "estimator.csv (epoch,layer,metric,value; per weight layer: bias_angle_deg, the mean update "
                        "against bp's gradient; variance_rel, mean |u - mean|^2 / |g_bp|^2; snr, |mean|^2 / mean "
                        "|u - mean|^2, inf for deterministic rules; noise_angle_deg, atan(sqrt(variance_rel / (N - 1))), the angle "
                        "the mean of N unbiased draws shows from noise alone); training is unchanged (0: off)",
       cxxopts::value(c.estimator_stats)->default_value("0"))
    ("seed", "random seed (initial weights, data order)", cxxopts::value(c.seed)->default_value("1"))
    ("device", "cpu, cuda or auto (cuda when a GPU is present)", cxxopts::value(c.device)->default_value("auto"))
    ("out", "output directory", cxxopts::value(c.out)->default_value(c.out))
    ("no-progress", "no progress line on stderr")
    ("checkpoint-every", "also save the training state (train_state.safetensors) every N batches; it is saved at "
                         "every epoch's end anyway", cxxopts::value(c.checkpoint_every)->default_value("0"))
    ("max-loss", "stop (as diverged: an error, the last good state kept) when a batch's mean train loss exceeds "
                 "this (0: only when it becomes NaN or infinite; ln(classes) is chance)",
       cxxopts::value(c.max_loss)->default_value("0"))
    ("overwrite", "--out may hold an earlier run: remove its outputs (config.json, metrics.csv, the models, the "
                  "training state, *.csv, acts/, snapshots/) first; without it such a folder is refused. Other files "
                  "in the folder are kept")
    ("resume", "continue the interrupted run in DIR from its last training state, bit for bit as if never "
               "stopped; its settings come from DIR/config.json (other flags: only --no-progress, --checkpoint-every, "
               "--max-loss)",
       cxxopts::value(resume), "DIR")
    ("h,help", "print this help");
  // clang-format on
  for (const auto& group : ml::rule_flag_groups()) ml::cli::add_flags(options, "--rule " + group.rules, group.flags);
  ml::cli::add_flags(options, "first-layer embedding", ml::conv1_flags());

  std::vector<const char*> argv{"ml-train"};
  for (const auto& a : arguments) argv.push_back(a.c_str());
  const int argc = static_cast<int>(argv.size());
  try {
    auto args = options.parse(argc, argv.data());
    for (const auto& kv : args.arguments()) parsed.given[kv.key()] = parsed.values[kv.key()] = kv.value();
    for (const auto& kv : args.defaults()) parsed.values.try_emplace(kv.key(), kv.value());
    if (args.count("help")) {
      parsed.help = options.help();
      return parsed;
    }
    if (!args.unmatched().empty()) throw std::invalid_argument("unexpected argument '" + args.unmatched()[0] + "'");
    c.progress = !args.count("no-progress");
    c.overwrite = args.count("overwrite") > 0;
    if (c.overwrite && !resume.empty())
      throw std::invalid_argument("--overwrite: not with --resume (a resume continues the run in its folder)");
    set_rule_options(args, parsed);
    c.conv1 = ml::conv1_options(ml::cli::given_flags(args, ml::conv1_flags()));
    c.out = resume.empty() ? c.out : resume;
    c.snapshots = ml::parse_snapshot_epochs(snapshots);
    if (c.arch == "pcn-wen" && args.count("pcn-size"))
      throw std::invalid_argument("--pcn-size: not with --arch pcn-wen (which is --arch pcn --pcn-size wen)");
    if (c.arch == "pcn" || c.arch == "pcn-wen") {
      // the spec, cycles included, is what config.json records
      c.arch = ml::pcn_arch(c.arch == "pcn-wen" ? "wen" : pcn_size, pcn_cycles);
    } else if (args.count("cycles") || args.count("pcn-size")) {
      throw std::invalid_argument(std::string(args.count("cycles") ? "--cycles" : "--pcn-size") +
                                  ": only for --arch pcn (got --arch '" + c.arch + "')");
    }
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    throw std::invalid_argument(ml::cli::name_bad_value(argc, argv.data(), e.what()));
  }
  c.command_line = arguments;
  return parsed;
}

// The same value written two ways ("0.01" and "1e-2") counts as the same.
bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char *end_a = nullptr, *end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

// --resume DIR: the run's own config, rebuilt from the arguments config.json
// keeps; a flag given now that disagrees with them is an error.
ml::TrainConfig resume_config(const Parsed& now) {
  const std::string dir = now.given.at("resume"), file = ml::RunDir(dir).config();
  std::ifstream in(file);
  if (!in) throw std::invalid_argument("--resume '" + dir + "': no " + file + " (not an ml-train output directory)");
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::invalid_argument(file + ": not valid JSON: " + e.what());
  }
  if (!config.is_object() || !config.contains("command_line") || !config["command_line"].is_array()) {
    throw std::invalid_argument(file + ": no \"command_line\" (written by an ml-train that could not resume)");
  }
  std::vector<std::string> arguments;
  for (const auto& a : config["command_line"]) {
    if (!a.is_string())
      throw std::invalid_argument(file + ": \"command_line\" holds " + a.dump() + ", not a string (an argument)");
    arguments.push_back(a.get<std::string>());
  }
  Parsed run;
  try {
    run = parse(arguments);
  } catch (const std::exception& e) {
    throw std::invalid_argument(file + ": \"command_line\": " + e.what());
  }
  if (!run.help.empty() || run.given.count("resume")) throw std::invalid_argument(file + ": bad \"command_line\"");
  const std::set<std::string> free = {"resume", "no-progress", "checkpoint-every", "max-loss"};
  for (const auto& [flag, value] : now.given) {
    if (free.count(flag)) continue;
    if (flag == "out") throw std::invalid_argument("--out: not with --resume (the run's directory is '" + dir + "')");
    const auto was = run.values.find(flag);
    const std::string before = was == run.values.end() ? "" : was->second;
    if (!same_value(value, before)) {
      throw std::invalid_argument("--" + flag + " '" + value + "': conflicts with the run in " + file + " (--" + flag +
                                  " '" + before + "'); --resume keeps the run's own settings");
    }
  }
  ml::TrainConfig c = run.config;
  c.out = dir;
  c.resume = true;
  c.progress = now.config.progress;
  if (now.given.count("checkpoint-every")) c.checkpoint_every = now.config.checkpoint_every;
  if (now.given.count("max-loss")) c.max_loss = now.config.max_loss;
  return c;
}

// For the resume line: DIR as the shell needs it.
std::string shell_quote(const std::string& s) {
  if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,") == std::string::npos)
    return s;
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

}  // namespace

int main(int argc, char** argv) {
  ml::TrainConfig c;
  try {
    const Parsed parsed = parse(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed.help.empty()) {
      std::cout << parsed.help << std::endl;
      return 0;
    }
    c = parsed.given.count("resume") ? resume_config(parsed) : parsed.config;
    ml::install_stop_handlers();
    ml::train(c);
  } catch (const ml::TrainingInterrupted& e) {
    std::fprintf(stderr, "ml-train: interrupted (%s); resume with: %s --resume %s\n", e.what(), argv[0],
                 shell_quote(c.out).c_str());
    return 128 + e.signal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ml-train: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
