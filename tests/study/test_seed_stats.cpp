// Seed statistics against published t quantiles and a hand-worked interval.
#include "study/seed_stats.h"
#include "test_util.h"

TEST_CASE("t quantiles match the published table and the normal limit", "[seeds]") {
  // Student's t, 0.975 quantile (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
  CHECK(ml::t_quantile_975(1) == Approx(12.706).epsilon(1e-4));
  CHECK(ml::t_quantile_975(2) == Approx(4.303).epsilon(1e-4));
  CHECK(ml::t_quantile_975(10) == Approx(2.228).epsilon(1e-4));
  CHECK(ml::t_quantile_975(40) == Approx(2.021).epsilon(5e-4));
  CHECK(ml::t_quantile_975(100) == Approx(1.984).epsilon(5e-4));
  CHECK(ml::t_quantile_975(100000) == Approx(1.960).epsilon(5e-4));
}

TEST_CASE("mean_interval by hand", "[seeds]") {
  // {1, 2, 3}: mean 2, sd 1, half-width t(2) / sqrt(3) = 4.303 / 1.7321 = 2.4843.
  const ml::MeanInterval m = ml::mean_interval({1, 2, 3, NAN});
  CHECK(m.n == 3);
  CHECK(m.mean == Approx(2));
  CHECK(m.sd == Approx(1));
  CHECK(m.low == Approx(2 - 2.4843).epsilon(1e-4));
  CHECK(m.high == Approx(2 + 2.4843).epsilon(1e-4));
  const ml::MeanInterval one = ml::mean_interval({0.5});
  CHECK(one.mean == 0.5);
  CHECK(std::isnan(one.sd));
  CHECK(std::isnan(one.low));
}
