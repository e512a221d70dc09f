// Small statistics over per-block values: ranks, Spearman's ρ, min–max normalisation.
#pragma once

#include <span>
#include <vector>

namespace lieq {

// Ranks 1..n, ties sharing their average rank.
std::vector<double> AverageRanks(std::span<const double> values);

// Spearman's ρ: Pearson correlation of the average ranks. NaN when fewer than two values or
// when either side is constant.
double SpearmanRho(std::span<const double> a, std::span<const double> b);

// (v − min) / (max − min) ∈ [0, 1]; all zeros when the values are constant.
std::vector<double> MinMaxNormalize(std::span<const double> values);

}  // namespace lieq
