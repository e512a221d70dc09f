// MeasureCompactness on a random tiny Qwen3: units, determinism, the twin's scale, and the sign
// of Δr / ΔE_k when one projection is made low-rank (what training does to a layer).
#include "analysis/compactness.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/proxy_rules.h"
#include "core/rng.h"
#include "io/model_loader.h"
#include "io/random_model.h"
#include "test_util.h"

namespace lieq {
namespace {

// A random layer against random twins of the same distribution: Δr is sampling noise, largest
// for the 16-wide o heads (measured up to 0.15 with 64 tokens); far from a low-rank layer's ~0.9.
constexpr double kRandomVsRandomTolerance = 0.25;
// Δr is scale-invariant: only the rounding of the single-precision spectra differs (measured
// 5e-8 on this model).
constexpr double kScaleInvarianceTolerance = 1e-6;

class CompactnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = testing::TempDir() + "/m";
    RandomModelOptions o;
    o.preset = "tiny-qwen3";
    o.seed = 3;
    ASSERT_TRUE(WriteRandomModel(o, dir).ok());
    Result<Model> m = LoadModel(dir);
    ASSERT_TRUE(m.ok()) << m.status().message();
    model_ = std::make_unique<Model>(std::move(m).value());
    Rng rng(1);
    samples_.assign(3, std::vector<int32_t>(48));
    for (auto& s : samples_) {
      for (int32_t& t : s) t = static_cast<int32_t>(rng.NextU64() % 512);
    }
  }

  CompactnessResult Measure(const CompactnessOptions& o, int threads = 2) {
    ThreadPool pool(threads);
    Result<CompactnessResult> r = MeasureCompactness(*model_, pool, samples_, o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r).value() : CompactnessResult{};
  }

  std::unique_ptr<Model> model_;
  std::vector<std::vector<int32_t>> samples_;
};

TEST_F(CompactnessTest, UnitsPerHeadAndPerProjection) {
  CompactnessOptions o;
  const CompactnessResult r = Measure(o);
  ASSERT_EQ(r.blocks.size(), 2u);
  EXPECT_EQ(r.tokens, 3 * 48);
  // tiny-qwen3: 4 query heads, 2 kv heads → q 4 + k 2 + v 2 + o 4 + gate, up, down.
  EXPECT_EQ(r.blocks[0].units.size(), 15u);
  for (const UnitMetrics& u : r.blocks[0].units) {
    EXPECT_EQ(u.compact_twin.size(), 3u);
    EXPECT_NEAR(u.DeltaR(), 0.0, kRandomVsRandomTolerance) << ProjectionName(u.projection);
  }
  o.per_head = false;
  o.projections = {Projection::kQ, Projection::kDown};
  EXPECT_EQ(Measure(o).blocks[1].units.size(), 2u);
}

TEST_F(CompactnessTest, DeterministicAndIndependentOfTheTwinScale) {
  CompactnessOptions o;
  o.twin_seeds = 2;
  const CompactnessResult a = Measure(o), b = Measure(o);
  o.twin_std = 1.0;
  const CompactnessResult c = Measure(o);
  o.twin_std = 0;
  o.seed = 99;
  const CompactnessResult d = Measure(o);
  for (size_t l = 0; l < a.blocks.size(); ++l) {
    const double ra = a.blocks[l].DeltaR(Aggregate::kProjection);
    EXPECT_EQ(ra, b.blocks[l].DeltaR(Aggregate::kProjection));
    EXPECT_NEAR(ra, c.blocks[l].DeltaR(Aggregate::kProjection), kScaleInvarianceTolerance);
    EXPECT_NE(ra, d.blocks[l].DeltaR(Aggregate::kProjection));  // the twin's seed matters
  }
}

// The Grams and spectra are spread over the pool's threads; every number stays the same bits.
TEST_F(CompactnessTest, SameBitsForEveryThreadCount) {
  CompactnessOptions o;
  o.twin_seeds = 2;
  const CompactnessResult one = Measure(o, 1), three = Measure(o, 3);
  ASSERT_EQ(one.blocks.size(), three.blocks.size());
  for (size_t l = 0; l < one.blocks.size(); ++l) {
    ASSERT_EQ(one.blocks[l].units.size(), three.blocks[l].units.size());
    for (size_t u = 0; u < one.blocks[l].units.size(); ++u) {
      const UnitMetrics& a = one.blocks[l].units[u];
      const UnitMetrics& b = three.blocks[l].units[u];
      EXPECT_EQ(a.compact, b.compact);
      EXPECT_EQ(a.energy, b.energy);
      EXPECT_EQ(a.compact_twin, b.compact_twin);
      EXPECT_EQ(a.energy_twin, b.energy_twin);
    }
    for (size_t i = 0; i < one.blocks[l].input_compact.size(); ++i) {
      EXPECT_EQ(one.blocks[l].input_compact[i], three.blocks[l].input_compact[i]);
    }
  }
}

TEST_F(CompactnessTest, LowRankProjectionIsMoreCompactThanItsTwin) {
  // Replace block 1's gate [ff, d] by a rank-2 matrix: its outputs span two directions.
  const ModelConfig& c = model_->config;
  OwnedTensor w = OwnedTensor::Zeros(DType::kF32, {c.intermediate_size, c.hidden_size});
  Rng rng(5);
  std::vector<double> u1(static_cast<size_t>(c.intermediate_size)), u2(u1.size());
  std::vector<double> v1(static_cast<size_t>(c.hidden_size)), v2(v1.size());
  for (auto* v : {&u1, &u2, &v1, &v2})
    for (double& x : *v) x = rng.Normal();
  for (int64_t i = 0; i < c.intermediate_size; ++i) {
    for (int64_t j = 0; j < c.hidden_size; ++j) {
      w.f32()[i * c.hidden_size + j] =
          static_cast<float>(0.02 * (u1[static_cast<size_t>(i)] * v1[static_cast<size_t>(j)] +
                                     u2[static_cast<size_t>(i)] * v2[static_cast<size_t>(j)]));
    }
  }
  model_->weights.blocks[1].gate.w = model_->Adopt(std::move(w));
  CompactnessOptions o;
  o.projections = {Projection::kGate, Projection::kUp};
  const CompactnessResult r = Measure(o);
  const BlockCompactness& b = r.blocks[1];
  // Compact(Z) ≤ 2 against ~tens for the random twin: Δr close to 1, ΔE_k > 0.
  EXPECT_GT(b.ProjectionDeltaR(Projection::kGate), 0.8);
  EXPECT_GT(b.ProjectionDeltaE(Projection::kGate), 0.3);
  EXPECT_LE(b.units[0].compact, 2.0 + 1e-6);
  EXPECT_NEAR(b.ProjectionDeltaR(Projection::kUp), 0.0, kRandomVsRandomTolerance);
  // Aggregations: flat and projection mean coincide with one unit per projection.
  EXPECT_DOUBLE_EQ(b.DeltaR(Aggregate::kFlat), b.DeltaR(Aggregate::kProjection));
}

TEST_F(CompactnessTest, AttentionAggregatesAverageTheirProjectionMeans) {
  const CompactnessResult r = Measure({});
  const BlockCompactness& b = r.blocks[0];
  const auto mean = [&](std::initializer_list<Projection> ps, bool energy) {
    double sum = 0;
    for (Projection p : ps) sum += energy ? b.ProjectionDeltaE(p) : b.ProjectionDeltaR(p);
    return sum / static_cast<double>(ps.size());
  };
  using P = Projection;
  EXPECT_DOUBLE_EQ(b.DeltaR(Aggregate::kQkv), mean({P::kQ, P::kK, P::kV}, false));
  EXPECT_DOUBLE_EQ(b.DeltaE(Aggregate::kQkv), mean({P::kQ, P::kK, P::kV}, true));
  EXPECT_DOUBLE_EQ(b.DeltaR(Aggregate::kAttention), mean({P::kQ, P::kK, P::kV, P::kO}, false));
  EXPECT_DOUBLE_EQ(b.DeltaR(Aggregate::kProjection),
                   mean({P::kQ, P::kK, P::kV, P::kO, P::kGate, P::kUp, P::kDown}, false));
}

TEST_F(CompactnessTest, ProxyRulesMatchTheAggregatesAndSingleTwins) {
  const CompactnessResult r = Measure({});
  const BlockCompactness& b = r.blocks[1];
  const std::vector<ProxyRule> rules = AllProxyRules();
  ASSERT_EQ(rules.size(), 12u);  // flat, projection, attention, qkv, mlp and the 7 projections
  EXPECT_EQ(RuleDeltaR(b, rules[0]), b.DeltaR(Aggregate::kFlat));
  EXPECT_EQ(RuleDeltaR(b, rules[1]), b.DeltaR(Aggregate::kProjection));
  EXPECT_EQ(RuleDeltaE(b, rules[2]), b.DeltaE(Aggregate::kAttention));
  EXPECT_EQ(RuleDeltaR(b, rules[3]), b.DeltaR(Aggregate::kQkv));
  // Twin 0 alone is the first-one-twin mean.
  EXPECT_DOUBLE_EQ(RuleDeltaR(b, rules[1], 0), b.DeltaR(Aggregate::kProjection, 1));
  EXPECT_DOUBLE_EQ(RuleDeltaE(b, rules[0], 0), b.DeltaE(Aggregate::kFlat, 1));
  EXPECT_EQ(rules.back().name, "down");
  // ρ against a target that is the rule's own value: 1 with all twins.
  std::vector<double> target;
  for (const BlockCompactness& block : r.blocks) target.push_back(RuleDeltaR(block, rules[1]));
  const std::vector<RuleRho> rho = ComputeRuleRho(r.blocks, 3, target);
  ASSERT_EQ(rho.size(), rules.size());
  EXPECT_EQ(rho[1].name, "projection");
  EXPECT_DOUBLE_EQ(rho[1].delta_r, 1.0);
  EXPECT_EQ(rho[1].delta_r_single.size(), 3u);
}

TEST_F(CompactnessTest, InputEffectiveRanksAreMeasuredPerSite) {
  const CompactnessResult all = Measure({});
  const ModelConfig& c = model_->config;
  const int64_t widths[] = {c.hidden_size, c.q_dim(), c.hidden_size, c.intermediate_size};
  for (const BlockCompactness& b : all.blocks) {
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_GE(b.input_compact[i], 1.0) << kInputSiteNames[i];
      EXPECT_LE(b.input_compact[i], static_cast<double>(widths[i])) << kInputSiteNames[i];
    }
  }
  CompactnessOptions mlp;
  mlp.projections = {Projection::kGate};
  const CompactnessResult some = Measure(mlp);
  EXPECT_TRUE(std::isnan(some.blocks[0].input_compact[0]));  // attention input not read
  EXPECT_EQ(some.blocks[0].input_compact[2], all.blocks[0].input_compact[2]);
}

TEST_F(CompactnessTest, BadInputsAreErrors) {
  ThreadPool pool(1);
  CompactnessOptions o;
  o.top_k = 0;
  EXPECT_FALSE(MeasureCompactness(*model_, pool, samples_, o).ok());
  o = {};
  std::vector<std::vector<int32_t>> ragged = {{1, 2, 3}, {1, 2}};
  EXPECT_FALSE(MeasureCompactness(*model_, pool, ragged, o).ok());
  EXPECT_FALSE(MeasureCompactness(*model_, pool, {}, o).ok());
}

}  // namespace
}  // namespace lieq
