// Kernel tests that run once per SIMD target: a fixture whose parameter is a Highway target
// (dispatch limited to it for the test), instantiated over every target this CPU supports and
// the build generated.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <string>

#include "hwy/targets.h"

namespace lieq {

class SimdTargetTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override { hwy::SetSupportedTargetsForTest(GetParam()); }
  void TearDown() override { hwy::SetSupportedTargetsForTest(0); }
};

// "AVX3_DL" etc., as a test name.
inline std::string SimdTargetName(const ::testing::TestParamInfo<int64_t>& info) {
  std::string name = hwy::TargetName(info.param);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

}  // namespace lieq

#define LIEQ_INSTANTIATE_FOR_EVERY_SIMD_TARGET(Suite)                                \
  INSTANTIATE_TEST_SUITE_P(Targets, Suite,                                           \
                           ::testing::ValuesIn(hwy::SupportedAndGeneratedTargets()), \
                           ::lieq::SimdTargetName)
