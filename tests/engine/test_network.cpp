// Network: spec parsing, shape errors that name the layer, and the full
// network's backprop gradient against central differences of its loss.
#include <cmath>

#include "engine/network.h"
#include "rules/bp.h"
#include "engine_test_util.h"

using ml::Network;

using ml_test::make_batch;

TEST_CASE("the seed LeNet spec builds the PyTorch LeNet", "[network]") {
  Network net("lenet", {1, 28, 28}, 1);
  REQUIRE(net.size() == 9);
  CHECK(net.layer(0).name() == "conv1");
  CHECK(net.layer(8).name() == "fc2");
  CHECK(net.output_shape() == ml::Shape{10});
  // conv1 320 + conv2 18496 + fc1 1179776 + fc2 1290, as torchsummary reports for this net
  CHECK(net.num_parameters() == 1199882);
  CHECK(net.layer(5).output().empty());
}

TEST_CASE("an MLP spec builds", "[network]") {
  Network net("flatten-fc256-relu-fc10", {1, 28, 28}, 1);
  CHECK(net.num_parameters() == 784 * 256 + 256 + 256 * 10 + 10);
}

TEST_CASE("bad specs give one line naming the token or layer", "[network][errors]") {
  auto message = [](const std::string& spec, ml::Shape in) {
    try {
      Network net(spec, in, 1);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("conv32k3-relu-blah-fc10", {1, 28, 28}), Catch::Contains("'blah'"));
  CHECK_THAT(message("conv32k3-fc10", {1, 28, 28}), Catch::Contains("flatten"));
  CHECK_THAT(message("conv8k30-flatten-fc10", {1, 28, 28}), Catch::Contains("conv8k30"));
  CHECK_THAT(message("conv8k3-maxpool40-flatten-fc10", {1, 28, 28}), Catch::Contains("pool1"));
  CHECK_THAT(message("conv8k3--fc10", {1, 28, 28}), Catch::Contains("empty token"));
  CHECK_THAT(message("conv8k3", {1, 28, 28}), Catch::Contains("must end in a flat layer"));
  CHECK_THAT(message("fc0", {4}), Catch::Contains("width 0 is too small (at least 1)"));
}

TEST_CASE("backprop gradient of the whole network matches central differences", "[network][grad]") {
  const ml::Shape in = {2, 9, 9};
  Network net("conv4k3s2p1-relu-conv3k3p1-relu-maxpool2-flatten-fc6-relu-fc3", in, 7);
  ml::Batch batch = make_batch(in, 3, 11, 3);
  ml::Backprop bp;
  bp.compute_gradients(net, batch);

  ml::LogSoftmaxNLL loss;
  auto mean_loss = [&]() {
    auto r = loss.forward(net.forward(batch.x), batch.labels, batch.host_labels);
    return r.loss_sum / r.count;
  };
  int checked = 0, kinks = 0, bad = 0;
  for (ml::Param* p : net.params()) {
    const std::vector<float> grad = p->grad.to_vector();
    const size_t step = std::max<size_t>(1, p->value.numel() / 12);
    for (size_t i = 0; i < p->value.numel(); i += step) {
      float* w = p->value.data() + i;
      const float keep = *w, eps = 1e-3f;
      const double here = mean_loss();
      *w = keep + eps;
      const double up = mean_loss();
      *w = keep - eps;
      const double down = mean_loss();
      *w = keep;
      const double h_up = double(keep + eps) - keep, h_down = keep - double(keep - eps);
      const double right = (up - here) / h_up, left = (here - down) / h_down;
      const double fine = (up - down) / (h_up + h_down);
      ++checked;
      // One-sided slopes that disagree mean a ReLU or a max switched within
      // eps of w (a kink): such a point says nothing about the gradient.
      if (std::fabs(right - left) > 3e-4 + 0.02 * std::fabs(fine)) {
        ++kinks;
        continue;
      }
      // float forward: the loss carries ~1e-7 rounding, i.e. ~1e-4 / eps-sized noise
      if (std::fabs(grad[i] - fine) > 2e-4 + 2e-2 * std::fabs(fine)) {
        ++bad;
        WARN(p->name << "[" << i << "] analytic " << grad[i] << " numeric " << fine);
      }
    }
  }
  INFO(checked << " points checked, " << kinks << " at kinks skipped");
  CHECK(kinks < checked / 3);
  CHECK(checked > 60);
  CHECK(bad == 0);
}
