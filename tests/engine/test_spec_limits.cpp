// --arch specs: every numeric field of every token is checked (zero, too big,
// not a whole number), and a layer's parameters and its output per image are
// sized before anything is allocated, each refusal one line naming --arch,
// the token and the limit. The specs here that break a size limit would
// otherwise allocate gigabytes, so none of them is ever built for real.
#include <string>

#include "engine/layers/pcn_block.h"
#include "engine/network.h"
#include "engine/spec_limits.h"
#include "test_util.h"

using ml::Network;

namespace {

std::string message(const std::string& spec, const ml::Shape& in) {
  return ml_test::error_of<std::invalid_argument>([&] { Network net(spec, in, 1); });
}

// The message names --arch with the whole spec, the token and, where given, the limit.
void check_refused(const std::string& spec, const ml::Shape& in, const std::string& token, const std::string& why) {
  const std::string m = message(spec, in);
  INFO(spec << " -> " << m);
  CHECK_THAT(m, Catch::StartsWith("--arch '" + spec + "': "));
  CHECK_THAT(m, Catch::Contains("'" + token + "'"));
  CHECK_THAT(m, Catch::Contains(why));
}

}  // namespace

TEST_CASE("the limits are the stated numbers", "[network][limits]") {
  CHECK(ml::kMaxSpecChannels == 65536);
  CHECK(ml::kMaxSpecWindow == 1024);
  CHECK(ml::kMaxLayerParams == 268435456);  // 2^28
  CHECK(ml::kMaxActivation == 16777216);    // 2^24
}

TEST_CASE("every numeric field of a spec token is checked", "[network][limits]") {
  const ml::Shape mnist = {1, 28, 28};
  // a number past any integer type: once "stol", now the field and its limit
  check_refused("flatten-fc99999999999999999999-relu-fc10", mnist, "fc99999999999999999999",
                "width 99999999999999999999 is too large (at most 65536)");
  check_refused("flatten-fc65537-relu-fc10", mnist, "fc65537", "width 65537 is too large (at most 65536)");
  check_refused("flatten-fc0", mnist, "fc0", "width 0 is too small (at least 1)");
  check_refused("flatten-fc1.5-fc10", mnist, "fc1.5", "expected fc<N>");
  check_refused("flatten-fcx-fc10", mnist, "fcx", "expected fc<N>");

  check_refused("conv100000k3-relu-flatten-fc10", mnist, "conv100000k3",
                "channels 100000 is too large (at most 65536)");
  check_refused("conv0k3-relu-flatten-fc10", mnist, "conv0k3", "channels 0 is too small (at least 1)");
  check_refused("conv8k0-relu-flatten-fc10", mnist, "conv8k0", "kernel 0 is too small (at least 1)");
  check_refused("conv8k1025-relu-flatten-fc10", mnist, "conv8k1025", "kernel 1025 is too large (at most 1024)");
  check_refused("conv8k3s0-relu-flatten-fc10", mnist, "conv8k3s0", "stride 0 is too small (at least 1)");
  check_refused("conv8k3s99999999999-relu-flatten-fc10", mnist, "conv8k3s99999999999",
                "stride 99999999999 is too large (at most 1024)");
  check_refused("conv8k3p99999999999999999999-relu-flatten-fc10", mnist, "conv8k3p99999999999999999999",
                "padding 99999999999999999999 is too large (at most 1024)");
  check_refused("conv8k3q2-relu-flatten-fc10", mnist, "conv8k3q2", "expected conv<K>k<R>[s<S>][p<P>]");
  check_refused("conv8-relu-flatten-fc10", mnist, "conv8", "expected conv<K>k<R>[s<S>][p<P>]");

  check_refused("conv8k3-maxpool0-flatten-fc10", mnist, "maxpool0", "window 0 is too small (at least 1)");
  check_refused("conv8k3-maxpool2s0-flatten-fc10", mnist, "maxpool2s0", "stride 0 is too small (at least 1)");
  check_refused("conv8k3-maxpool99999999999-flatten-fc10", mnist, "maxpool99999999999",
                "window 99999999999 is too large (at most 1024)");
  check_refused("conv8k3-maxpoolx-flatten-fc10", mnist, "maxpoolx", "expected maxpool<k>[s<S>]");

  check_refused("pcn99999999999c1-gap-fc10", mnist, "pcn99999999999c1",
                "channels 99999999999 is too large (at most 65536)");
  check_refused("pcn8,0c1-gap-fc10", mnist, "pcn8,0c1", "channels 0 is too small (at least 1)");
  check_refused("pcn8s3c1-gap-fc10", mnist, "pcn8s3c1", "stride 3 is too large (at most 2)");
  check_refused("pcn8c99999999999-gap-fc10", mnist, "pcn8c99999999999",
                "cycles 99999999999 is too large (at most 1000)");

  // --arch pcn --cycles N spells the cycles into the spec: the same limit, named by its flag
  CHECK_THAT(ml_test::error_of<std::invalid_argument>([] { ml::pcn_arch("small", 1001); }),
             Catch::StartsWith("--cycles 1001: must be 0..1000"));
  CHECK_NOTHROW(ml::pcn_arch("small", 1000));

  // a zero padding is a real setting, and the largest fields are still accepted
  CHECK_NOTHROW(Network("conv2k3p0-relu-flatten-fc10", mnist, 1));
  CHECK_NOTHROW(Network("conv1k1s1024p1024-flatten-fc10", mnist, 1));
}

TEST_CASE("a layer's parameters and output per image are sized before allocating", "[network][limits]") {
  // fc 65536 x 65536: 2^32 weights, over 2^28 (the first fc65536 on one pixel is small)
  check_refused("flatten-fc65536-relu-fc65536-relu-fc10", {1, 1, 1}, "fc65536",
                "4295032832 parameters, more than 268435456");
  // conv 65536 -> 65536 channels, 3 x 3: 38654771200 + 65536 parameters
  check_refused("conv65536k3p1-conv65536k3p1-flatten-fc10", {1, 3, 3}, "conv65536k3p1",
                "38654771200 parameters, more than 268435456");
  // fc65536 on 64 x 28 x 28 = 50176 values: 3288334336 weights + 65536 biases
  check_refused("conv64k3p1-flatten-fc65536", {1, 28, 28}, "fc65536", "3288399872 parameters, more than 268435456");
  // 64 x 2028 x 2028 = 263218176 values per image, over 2^24
  check_refused("conv64k1p1000-flatten-fc10", {1, 28, 28}, "conv64k1p1000",
                "263218176 values per image, more than 16777216");
  // a PCN block, one parameter count for the whole block: level 1 has two 3x3 convs of 65536 x 1 (2 x 589824),
  // level 2 two of 65536 x 65536 (2 x 38654705664), and three rates of 65536 (a1, b1, b2)
  check_refused("pcn65536,65536c1-gap-fc10", {1, 4, 4}, "pcn65536,65536c1",
                "77310787584 parameters, more than 268435456");
  // its first level, 65536 x 28 x 28 = 51380224 values per image
  check_refused("pcn65536c1-gap-fc10", {1, 28, 28}, "pcn65536c1", "51380224 values per image, more than 16777216");
}
