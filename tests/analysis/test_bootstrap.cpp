#include "test_util.h"

#include <cmath>
#include <set>

#include "analysis/bootstrap.h"

using namespace ml;

TEST_CASE("percentile_interval matches numpy.percentile's linear method", "[bootstrap]") {
  // numpy.percentile([1..10], [2.5, 97.5]) = [1.225, 9.775], worked by hand: pos = 0.025 * 9 = 0.225.
  std::vector<double> v{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  const BootstrapInterval i = percentile_interval(v);
  CHECK(i.low == Approx(1.225));
  CHECK(i.high == Approx(9.775));
  v.push_back(std::nan(""));
  CHECK(percentile_interval(v).low == Approx(1.225));
  CHECK(percentile_interval(v).draws == 10);
}

TEST_CASE("bootstrap resamples are deterministic, in range and differ between draws", "[bootstrap]") {
  const auto a = bootstrap_resample(50, 3, 7), b = bootstrap_resample(50, 3, 7), c = bootstrap_resample(50, 4, 7);
  CHECK(a == b);
  CHECK(a != c);
  std::set<int64_t> distinct(a.begin(), a.end());
  CHECK(distinct.size() < 50);  // with replacement: P(all distinct) = 50!/50^50, never
  for (int64_t i : a) CHECK((i >= 0 && i < 50));
}

TEST_CASE("bootstrap of the mean covers the mean and rejects no draws", "[bootstrap]") {
  std::vector<double> x(200);
  for (int i = 0; i < 200; ++i) x[i] = i % 7;
  double mean = 0;
  for (double v : x) mean += v / 200;
  const auto interval = bootstrap(200, 500, 1, [&](const std::vector<int64_t>& idx) {
    double s = 0;
    for (int64_t i : idx) s += x[i];
    return s / idx.size();
  });
  CHECK(interval.low < mean);
  CHECK(interval.high > mean);
  CHECK(interval.high - interval.low < 1.0);  // sd of the mean ~ 2 / sqrt(200) = 0.14
  CHECK(interval.draws == 500);
  CHECK_THROWS(bootstrap(200, 0, 1, [](const std::vector<int64_t>&) { return 0.0; }));
}
