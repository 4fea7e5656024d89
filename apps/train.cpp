// ml-train: train one network with one learning rule on one data set.
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

#include "engine/layers/pcn_block.h"
#include "base/stop_signal.h"
#include "training/trainer.h"
#include "rules/learning_rule.h"

namespace {

// cxxopts says "Argument 'two' failed to parse" without the flag: find the flag
// that the bad value belongs to.
std::string name_bad_value(int argc, const char* const* argv, const std::string& message) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq != std::string::npos && arg.rfind("--", 0) == 0 && message.find("‘" + arg.substr(eq + 1) + "’") != std::string::npos) {
      return arg.substr(0, eq) + " '" + arg.substr(eq + 1) + "': not a valid value";
    }
    if (i > 1 && std::string(argv[i - 1]).rfind("--", 0) == 0 && message.find("‘" + arg + "’") != std::string::npos) {
      return std::string(argv[i - 1]) + " '" + arg + "': not a valid value";
    }
  }
  return message;
}

// One parse of a command line: the config, and each flag's value as text, for
// comparing a resumed run's flags with those of the run it continues.
struct Parsed {
  ml::TrainConfig config;
  std::map<std::string, std::string> given;   // the flags on the command line
  std::map<std::string, std::string> values;  // every flag: given or its default
  std::string help;                           // set when --help was asked for
};

Parsed parse(const std::vector<std::string>& arguments) {
  Parsed parsed;
  ml::TrainConfig& c = parsed.config;
  int pcn_cycles = ml::kPcnDefaultCycles;
  std::string pcn_size = "small";
  std::string rules, resume;
  // not the struct's defaults: cxxopts appends a given list to what is there
  std::vector<int> feedback_steps;
  std::vector<float> feedback_lr;
  std::vector<float> mirror_lr, mirror_decay;
  std::vector<int> mirror_samples;
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
    ("arch", "network: 'lenet', 'pcn' (see --pcn-size, --cycles) or a spec such as conv32k3-relu-maxpool2-flatten-fc10 "
             "(tokens conv<K>k<R>[s<S>][p<P>], fc<N>, relu, maxpool<k>[s<S>], flatten)",
       cxxopts::value(c.arch)->default_value(c.arch))
    ("cycles", "--arch pcn: recurrent cycles K of the predictive coding network (0: feedforward only)",
       cxxopts::value(pcn_cycles)->default_value(std::to_string(pcn_cycles)))
    ("pcn-size", "--arch pcn: small (fits 28x28 grey and 32x32 colour) or paper (Wen et al.'s 8 levels, 64..512)",
       cxxopts::value(pcn_size)->default_value(pcn_size))
    ("epochs", "training epochs", cxxopts::value(c.epochs)->default_value(std::to_string(c.epochs)))
    ("batch", "minibatch size", cxxopts::value(c.batch)->default_value(std::to_string(c.batch)))
    ("test-batch", "batch size for evaluating the test set", cxxopts::value(c.test_batch)->default_value("1000"))
    ("limit", "train on the first N training samples only (0 or more than the set holds: all; the test set stays whole)",
       cxxopts::value(c.limit)->default_value("0"))
    ("optimizer", "sgd or adam", cxxopts::value(c.optimizer.name)->default_value("sgd"))
    ("lr", "learning rate", cxxopts::value(c.optimizer.lr)->default_value("0.01"))
    ("lr-schedule", "constant, or cosine: --lr * (1 + cos(pi t / T)) / 2 at batch t of the run's T batches",
       cxxopts::value(c.optimizer.lr_schedule)->default_value("constant"))
    ("momentum", "SGD momentum", cxxopts::value(c.optimizer.momentum)->default_value("0.9"))
    ("weight-decay", "L2 weight decay (added to the gradient, as PyTorch)",
       cxxopts::value(c.optimizer.weight_decay)->default_value("0"))
    ("clip-grad-norm", "scale the gradients down to this global L2 norm when they exceed it, before the update "
                       "(PyTorch's clip_grad_norm_; 0: off)",
       cxxopts::value(c.optimizer.clip_grad_norm)->default_value("0"))
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
    ("feedback-magnitude", "sign-symmetry: uniform (uSF, sqrt(2/(fan_in+fan_out))), random (frSF, |M|, M fixed random) or batchwise (brSF, |M|, M redrawn every batch)",
       cxxopts::value(c.rule_options.feedback_magnitude)->default_value("uniform"))
    ("kp-decay", "kolen-pollack: weight decay lambda on W and B (B - W shrinks by 1 - lr*lambda per step)",
       cxxopts::value(c.rule_options.kp_decay)->default_value("0.001"))
    ("mirror-lr", "weight-mirror: eta_B (B -> (mirror-lr / mirror-decay) W); one value, or comma-separated, one "
                  "per layer with a feedback weight from the bottom up (as --mirror-decay, --mirror-samples)",
       cxxopts::value(mirror_lr)->default_value("0.001"))
    ("mirror-decay", "weight-mirror: lambda_B, B's decay per mirror step (B averages W over ~1/lambda_B steps)",
       cxxopts::value(mirror_decay)->default_value("0.001"))
    ("mirror-noise", "weight-mirror: probe amplitude, x ~ a * U(-0.5, 0.5)",
       cxxopts::value(c.rule_options.mirror_noise)->default_value("0.1"))
    ("mirror-samples", "weight-mirror: probe samples per batch",
       cxxopts::value(mirror_samples)->default_value("32"))
    ("mirror-fan-in-ratio", "weight-mirror: at least this many probe input/output pairs per layer and step, as a "
                            "multiple of the layer's fan-in (a conv layer's output positions count as pairs)",
       cxxopts::value(c.rule_options.mirror_fan_in_ratio)->default_value("0"))
    ("mirror-steps", "weight-mirror: mirror-only steps before training (the mirror phase)",
       cxxopts::value(c.rule_options.mirror_steps)->default_value("1000"))
    ("inference-steps", "pc: relaxation steps T of the value nodes per batch (a batch costs ~ (2T + 3) / 3 x bp's; "
                        "more steps bring the updates closer to bp's gradient)",
       cxxopts::value(c.rule_options.inference_steps)->default_value("10"))
    ("inference-lr", "pc: step size of each relaxation step, x <- x - step * dE/dx (too large diverges: an error)",
       cxxopts::value(c.rule_options.inference_lr)->default_value("0.5"))
    ("pc-beta", "pc: weight beta of the cross-entropy as the top energy term (the output target's nudge "
                "logits - beta dloss/dlogits); updates are divided by beta, small beta is closer to bp",
       cxxopts::value(c.rule_options.pc_beta)->default_value("0.1"))
    ("perturbation-sigma", "weight-perturbation, node-perturbation: std of the Gaussian noise on the weights / "
                           "the conv and fc outputs (pre-activations)",
       cxxopts::value(c.rule_options.perturbation_sigma)->default_value("0.001"))
    ("perturbations", "weight-perturbation, node-perturbation: K noise draws per batch, averaged (node: one forward "
                      "over K + 1 copies of the batch; weight: K + 1 forward passes)",
       cxxopts::value(c.rule_options.perturbations)->default_value("1"))
    ("antithetic", "weight-perturbation, node-perturbation: evaluate each draw at +noise and -noise (central "
                   "difference; twice the perturbed passes)",
       cxxopts::value(c.rule_options.antithetic))
    ("tp-eta-hat", "dtp, ddtp, ldrl: output target step, t_L = h_L - eta_hat * dloss/dh_L per sample",
       cxxopts::value(c.rule_options.tp_eta_hat)->default_value("0.06"))
    ("tp-noise", "dtp, ddtp, ldrl: sigma of the feedback losses' Gaussian noise",
       cxxopts::value(c.rule_options.tp_noise)->default_value("0.09"))
    ("feedback-lr", "dtp, ddtp, ldrl: learning rate of the feedback weights, for every feedback map, or "
                    "comma-separated one per map from the bottom up",
       cxxopts::value(feedback_lr)->default_value("0.00016"))
    ("feedback-optimizer", "dtp, ddtp, ldrl: sgd (momentum 0.9) or adam, for the feedback weights",
       cxxopts::value(c.rule_options.feedback_optimizer)->default_value("adam"))
    ("feedback-weight-decay", "dtp, ddtp, ldrl: L2 weight decay on the feedback weights",
       cxxopts::value(c.rule_options.feedback_weight_decay)->default_value("0"))
    ("feedback-steps", "dtp, ddtp, ldrl: feedback updates per batch, for every feedback map, or comma-separated "
                       "one per map from the bottom up (ldrl on the seed LeNet: conv2,fc1,fc2)",
       cxxopts::value(feedback_steps)->default_value("1"))
    ("feedback-pretrain-epochs", "dtp, ddtp, ldrl: feedback-only passes over the training set before epoch 1",
       cxxopts::value(c.rule_options.feedback_pretrain_epochs)->default_value("1"))
    ("conv1", "first-layer embedding: learned (trained like any layer), gabor, dog, random (the default init), "
              "pca, nmf or hebbian; every fixed bank's filters are scaled to the default init's expected L2 norm "
              "1/sqrt(3) with bias 0", cxxopts::value(c.conv1.kind)->default_value(c.conv1.kind))
    ("freeze-conv1", "never update conv1.weight and conv1.bias (the optimizer skips them)")
    ("conv1-patches", "pca, nmf, hebbian: random patches drawn from the training set",
       cxxopts::value(c.conv1.patches)->default_value(std::to_string(c.conv1.patches)))
    ("gabor-orientations", "gabor: orientations, theta = i*pi/N", cxxopts::value(c.conv1.gabor.orientations)->default_value("8"))
    ("gabor-phases", "gabor: phases i*pi/2, i < N (1..4)", cxxopts::value(c.conv1.gabor.phases)->default_value("2"))
    ("gabor-wavelengths", "gabor: wavelengths in pixels, comma-separated (default: enough to fill the channels, "
                          "geometric in [2.5, max(2.5, 1.5 R)])", cxxopts::value(c.conv1.gabor.wavelengths))
    ("gabor-sigma-ratio", "gabor: envelope sigma / wavelength", cxxopts::value(c.conv1.gabor.sigma_ratio)->default_value("0.56"))
    ("gabor-gamma", "gabor: envelope aspect ratio", cxxopts::value(c.conv1.gabor.gamma)->default_value("1"))
    ("dog-scales", "dog: centre sigmas, each on and off centre (0: channels / 2)",
       cxxopts::value(c.conv1.dog.scales)->default_value("0"))
    ("dog-sigma-min", "dog: smallest centre sigma (pixels)", cxxopts::value(c.conv1.dog.sigma_min)->default_value("0.5"))
    ("dog-sigma-max", "dog: largest centre sigma (0: max(sigma-min, R/3))",
       cxxopts::value(c.conv1.dog.sigma_max)->default_value("0"))
    ("dog-ratio", "dog: surround sigma / centre sigma", cxxopts::value(c.conv1.dog.ratio)->default_value("2"))
    ("nmf-objective", "nmf: frobenius or kl", cxxopts::value(c.conv1.nmf_objective)->default_value("frobenius"))
    ("nmf-iterations", "nmf: multiplicative updates", cxxopts::value(c.conv1.nmf_iterations)->default_value("200"))
    ("hebbian-p", "hebbian: Lebesgue norm p of the weights", cxxopts::value(c.conv1.hebbian.p)->default_value("3"))
    ("hebbian-delta", "hebbian: anti-Hebbian strength", cxxopts::value(c.conv1.hebbian.delta)->default_value("0.4"))
    ("hebbian-k", "hebbian: rank of the unit pushed away", cxxopts::value(c.conv1.hebbian.k)->default_value("2"))
    ("hebbian-epochs", "hebbian: passes over the patches", cxxopts::value(c.conv1.hebbian.epochs)->default_value("10"))
    ("hebbian-lr", "hebbian: initial learning rate (decays linearly to 0)",
       cxxopts::value(c.conv1.hebbian.lr)->default_value("0.02"))
    ("seed", "random seed (initial weights, data order)", cxxopts::value(c.seed)->default_value("1"))
    ("device", "cpu, cuda or auto (cuda when a GPU is present)", cxxopts::value(c.device)->default_value("auto"))
    ("out", "output directory", cxxopts::value(c.out)->default_value(c.out))
    ("no-progress", "no progress line on stderr")
    ("checkpoint-every", "also save the training state (train_state.safetensors) every N batches; it is saved at "
                         "every epoch's end anyway", cxxopts::value(c.checkpoint_every)->default_value("0"))
    ("max-loss", "stop (as diverged: an error, the last good state kept) when a batch's mean train loss exceeds "
                 "this (0: only when it becomes NaN or infinite; ln(classes) is chance)",
       cxxopts::value(c.max_loss)->default_value("0"))
    ("resume", "continue the interrupted run in DIR from its last training state, bit for bit as if never "
               "stopped; its settings come from DIR/config.json (other flags: only --no-progress, --checkpoint-every, "
               "--max-loss)",
       cxxopts::value(resume), "DIR")
    ("h,help", "print this help");
  // clang-format on

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
    c.conv1.freeze = args.count("freeze-conv1") > 0;
    c.rule_options.feedback_steps = feedback_steps;
    c.rule_options.feedback_lr = feedback_lr;
    c.rule_options.mirror_lr = mirror_lr;
    c.rule_options.mirror_decay = mirror_decay;
    c.rule_options.mirror_samples = mirror_samples;
    c.out = resume.empty() ? c.out : resume;
    if (c.arch == "pcn") {
      c.arch = ml::pcn_arch(pcn_size, pcn_cycles);  // the spec, cycles included, is what config.json records
    } else if (args.count("cycles") || args.count("pcn-size")) {
      throw std::invalid_argument(std::string(args.count("cycles") ? "--cycles" : "--pcn-size") +
                                  ": only for --arch pcn (got --arch '" + c.arch + "')");
    }
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    throw std::invalid_argument(name_bad_value(argc, argv.data(), e.what()));
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
  const std::string dir = now.given.at("resume"), file = dir + "/config.json";
  std::ifstream in(file);
  if (!in) throw std::invalid_argument("--resume '" + dir + "': no " + file + " (not an ml-train output directory)");
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::invalid_argument(file + ": not valid JSON: " + e.what());
  }
  if (!config.contains("command_line") || !config["command_line"].is_array()) {
    throw std::invalid_argument(file + ": no \"command_line\" (written by an ml-train that could not resume)");
  }
  const auto arguments = config["command_line"].get<std::vector<std::string>>();
  const Parsed run = parse(arguments);
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
