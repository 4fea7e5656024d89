// ml-record --cycles: a PCN block's states per cycle and pc's value nodes per
// inference step, against the normal recording (bit for bit), the same
// network run for fewer cycles, and double-precision re-runs written here
// from the equations (the PCN's levels; pc's inference with its step halving);
// recording leaves the run's files alone; the bad-input lines.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "datasets/npy.h"
#include "engine/checkpoint.h"
#include "engine/layers/pcn_block.h"
#include "engine/network.h"
#include "engine_test_util.h"
#include "rules/predictive_coding.h"
#include "synthetic_idx.h"
#include "test_util.h"
#include "training/recorder.h"
#include "training/trainer.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using ml_test::TempDir;

namespace {

using Vec = std::vector<double>;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::pair<int, std::string> run_record(const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "stderr.txt";
  const char* bin = std::getenv("ML_BINARY_DIR");
  const std::string cmd = std::string(bin ? bin : "..") + "/ml-record " + args + " 2> " + err.string() + " > /dev/null";
  const int status = std::system(cmd.c_str());
  return {WEXITSTATUS(status), slurp(err)};
}

Vec stored(const ml::Checkpoint& ck, const std::string& name) {
  const ml::Tensor* t = ck.find(name);
  REQUIRE(t);
  const auto v = t->to_vector();
  return {v.begin(), v.end()};
}

// Every file a run folder holds, with its bytes.
std::map<std::string, std::string> snapshot_folder(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[e.path().string()] = slurp(e.path());
  return files;
}

// ---- the PCN from its equations, in double, every level after every cycle ----

struct Dims {
  int N, C, H, W;
  size_t size() const { return static_cast<size_t>(N) * C * H * W; }
};

Dims conv_dims(const Dims& in, int K, int stride) {
  return {in.N, K, (in.H + 2 - 3) / stride + 1, (in.W + 2 - 3) / stride + 1};
}

// y = x (*) w (3x3, pad 1), or with transposed set the transposed conv y -> x through the same w.
void conv(Vec& x, Vec& y, const Vec& w, const Dims& in, int K, int stride, bool transposed) {
  const Dims o = conv_dims(in, K, stride);
  (transposed ? x : y).assign((transposed ? in : o).size(), 0.0);
  for (int n = 0; n < in.N; ++n)
    for (int k = 0; k < K; ++k)
      for (int p = 0; p < o.H; ++p)
        for (int q = 0; q < o.W; ++q)
          for (int c = 0; c < in.C; ++c)
            for (int r = 0; r < 3; ++r)
              for (int s = 0; s < 3; ++s) {
                const int h = p * stride + r - 1, v = q * stride + s - 1;
                if (h < 0 || h >= in.H || v < 0 || v >= in.W) continue;
                const double wv = w[((k * in.C + c) * 3 + r) * 3 + s];
                double& xv = x[((size_t(n) * in.C + c) * in.H + h) * in.W + v];
                double& yv = y[((size_t(n) * K + k) * o.H + p) * o.W + q];
                if (transposed)
                  xv += wv * yv;
                else
                  yv += wv * xv;
              }
}

// levels[t][l - 1]: r_l after cycle t (t = 0: the sweep), for stages (channels, stride).
std::vector<std::vector<Vec>> pcn_levels(const Vec& x, const Dims& in, const std::vector<std::pair<int, int>>& stages,
                                         int cycles, const ml::Checkpoint& ck) {
  const int L = static_cast<int>(stages.size());
  std::vector<Dims> d = {in};
  std::vector<Vec> ff, fb, a, b;
  for (int l = 1; l <= L; ++l) {
    d.push_back(conv_dims(d.back(), stages[l - 1].first, stages[l - 1].second));
    ff.push_back(stored(ck, "pcn1.ff" + std::to_string(l) + ".weight"));
    fb.push_back(stored(ck, "pcn1.fb" + std::to_string(l) + ".weight"));
    b.push_back(stored(ck, "pcn1.b" + std::to_string(l)));
    if (l < L) a.push_back(stored(ck, "pcn1.a" + std::to_string(l)));
  }
  auto relu = [](double v) { return v > 0 ? v : 0.0; };
  auto channel = [&](int l, size_t i) { return static_cast<int>((i / (size_t(d[l].H) * d[l].W)) % d[l].C); };
  auto ff_of = [&](Vec v, int l) {
    Vec y;
    conv(v, y, ff[l - 1], d[l - 1], stages[l - 1].first, stages[l - 1].second, false);
    return y;
  };
  auto fb_of = [&](Vec v, int l) {
    Vec below;
    conv(below, v, fb[l - 1], d[l - 1], stages[l - 1].first, stages[l - 1].second, true);
    return below;
  };
  std::vector<Vec> r(L + 1), p(L);
  r[0] = x;
  for (int l = 1; l <= L; ++l) {
    r[l] = ff_of(r[l - 1], l);
    for (double& v : r[l]) v = relu(v);
  }
  std::vector<std::vector<Vec>> out = {{r.begin() + 1, r.end()}};
  for (int t = 1; t <= cycles; ++t) {
    for (int l = L; l >= 2; --l) {
      p[l - 1] = fb_of(r[l], l);
      for (size_t i = 0; i < r[l - 1].size(); ++i) {
        const double al = std::max(a[l - 2][channel(l - 1, i)], 0.0);
        r[l - 1][i] = relu(al * p[l - 1][i] + (1 - al) * r[l - 1][i]);
      }
    }
    p[0] = fb_of(r[1], 1);
    for (int l = 1; l <= L; ++l) {
      Vec e(r[l - 1].size());
      for (size_t i = 0; i < e.size(); ++i) e[i] = r[l - 1][i] - p[l - 1][i];
      const Vec f = ff_of(e, l);
      for (size_t i = 0; i < r[l].size(); ++i) r[l][i] = relu(r[l][i] + std::max(b[l - 1][channel(l, i)], 0.0) * f[i]);
    }
    out.emplace_back(r.begin() + 1, r.end());
  }
  return out;
}

std::vector<float> as_float(const std::vector<double>& v) { return {v.begin(), v.end()}; }

ml::TrainConfig small_run(const fs::path& dir, const std::string& data_dir, const std::string& arch,
                          const std::string& rule, const std::string& name) {
  ml::TrainConfig t;
  t.data = "mnist";
  t.data_dir = data_dir;
  t.arch = arch;
  t.rule = rule;
  t.epochs = 1;
  t.batch = 20;
  t.device = "cpu";
  t.progress = false;
  t.out = (dir / name).string();
  return t;
}

}  // namespace

TEST_CASE("--cycles on a PCN: each cycle's block output and levels", "[record][cycles]") {
  TempDir dir("record-cycles-pcn");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 200, 100, 8);
  const ml::TrainConfig t = small_run(dir.path, data, "pcn4,6s2c3-gap-fc10", "bptt", "run");
  ml::train(t);
  const auto run_before = snapshot_folder(t.out);

  ml::RecordConfig c;
  c.checkpoint = t.out + "/model.safetensors";
  c.data_dir = data;
  c.probe = 20;
  c.batch = 7;  // batches that do not divide the probe
  c.device = "cpu";
  c.cycles = true;
  c.cycle_levels = true;
  c.out = t.out + "/acts";
  ml::record(c);
  fs::remove_all(c.out);  // what stays must be the run as training left it
  CHECK(snapshot_folder(t.out) == run_before);
  c.out = (dir.path / "acts").string();
  ml::record(c);

  std::string expect = "layer,cycle,file\n";
  for (int t2 = 0; t2 <= 3; ++t2)
    expect += "pcn1.r1," + std::to_string(t2) + ",pcn1.r1.cycle" + std::to_string(t2) + ".npy\n";
  for (int t2 = 0; t2 <= 3; ++t2)
    expect += "pcn1," + std::to_string(t2) + ",pcn1.cycle" + std::to_string(t2) + ".npy\n";
  CHECK(slurp(c.out + "/cycle_files.csv") == expect);
  const auto record_json = nlohmann::json::parse(slurp(c.out + "/record.json"));
  CHECK(record_json.at("cycles").at("index") == "cycle_files.csv");
  CHECK(record_json.at("cycles").at("sources").at(0).at("layers") == nlohmann::json({"pcn1.r1", "pcn1"}));
  // layers.txt lists the normal recording only
  CHECK(slurp(c.out + "/layers.txt") == "input\npcn1\ngap1\nfc1\n");

  const ml::NpyArray input = ml::read_npy(c.out + "/input.npy");
  const ml::NpyArray block = ml::read_npy(c.out + "/pcn1.npy");
  REQUIRE(input.shape == std::vector<int64_t>{20, 64});
  // the last cycle is the block's output, bit for bit
  CHECK(ml::read_npy(c.out + "/pcn1.cycle3.npy").data == block.data);

  // cycle t: the same weights in a network run for t cycles (t = 0: the plain
  // feedforward conv-relu net), on the same batches
  const ml::Checkpoint ck = ml::load_safetensors(c.checkpoint);
  for (int cycle = 0; cycle <= 3; ++cycle) {
    INFO("cycle " << cycle);
    ml::Network shorter("pcn4,6s2c" + std::to_string(cycle) + "-gap-fc10", {1, 8, 8}, 99);
    for (ml::Param* p : shorter.params()) ml::load_into(ck, p->name, p->value);
    std::vector<double> got;
    for (int begin = 0; begin < 20; begin += 7) {
      const int n = std::min(7, 20 - begin);
      const std::vector<float> x(input.data.begin() + begin * 64, input.data.begin() + (begin + n) * 64);
      shorter.forward(ml::Tensor::from_vector({n, 1, 8, 8}, x));
      for (float v : shorter.layer(0).output().to_vector()) got.push_back(v);
    }
    const ml::NpyArray file = ml::read_npy(c.out + "/pcn1.cycle" + std::to_string(cycle) + ".npy");
    CHECK(file.shape == std::vector<int64_t>{20, 6 * 4 * 4});
    CHECK(file.data == got);
  }

  // every level after every cycle against the PCN's equations in double
  const auto levels = pcn_levels(input.data, {20, 1, 8, 8}, {{4, 1}, {6, 2}}, 3, ck);
  for (int cycle = 0; cycle <= 3; ++cycle) {
    INFO("cycle " << cycle);
    const ml::NpyArray r1 = ml::read_npy(c.out + "/pcn1.r1.cycle" + std::to_string(cycle) + ".npy");
    CHECK(r1.shape == std::vector<int64_t>{20, 4 * 8 * 8});
    ml_test::require_close(as_float(r1.data), as_float(levels[cycle][0]), 1e-4, 1e-4, "r1");
    ml_test::require_close(as_float(ml::read_npy(c.out + "/pcn1.cycle" + std::to_string(cycle) + ".npy").data),
                           as_float(levels[cycle][1]), 1e-4, 1e-4, "r2");
  }
}

TEST_CASE("--cycles on pc: the value nodes after each inference step", "[record][cycles]") {
  TempDir dir("record-cycles-pc");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 200, 100, 8);
  ml::TrainConfig t = small_run(dir.path, data, "flatten-fc12-relu-fc8-relu-fc10", "pc", "run");
  const double beta = 0.1;
  t.rule_flags = {{"inference-steps", "6"}, {"inference-lr", "3"}, {"pc-beta", "0.1"}};
  ml::train(t);
  const auto run_before = snapshot_folder(t.out);

  ml::RecordConfig c;
  c.checkpoint = t.out + "/model.safetensors";
  c.data_dir = data;
  c.probe = 20;
  c.batch = 7;
  c.device = "cpu";
  c.cycles = true;
  c.out = (dir.path / "acts").string();
  ml::record(c);
  CHECK(snapshot_folder(t.out) == run_before);

  std::string expect = "layer,cycle,file\n";
  for (const char* layer : {"relu1", "relu2"})
    for (int s = 0; s <= 6; ++s)
      expect += std::string(layer) + "," + std::to_string(s) + "," + layer + ".step" + std::to_string(s) + ".npy\n";
  CHECK(slurp(c.out + "/cycle_files.csv") == expect);

  // step 0 is the forward pass: the normal recording, bit for bit
  CHECK(ml::read_npy(c.out + "/relu1.step0.npy").data == ml::read_npy(c.out + "/relu1.npy").data);
  CHECK(ml::read_npy(c.out + "/relu2.step0.npy").data == ml::read_npy(c.out + "/relu2.npy").data);

  const ml::Checkpoint ck = ml::load_safetensors(c.checkpoint);
  const Vec W1 = stored(ck, "fc1.weight"), b1 = stored(ck, "fc1.bias"), W2 = stored(ck, "fc2.weight"),
            b2 = stored(ck, "fc2.bias"), W3 = stored(ck, "fc3.weight"), b3 = stored(ck, "fc3.bias");
  const ml::NpyArray input = ml::read_npy(c.out + "/input.npy");
  const ml::NpyArray labels = ml::read_npy(c.out + "/labels.npy");
  auto affine = [](const Vec& W, const Vec& b, const Vec& x, int out, int in) {
    Vec y(out);
    for (int o = 0; o < out; ++o) {
      y[o] = b[o];
      for (int i = 0; i < in; ++i) y[o] += W[o * in + i] * x[i];
    }
    return y;
  };
  auto relu = [](Vec v) {
    for (double& x : v) x = std::max(x, 0.0);
    return v;
  };
  // The inference re-run in double from the energy's gradient, per batch of 7,
  // each batch from step size gamma0, halved as the rule does; against the
  // recording in out. Returns the halvings.
  auto check_steps = [&](const std::string& out, float gamma0) {
    std::vector<Vec> want1(7), want2(7);  // [step]: N x 12, N x 8
    int halvings = 0;
    for (int begin = 0; begin < 20; begin += 7) {
      const int n = std::min(7, 20 - begin);
      float gamma = gamma0;
      std::vector<Vec> x1(n), x2(n), mu1(n);
      for (int i = 0; i < n; ++i) {
        const Vec x0(input.data.begin() + (begin + i) * 64, input.data.begin() + (begin + i + 1) * 64);
        mu1[i] = relu(affine(W1, b1, x0, 12, 64));
        x1[i] = mu1[i];
        x2[i] = relu(affine(W2, b2, x1[i], 8, 12));
      }
      // energy per sample; with grads, each node's dE/dx
      auto energy = [&](std::vector<Vec>* g1, std::vector<Vec>* g2) {
        double e = 0;
        for (int i = 0; i < n; ++i) {
          const Vec mu2 = relu(affine(W2, b2, x1[i], 8, 12));
          const Vec z = affine(W3, b3, x2[i], 10, 8);
          const double zmax = *std::max_element(z.begin(), z.end());
          double se = 0;
          for (double v : z) se += std::exp(v - zmax);
          const int y = static_cast<int>(labels.data[begin + i]);
          e += beta * (std::log(se) + zmax - z[y]);
          Vec eps1(12), eps2(8), dz(10);
          for (int j = 0; j < 12; ++j) e += 0.5 * std::pow(eps1[j] = x1[i][j] - mu1[i][j], 2);
          for (int j = 0; j < 8; ++j) e += 0.5 * std::pow(eps2[j] = x2[i][j] - mu2[j], 2);
          for (int k = 0; k < 10; ++k) dz[k] = std::exp(z[k] - zmax) / se - (k == y);
          if (!g1) continue;
          (*g1)[i] = eps1;  // dE/dx1 = eps1 - J2^T eps2, J2 = relu'(fc2) W2
          for (int k = 0; k < 8; ++k)
            if (mu2[k] > 0)
              for (int j = 0; j < 12; ++j) (*g1)[i][j] -= W2[k * 12 + j] * eps2[k];
          (*g2)[i] = eps2;  // dE/dx2 = eps2 + beta W3^T dCE/dz
          for (int k = 0; k < 10; ++k)
            for (int j = 0; j < 8; ++j) (*g2)[i][j] += beta * W3[k * 8 + j] * dz[k];
        }
        return e / n;
      };
      auto keep = [&](int step) {
        for (int i = 0; i < n; ++i) {
          want1[step].insert(want1[step].end(), x1[i].begin(), x1[i].end());
          want2[step].insert(want2[step].end(), x2[i].begin(), x2[i].end());
        }
      };
      double previous = energy(nullptr, nullptr);
      keep(0);
      for (int step = 1; step <= 6; ++step) {
        std::vector<Vec> g1(n), g2(n);
        energy(&g1, &g2);
        for (int i = 0; i < n; ++i) {
          for (int j = 0; j < 12; ++j) x1[i][j] -= gamma * g1[i][j];
          for (int j = 0; j < 8; ++j) x2[i][j] -= gamma * g2[i][j];
        }
        const double e = energy(nullptr, nullptr);
        if (e > previous * (1 + 1e-4)) {
          gamma *= 0.5f;
          ++halvings;
        }
        previous = e;
        keep(step);
      }
    }
    for (int step = 0; step <= 6; ++step) {
      INFO("step " << step);
      const ml::NpyArray r1 = ml::read_npy(out + "/relu1.step" + std::to_string(step) + ".npy");
      const ml::NpyArray r2 = ml::read_npy(out + "/relu2.step" + std::to_string(step) + ".npy");
      CHECK(r1.shape == std::vector<int64_t>{20, 12});
      CHECK(r2.shape == std::vector<int64_t>{20, 8});
      ml_test::require_close(as_float(r1.data), as_float(want1[step]), 1e-5, 1e-4, "relu1");
      ml_test::require_close(as_float(r2.data), as_float(want2[step]), 1e-5, 1e-4, "relu2");
    }
    // the inference moved the nodes: the later steps are not the forward pass
    CHECK(want2[6] != want2[0]);
    return halvings;
  };

  // training halved its step (from 3): the recording starts where training left it
  const auto state =
      nlohmann::json::parse(ml::load_safetensors(t.out + "/train_state.safetensors").metadata.at("progress"));
  const float trained_step = state.at("rule").at("inference_lr").get<float>();
  CHECK(trained_step < 3.0f);
  const int halvings = check_steps(c.out, trained_step);
  auto source = nlohmann::json::parse(slurp(c.out + "/record.json")).at("cycles").at("sources").at(0);
  CHECK(source.at("kind") == "pc");
  CHECK(source.at("inference_lr").get<float>() == trained_step);
  CHECK(source.at("inference_lr_from") == "train_state.safetensors");
  CHECK(source.at("inference_lr_halvings") == halvings);

  // without a training state, from --inference-lr 3: the recording halves the step, each batch afresh
  fs::remove(t.out + "/train_state.safetensors");
  c.out = (dir.path / "acts_from_config").string();
  ml::record(c);
  const int halvings_from_config = check_steps(c.out, 3.0f);
  CHECK(halvings_from_config > 0);
  source = nlohmann::json::parse(slurp(c.out + "/record.json")).at("cycles").at("sources").at(0);
  CHECK(source.at("inference_lr").get<float>() == 3.0f);
  CHECK(source.at("inference_lr_from") == "config.json");
  CHECK(source.at("inference_lr_halvings") == halvings_from_config);
}

TEST_CASE("pc's step observer changes nothing the rule computes", "[record][cycles]") {
  const ml::Shape in = {1, 6, 6};
  ml::Batch batch = ml_test::make_batch(in, 9, 4, 10);
  std::vector<std::vector<float>> grads[2];
  float step[2];
  int calls = 0;
  for (int observed = 0; observed < 2; ++observed) {
    ml::Network net("flatten-fc10-relu-fc7-relu-fc10", in, 3);
    ml::PredictiveCoding rule({5, 4.0f, 0.1f});  // a large step: the inference halves it
    rule.attach(net, 1);
    if (observed)
      rule.set_step_observer([&](int, const std::vector<ml::Tensor>& x) { calls += static_cast<int>(x.size()); });
    rule.compute_gradients(net, batch);
    for (ml::Param* p : net.params()) grads[observed].push_back(p->grad.to_vector());
    step[observed] = rule.inference_lr();
  }
  CHECK(calls == 6 * 2);  // steps 0..5, two free value nodes
  CHECK(step[0] < 4.0f);
  CHECK(step[1] == step[0]);
  CHECK(grads[1] == grads[0]);
}

TEST_CASE("ml-record --cycles: bad input gives one line, exit code 1, nothing written", "[record][cycles]") {
  TempDir dir("record-cycles-bad");
  const std::string data = ml_test::write_synthetic_idx((dir.path / "data").string(), 100, 50, 8);
  const ml::TrainConfig bp = small_run(dir.path, data, "flatten-fc10", "bp", "bp");
  ml::train(bp);
  ml::TrainConfig pc = small_run(dir.path, data, "flatten-fc8-relu-fc10", "pc", "pc");
  ml::train(pc);
  fs::create_directories(dir.path / "lone");
  fs::copy_file(pc.out + "/model.safetensors", dir.path / "lone" / "model.safetensors");
  ml::TrainConfig pc_flat = small_run(dir.path, data, "flatten-fc10", "pc", "pc_flat");
  ml::train(pc_flat);

  const std::string tail = " --data-dir " + data + " --device cpu --probe 10 --out " + (dir.path / "bad").string();
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {bp.out + "/model.safetensors --cycles" + tail, "has no PCN block and its rule 'bp' is not pc"},
      {pc_flat.out + "/model.safetensors --cycles" + tail, "no hidden value node for rule pc"},
      {(dir.path / "lone" / "model.safetensors").string() + " --cycles" + tail, "config.json"},
      {pc.out + "/model.safetensors --cycle-levels" + tail, "--cycle-levels: only with --cycles"},
  };
  for (const auto& k : cases) {
    auto [code, err] = run_record(k.args, dir.path);
    INFO("ml-record " << k.args << "\nstderr: " << err);
    CHECK(code == 1);
    CHECK_THAT(err, StartsWith(k.expect.rfind("--cycle-levels", 0) == 0 ? "ml-record: error: --cycle-levels: "
                                                                        : "ml-record: error: --cycles: "));
    CHECK_THAT(err, Contains(k.expect));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(dir.path / "bad"));
  }
}
